"""Explicit memorizing networks: weights written down, not trained.

Both constructions reduce the data to one dimension: a direction u with distinct projections
z_i = uᵀx_i, sorted once (O(N log N)); everything after the sort is O(N).

* :func:`zhang_memorizer` — Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017, Theorem 1: a
  two-layer ReLU net c(x) = Σ_j w_j relu(uᵀx − b_j) with interleaved biases
  b_1 < z_1 < b_2 < z_2 < … < b_n < z_n (2n + d free weights). A_ij = relu(z_i − b_j) is lower
  triangular with positive diagonal, so Aw = y is solved by running sums.
* :func:`yun_memorizer` — a three-layer ReLU net meeting the width condition of Yun, Sra,
  Jadbabaie, NeurIPS 2019, Theorem 3.1 (4⌊d1/4⌋⌊d2/4⌋ ≥ N, scalar labels). The paper's proof
  text was not available to us; this is our construction for the same condition, step by step:

  1. sort the projections and cut them into at most G = 2⌊d1/4⌋ contiguous groups of at most
     S = 2⌊d2/4⌋ points, choosing the cuts at the largest gaps the sizes allow;
  2. layer 1 spends two ReLUs per group, relu(z − α_a) and relu(z − β_a), with α_a, β_a just
     outside the group's first and last point. Any layer-2 pre-activation is then a continuous
     piecewise-linear function of z with a free slope inside every group and a free slope in
     every gap between groups — so on each group it can be *any* affine function, chosen
     independently of the other groups (the gap slopes reconnect the pieces);
  3. on group a the labels are joined by a piecewise-linear f that is constant (= the first
     label) up to the group's first kink and has one kink t_k = z_k + KINK·(z_{k+1} − z_k) just
     right of every point but the last (not at the point, so rounding in z never moves a point
     across a kink). Each layer-2 unit contributes relu(its affine piece) on the group, with
     output weight +1 on the first 2⌊d2/4⌋ units and −1 on the rest: the constant takes one unit
     of its sign, a slope change δ_k > 0 a '+' unit with piece δ_k(z − t_k), δ_k < 0 a '−' unit
     with piece |δ_k|(z − t_k); unused units get a negative constant. A group of S points
     needs at most (S − 1) + 1 = S units of one sign: it fits;
  4. the layer-2 weights follow from the pieces left to right in O(G·d2) = O(N).

* :func:`yun_classifier` — the classification form: the class index memorized by the two
  layers above, then K units relu(s − j + 1) whose hats u_c − 2u_(c+1) + u_(c+2) give the
  one-hot outputs exactly.

  Weights grow like 1/(smallest gap between consecutive projections), so everything is
  float64; rounding then limits the accuracy to about ε·span(z)·max|Δy|/min gap.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validation import (
    Params,
    as_labels,
    as_matrix,
    as_vector,
    check_interval,
    check_params,
    check_positive_float,
    check_positive_int,
)
from .models import DeepNet, ThreeLayerNet, TwoLayerNet
from .protocol import Hypothesis, hypothesis
from .seeds import generator

#: Random directions tried besides the coordinate axes when choosing the projection, for up to
#: :data:`EXACT_REACH` points. experiments/conditioning.py measured the largest N memorized to
#: 1e-8 with 8, 64 and 256: more directions gain one grid step in a few (distribution, d) cells
#: and never lose one.
N_RANDOM_DIRECTIONS = 256
#: Above this many points float64 cannot reach 1e-8 anyway, and sorting 256 projections would
#: cost 3 s at N = 10⁵: the projection tries :data:`N_RANDOM_DIRECTIONS_LARGE` directions.
EXACT_REACH = 10_000
N_RANDOM_DIRECTIONS_LARGE = 8


# --- data and projection -----------------------------------------------------------------------
def _data(X: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    # float64 throughout: the weights grow like 1/(smallest gap between projections)
    X = as_matrix(X, "X").double()
    y = as_vector(y, "y", n=X.shape[0]).to(X)
    order = np.lexsort(X.cpu().numpy().T[::-1])
    Xs = X.cpu().numpy()[order]
    same = np.flatnonzero((Xs[1:] == Xs[:-1]).all(axis=1))
    yv = y.cpu().numpy()[order]
    clash = [(int(order[i]), int(order[i + 1])) for i in same if yv[i] != yv[i + 1]]
    if clash:
        shown = ", ".join(f"({i}, {j})" for i, j in clash[:5])
        raise ValueError(
            f"X has identical rows with different labels, so no function can memorize them: "
            f"rows {shown}{' …' if len(clash) > 5 else ''} ({len(clash)} pairs)"
        )
    if same.size:  # identical rows with equal labels: one copy is memorized for all
        keep = np.ones(X.shape[0], dtype=bool)
        keep[order[same + 1]] = False
        X, y = X[torch.as_tensor(keep)], y[torch.as_tensor(keep)]
    return X, y


def projection(X: object, seed: int = 0) -> torch.Tensor:
    """A unit direction u that separates the rows of X: projections uᵀx_i all distinct.

    Among the d coordinate axes and :data:`N_RANDOM_DIRECTIONS` seeded random unit directions
    (:data:`N_RANDOM_DIRECTIONS_LARGE` above :data:`EXACT_REACH` points),
    picks the one with the largest score

        min_i (z_(i+1) − z_(i)) / (z_(n) − z_(1)),   z = Xu sorted,

    i.e. the largest smallest gap relative to the span. Coordinate axes come first because the
    network computes eᵀ_k x exactly (no rounding), so nothing but the gap limits the accuracy;
    a random direction is used when it separates the points at least 4× better (or no axis
    separates them at all).

    Args:
        X: inputs, shape (n, d), float32 or float64 (a tensor or NumPy array; computed in
            float64).
        seed: seed of the random candidate directions (see :func:`ntkconv.check_seed`);
            default 0.

    Returns:
        The chosen direction u, shape (d,), float64, unit norm, on X's device.

    Raises:
        TypeError: ``X`` is not a float32/float64 tensor or array, or ``seed`` is not an
            integer.
        ValueError: ``X`` is not 2-D, is empty or holds NaN/inf; ``seed`` is out of range; or
            no candidate gives distinct projections (some rows of X are identical).

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(20, 3, seed=0)
        >>> u = nc.projection(X)
        >>> tuple(u.shape), round(float(u.norm()), 6)
        ((3,), 1.0)
        >>> z = torch.sort(X @ u).values
        >>> bool((z[1:] > z[:-1]).all())
        True
    """
    X = as_matrix(X, "X").double()
    n, d = X.shape
    gen = generator(seed)
    k = N_RANDOM_DIRECTIONS if n <= EXACT_REACH else N_RANDOM_DIRECTIONS_LARGE
    rand = torch.randn(d, k, generator=gen, dtype=torch.float64)
    candidates = torch.cat([torch.eye(d, dtype=torch.float64), rand / rand.norm(dim=0)], dim=1)
    Z = torch.sort(X.cpu() @ candidates, dim=0).values
    span = (Z[-1] - Z[0]).clamp_min(torch.finfo(torch.float64).tiny)
    score = ((Z[1:] - Z[:-1]).min(dim=0).values / span) if n > 1 else torch.ones(Z.shape[1])
    score = score * torch.cat([torch.full((d,), 4.0), torch.ones(k)])
    best = int(torch.argmax(score))
    if n > 1 and score[best] <= 0:
        raise ValueError(
            "no direction separates the rows of X in float64: some rows are identical, or "
            "closer than float64 can resolve along any of the candidate directions"
        )
    return candidates[:, best].to(X.device)


def _sorted_projection(X: torch.Tensor, seed: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    u = projection(X, seed)
    z = (X @ u).cpu().numpy()
    order = np.argsort(z, kind="stable")
    return u, z[order], order


# --- one-dimensional interpolation -------------------------------------------------------------
#: Kinks sit this fraction of a gap to the right of each point: far enough that rounding in z
#: never moves a point across a kink, and below 1/2 so the slope recurrence damps errors
#: (factor KINK/(1 − KINK) = 1/7 per point instead of 1 at the midpoint).
KINK = 0.125


def _kink_slopes(z: np.ndarray, y: np.ndarray, first_slope: float) -> np.ndarray:
    """Slopes s_0..s_{n−1} of the piecewise-linear f with f(z_k) = y_k, slope s_0 through z_0 and
    kinks t_k = z_k + KINK·g_k (g_k = z_{k+1} − z_k): s_{k+1} = r_{k+1} − ρ·s_k with
    r_{k+1} = (y_{k+1} − y_k)/((1 − KINK)·g_k), ρ = KINK/(1 − KINK). Unrolled,
    s_k = Σ_j (−ρ)^j r_{k−j}; ρ^40 < 1e-33, so 40 terms of a convolution are exact in float64."""
    rho = KINK / (1 - KINK)
    r = np.concatenate([[first_slope], np.diff(y) / ((1 - KINK) * np.diff(z))])
    return np.convolve(r, (-rho) ** np.arange(40))[: r.size]


def interleaved_biases(z: object, fraction: float = KINK) -> np.ndarray:
    """Biases interleaved with sorted distinct points: b_1 < z_1 < b_2 < … < b_n < z_n.

    b_1 sits one median gap below z_1 (one unit below when n = 1), and

        b_(j+1) = z_j + fraction·(z_(j+1) − z_j),   j = 1, …, n − 1.

    :func:`zhang_memorizer` uses ``fraction = KINK``; other fractions are there to compare
    conditioning (the solve multiplies errors by fraction/(1 − fraction) per point).

    Args:
        z: sorted projections, shape (n,), finite and strictly increasing (anything
            ``np.asarray(z, dtype=float)`` accepts).
        fraction: where in each gap the next bias sits, a number in (0, 1); default
            :data:`KINK` = 0.125.

    Returns:
        The biases b, shape (n,), float64 NumPy array.

    Raises:
        ValueError: ``z`` is not a non-empty 1-D array of finite, strictly increasing values,
            or ``fraction`` is not a number in (0, 1).

    Examples:
        >>> import ntkconv as nc
        >>> nc.interleaved_biases([0.0, 1.0, 3.0]).tolist()
        [-1.5, 0.125, 1.25]
        >>> nc.interleaved_biases([0.0, 1.0, 3.0], fraction=0.5).tolist()
        [-1.5, 0.5, 2.0]
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z.size == 0 or not np.isfinite(z).all() or (np.diff(z) <= 0).any():
        raise ValueError("z must be a non-empty 1-D array of finite, strictly increasing values")
    fraction = check_interval(fraction, "fraction", 0, 1, closed=(False, False))
    lead = float(np.median(np.diff(z))) if z.size > 1 else 1.0
    return np.concatenate([[z[0] - lead], z[:-1] + fraction * np.diff(z)])


def abs_residuals(
    net: TwoLayerNet | ThreeLayerNet,
    params: Params,
    X: torch.Tensor,
    y: torch.Tensor,
    chunk: int = 8192,
) -> torch.Tensor:
    """Absolute residuals |f(x_i) − y_i| of a network on every row, ``chunk`` rows at a time.

    Chunking bounds the memory: N = 10^5 points through a 636 × 636 net would otherwise hold a
    10^5 × 636 activation per layer at once.

    Args:
        net: the network, e.g. a :func:`zhang_memorizer` or :func:`yun_memorizer` net.
        params: its params dict (``net``'s keys and shapes).
        X: inputs, shape (n, d), with the dtype and device of ``params``.
        y: labels, shape (n,), any float dtype (float64 labels grade a float32 net).
        chunk: rows per forward pass, an integer >= 1; default 8192.

    Returns:
        The residuals, shape (n,), in the promoted dtype of the outputs and ``y``.

    Raises:
        TypeError: ``X`` or ``y`` is not a float32/float64 tensor or array, or ``X``'s dtype
            differs from the params'.
        ValueError: ``X`` or ``y`` has the wrong shape, is empty or holds NaN/inf, ``X`` is on
            another device than the params, or ``chunk`` is not an integer >= 1.

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(20, 3, seed=0)
        >>> y = torch.randn(20, generator=nc.generator(1), dtype=torch.float64)
        >>> net, params = nc.zhang_memorizer(X, y)
        >>> r = nc.abs_residuals(net, params, X, y, chunk=8)
        >>> tuple(r.shape), bool(r.max() < 1e-8)
        ((20,), True)
    """
    params = check_params(params)
    X = as_matrix(X, "X", like=next(iter(params.values())))
    y = as_vector(y, "y", n=X.shape[0])  # any float dtype: float64 labels grade a float32 net
    chunk = check_positive_int(chunk, "chunk")
    return torch.cat(
        [(net(params, X[i : i + chunk]) - y[i : i + chunk]).abs() for i in range(0, len(X), chunk)]
    )


#: Measured ratio bound between a construction's float64 error and :func:`rounding_floor`: over
#: 60 seeds of Gaussian and curve data (N = 500, 1000) the error was at most 56× the floor for
#: yun_memorizer and 18× for zhang_memorizer. A memorizer is expected to reach a tolerance when
#: FLOOR_MARGIN·floor stays below it.
FLOOR_MARGIN = 100.0
#: With rtol=None the memorizers still check this many sampled points against max|y|/2.
SIGN_SAMPLE = 1000


def rounding_floor(X: object, y: object, u: object) -> float:
    """The float64 rounding floor of a 1-D construction along the direction ``u``.

        floor = ε·(max y − min y)·span(z) / (smallest gap of z),   z = Xu,  ε = 2^−52.

    Slopes up to max|Δy|/gap carry rounding relative to |z| ~ span, so no construction
    through these projections does better; measured errors run 1–60× this
    (:data:`FLOOR_MARGIN`).

    Args:
        X: inputs, shape (n, d), float32 or float64 (computed in float64).
        y: labels, shape (n,) (anything ``torch.as_tensor`` converts to float64).
        u: the projection direction, shape (d,), e.g. :func:`projection`'s.

    Returns:
        The floor as a float: 0.0 when n = 1, +inf when two projections coincide.

    Raises:
        TypeError: ``X`` is not a float32/float64 tensor or array.
        ValueError: ``X``, ``y`` or ``u`` has the wrong shape, is empty or holds NaN/inf.

    Examples:
        >>> import torch
        >>> X = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
        >>> f = rounding_floor(X, torch.tensor([0.0, 1.0, -1.0]), torch.ones(1))
        >>> round(f / torch.finfo(torch.float64).eps, 6)
        6.0
    """
    X = as_matrix(X, "X").double()
    y = as_vector(torch.as_tensor(y, dtype=torch.float64), "y", n=X.shape[0])
    u = as_vector(torch.as_tensor(u, dtype=torch.float64), "u", n=X.shape[1])
    z = torch.sort(X @ u).values
    if z.numel() < 2:
        return 0.0
    gap = float((z[1:] - z[:-1]).min())
    span = float(z[-1] - z[0])
    eps = torch.finfo(torch.float64).eps
    return eps * float(y.max() - y.min()) * span / gap if gap > 0 else math.inf


def float64_hypothesis(floor: float, tol: float) -> Hypothesis:
    """The hypothesis "float64 resolves the projections": FLOOR_MARGIN × floor ≤ tol.

    A check of a 1-D construction in float64 needs its tolerance within reach of rounding. The
    measured error runs up to ~60× :func:`rounding_floor`, so without the margin rounding could
    decide the verdict from seed to seed.

    Args:
        floor: the rounding floor, e.g. from :func:`rounding_floor`.
        tol: the tolerance the check compares the error with.

    Returns:
        A :class:`ntkconv.Hypothesis` named ``"float64 resolves the projections"``.

    Examples:
        >>> float64_hypothesis(1e-12, 1e-8).holds, float64_hypothesis(1e-9, 1e-8).holds
        (True, False)
    """
    return hypothesis(
        "float64 resolves the projections",
        FLOOR_MARGIN * floor,
        "<=",
        tol,
        note=f"the tolerance, for {FLOOR_MARGIN:g} × ε·max|Δy|·span(z)/min gap",
    )


def _check_accuracy(
    net: TwoLayerNet | ThreeLayerNet,
    params: Params,
    X: torch.Tensor,
    y: torch.Tensor,
    z: np.ndarray,
    rtol: float | None,
) -> None:
    """Refuse a network whose float64 outputs miss the labels by more than rtol·max|y| (``z``:
    the sorted projections, for the message): the constructions are exact in real arithmetic,
    but their weights grow like 1/(smallest gap) and rounding then costs about
    ε·span·max|Δy|/(smallest gap)."""
    scale = float(y.abs().max()) or 1.0
    if rtol is None:  # unchecked on request, but never silently wrong by more than the labels
        rows = torch.randperm(X.shape[0], generator=generator(0))[:SIGN_SAMPLE].to(X.device)
        err = float(abs_residuals(net, params, X[rows], y[rows]).max())
        if not err < 0.5 * scale:
            raise ValueError(
                f"float64 cannot hold even the labels' signs: on {len(rows)} sampled points "
                f"max|f(x_i) − y_i| = {err:.2e} ≥ max|y|/2 = {0.5 * scale:.2e}. The smallest gap "
                f"between sorted projections is {float(np.diff(z).min()):.2e} on a span of "
                f"{float(z[-1] - z[0]):.2e}; the construction is exact in real arithmetic only."
            )
        return
    err = float(abs_residuals(net, params, X, y).max())
    if not err <= rtol * scale:
        raise ValueError(
            f"float64 cannot hold this memorizer to rtol={rtol:g}: max|f(x_i) − y_i| = {err:.2e} "
            f"> rtol·max|y| = {rtol * scale:.2e}. The smallest gap between sorted projections "
            f"is {float(np.diff(z).min()):.2e} on a span of {float(z[-1] - z[0]):.2e}, so "
            f"weights reach {max(float(v.abs().max()) for v in params.values()):.1e}; the "
            f"construction is exact in real arithmetic only. Pass a larger rtol to accept it "
            f"(e.g. rtol=0.5 for ±1 class labels, where the sign is what counts)."
        )


# --- Zhang et al. --------------------------------------------------------------------------------
def zhang_memorizer(
    X: object, y: object, *, seed: int = 0, rtol: float | None = 1e-8
) -> tuple[TwoLayerNet, Params]:
    """A width-n two-layer ReLU net that memorizes n points (Zhang et al., ICLR 2017, Thm. 1).

    The hidden units share one direction u (:func:`projection`):

        c(x) = Σ_j w_j relu(uᵀx − b_j),   c(x_i) = y_i  for i = 1, …, n.

    With z = Xu sorted and :func:`interleaved_biases` b_1 < z_1 < b_2 < … < b_n < z_n,
    A_ij = relu(z_i − b_j) is lower triangular with diagonal z_i − b_i > 0. Solving Aw = y by
    forward substitution is the recurrence for the slopes s_i = Σ_{j≤i} w_j of
    :func:`_kink_slopes`, then w = diff(s): O(n) after the sort. Returned as
    ``TwoLayerNet(d, n, bias=True)`` params (a scaled by √n for the net's 1/√m). Everything is
    float64: the weights grow like 1/(smallest gap between projections).

    Args:
        X: inputs, shape (N, d), float32 or float64 (converted to float64). Identical rows
            with equal labels are memorized once, so the width n is the number of distinct
            rows.
        y: real labels, shape (N,), float32 or float64.
        seed: seed of :func:`projection`'s random candidate directions; default 0.
        rtol: the net is evaluated on X and refused if float64 rounding leaves
            max|f(x_i) − y_i| > rtol·max|y|; ``None`` checks only :data:`SIGN_SAMPLE` sampled
            points against max|y|/2 (the full check is an O(n²d) forward
            pass). Default 1e-8.

    Returns:
        ``(net, params)``: a ``TwoLayerNet(d, n, "relu", trainable=("W", "b", "a"),
        bias=True)`` and its float64 params on X's device, ``W`` (n, d) (every row u),
        ``b`` (n,) = −(interleaved biases), ``a`` (n,) = √n·w.

    Raises:
        TypeError: ``X`` or ``y`` is not a float32/float64 tensor or array, or ``rtol`` or
            ``seed`` is not a number/integer.
        ValueError: ``X`` or ``y`` has the wrong shape, is empty or holds NaN/inf; ``rtol`` is
            not a finite number > 0; ``seed`` is out of range; identical rows of X carry
            different labels (the rows are named); or float64 rounding misses the labels by
            more than ``rtol``.

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(20, 3, seed=0)
        >>> y = torch.randn(20, generator=nc.generator(1), dtype=torch.float64)
        >>> net, params = nc.zhang_memorizer(X, y)
        >>> net.width, {k: tuple(v.shape) for k, v in params.items()}
        (20, {'W': (20, 3), 'b': (20,), 'a': (20,)})
        >>> bool((net(params, X) - y).abs().max() < 1e-8)
        True
    """
    if rtol is not None:
        check_positive_float(rtol, "rtol")
    X, y = _data(X, y)
    n, d = X.shape
    u, z, order = _sorted_projection(X, seed)
    ys = y.cpu().numpy()[order]
    b = interleaved_biases(z)
    slopes = _kink_slopes(z, ys, ys[0] / (z[0] - b[0]))
    w = np.diff(slopes, prepend=0.0)
    net = TwoLayerNet(d, n, "relu", trainable=("W", "b", "a"), bias=True)
    params = {
        "W": u.expand(n, d).clone(),
        "b": torch.as_tensor(-b, dtype=torch.float64, device=X.device),
        "a": torch.as_tensor(w * math.sqrt(n), dtype=torch.float64, device=X.device),
    }
    _check_accuracy(net, params, X, y, z, rtol)
    return net, params


def zhang_system(X: object, params: Params) -> torch.Tensor:
    """The linear system A_ij = relu(uᵀx_i − b_j) that a :func:`zhang_memorizer` net solves.

    Its condition number measures how many digits the solve Aw = y can lose. Rows follow the
    order of X, columns the net's hidden units (sorted biases); on the memorized data
    A·a/√n = y.

    Args:
        X: inputs, shape (n, d), float32 or float64 (computed in float64), usually the data
            the net memorizes.
        params: a :func:`zhang_memorizer` net's params (``W`` (m, d) and ``b`` (m,) are used).

    Returns:
        A, shape (n, m), float64; n × n on the memorized data.

    Raises:
        KeyError: ``params`` is not a dict holding ``W`` and ``b``.
        TypeError: ``X`` is not a float32/float64 tensor or array.
        ValueError: ``X`` is not 2-D, is empty or holds NaN/inf.

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(6, 2, seed=0)
        >>> y = torch.randn(6, generator=nc.generator(1), dtype=torch.float64)
        >>> net, params = nc.zhang_memorizer(X, y)
        >>> A = nc.zhang_system(X, params)
        >>> tuple(A.shape), bool(torch.allclose(A @ params["a"] / 6**0.5, y))
        ((6, 6), True)
    """
    X = as_matrix(X, "X").double()
    missing = [k for k in ("W", "b") if not isinstance(params, dict) or k not in params]
    if missing:
        raise KeyError(f"params is missing {missing}: pass a zhang_memorizer net's params")
    return torch.relu(X @ params["W"].T + params["b"])


# --- Yun, Sra, Jadbabaie -----------------------------------------------------------------------
def yun_capacity(width1: int, width2: int, out_dim: int = 1) -> int:
    """How many points a 3-layer ReLU net can memorize (Yun, Sra, Jadbabaie, 2019, Thm. 3.1).

        capacity = 4⌊d1/4⌋⌊d2/(4d_y)⌋

    for hidden widths d1, d2 and d_y outputs: Theorem 3.1 guarantees that any this many
    distinct points with real labels can be memorized.

    Args:
        width1: first hidden width d1, an integer >= 1.
        width2: second hidden width d2, an integer >= 1.
        out_dim: number of outputs d_y, an integer >= 1; default 1 (scalar labels, the case
            :func:`yun_memorizer` builds).

    Returns:
        The capacity, an int >= 0.

    Raises:
        ValueError: a width or ``out_dim`` is not an integer >= 1.

    Examples:
        >>> import ntkconv as nc
        >>> nc.yun_capacity(8, 8), nc.yun_capacity(12, 8), nc.yun_capacity(16, 16, out_dim=2)
        (16, 24, 32)
    """
    check_positive_int(width1, "width1")
    check_positive_int(width2, "width2")
    check_positive_int(out_dim, "out_dim")
    return 4 * (width1 // 4) * (width2 // (4 * out_dim))


def _partition(gaps: np.ndarray, max_groups: int, max_size: int) -> np.ndarray:
    """Start indices of at most ``max_groups`` contiguous groups of at most ``max_size`` sorted
    points, maximizing the smallest gap at a cut: bisection over the gap values, each tried by a
    greedy pass that cuts as late as the size allows (optimal for a fixed set of allowed cuts)."""
    n = gaps.size + 1

    def starts_for(threshold: float) -> np.ndarray | None:
        allowed = np.flatnonzero(gaps >= threshold) + 1  # a cut before point i
        starts = [0]
        while n - starts[-1] > max_size:
            k = np.searchsorted(allowed, starts[-1] + max_size, side="right") - 1
            if k < 0 or allowed[k] <= starts[-1] or len(starts) == max_groups:
                return None
            starts.append(int(allowed[k]))
        return np.asarray(starts)

    values = np.unique(gaps)
    lo, hi = 0, values.size - 1  # starts_for(values[0]) always succeeds when N fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts_for(values[mid]) is None:
            hi = mid - 1
        else:
            lo = mid
    found = starts_for(values[lo]) if values.size else np.zeros(1, dtype=int)
    assert found is not None
    return found


def yun_memorizer(
    X: object,
    y: object,
    width1: int,
    width2: int | None = None,
    *,
    seed: int = 0,
    rtol: float | None = 1e-8,
) -> tuple[ThreeLayerNet, Params]:
    """A three-layer ReLU net with f(x_i) = y_i (Yun, Sra, Jadbabaie, NeurIPS 2019, Thm. 3.1).

    Memorizes any N distinct points with real labels when

        4⌊width1/4⌋⌊width2/4⌋ ≥ N

    (:func:`yun_capacity`, scalar output). The construction, step by step, is described in the
    module docstring: it groups the sorted projections z = Xu, spends two first-layer ReLUs per
    group and one second-layer unit per kink of a piecewise-linear interpolant. Everything is
    float64: the weights grow like 1/(smallest gap between projections).

    Args:
        X: inputs, shape (N, d), float32 or float64 (converted to float64). Identical rows
            with equal labels are memorized once.
        y: real labels, shape (N,), float32 or float64.
        width1: first hidden width d1, an integer >= 1.
        width2: second hidden width d2, an integer >= 1; default ``width1``.
        seed: seed of :func:`projection`'s random candidate directions; default 0.
        rtol: the net is evaluated on X and refused if float64 rounding leaves
            max|f(x_i) − y_i| > rtol·max|y|; ``None`` replaces that O(N·d1·d2) check by
            :data:`SIGN_SAMPLE` sampled points against max|y|/2.
            Default 1e-8.

    Returns:
        ``(net, params)``: a ``ThreeLayerNet(d, width1, width2, "relu", bias=True)`` (default
        trainable ``W1``, ``W2``) and its float64 params on X's device: ``W1`` (width1, d),
        ``b1`` (width1,), ``W2`` (width2, width1), ``b2`` (width2,), ``a`` (width2,).

    Raises:
        TypeError: ``X`` or ``y`` is not a float32/float64 tensor or array, or ``rtol`` or
            ``seed`` is not a number/integer.
        ValueError: the widths are below the condition (naming both sides of it) or not
            integers >= 1; ``X`` or ``y`` has the wrong shape, is empty or holds NaN/inf;
            ``rtol`` is not a finite number > 0; ``seed`` is out of range; identical inputs
            carry different labels (naming the rows); or float64 rounding misses the labels
            by more than ``rtol``.

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(20, 3, seed=0)
        >>> y = torch.randn(20, generator=nc.generator(1), dtype=torch.float64)
        >>> net, params = nc.yun_memorizer(X, y, width1=12, width2=8)  # capacity 24 >= 20
        >>> {k: tuple(v.shape) for k, v in params.items()}
        {'W1': (12, 3), 'b1': (12,), 'W2': (8, 12), 'b2': (8,), 'a': (8,)}
        >>> bool(nc.abs_residuals(net, params, X, y).max() < 1e-8)
        True
        >>> nc.yun_memorizer(X, y, width1=8)
        Traceback (most recent call last):
        ...
        ValueError: width1=8, width2=8 give 4⌊width1/4⌋⌊width2/4⌋ = 16 < N = 20: ...
    """
    if rtol is not None:
        check_positive_float(rtol, "rtol")
    X, y = _data(X, y)
    net, params, z = _yun_layers(X, y, width1, width1 if width2 is None else width2, seed)
    _check_accuracy(net, params, X, y, z, rtol)
    return net, params


def _yun_layers(
    X: torch.Tensor, y: torch.Tensor, width1: int, width2: int, seed: int
) -> tuple[ThreeLayerNet, Params, np.ndarray]:
    """:func:`yun_memorizer`'s weights for validated float64 data, unchecked, and the sorted
    projections (for the accuracy check's message)."""
    n, d = X.shape
    capacity = yun_capacity(width1, width2)
    if capacity < n:
        raise ValueError(
            f"width1={width1}, width2={width2} give 4⌊width1/4⌋⌊width2/4⌋ = {capacity} < N = {n}: "
            f"Theorem 3.1's condition fails, so the construction is not guaranteed and is refused"
        )
    u, z, order = _sorted_projection(X, seed)
    ys = y.cpu().numpy()[order]
    half = 2 * (width2 // 4)  # units per output sign; also the largest group size
    starts = _partition(np.diff(z), 2 * (width1 // 4), half)
    ends = np.append(starts[1:], n)
    n_groups = starts.size

    # layer 1: relu(z − α_a), relu(z − β_a), α_a and β_a a quarter of the adjacent gap outside
    spacing = float(np.median(np.diff(z))) if n > 1 else 1.0
    left_gap = np.where(starts > 0, z[starts] - z[np.maximum(starts - 1, 0)], spacing)
    right_gap = np.where(ends < n, z[np.minimum(ends, n - 1)] - z[ends - 1], spacing)
    alpha = z[starts] - left_gap / 4
    beta = z[ends - 1] + right_gap / 4

    # layer 2, group by group: each unit's affine piece on the group, as (slope, value at α_a)
    units = 2 * half
    slope = np.zeros((n_groups, units))
    start = np.full((n_groups, units), -1.0)  # unused units: a negative constant
    for a, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        zg, yg = z[lo:hi], ys[lo:hi]
        base = 0 if yg[0] >= 0 else half  # f = y_first before the first kink (slope 0)
        start[a, base] = abs(yg[0])
        if hi - lo > 1:
            s = _kink_slopes(zg, yg, 0.0)
            delta = np.diff(s)
            t = zg[:-1] + KINK * np.diff(zg)
            plus, minus = np.flatnonzero(delta > 0), np.flatnonzero(delta < 0)
            # '+' units are 0..half−1, '−' units half..2·half−1; the base took the first of its sign
            cols = np.concatenate(
                [(base == 0) + np.arange(plus.size), half + (base == half) + np.arange(minus.size)]
            )
            kinks = np.concatenate([plus, minus])
            slope[a, cols] = np.abs(delta[kinks])
            start[a, cols] = -np.abs(delta[kinks]) * (t[kinks] - alpha[a])
    # left to right: inside group a the slope is P_a (+ earlier P + Q); across the gap after it
    # γ_a, which carries the piece's end value to the next group's start value
    end = start + slope * (beta - alpha)[:, None]
    gap_slope = np.zeros((n_groups, units))
    gap_slope[:-1] = (start[1:] - end[:-1]) / (alpha[1:] - beta[:-1])[:, None]
    previous = np.vstack([np.zeros((1, units)), gap_slope[:-1]])
    P = slope - previous
    Q = np.where(np.arange(n_groups)[:, None] < n_groups - 1, gap_slope - slope, 0.0)

    net = ThreeLayerNet(d, width1, width2, "relu", bias=True)
    W1 = torch.zeros(width1, d, dtype=torch.float64)
    b1 = torch.zeros(width1, dtype=torch.float64)
    W2 = np.zeros((width2, width1))
    W1[: 2 * n_groups] = u.cpu()
    b1[0 : 2 * n_groups : 2] = torch.as_tensor(-alpha)
    b1[1 : 2 * n_groups : 2] = torch.as_tensor(-beta)
    W2[:units, 0 : 2 * n_groups : 2] = P.T
    W2[:units, 1 : 2 * n_groups : 2] = Q.T
    a_out = np.zeros(width2)
    a_out[:half], a_out[half:units] = 1.0, -1.0
    dev = X.device
    params = {
        "W1": W1.to(dev),
        "b1": b1.to(dev),
        "W2": torch.as_tensor(W2 * math.sqrt(width1), device=dev),  # the net divides by √m1
        "b2": torch.as_tensor(np.pad(start[0], (0, width2 - units)), device=dev),
        "a": torch.as_tensor(a_out * math.sqrt(width2), device=dev),
    }
    return net, params, z


def yun_classifier(
    X: object,
    labels: object,
    width1: int,
    width2: int | None = None,
    width3: int | None = None,
    *,
    classes: int | None = None,
    seed: int = 0,
    rtol: float | None = 1e-8,
) -> tuple[DeepNet, Params]:
    """A four-layer ReLU net whose outputs are the one-hot labels: f(x_i) = e_(y_i) ∈ R^K.

    The classification form of :func:`yun_memorizer` (Yun, Sra, Jadbabaie, NeurIPS 2019,
    Section 3, classification with K = d_y classes): the first two hidden layers memorize the
    class index, s(x_i) = y_i ∈ {0, …, K − 1}, exactly as :func:`yun_memorizer` does for real
    labels, and a third hidden layer of K units u_j = relu(s − j + 1), j = 0 … K − 1, decodes it:

        f_c = u_c − 2u_(c+1) + u_(c+2)   (terms past u_(K−1) left out),

    on the integers 0 … K − 1 the hat function of width 2 centred on c: 1 at s = c, 0 at every
    other class (the unit relu(s − K + 1) a full hat would need is 0 there). So the classes cost
    one scalar memorizer plus O(K·d2 + K²) weights: it needs

        4⌊width1/4⌋⌊width2/4⌋ ≥ N   and   width3 ≥ K,

    and d3 ≥ K is also necessary whenever all K classes occur (the outputs A·h3 span rank ≤ d3),
    whereas memorizing the one-hot vectors as K real outputs with three layers needs
    4⌊d1/4⌋⌊d2/(4K)⌋ ≥ N (:func:`yun_capacity` with ``out_dim=K``), about K times the weights.

    Args:
        X: inputs, shape (N, d), float32 or float64 (converted to float64). Identical rows
            with equal labels are memorized once.
        labels: class labels, an integer tensor or NumPy array of shape (N,) in
            0 … classes − 1.
        width1: first hidden width d1, an integer >= 1.
        width2: second hidden width d2, an integer >= 1; default ``width1``.
        width3: third hidden width d3, an integer >= K; default K.
        classes: number K of classes (outputs), an integer >= 2; default max(labels) + 1 (at
            least 2). Pass it when some classes may be absent from ``labels``.
        seed: seed of :func:`projection`'s random candidate directions; default 0.
        rtol: the net is evaluated on X and refused if float64 rounding leaves
            max|f(x_i) − e_(y_i)| > rtol; ``None`` checks :data:`SIGN_SAMPLE` sampled points
            for the right argmax and an error below 1/2 instead. Default 1e-8.

    Returns:
        ``(net, params)``: a ``DeepNet(d, (width1, width2, width3), out_dim=K, bias=True,
        c_sigma=1)`` and its float64 params on X's device (``W1``, ``b1``, ``W2``, ``b2``:
        :func:`yun_memorizer`'s; ``W3``, ``b3``, ``A``: the decoder).

    Raises:
        TypeError: ``X`` is not a float tensor or array, ``labels`` not integers, or ``rtol``
            not a number.
        ValueError: a width below its condition (naming both sides) or not an integer >= 1,
            ``classes`` not an integer >= 2 or not above every label, bad shapes, NaN/inf,
            identical inputs with different labels, or float64 rounding missing the one-hot
            labels by more than ``rtol``.

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(30, 3, seed=0)
        >>> labels = torch.randint(0, 5, (30,), generator=nc.generator(1))
        >>> net, params = nc.yun_classifier(X, labels, width1=12)  # 4·3·3 = 36 >= 30
        >>> net.widths, net.out_dim, net.n_params(params)
        ((12, 12, 5), 5, 294)
        >>> bool((net(params, X).argmax(1) == labels).all())
        True
    """
    if rtol is not None:
        check_positive_float(rtol, "rtol")
    if classes is not None and (
        isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 2
    ):
        raise ValueError(f"classes must be an integer >= 2; got {classes!r}")
    X = as_matrix(X, "X").double()
    n = X.shape[0]
    y = as_labels(labels, "labels", n=n, classes=classes, device=X.device)
    k = max(2, int(y.max()) + 1) if classes is None else int(classes)
    width2 = width1 if width2 is None else width2
    width3 = k if width3 is None else check_positive_int(width3, "width3")
    if width3 < k:
        raise ValueError(
            f"width3={width3} < classes = {k}: the outputs A·h3 span at most width3 directions, "
            f"fewer than the {k} one-hot labels, so no weights memorize them"
        )
    # layers 1–2: the class index as a real label (the decoded outputs are checked below)
    Xs, ys = _data(X, y.to(X.dtype))
    _, inner, _ = _yun_layers(Xs, ys, width1, width2, seed)
    net = DeepNet(
        X.shape[1],
        (width1, width2, width3),
        out_dim=k,
        bias=True,
        c_sigma=1.0,
        trainable=("W1", "b1", "W2", "b2", "W3", "b3"),
    )
    W3 = torch.zeros(width3, width2, dtype=torch.float64, device=X.device)
    W3[:k] = inner["a"]  # z3_j = aᵀrelu(z2)/√d2 + b3_j = s − j + 1
    b3 = torch.full((width3,), -1.0, dtype=torch.float64, device=X.device)  # spare units: off
    b3[:k] = 1.0 - torch.arange(k, dtype=torch.float64)
    A = torch.zeros(k, width3, dtype=torch.float64, device=X.device)
    c = torch.arange(k)
    A[c, c] = 1.0
    A[c[:-1], c[:-1] + 1] = -2.0
    A[c[:-2], c[:-2] + 2] = 1.0
    params = {
        **{name: inner[name] for name in ("W1", "b1", "W2", "b2")},
        "W3": W3,
        "b3": b3,
        "A": A * math.sqrt(width3),  # the net divides by √d3
    }
    onehot = torch.nn.functional.one_hot(y, k).to(X.dtype)
    rows = (
        torch.arange(n, device=X.device)
        if rtol is not None
        else torch.randperm(n, generator=generator(0))[:SIGN_SAMPLE].to(X.device)
    )
    out = torch.cat([net(params, X[r]) for r in rows.split(8192)])
    err = float((out - onehot[rows]).abs().max())
    if rtol is not None and not err <= rtol:
        raise ValueError(
            f"float64 cannot hold this classifier to rtol={rtol:g}: max|f(x_i) − e_(y_i)| = "
            f"{err:.2e} (the class index, memorized as a real label up to {k - 1}, carries the "
            f"rounding of yun_memorizer). Pass a larger rtol, or rtol=None to check the argmax."
        )
    if rtol is None and not (err < 0.5 and bool((out.argmax(1) == y[rows]).all())):
        raise ValueError(
            f"float64 cannot hold even the argmax: on {len(rows)} sampled points "
            f"max|f(x_i) − e_(y_i)| = {err:.2e} ≥ 1/2; the construction is exact in real "
            f"arithmetic only."
        )
    return net, params


# --- universal approximation in one dimension ---------------------------------------------------
def rectangle_net(edges: object, heights: object, eps: float) -> tuple[TwoLayerNet, Params]:
    """A two-layer ReLU net drawing a step function: Σ_i h_i·rect(x; e_i, e_(i+1)).

    Four ReLUs per rectangle (the lecture's ``rect``):

        rect(x; a, b) = [relu(x − a) − relu(x − a − ε) − relu(x − b) + relu(x − b − ε)]/ε

    is 0 left of a, ramps to 1 on [a, a + ε], stays 1 on [a + ε, b] and ramps back to 0 on
    [b, b + ε]. Neighbouring rectangles share an edge, so on each ramp the sum is a convex
    combination of the two heights (one-dimensional universal approximation).

    Args:
        edges: the K + 1 strictly increasing rectangle edges e_1 < … < e_(K+1) (a sequence
            of numbers or a tensor/array; converted to float64).
        heights: the K heights h_i, one per rectangle.
        eps: ramp width ε, in (0, narrowest rectangle).

    Returns:
        ``(net, params)``: a ``TwoLayerNet(1, 4K, "relu", trainable=("W", "b", "a"),
        bias=True)`` and its float64 params ``W`` (4K, 1) (all ones), ``b`` (4K,) (minus the
        kinks a, a + ε, b, b + ε of each rectangle) and ``a`` (4K,) (the signed h_i/ε, scaled
        by √(4K) for the net's 1/√m).

    Raises:
        TypeError: ``edges`` or ``heights`` is not a sequence of numbers, or ``eps`` is not a
            number.
        ValueError: ``edges`` has fewer than 2 entries or is not strictly increasing,
            ``heights`` does not have K entries, either holds NaN/inf, or ``eps`` is not in
            (0, narrowest rectangle).

    Examples:
        >>> import torch
        >>> import ntkconv as nc
        >>> net, params = nc.rectangle_net([0.0, 1.0, 2.0], [1.0, 3.0], eps=0.1)
        >>> net.width
        8
        >>> x = torch.tensor([[-0.5], [0.5], [1.05], [1.5], [2.5]], dtype=torch.float64)
        >>> net(params, x).round(decimals=6).tolist()
        [0.0, 1.0, 2.0, 3.0, 0.0]
    """
    try:
        e = torch.as_tensor(edges, dtype=torch.float64).reshape(-1)
        h = torch.as_tensor(heights, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError("edges and heights must be sequences of numbers") from None
    if e.numel() < 2:
        raise ValueError(f"edges must have K + 1 >= 2 entries; got {e.numel()}")
    e = as_vector(e, "edges", n=e.numel())
    h = as_vector(h, "heights", n=e.shape[0] - 1)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"eps must be a number; got {eps!r}")
    widths = e[1:] - e[:-1]
    if not bool((widths > 0).all()):
        raise ValueError("edges must be strictly increasing")
    if not 0 < eps < float(widths.min()):
        raise ValueError(
            f"eps must lie in (0, narrowest rectangle = {float(widths.min()):.3g}); got {eps!r}"
        )
    k = h.shape[0]
    # per rectangle: kinks at a, a + ε, b, b + ε with signs +, −, −, +
    shifts = torch.stack([e[:-1], e[:-1] + eps, e[1:], e[1:] + eps], dim=1).flatten()
    signs = torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64).repeat(k)
    net = TwoLayerNet(1, 4 * k, "relu", trainable=("W", "b", "a"), bias=True)
    params = {
        "W": torch.ones(4 * k, 1, dtype=torch.float64),
        "b": -shifts,
        "a": signs * h.repeat_interleave(4) / eps * math.sqrt(4 * k),
    }
    return net, params
