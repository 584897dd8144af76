"""Benchmark: the closed-form two-layer NTK against the Jacobian route, in one run.

Compares, for TwoLayerNet (relu, W trained) at n = 1024, d = 32, m = 4096 in float64:
  * ``structured`` — ``empirical_ntk(method="structured")``;
  * the bare matrix products it needs (X Wᵀ, (S·a²/m) Sᵀ, X Xᵀ and the Hadamard product) — the
    floor any implementation of the closed form pays;
  * the baseline recipe of the torch.func "Neural Tangent Kernels" tutorial: per-sample
    ``vmap(jacrev)`` for both inputs, then an einsum contraction per parameter block;
  * ``ntvp`` against ``jacobian`` (agreement, relative to max |Θ|).

Run: ``python experiments/bench_ntk.py [--n 1024 --d 32 --m 4096] [--json]``. Prints the ratios.
"""

from __future__ import annotations

import argparse
import json

import torch
from torch.func import jacrev, vmap

import ntkconv as nc
from experiments._timing import best_of


def tutorial_recipe(net: nc.TwoLayerNet, params: dict, X: torch.Tensor) -> torch.Tensor:
    """vmap(jacrev) per sample on both inputs, then Σ_blocks einsum('Nf,Mf->NM')."""
    trainable = {k: params[k] for k in net.trainable}
    fixed = {k: v for k, v in params.items() if k not in trainable}

    def single(p: dict, x: torch.Tensor) -> torch.Tensor:
        return net({**fixed, **p}, x.unsqueeze(0)).squeeze(0)

    jac1 = vmap(jacrev(single), (None, 0))(trainable, X)
    jac2 = vmap(jacrev(single), (None, 0))(trainable, X)
    blocks = [
        torch.einsum("Nf,Mf->NM", j1.flatten(1), j2.flatten(1))
        for j1, j2 in zip(jac1.values(), jac2.values(), strict=True)
    ]
    return torch.stack(blocks).sum(0)


def bare_products(net: nc.TwoLayerNet, params: dict, X: torch.Tensor) -> torch.Tensor:
    Z = X @ params["W"].T
    S = (Z > 0).to(Z.dtype)
    return (X @ X.T) * ((S * (params["a"] ** 2 / net.width)) @ S.T)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--d", type=int, default=32)
    parser.add_argument("--m", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    X = nc.sphere_inputs(args.n, args.d, seed=0)
    net = nc.TwoLayerNet(args.d, args.m, "relu")
    params = net.init(0)

    t_struct, G_struct = best_of(
        lambda: nc.empirical_ntk(net, params, X, method="structured"), args.repeats
    )
    t_bare, G_bare = best_of(lambda: bare_products(net, params, X), args.repeats)
    t_tut, G_tut = best_of(lambda: tutorial_recipe(net, params, X), 1)
    t_jac, G_jac = best_of(lambda: nc.empirical_ntk(net, params, X, method="jacobian"), 1)
    t_ntvp, G_ntvp = best_of(
        lambda: nc.empirical_ntk(net, params, X, method="ntvp", chunk_size=32), 1
    )

    scale = float(G_jac.abs().max())
    report = {
        "n": args.n,
        "d": args.d,
        "m": args.m,
        "dtype": "float64",
        "threads": torch.get_num_threads(),
        "seconds": {
            "structured": t_struct,
            "bare_products": t_bare,
            "tutorial_recipe": t_tut,
            "jacobian": t_jac,
            "ntvp": t_ntvp,
        },
        "speedup_structured_vs_tutorial": t_tut / t_struct,
        "structured_over_bare": t_struct / t_bare,
        "rel_err_structured_vs_tutorial": float((G_struct - G_tut).abs().max()) / scale,
        "rel_err_structured_vs_bare": float((G_struct - G_bare).abs().max()) / scale,
        "rel_err_ntvp_vs_jacobian": float((G_ntvp - G_jac).abs().max()) / scale,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    s = report["seconds"]
    print(f"n={args.n} d={args.d} m={args.m} float64, {report['threads']} threads")
    for name, sec in s.items():
        print(f"  {name:<16} {sec:9.4f} s")
    print(
        f"structured vs torch.func tutorial recipe: "
        f"{report['speedup_structured_vs_tutorial']:.1f}x faster (target >= 20x)"
    )
    print(
        f"structured / bare matrix products:        {report['structured_over_bare']:.2f} "
        "(target <= 2)"
    )
    print(
        f"max |ntvp - jacobian| / max|Θ|:           {report['rel_err_ntvp_vs_jacobian']:.2e} "
        "(target <= 1e-9)"
    )
    print(
        f"max |structured - tutorial| / max|Θ|:     {report['rel_err_structured_vs_tutorial']:.2e}"
    )


if __name__ == "__main__":
    main()
