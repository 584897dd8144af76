"""How large N can the explicit memorizers go before float64 misses 1e-8? (issue 20)

For each input distribution, dimension d and projection variant, the largest N on a grid for
which ``yun_memorizer`` and ``zhang_memorizer`` reproduce U[−1, 1] labels to
max|f(x_i) − y_i| ≤ 1e-8·max|y| at every one of SEEDS seeds (their own rtol check, so a miss
is a refusal). Variants: the number of random candidate directions the projection tries besides
the coordinate axes (``ntkconv.constructions.N_RANDOM_DIRECTIONS``). Run by hand:

    python -m experiments.conditioning            # prints a Markdown table
"""

from __future__ import annotations

import math
import time

import torch

import ntkconv as nc
import ntkconv.constructions as cons

GRID = (50, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000)
SEEDS = 3
DISTRIBUTIONS = ("gaussian", "uniform", "clustered")
DIMENSIONS = (1, 2, 10)
VARIANTS = (8, 64, 256)


def data(kind: str, n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = nc.generator(seed)
    if kind == "gaussian":
        X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    elif kind == "uniform":
        X = torch.rand(n, d, generator=gen, dtype=torch.float64)
    else:  # 10 tight clusters: many small gaps inside each
        centres = torch.randn(10, d, generator=gen, dtype=torch.float64)
        X = centres[torch.randint(0, 10, (n,), generator=gen)]
        X = X + 0.05 * torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = 2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1
    return X, y


def exact(construct: str, X: torch.Tensor, y: torch.Tensor) -> bool:
    try:
        if construct == "yun":
            width = max(4, 4 * math.ceil(math.sqrt(X.shape[0] / 4)))
            nc.yun_memorizer(X, y, width, width)
        else:
            nc.zhang_memorizer(X, y)
    except ValueError as err:
        if "float64" in str(err) or "rtol" in str(err) or "rounding" in str(err):
            return False
        raise
    return True


def largest(construct: str, kind: str, d: int) -> int:
    best = 0
    for n in GRID:
        if construct == "zhang" and n > 5000:  # its check is an O(n²d) forward pass
            break
        if not all(exact(construct, *data(kind, n, d, s)) for s in range(SEEDS)):
            break
        best = n
    return best


def main() -> None:
    start = time.perf_counter()
    print(
        "| constructor | directions | "
        + " | ".join(f"{k} d={d}" for k in DISTRIBUTIONS for d in DIMENSIONS)
        + " |"
    )
    print("|---|---|" + "---|" * (len(DISTRIBUTIONS) * len(DIMENSIONS)))
    default = cons.N_RANDOM_DIRECTIONS
    try:
        for construct in ("yun", "zhang"):
            for v in VARIANTS:
                cons.N_RANDOM_DIRECTIONS = v
                cells = [largest(construct, k, d) for k in DISTRIBUTIONS for d in DIMENSIONS]
                print(
                    f"| {construct} | axes + {v} | "
                    + " | ".join(f"≥ {c}" if c == GRID[-1] else str(c) for c in cells)
                    + " |",
                    flush=True,
                )
    finally:
        cons.N_RANDOM_DIRECTIONS = default
    print(f"\n{time.perf_counter() - start:.0f} s; grid {GRID}, {SEEDS} seeds per cell")


if __name__ == "__main__":
    main()
