"""Benchmark: what ``ntkconv.train`` and ``ntkconv.train_ensemble`` cost over a hand-written loop.

The workload is the width-vs-n sweep's: TwoLayerNet (relu, W trained, a fixed), n points on
S^{d−1} with random ±1 labels, GD with η = n/λ_max(G(0)) on L = (1/2n)Σ(f − y)² for a fixed
number of steps (no early stop), float64. Both sides record the same three numbers at every
step: the loss, ‖∇L‖² and ‖W_k − W_0‖.

* ``train`` against a plain ``torch.autograd.grad`` loop (activation tracking off, as the
  recorders must match);
* ``train_ensemble`` (S members, one ``vmap``-ped gradient per step) against the same loop on
  the stacked (S, m, d) weights, where the gradient of the summed losses is each member's own.

Each pair runs in this process on the same thread count, warmed up, called in turn and timed
as the best of ``--repeats``; the results must agree (the largest relative difference of the
final losses and recorders is printed). Target: ratios ≤ 1.3 at (n, m) = (64, 64) and
(512, 1024).

Run: ``python experiments/bench_train.py [--sizes 64x64 512x1024] [--d 16] [--steps 300]
[--seeds 5] [--device cuda] [--json]`` (every step of both sides ends in a host transfer of its
recorders, so CUDA times are wall-clock times of finished work).
"""

from __future__ import annotations

import argparse
import json
import math
from functools import partial

import numpy as np
import torch

import ntkconv as nc
from experiments._timing import best_of_interleaved
from experiments.bench_ensemble import workload  # the same S datasets, inits and steps


def plain_loop(W: torch.Tensor, a: torch.Tensor, X: torch.Tensor, y: torch.Tensor, lr, steps):
    """GD written out by hand: autograd for the gradient, the same three recorders per step.

    Works for one member (W (m, d), X (n, d)) and for a stack (W (S, m, d), X (S, n, d)): the
    summed members' losses have each member's gradient as their gradient.
    """
    m, n = W.shape[-2], X.shape[-2]
    lr = torch.as_tensor(lr, dtype=W.dtype, device=W.device).reshape(-1, *([1] * (W.ndim - 1)))
    W0, W = W, W.clone().requires_grad_(True)
    rows = []
    for k in range(steps + 1):
        f = torch.relu(X @ W.transpose(-1, -2)) @ a.unsqueeze(-1) / math.sqrt(m)
        loss = ((f.squeeze(-1) - y) ** 2).sum(-1) / (2 * n)
        (g,) = torch.autograd.grad(loss.sum(), W)
        rows.append(
            torch.stack(
                [
                    loss.detach(),
                    g.pow(2).flatten(-2).sum(-1),
                    (W.detach() - W0).flatten(-2).norm(dim=-1),
                ]
            )
        )
        if k < steps:
            with torch.no_grad():
                W -= lr * g
    return torch.stack(rows).cpu().numpy(), W.detach()


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def measure(
    seeds: int, n: int, d: int, m: int, steps: int, repeats: int, device: str = "cpu"
) -> dict:
    net, params, X, y, lr = workload(seeds, n, d, m, device)
    one = {k: v[0] for k, v in params.items()}

    def single(k: int) -> nc.Trajectory:
        return nc.train(
            net, one, X[0], y[0], lr=float(lr[0]), steps=k, reduction="half_mean",
            track_activations=False, progress=False,
        )  # fmt: skip

    def ensemble(k: int) -> nc.EnsembleTrajectory:
        return nc.train_ensemble(
            net, params, X, y, lr=lr, steps=k, reduction="half_mean", progress=False
        )

    def hand(W, a, Xs, ys, rate):
        return lambda k: plain_loop(W, a, Xs, ys, rate, k)

    hand_single = hand(one["W"], one["a"], X[0], y[0], float(lr[0]))
    hand_stack = hand(params["W"], params["a"], X, y, lr)
    for fn in (single, ensemble, hand_single, hand_stack):  # untimed warm-up
        fn(2)
    timed = best_of_interleaved([partial(fn, steps) for fn in (single, hand_single)], repeats)
    (t_train, traj), (t_hand, (rows, W)) = timed
    timed = best_of_interleaved([partial(fn, steps) for fn in (ensemble, hand_stack)], repeats)
    (t_ens, run), (t_hand_ens, (rows_ens, W_ens)) = timed
    agree = max(
        _rel(traj.loss, rows[:, 0]),
        _rel(traj.grad_norm_sq, rows[:, 1]),
        _rel(traj.dist_from_init[1:], rows[1:, 2]),
        _rel(run.loss, rows_ens[:, 0]),
        _rel(run.grad_norm_sq, rows_ens[:, 1]),
        _rel(run.dist_from_init[1:], rows_ens[1:, 2]),
        float((traj.params["W"] - W).abs().max() / W.abs().max()),
        float((run.params["W"] - W_ens).abs().max() / W_ens.abs().max()),
    )
    return {
        "n": n,
        "m": m,
        "train_s": t_train,
        "plain_s": t_hand,
        "train_ratio": t_train / t_hand,
        "ensemble_s": t_ens,
        "plain_stacked_s": t_hand_ens,
        "ensemble_ratio": t_ens / t_hand_ens,
        "max_rel_diff": agree,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["64x64", "512x1024"], metavar="NxM")
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5, help="ensemble members S")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda (the data is drawn on the CPU)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes]
    results = [
        measure(args.seeds, n, args.d, m, args.steps, args.repeats, args.device) for n, m in sizes
    ]
    if args.json:
        print(json.dumps({"config": vars(args), "results": results}, indent=2))
        return
    print(
        f"d = {args.d}, {args.steps} GD steps, ensemble of {args.seeds}, "
        f"{torch.get_num_threads()} threads, on {args.device}; times are the best of {args.repeats}"
    )
    for r in results:
        print(
            f"n = {r['n']:4d}, m = {r['m']:5d}:  train {r['train_s']:.3f} s vs plain loop "
            f"{r['plain_s']:.3f} s -> {r['train_ratio']:.2f}x;  train_ensemble "
            f"{r['ensemble_s']:.3f} s vs plain stacked loop {r['plain_stacked_s']:.3f} s -> "
            f"{r['ensemble_ratio']:.2f}x  (results agree to {r['max_rel_diff']:.1e})"
        )


if __name__ == "__main__":
    main()
