"""Benchmark: a vmapped ensemble of S seeds against the sequential loop over the same seeds.

The workload is one task of the width-vs-n sweep: TwoLayerNet (relu, W trained), n points on
S^{d−1} with random ±1 labels (one dataset per seed), GD with η = n/λ_max(H(0)) on the half-mean
loss for a fixed number of steps (no early stop, so both sides do the same work), float64.
  * ``ensemble``   — ``ntkconv.train_ensemble`` on the stacked params of all S seeds;
  * ``sequential`` — ``ntkconv.train`` once per seed (activation tracking off), the loop a user
    would otherwise write.
Both run in this process, on the same thread count, one after the other, each warmed up with a
2-step run and timed as the best of ``--repeats`` runs. Results must agree:
the script prints the largest relative difference of the final losses and of the final weights.

Run: ``python experiments/bench_ensemble.py [--seeds 16 --n 64 --d 16 --m 64 --steps 300]
[--json]``. Prints both times and their ratio.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from torch.func import vmap

import ntkconv as nc
from experiments._timing import best_of


def workload(seeds: int, n: int, d: int, m: int, device: str = "cpu") -> tuple:
    """S datasets and inits (drawn on the CPU, so every device gets the same), on ``device``."""
    net = nc.TwoLayerNet(d, m)
    X, y = [], []
    for s in range(seeds):
        gen = nc.generator(nc.derive_seed(0, "bench", s))
        X.append(nc.sphere_inputs(n, d, gen))
        y.append(2 * torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64) - 1)
    X, y = torch.stack(X).to(device), torch.stack(y).to(device)
    params = nc.stack_params([net.init(s, device=device) for s in range(seeds)])
    lr = n / torch.linalg.eigvalsh(vmap(net.structured_ntk)(params, X))[:, -1]
    return net, params, X, y, lr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--m", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    net, params, X, y, lr = workload(args.seeds, args.n, args.d, args.m)
    members = nc.unstack_params(params)

    def ensemble(steps: int) -> nc.EnsembleTrajectory:
        return nc.train_ensemble(
            net, params, X, y, lr=lr, steps=steps, reduction="half_mean", progress=False
        )

    def sequential(steps: int) -> list[nc.Trajectory]:
        return [
            nc.train(
                net,
                members[s],
                X[s],
                y[s],
                lr=float(lr[s]),
                steps=steps,
                reduction="half_mean",
                track_activations=False,
                progress=False,
            )
            for s in range(args.seeds)
        ]

    # Untimed warm-up: the first vmap/grad call of a process pays one-off set-up (~1 s).
    ensemble(2), sequential(2)
    t_ensemble, together = best_of(lambda: ensemble(args.steps), args.repeats)
    t_sequential, alone = best_of(lambda: sequential(args.steps), args.repeats)

    loss_alone = np.array([t.loss[-1] for t in alone])
    loss_diff = float(np.max(np.abs(together.final_loss - loss_alone) / loss_alone))
    weight_diff = max(
        float((together.params["W"][s] - t.params["W"]).abs().max() / t.params["W"].abs().max())
        for s, t in enumerate(alone)
    )
    result = {
        "config": vars(args) | {"threads": torch.get_num_threads()},
        "ensemble_s": t_ensemble,
        "sequential_s": t_sequential,
        "speedup": t_sequential / t_ensemble,
        "max_rel_diff_final_loss": loss_diff,
        "max_rel_diff_final_W": weight_diff,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{args.seeds} seeds, n = {args.n}, d = {args.d}, m = {args.m}, {args.steps} GD steps, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"  vmapped ensemble  {t_ensemble:8.3f} s  (best of {args.repeats})")
    print(f"  sequential loop   {t_sequential:8.3f} s")
    print(f"  speedup           {t_sequential / t_ensemble:8.1f}x")
    print(f"  max relative difference: final loss {loss_diff:.1e}, final W {weight_diff:.1e}")


if __name__ == "__main__":
    main()
