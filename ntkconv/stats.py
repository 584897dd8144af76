"""Scaling exponents with uncertainty: y ≈ c·x^α fitted on log–log axes.

Sweeps over widths (or n) repeat each x over seeds, so the bootstrap resamples the replicates
*within* each x (the design stays fixed and every resample keeps all x values); with a single
replicate per x it falls back to resampling (x, y) pairs, skipping the rare resamples that hit
only one x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_int


@dataclass(frozen=True)
class PowerLaw:
    """y ≈ prefactor·x^exponent; ``ci`` is the bootstrap percentile interval for the exponent."""

    exponent: float
    prefactor: float
    ci: tuple[float, float]
    level: float
    method: str  # "within-x" or "pairs"

    def __call__(self, x: object) -> np.ndarray:
        return self.prefactor * np.asarray(x, dtype=float) ** self.exponent


def _positive_1d(v: object, name: str) -> np.ndarray:
    a = np.asarray(v, dtype=float).ravel()
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise ValueError(f"{name} must be finite and > 0 for a log-log fit")
    return a


def _slopes(lx: np.ndarray, ly: np.ndarray) -> np.ndarray:
    """Least-squares slopes along the last axis (rows are resamples)."""
    dx = lx - lx.mean(axis=-1, keepdims=True)
    dy = ly - ly.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dx * dy).sum(axis=-1) / (dx**2).sum(axis=-1)


def fit_power_law(
    x: object, y: object, *, level: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> PowerLaw:
    """Fit log y = log c + α log x by least squares, with a bootstrap CI for α."""
    xs, ys = _positive_1d(x, "x"), _positive_1d(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same length; got {xs.size} and {ys.size}")
    if np.unique(xs).size < 2:
        raise ValueError("x needs at least two distinct values to fit an exponent")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level}")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    lx, ly = np.log(xs), np.log(ys)
    alpha = float(_slopes(lx, ly))
    prefactor = float(np.exp(ly.mean() - alpha * lx.mean()))
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(xs == v) for v in np.unique(xs)]
    if all(g.size >= 2 for g in groups):
        method = "within-x"
        idx = np.concatenate(
            [rng.choice(g, size=(n_resamples, g.size), replace=True) for g in groups], axis=1
        )
    else:
        method = "pairs"
        idx = rng.integers(0, xs.size, size=(n_resamples, xs.size))
    boot = _slopes(lx[idx], ly[idx])
    boot = boot[np.isfinite(boot)]
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(boot, [tail, 100 - tail])
    return PowerLaw(alpha, prefactor, (float(lo), float(hi)), float(level), method)
