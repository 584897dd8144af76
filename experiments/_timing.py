"""Wall-clock timing shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """The fastest of ``repeats`` calls of ``fn`` (seconds) and the last call's result: the
    minimum is the least noisy estimate of what the code costs on an otherwise busy machine."""
    best, out = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def best_of_interleaved(fns: list[Callable[[], T]], repeats: int) -> list[tuple[float, T]]:
    """:func:`best_of` for several functions called in turn (a, b, a, b, …), so that a slow
    spell of a shared machine hits every side of a ratio alike."""
    best = [float("inf")] * len(fns)
    out: list = [None] * len(fns)
    for _ in range(max(1, repeats)):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            out[i] = fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return list(zip(best, out, strict=True))
