"""Benchmark: the structured depth-L NTK against the Jacobian route, in one run.

Compares, for ``DeepNet`` (relu MLP, L = 4 hidden layers of width m = 256, every W_l trained) at
n = 512, d = 32 in float64 — J then has 205 056 columns and fits in memory (0.8 GB):
  * ``structured`` — ``empirical_ntk(method="structured")`` (what ``"auto"`` takes): one forward
    pass, one batched backward pass, Σ_l ω_l² (δ_l δ_lᵀ) ∘ (h_(l−1) h_(l−1)ᵀ);
  * the bare matrix products it needs (the L forward and L − 1 backward GEMMs, the 2L Gram
    GEMMs and the Hadamard products), written without checks — the floor of the closed form;
  * ``jacobian`` — per-sample ``vmap(jacrev)``, then J Jᵀ (one GEMM).
Agreement is reported relative to max|Θ|.

Run: ``python experiments/bench_deep_ntk.py [--n 512 --d 32 --m 256 --depth 4] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import math

import torch

import ntkconv as nc
from experiments._timing import best_of, best_of_interleaved


def bare_products(net: nc.DeepNet, params: dict, X: torch.Tensor) -> torch.Tensor:
    """The closed form's matrix products for a relu MLP, nothing else."""
    c, L = net.c_sigma, net.depth
    omega = [1.0] + [math.sqrt(c / m) for m in net.widths[:-1]]
    hs, masks = [X], []
    for k in range(L):
        z = hs[-1] @ params[f"W{k + 1}"].T * omega[k]
        masks.append(z > 0)
        hs.append(torch.relu(z))
    delta = masks[-1] * (params["a"] * math.sqrt(c / net.widths[-1]))
    G = torch.zeros(X.shape[0], X.shape[0], dtype=X.dtype)
    for k in range(L - 1, -1, -1):
        G += (delta @ delta.T) * (hs[k] @ hs[k].T) * omega[k] ** 2
        if k:
            delta = (delta @ params[f"W{k + 1}"] * omega[k]) * masks[k - 1]
    return G


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--d", type=int, default=32)
    parser.add_argument("--m", type=int, default=256)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    X = nc.sphere_inputs(args.n, args.d, seed=0)
    net = nc.DeepNet(args.d, (args.m,) * args.depth)
    params = net.init(0)
    (t_struct, G_struct), (t_bare, G_bare) = best_of_interleaved(
        [
            lambda: nc.empirical_ntk(net, params, X, method="structured"),
            lambda: bare_products(net, params, X),
        ],
        args.repeats,
    )
    t_jac, G_jac = best_of(lambda: nc.empirical_ntk(net, params, X, method="jacobian"), 2)
    scale = float(G_jac.abs().max())
    report = {
        "n": args.n,
        "d": args.d,
        "m": args.m,
        "depth": args.depth,
        "n_params": net.n_params(),
        "dtype": "float64",
        "threads": torch.get_num_threads(),
        "seconds": {"structured": t_struct, "bare_products": t_bare, "jacobian": t_jac},
        "speedup_structured_vs_jacobian": t_jac / t_struct,
        "structured_over_bare": t_struct / t_bare,
        "rel_err_structured_vs_jacobian": float((G_struct - G_jac).abs().max()) / scale,
        "rel_err_structured_vs_bare": float((G_struct - G_bare).abs().max()) / scale,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"n={args.n} d={args.d} m={args.m} L={args.depth} ({report['n_params']} weights) "
        f"float64, {report['threads']} threads"
    )
    for name, sec in report["seconds"].items():
        print(f"  {name:<14} {sec:9.4f} s")
    print(
        f"structured vs Jacobian route:      {report['speedup_structured_vs_jacobian']:.1f}x "
        "faster (target >= 10x)"
    )
    print(f"structured / bare matrix products: {report['structured_over_bare']:.2f} (target <= 2)")
    print(f"max |structured - jacobian| / max|Θ|: {report['rel_err_structured_vs_jacobian']:.2e}")


if __name__ == "__main__":
    main()
