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

from ._validation import check_interval, check_positive_int
from .seeds import numpy_rng


@dataclass(frozen=True)
class PowerLaw:
    """A fitted power law y ≈ prefactor·x^exponent, as returned by :func:`fit_power_law`.

    Attributes:
        exponent: the least-squares slope α on log–log axes.
        prefactor: c = exp(mean(log y) − α·mean(log x)), so the fit passes through the centroid.
        ci: the bootstrap percentile interval (lo, hi) for the exponent at ``level``;
            (nan, nan) when no resample had two distinct x values.
        level: the two-sided confidence level of ``ci``, in (0, 1).
        method: ``"within-x"`` (replicates resampled within each x) or ``"pairs"`` ((x, y)
            pairs resampled; some x has a single replicate).

    Examples:
        >>> law = PowerLaw(exponent=-0.5, prefactor=3.0, ci=(-0.6, -0.4), level=0.95,
        ...                method="pairs")
        >>> law([1.0, 4.0])
        array([3. , 1.5])
    """

    exponent: float
    prefactor: float
    ci: tuple[float, float]
    level: float
    method: str  # "within-x" or "pairs"

    def __call__(self, x: object) -> np.ndarray:
        """Evaluate the fitted law prefactor·x^exponent.

        Args:
            x: a number or array-like of numbers (cast to float64).

        Returns:
            A float64 NumPy array of x's shape (0-d for a scalar ``x``).
        """
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
    """Fit log y = log c + α log x by least squares, with a bootstrap CI for α.

    The bootstrap resamples the replicates *within* each x when every x value repeats (the
    design stays fixed and every resample keeps all x values), and resamples (x, y) pairs
    otherwise, skipping the resamples that hit a single x (see the module docstring); the
    interval is the percentile interval of the resampled slopes.

    Args:
        x: the positive, finite abscissae (e.g. widths or n), array-like or tensor; flattened.
            At least two distinct values; repeats are replicates (e.g. seeds).
        y: the positive, finite measurements, the same shape as ``x``.
        level: the two-sided confidence level of the interval, in (0, 1).
        n_resamples: the number of bootstrap resamples, an int ≥ 10.
        seed: seeds the bootstrap's NumPy generator (see :func:`ntkconv.check_seed`).

    Returns:
        A :class:`PowerLaw` with the point estimates, the interval and the bootstrap method.

    Raises:
        TypeError: ``x`` or ``y`` is None or not real numbers; ``seed`` is not an integer.
        ValueError: ``x`` or ``y`` is empty, non-finite or not > 0; their shapes differ; x
            has fewer than two distinct values; ``level`` is outside (0, 1); ``n_resamples``
            is not an int ≥ 10; ``seed`` is out of range.

    Examples:
        >>> x = np.repeat([10.0, 100.0, 1000.0], 3)
        >>> noise = np.exp(0.05 * np.random.default_rng(0).standard_normal(9))
        >>> fit = fit_power_law(x, 2.0 / x * noise, seed=0)
        >>> round(fit.exponent, 2), round(fit.prefactor, 2), fit.method
        (-1.0, 1.99, 'within-x')
        >>> bool(fit.ci[0] < -1.0 < fit.ci[1])
        True
    """
    xs, ys = _positive_1d(x, "x"), _positive_1d(y, "y")
    if np.shape(x) != np.shape(y):
        raise ValueError(f"x and y must have the same shape; got {np.shape(x)} and {np.shape(y)}")
    if np.unique(xs).size < 2:
        raise ValueError("x needs at least two distinct values to fit an exponent")
    level = check_interval(level, "level", 0, 1, closed=(False, False))
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
    """One-sided confidence bounds on the mean of i.i.d. samples, by ``method``.

    Each bound holds separately at level ``alpha``: P(mean < lower) ≤ alpha and
    P(mean > upper) ≤ alpha. Built by :func:`hoeffding_interval`,
    :func:`subgaussian_interval` and :func:`t_interval`.

    Attributes:
        estimate: the sample mean.
        lower: the lower confidence bound on the mean.
        upper: the upper confidence bound on the mean.
        alpha: the one-sided error level of each bound, in (0, 0.5).
        samples: the number of samples N.
        method: a human-readable description of the bound (e.g. ``"Student t, 4 d.o.f."``).

    Examples:
        >>> iv = MeanInterval(0.5, 0.4, 0.6, 0.05, 100, "by hand")
        >>> iv.exceeds(0.3), iv.below(0.6)
        (True, False)
    """

    estimate: float
    lower: float
    upper: float
    alpha: float
    samples: int
    method: str

    def exceeds(self, bound: float) -> bool:
        """The data establish mean > bound (the lower confidence bound lies beyond it).

        Args:
            bound: the threshold to compare with.

        Returns:
            True when ``lower > bound``.
        """
        return self.lower > bound

    def below(self, bound: float) -> bool:
        """The data establish mean < bound (the upper confidence bound lies below it).

        Args:
            bound: the threshold to compare with.

        Returns:
            True when ``upper < bound``.
        """
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
    return check_interval(alpha, "alpha", 0, 0.5, closed=(False, False))


def hoeffding_interval(
    samples: object, low: float, high: float, alpha: float = STAT_ALPHA
) -> MeanInterval:
    """Hoeffding's bound for samples in [low, high]: mean ± (high − low)·sqrt(log(1/α)/(2N)).

    Args:
        samples: the N i.i.d. samples, array-like or tensor of real numbers (flattened).
        low: a finite lower end of the samples' range.
        high: a finite upper end of the range, > ``low``.
        alpha: the one-sided error level of each bound, in (0, 0.5); default
            :data:`STAT_ALPHA`.

    Returns:
        A :class:`MeanInterval` with method ``"Hoeffding, range [low, high]"``.

    Raises:
        TypeError: ``samples`` are not real numbers.
        ValueError: ``samples`` are empty or non-finite or leave [low, high]; ``low`` and
            ``high`` are not finite with low < high; ``alpha`` is outside (0, 0.5).

    Examples:
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
    """Bounds for i.i.d. σ²-sub-Gaussian samples: mean ± sqrt(2σ² log(1/α)/N).

    Each sample is sub-Gaussian with ``variance_proxy`` σ² around its mean (e.g. by
    McDiarmid's bounded differences: σ² = Σ c_i²/4).

    Args:
        samples: the N i.i.d. samples, array-like or tensor of real numbers (flattened).
        variance_proxy: the variance proxy σ², a finite number > 0.
        alpha: the one-sided error level of each bound, in (0, 0.5); default
            :data:`STAT_ALPHA`.
        method: the description stored on the result; ``""`` (the default) gives
            ``"sub-Gaussian, σ² = ..."``.

    Returns:
        A :class:`MeanInterval`.

    Raises:
        TypeError: ``samples`` are not real numbers.
        ValueError: ``samples`` are empty or non-finite; ``variance_proxy`` is not a finite
            number > 0; ``alpha`` is outside (0, 0.5).

    Examples:
        >>> iv = subgaussian_interval([0.4, 0.6] * 50, 0.25, alpha=0.05)
        >>> round(iv.lower, 3), round(iv.upper, 3), iv.method
        (0.378, 0.622, 'sub-Gaussian, σ² = 0.25')
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
    """Student-t bounds mean ± t_{1−α, N−1}·s/√N from the sample standard deviation s.

    Uses ``scipy.stats.t``: exact for normal samples, asymptotic otherwise — for unbounded
    quantities such as SGD's ‖∇f‖² over seeds.

    Args:
        samples: the N ≥ 2 i.i.d. samples, array-like or tensor of real numbers (flattened).
        alpha: the one-sided error level of each bound, in (0, 0.5); default
            :data:`STAT_ALPHA`.

    Returns:
        A :class:`MeanInterval` with method ``"Student t, N−1 d.o.f."``.

    Raises:
        TypeError: ``samples`` are not real numbers.
        ValueError: ``samples`` are empty, non-finite or fewer than two; ``alpha`` is outside
            (0, 0.5).

    Examples:
        >>> iv = t_interval([1.0, 1.2, 0.9, 1.1, 1.0], alpha=0.05)
        >>> round(iv.estimate, 3), round(iv.lower, 3), round(iv.upper, 3), iv.method
        (1.04, 0.931, 1.149, 'Student t, 4 d.o.f.')
    """
    from scipy.stats import t as student

    a, alpha = _samples(samples), _check_alpha(alpha)
    if a.size < 2:
        raise ValueError("t_interval needs at least two samples")
    m = float(a.mean())
    half = float(student.ppf(1 - alpha, a.size - 1)) * float(a.std(ddof=1)) / math.sqrt(a.size)
    return MeanInterval(m, m - half, m + half, alpha, a.size, f"Student t, {a.size - 1} d.o.f.")


def binary_interval(outcomes: object, alpha: float = STAT_ALPHA) -> MeanInterval:
    """Exact (Clopper–Pearson) bounds on the mean of 0/1 outcomes, e.g. a classifier's error
    rate on a test set: each end holds with probability ≥ 1 − α (``scipy.stats.binomtest``).

    Args:
        outcomes: 0/1 (or bool) values, array-like or tensor, flattened; not empty.
        alpha: the one-sided error level of each end, in (0, 0.5); default
            :data:`STAT_ALPHA`.

    Returns:
        A :class:`MeanInterval` with method ``"Clopper-Pearson"``.

    Raises:
        TypeError: the outcomes are not real numbers.
        ValueError: outcomes other than 0 and 1, or empty; ``alpha`` outside (0, 0.5).

    Examples:
        >>> iv = binary_interval([1] * 3 + [0] * 97, alpha=0.025)
        >>> round(iv.estimate, 2), round(iv.lower, 4), round(iv.upper, 4)
        (0.03, 0.0062, 0.0852)
    """
    from scipy.stats import binomtest

    if hasattr(outcomes, "detach"):  # a tensor, on any device
        outcomes = outcomes.detach().cpu().numpy()  # type: ignore[attr-defined]
    if isinstance(outcomes, np.ndarray) and outcomes.dtype == bool:
        outcomes = outcomes.astype(np.int64)  # a comparison's result: True counts as 1
    a, alpha = _samples(outcomes), _check_alpha(alpha)
    if not np.isin(a, (0, 1)).all():
        raise ValueError("binary_interval takes 0/1 outcomes")
    ci = binomtest(int(a.sum()), a.size).proportion_ci(1 - 2 * alpha, method="exact")
    return MeanInterval(float(a.mean()), float(ci.low), float(ci.high), alpha, a.size,
                        "Clopper-Pearson")  # fmt: skip


def paired_binary_interval(
    first: object, second: object, alpha: float = STAT_ALPHA
) -> MeanInterval:
    """Exact bounds on E[a − b] for paired 0/1 outcomes, e.g. two classifiers' correctness on
    the same test points (the quantity McNemar's test is about).

    Only discordant pairs move the mean: E[a − b] = p₁₀ − p₀₁ with p₁₀ = P(a = 1, b = 0) and
    p₀₁ = P(a = 0, b = 1). Each is bounded by Clopper–Pearson at α/2 (``scipy.stats.binomtest``)
    and the two combined by Bonferroni: upper = U(p₁₀) − L(p₀₁), lower = L(p₁₀) − U(p₀₁). Valid
    at any sample size, where a t-bound on the ±1/0 differences leans on a normal tail that
    a few dozen discordant pairs do not have at α = 10⁻⁶.

    Args:
        first: the outcomes a, array-like or tensor of 0/1 (or bool), flattened.
        second: the paired outcomes b, the same length.
        alpha: the one-sided error level of each bound, in (0, 0.5); default
            :data:`STAT_ALPHA`.

    Returns:
        A :class:`MeanInterval` for E[a − b] with method ``"Clopper-Pearson on the discordant
        pairs"``.

    Raises:
        TypeError: the outcomes are not real numbers.
        ValueError: outcomes other than 0 and 1, empty or of different lengths; ``alpha``
            outside (0, 0.5).

    Examples:
        >>> a = [1] * 70 + [1] * 15 + [0] * 5 + [0] * 10  # 15 pairs only a gets right, 5 only b
        >>> b = [1] * 70 + [0] * 15 + [1] * 5 + [0] * 10
        >>> iv = paired_binary_interval(a, b, alpha=0.05)
        >>> round(iv.estimate, 2), round(iv.lower, 3), round(iv.upper, 3)
        (0.1, -0.026, 0.219)
    """
    from scipy.stats import binomtest

    a, b, alpha = _samples(first), _samples(second), _check_alpha(alpha)
    if a.size != b.size:
        raise ValueError(f"first and second must have the same length; got {a.size} and {b.size}")
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("paired_binary_interval takes 0/1 outcomes")
    n = a.size
    bounds = [
        binomtest(int(k), n).proportion_ci(confidence_level=1 - alpha, method="exact")
        for k in (((a == 1) & (b == 0)).sum(), ((a == 0) & (b == 1)).sum())
    ]
    (low10, high10), (low01, high01) = ((c.low, c.high) for c in bounds)
    method = "Clopper-Pearson on the discordant pairs"
    return MeanInterval(float((a - b).mean()), low10 - high01, high10 - low01, alpha, n, method)


def intercept_interval(
    x: object, y: object, weights: object | None = None, alpha: float = STAT_ALPHA
) -> MeanInterval:
    """Bounds on the intercept c₀ of y ≈ c₀ + c₁·x by (weighted) least squares: the value
    extrapolated to x = 0, ± t_{1−α, N−2} times its standard error.

    For limits such as m → ∞ read off finite widths: with x = m^{-1/2}, c₀ is the limit of a
    quantity whose finite-width error is O(m^{-1/2}). The standard error is the usual one,
    s²(AᵀWA)⁻¹ with s² the weighted residual variance, so the bounds are exact for independent
    normal errors with variances ∝ 1/weights.

    Args:
        x: the N ≥ 3 abscissae, array-like of real numbers, at least two distinct.
        y: the N measured values.
        weights: N positive weights (inverse variances up to a constant); None: all equal.
        alpha: the one-sided error level of each bound, in (0, 0.5); default
            :data:`STAT_ALPHA`.

    Returns:
        A :class:`MeanInterval` on c₀ (``samples`` = N, method ``"weighted LS intercept, N−2
        d.o.f."``).

    Raises:
        TypeError: ``x``, ``y`` or ``weights`` are not real numbers.
        ValueError: lengths differ, fewer than three points or two distinct x, non-finite
            values, a weight ≤ 0, or ``alpha`` outside (0, 0.5).

    Examples:
        >>> iv = intercept_interval([1.0, 0.5, 0.25, 0.125], [2.1, 1.55, 1.24, 1.13], alpha=0.05)
        >>> round(iv.estimate, 3), iv.lower < 1.0 < iv.upper
        (0.979, True)
    """
    from scipy.stats import t as student

    xs, ys, alpha = _samples(x), _samples(y), _check_alpha(alpha)
    w = np.ones_like(xs) if weights is None else _samples(weights)
    if not (xs.size == ys.size == w.size):
        raise ValueError(
            f"x, y and weights must have one length; got {xs.size}, {ys.size}, {w.size}"
        )
    if xs.size < 3 or np.unique(xs).size < 2:
        raise ValueError("intercept_interval needs at least three points at two distinct x")
    if (w <= 0).any():
        raise ValueError("weights must be > 0")
    root = np.sqrt(w)
    A = np.stack([np.ones_like(xs), xs], axis=1) * root[:, None]
    coef, *_ = np.linalg.lstsq(A, ys * root, rcond=None)
    dof = xs.size - 2
    s2 = float(((ys * root - A @ coef) ** 2).sum()) / dof
    se = math.sqrt(s2 * float(np.linalg.inv(A.T @ A)[0, 0]))
    half = float(student.ppf(1 - alpha, dof)) * se
    c0 = float(coef[0])
    return MeanInterval(
        c0, c0 - half, c0 + half, alpha, xs.size, f"weighted LS intercept, {dof} d.o.f."
    )
