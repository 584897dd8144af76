"""Benchmark: Hessian-vector products for Lanczos, in one run.

Compares, on the squared loss of a tanh TwoLayerNet (W trained, float64):
  * ``ntkconv`` — ``hvp_fn``: ∇L linearized once (reverse-over-reverse ``vjp`` of ``grad``),
    the pullback reused for every vector, as ``hessian_eigenvalue`` does;
  * the forward-over-reverse baseline ``jvp(grad(L), (w,), (v,))``, re-run per vector.
Prints per-product times, their ratio, the max difference, and the time of one
``hessian_eigenvalue`` call. Run: ``python experiments/bench_hvp.py [--n 16 --d 4 --m 32]``.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.func import grad, jvp

import ntkconv as nc
from ntkconv.autodiff import hvp_fn, split


def per_call(fn, repeats: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--d", type=int, default=4)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    gen = nc.generator(0)
    X = torch.randn(args.n, args.d, generator=gen, dtype=torch.float64)
    y = torch.randn(args.n, generator=gen, dtype=torch.float64)
    net = nc.TwoLayerNet(args.d, args.m, "tanh")
    params = net.init(0)

    def loss(p: dict) -> torch.Tensor:
        return nc.squared_loss(net(p, X), y, "half_mean")

    sub, fixed = split(params, ("W",))
    v = {"W": torch.randn(args.m, args.d, generator=gen, dtype=torch.float64)}
    g = grad(lambda s: loss({**fixed, **s}))
    reused = hvp_fn(loss, sub, fixed)
    t_new = per_call(lambda: reused(v), args.repeats)
    t_old = per_call(lambda: jvp(g, (sub,), (v,))[1], args.repeats)
    diff = float((reused(v)["W"] - jvp(g, (sub,), (v,))[1]["W"]).abs().max())
    t_lanczos = per_call(lambda: nc.smoothness(loss, params, "W"), 5)
    print(f"tanh TwoLayerNet n={args.n} d={args.d} m={args.m} ({args.m * args.d} params), float64")
    print(f"  forward-over-reverse per HVP (baseline): {t_old * 1e3:8.3f} ms")
    print(f"  reused reverse-over-reverse per HVP:     {t_new * 1e3:8.3f} ms")
    print(f"  ratio: {t_old / t_new:.1f}x faster; max |difference| = {diff:.1e}")
    print(f"  one hessian_eigenvalue (Lanczos) call:   {t_lanczos * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
