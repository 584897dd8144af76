"""Statistics behind verdicts: scaling exponents with bootstrap intervals (y ≈ c·x^α on log–log
axes), and one-sided confidence bounds on a mean (Hoeffding, sub-Gaussian, Student t).

Sweeps over widths (or n) repeat each x over seeds, so the bootstrap resamples the replicates
*within* each x (the design stays fixed and every resample keeps all x values); with a single
replicate per x it falls back to resampling (x, y) pairs, skipping the rare resamples that hit
only one x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_int
from .seeds import numpy_rng


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
    if v is None:
        raise TypeError(f"{name} must be an array of numbers; got None")
    a = _numbers(v, name)
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
    if np.shape(x) != np.shape(y):
        raise ValueError(f"x and y must have the same shape; got {np.shape(x)} and {np.shape(y)}")
    if np.unique(xs).size < 2:
        raise ValueError("x needs at least two distinct values to fit an exponent")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    if n_resamples < 10:
        raise ValueError(f"n_resamples must be >= 10 for a bootstrap interval; got {n_resamples}")
    lx, ly = np.log(xs), np.log(ys)
    alpha = float(_slopes(lx, ly))
    prefactor = float(np.exp(ly.mean() - alpha * lx.mean()))
    rng = numpy_rng(seed)
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
    if boot.size == 0:  # every resample drew a single x: no slope, no interval
        return PowerLaw(alpha, prefactor, (math.nan, math.nan), float(level), method)
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(boot, [tail, 100 - tail])
    return PowerLaw(alpha, prefactor, (float(lo), float(hi)), float(level), method)


# --- confidence bounds on a mean ---------------------------------------------------------------
#: One-sided level of every statistical decision in ntkconv: a calibration run makes at most
#: ~10⁴ of them (records × seeds), so fewer than 0.01 false alarms are expected in total.
STAT_ALPHA = 1e-6


@dataclass(frozen=True)
class MeanInterval:
    """One-sided confidence bounds on the mean of i.i.d. samples: P(mean < lower) ≤ alpha and
    P(mean > upper) ≤ alpha, by ``method``."""

    estimate: float
    lower: float
    upper: float
    alpha: float
    samples: int
    method: str

    def exceeds(self, bound: float) -> bool:
        """The data establish mean > bound (the lower confidence bound lies beyond it)."""
        return self.lower > bound

    def below(self, bound: float) -> bool:
        """The data establish mean < bound (the upper confidence bound lies below it)."""
        return self.upper < bound


def _numbers(x: object, name: str) -> np.ndarray:
    """``x`` as a flat float64 array of real numbers (tensors detached; strings, complex
    values and objects refused)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()  # type: ignore[union-attr]
    a = np.asarray(x)
    if a.dtype.kind not in "biuf" or a.dtype == bool:
        raise TypeError(f"{name} must be real numbers; got an array of {a.dtype}")
    return a.astype(float).ravel()


def _samples(x: object) -> np.ndarray:
    a = _numbers(x, "samples")
    if a.size == 0:
        raise ValueError("samples is empty")
    if not np.isfinite(a).all():
        raise ValueError("samples contain NaN or inf")
    return a


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5); got {alpha}")
    return float(alpha)


def hoeffding_interval(
    samples: object, low: float, high: float, alpha: float = STAT_ALPHA
) -> MeanInterval:
    """Hoeffding's bound for samples in [low, high]: mean ± (high − low)·sqrt(log(1/α)/(2N)).

    Example:
        >>> iv = hoeffding_interval([0.4, 0.6] * 50, 0.0, 1.0, alpha=0.05)
        >>> round(iv.lower, 3), round(iv.upper, 3)
        (0.378, 0.622)
    """
    a, alpha = _samples(samples), _check_alpha(alpha)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"low and high must be finite with low < high; got [{low}, {high}]")
    if a.min() < low or a.max() > high:
        raise ValueError(f"samples must lie in [low, high] = [{low}, {high}]")
    t = (high - low) * math.sqrt(math.log(1 / alpha) / (2 * a.size))
    m = float(a.mean())
    return MeanInterval(m, m - t, m + t, alpha, a.size, f"Hoeffding, range [{low:g}, {high:g}]")


def subgaussian_interval(
    samples: object, variance_proxy: float, alpha: float = STAT_ALPHA, *, method: str = ""
) -> MeanInterval:
    """Bounds for samples that are each sub-Gaussian with ``variance_proxy`` σ² around their
    mean (e.g. by McDiarmid's bounded differences: σ² = Σ c_i²/4): mean ± sqrt(2σ² log(1/α)/N).
    """
    a, alpha = _samples(samples), _check_alpha(alpha)
    if not (variance_proxy > 0 and math.isfinite(variance_proxy)):
        raise ValueError(f"variance_proxy must be > 0; got {variance_proxy}")
    t = math.sqrt(2 * variance_proxy * math.log(1 / alpha) / a.size)
    m = float(a.mean())
    return MeanInterval(
        m, m - t, m + t, alpha, a.size, method or f"sub-Gaussian, σ² = {variance_proxy:.3g}"
    )


def t_interval(samples: object, alpha: float = STAT_ALPHA) -> MeanInterval:
    """Student-t bounds (scipy.stats.t) from the sample standard deviation: exact for normal
    samples, asymptotic otherwise — for unbounded quantities such as SGD's ‖∇f‖² over seeds."""
    from scipy.stats import t as student

    a, alpha = _samples(samples), _check_alpha(alpha)
    if a.size < 2:
        raise ValueError("t_interval needs at least two samples")
    m = float(a.mean())
    half = float(student.ppf(1 - alpha, a.size - 1)) * float(a.std(ddof=1)) / math.sqrt(a.size)
    return MeanInterval(m, m - half, m + half, alpha, a.size, f"Student t, {a.size - 1} d.o.f.")
