"""Capacity computations: the best homogeneous halfspace for each sign vector, by enumerating
the dichotomies of the sample (Cover 1965); a unit's best correlation with signs; multiclass
margins and the spectral complexity of a network's layer matrices (Bartlett et al. 2017)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, islice

import torch

from ._validation import (
    as_labels,
    as_matrix,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    finite,
    float_tensor,
)
from .seeds import generator

#: Enumerations larger than this many (d−1)-subsets are refused (time and memory).
MAX_SUBSETS = 2_000_000


def max_halfspace_correlation(
    X: object, signs: object, *, chunk: int = 8192
) -> tuple[torch.Tensor, float]:
    """sup_w (1/n) Σ_i σ_i sign(wᵀx_i) over homogeneous halfspaces, exactly, for each σ.

    For n points in general position in R^d the dichotomies {sign(wᵀx_i)} are the cells of
    the arrangement of the n hyperplanes {w : wᵀx_i = 0} (Cover 1965). Every cell has a vertex
    ±v_I, the normal of a (d−1)-subset I of the points; next to a vertex the labels off I are
    sign(±v_Iᵀx_k) and the labels on I take every value. Hence

        sup_w Σ_i σ_i sign(wᵀx_i) = max_I ( |I| + |Σ_{k∉I} σ_k sign(v_Iᵀx_k)| ),

    an enumeration of C(n, d − 1) vertices, exact up to the float64 sign of v_Iᵀx_k (the
    returned margin says how well it is resolved).

    Args:
        X: (n, d) float64 inputs, n ≥ d ≥ 2, in general position (no d of them on one
            hyperplane through 0).
        signs: (s, n) or (n,) float sign vectors with entries ±1.
        chunk: vertices evaluated per batch (memory ∝ chunk · (n + s)).

    Returns:
        ``(sup, margin)``: the (s,) supremum of the correlation for each sign vector, and the
        smallest |v_Iᵀx_k| / ‖x_k‖ over vertices I and points k ∉ I — a margin near the
        rounding level (≲ 1e-12) means a label next to some vertex is not resolved and the
        general-position premise fails in float64.

    Raises:
        TypeError: ``X`` or ``signs`` not float tensors or arrays.
        ValueError: ``X`` empty or not finite; shapes that do not match; n < d or d < 2;
            entries of ``signs`` not ±1; more than :data:`MAX_SUBSETS` vertices to enumerate.

    Examples:
        >>> X = torch.tensor([[1.0, 0.1], [0.2, 1.0], [-1.0, 0.3]], dtype=torch.float64)
        >>> S = torch.tensor([[1.0, 1.0, -1.0]], dtype=torch.float64)
        >>> sup, _ = max_halfspace_correlation(X, S)
        >>> sup.tolist()  # w = (1, 0.5) labels the points (+, +, −)
        [1.0]
    """
    X = as_matrix(X, "X").to(torch.float64)
    S = float_tensor(signs, "signs", None).to(X)
    S = S[None] if S.ndim == 1 else S
    n, d = X.shape
    if S.ndim != 2 or S.shape[1] != n:
        raise ValueError(f"signs must have shape (s, {n}) or ({n},); got {tuple(S.shape)}")
    if d < 2 or n < d:
        raise ValueError(f"X must have n ≥ d ≥ 2; got shape {(n, d)}")
    if not bool(((S == 1) | (S == -1)).all()):
        raise ValueError("signs must have entries ±1")
    chunk = check_positive_int(chunk, "chunk")
    total = math.comb(n, d - 1)
    if total > MAX_SUBSETS:
        raise ValueError(
            f"{total} vertices (C({n}, {d - 1})) to enumerate, more than MAX_SUBSETS = "
            f"{MAX_SUBSETS}: use fewer points or a lower dimension"
        )
    unit = X / X.norm(dim=1, keepdim=True)
    best = torch.full((S.shape[0],), -math.inf, dtype=torch.float64, device=X.device)
    margin = math.inf
    subsets = combinations(range(n), d - 1)
    while batch := list(islice(subsets, chunk)):
        idx = torch.tensor(batch, device=X.device)  # (b, d − 1)
        # the normal of each subset: the right singular vector of its smallest singular value
        v = torch.linalg.svd(unit[idx], full_matrices=True).Vh[:, -1, :]  # (b, d)
        proj = v @ unit.T  # (b, n)
        on = torch.zeros_like(proj, dtype=torch.bool).scatter_(1, idx, True)
        off = proj.abs().masked_fill(on, math.inf)
        margin = min(margin, float(off.min()))
        labels = torch.sign(proj).masked_fill(on, 0.0)
        corr = (labels @ S.T).abs() + (d - 1)  # (b, s)
        best = torch.maximum(best, corr.max(dim=0).values)
    return best / n, margin


def unit_correlation(
    X: object,
    centers: object,
    radii: object,
    signs: object,
    *,
    steps: int = 30,
    starts: int = 2,
    seed: int = 0,
    chunk: int = 64,
) -> torch.Tensor:
    """max over ‖u − u⁰_j‖ ≤ ρ_j of |Σ_i σ_i relu(uᵀx_i)|, from below, per sign vector and unit.

    The empirical Rademacher complexity of a two-layer ReLU class whose units are constrained
    one by one (|v_j| ≤ α_j, ‖u_j − u⁰_j‖ ≤ ρ_j) splits over the units (Neyshabur et al. 2019):

        sup_f Σ_i σ_i f(x_i) = Σ_j α_j max_{‖u − u⁰_j‖ ≤ ρ_j} |Σ_i σ_i relu(uᵀx_i)|,

    so one unit's maximum is the quantity to compute. It is a maximum of a piecewise-linear,
    non-concave function over a ball; this returns the best value seen by projected normalized
    gradient ascent (for each sign of the sum) from two starts — u⁰_j, and u⁰_j + ρ_j·s/‖s‖
    with s = Σ_i σ_i x_i (the start that moves when u⁰_j = 0) — and ``starts`` random points
    of the sphere ‖u − u⁰_j‖ = ρ_j, trying at each step also u⁰_j + ρ_j·ĝ, the maximizer of
    the current linear piece. Every point tried lies in the ball, so the value is a lower
    bound on the maximum — a local search: in R² it can stop on a local maximum of the
    circle — and exact when ρ_j = 0.

    Args:
        X: (n, d) float inputs.
        centers: (h, d) unit centres u⁰_j (e.g. the first layer at initialization), X's dtype.
        radii: (h,) radii ρ_j ≥ 0.
        signs: (s, n) or (n,) sign vectors with entries ±1.
        steps: ascent steps per start (the step shrinks linearly from ρ_j/2 to ρ_j/100);
            30 reaches the value of 200 within 5e-4 relative on digits nets of width 16–128.
        starts: random starting points besides the two deterministic ones (each costs as
            much as one of those); 2 raise the mean value by 1e-3 relative on those nets.
        seed: seeds the random starts (see :func:`ntkconv.check_seed`).
        chunk: sign vectors per batch (memory ∝ chunk·h·(n + d)).

    Returns:
        (s, h) tensor of the values, in X's dtype and device.

    Raises:
        TypeError: inputs not float tensors or arrays.
        ValueError: empty or non-finite inputs; shapes that do not match; negative radii;
            entries of ``signs`` not ±1; ``steps`` or ``starts`` < 0, ``chunk`` < 1; a bad
            ``seed``.

    Examples:
        >>> X = torch.eye(2, dtype=torch.float64)
        >>> S = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
        >>> U0 = torch.zeros(1, 2, dtype=torch.float64)
        >>> unit_correlation(X, U0, torch.tensor([2.0], dtype=torch.float64), S).tolist()
        [[2.0]]
    """
    X = as_matrix(X, "X")
    n, d = X.shape
    U0 = as_matrix(centers, "centers").to(X)
    if U0.shape[1] != d:
        raise ValueError(f"centers must have shape (h, {d}) to match X; got {tuple(U0.shape)}")
    rho = float_tensor(radii, "radii", None).to(X)
    if rho.shape != (U0.shape[0],) or not bool(torch.isfinite(rho).all()) or bool((rho < 0).any()):
        raise ValueError(f"radii must be ({U0.shape[0]},) finite and ≥ 0; got {tuple(rho.shape)}")
    S = float_tensor(signs, "signs", None).to(X)
    S = S[None] if S.ndim == 1 else S
    if S.ndim != 2 or S.shape[1] != n or not bool(((S == 1) | (S == -1)).all()):
        raise ValueError(f"signs must be ±1 with shape (s, {n}) or ({n},); got {tuple(S.shape)}")
    # with every radius 0 the starting value is the maximum: no ascent needed
    steps = check_nonnegative_int(steps, "steps") if bool((rho > 0).any()) else 0
    starts = check_nonnegative_int(starts, "starts")
    chunk = check_positive_int(chunk, "chunk")
    gen = generator(seed)
    directions = torch.randn(starts, *U0.shape, generator=gen, dtype=torch.float64).to(X)
    directions = directions / directions.norm(dim=-1, keepdim=True)
    return torch.cat([_unit_ascent(X, U0, rho, part, steps, directions) for part in S.split(chunk)])


def _unit_ascent(
    X: torch.Tensor,
    U0: torch.Tensor,
    rho: torch.Tensor,
    S: torch.Tensor,
    steps: int,
    directions: torch.Tensor,
) -> torch.Tensor:
    tau = torch.cat([S, -S])[:, None, :]  # maximize both signs of the sum: (2s, 1, n)
    r = rho[None, :, None]
    lin = tau[:, 0] @ X
    lin = lin / lin.norm(dim=1, keepdim=True).clamp_min(torch.finfo(X.dtype).tiny)
    best = torch.full((tau.shape[0], U0.shape[0]), -math.inf, dtype=X.dtype, device=X.device)
    starts = [U0.expand(tau.shape[0], -1, -1), U0 + r * lin[:, None, :]]
    starts += [(U0 + rho[:, None] * e).expand(tau.shape[0], -1, -1) for e in directions]
    for U in starts:
        for t in range(steps + 1):
            pre = U @ X.T
            best = torch.maximum(best, (pre.clamp_min(0) * tau).sum(-1))
            if t == steps:
                break
            g = ((pre > 0) * tau) @ X
            g = g / g.norm(dim=-1, keepdim=True).clamp_min(torch.finfo(X.dtype).tiny)
            # u⁰ + ρĝ maximizes the current linear piece over the ball: try it as well
            jump = ((U0 + r * g) @ X.T).clamp_min(0)
            best = torch.maximum(best, (jump * tau).sum(-1))
            U = U + (0.5 * (1 - t / steps) + 0.01) * r * g
            D = U - U0
            U = U0 + D * torch.clamp(r / D.norm(dim=-1, keepdim=True), max=1.0).nan_to_num(1.0)
    s = S.shape[0]
    return torch.maximum(best[:s], best[s:])


def multiclass_margins(logits: object, labels: object) -> torch.Tensor:
    r"""The multiclass margin of each point: f(x)_y − max_{j≠y} f(x)_j.

    Positive exactly when the point is classified correctly (ties count as errors); the
    quantity the margin bounds of Bartlett, Foster and Telgarsky (NeurIPS 2017, §1: the
    margin operator 𝓜(v, y) = v_y − max_{j≠y} v_j) are stated in.

    Args:
        logits: (n, k) outputs, a finite float32/float64 tensor or array with k ≥ 2.
        labels: (n,) integer classes in 0..k−1.

    Returns:
        The (n,) margins, in the logits' dtype and device.

    Raises:
        TypeError: ``logits`` is not floating, or ``labels`` not integers.
        ValueError: ``logits`` not 2-D, empty, non-finite or with fewer than two columns;
            ``labels`` of the wrong length or out of range.

    Examples:
        >>> import torch
        >>> multiclass_margins(torch.tensor([[2.0, 0.5, 1.0], [0.0, 3.0, 4.0]]),
        ...                    torch.tensor([0, 1]))
        tensor([ 1., -1.])
    """
    F = as_matrix(logits, "logits")
    if F.shape[1] < 2:
        raise ValueError(f"logits must have k >= 2 columns (classes); got shape {tuple(F.shape)}")
    y = as_labels(labels, "labels", n=F.shape[0], classes=F.shape[1], device=F.device)
    own = F.gather(1, y[:, None])[:, 0]
    rival = F.scatter(1, y[:, None], -math.inf).max(dim=1).values
    return own - rival


@dataclass(frozen=True)
class SpectralComplexity:
    r"""The spectral complexity R_𝒜 of a network's layer matrices (see
    :func:`spectral_complexity`), with its parts.

    Attributes:
        value: R_𝒜 = lipschitz · correction.
        lipschitz: Π_i ρ_i‖A_i‖_σ, the product of the layers' Lipschitz constants.
        correction: (Σ_i (‖A_iᵀ − M_iᵀ‖_{2,1}/‖A_i‖_σ)^{2/3})^{3/2}.
        spectral_norms: ‖A_i‖_σ per layer.
        distances: ‖A_iᵀ − M_iᵀ‖_{2,1} per layer (the sum of the rows' ℓ2 norms of A_i − M_i).
    """

    value: float
    lipschitz: float
    correction: float
    spectral_norms: tuple[float, ...]
    distances: tuple[float, ...]


def spectral_complexity(
    matrices: Sequence[object],
    references: Sequence[object] | None = None,
    lipschitz: float | Sequence[float] = 1.0,
) -> SpectralComplexity:
    r"""The spectral complexity of Bartlett, Foster and Telgarsky (NeurIPS 2017, eq. (1.2)):

    .. math::

        R_{\mathcal A} = \Big(\prod_{i=1}^{L} \rho_i \|A_i\|_\sigma\Big)
        \Big(\sum_{i=1}^{L} \frac{\|A_i^\top - M_i^\top\|_{2,1}^{2/3}}
        {\|A_i\|_\sigma^{2/3}}\Big)^{3/2},

    for the network x ↦ σ_L(A_L σ_{L−1}(⋯ σ_1(A_1 x))) with ρ_i-Lipschitz σ_i, σ_i(0) = 0.
    ‖·‖_σ is the spectral norm and ‖Bᵀ‖_{2,1} the sum of the ℓ2 norms of B's *rows* (the
    columns of Bᵀ). Computed in float64, on the matrices' device.

    Args:
        matrices: the layer matrices A_1, …, A_L (input side first), each a 2-D float
            tensor or array, A_{i+1}'s columns matching A_i's rows, none identically zero.
        references: the reference matrices M_i, fixed before seeing the data (e.g. 0 or the
            initialization), of the A_i's shapes; default all zero.
        lipschitz: ρ_i, one float > 0 for every layer or one per layer; default 1 (ReLU).

    Returns:
        A :class:`SpectralComplexity`.

    Raises:
        ValueError: no matrices, a matrix not 2-D, empty, non-finite or zero; shapes that do not
            chain; references of another number or shape; a ρ_i that is not finite and > 0.
        TypeError: a matrix is not a float tensor or array.

    Examples:
        >>> import torch
        >>> r = spectral_complexity([2 * torch.eye(3), torch.eye(3)])
        >>> r.spectral_norms, r.distances
        ((2.0, 1.0), (6.0, 3.0))
        >>> round(r.value, 6) == round(2 * (2 * 3 ** (2 / 3)) ** 1.5, 6)
        True

    References:
        Bartlett, Foster, Telgarsky, "Spectrally-normalized margin bounds for neural networks",
        NeurIPS 2017 (arXiv:1706.08498), Theorem 1.1.
    """
    if len(matrices) == 0:
        raise ValueError("matrices must hold at least one layer matrix")
    A = [as_matrix(a, f"matrices[{i}]").to(torch.float64) for i, a in enumerate(matrices)]
    for i in range(1, len(A)):
        if A[i].shape[1] != A[i - 1].shape[0]:
            raise ValueError(
                f"matrices[{i}] has {A[i].shape[1]} columns but matrices[{i - 1}] has "
                f"{A[i - 1].shape[0]} rows: the layers do not chain"
            )
    if references is None:
        M = [torch.zeros_like(a) for a in A]
    else:
        if len(references) != len(A):
            raise ValueError(f"references must hold {len(A)} matrices; got {len(references)}")
        M = [as_matrix(m, f"references[{i}]").to(A[i]) for i, m in enumerate(references)]
        for i, (a, m) in enumerate(zip(A, M, strict=True)):
            if m.shape != a.shape:
                raise ValueError(
                    f"references[{i}] must have shape {tuple(a.shape)}; got {tuple(m.shape)}"
                )
    rho = [lipschitz] * len(A) if isinstance(lipschitz, numbers.Real) else list(lipschitz)
    if len(rho) != len(A):
        raise ValueError(f"lipschitz must be one float or {len(A)} floats; got {len(rho)}")
    rho = [check_positive_float(r, f"lipschitz[{i}]") for i, r in enumerate(rho)]
    s = [float(torch.linalg.matrix_norm(a, 2)) for a in A]
    if min(s) == 0:
        raise ValueError(f"matrices[{s.index(0.0)}] is zero: its spectral norm divides")
    b = [float((a - m).norm(dim=1).sum()) for a, m in zip(A, M, strict=True)]
    lip = math.prod(r * si for r, si in zip(rho, s, strict=True))
    correction = sum((bi / si) ** (2 / 3) for bi, si in zip(b, s, strict=True)) ** 1.5
    return SpectralComplexity(lip * correction, lip, correction, tuple(s), tuple(b))


def matrix_project(
    A: object, k: int, seed: int, *, levels: int | None = None, chunk: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Arora, Ge, Neyshabur and Zhang's compression of a layer matrix (ICML 2018, Algorithm 1,
    "Matrix-Project"): with k random sign matrices M_t (the helper string, fixed by ``seed``
    before any data is seen),

    .. math::

        \hat A = \frac{1}{k} \sum_{t=1}^{k} \langle A, M_t\rangle\, M_t .

    Â is unbiased, E Â = A, and is described by the k coefficients ⟨A, M_t⟩ given the
    helper string. For a fixed x its error has the exact second moment (Isserlis, with
    E M⁴ = 1 for signs): E‖(Â − A)x‖² = (h‖A‖_F²‖x‖² + ‖Ax‖² − 2 Σ_{jc} A_{jc}² x_c²)/k, with
    h the number of rows.

    Args:
        A: the (h, w) layer matrix, a finite float tensor or array.
        k: the number of random projections, an integer ≥ 1.
        seed: seeds the helper string (see :func:`ntkconv.check_seed`).
        levels: if given (an integer ≥ 2), the coefficients are rounded to ``levels`` evenly
            spaced values on [−s, s], s the smallest power of two ≥ max|⟨A, M_t⟩| — the
            discrete description a compression bound counts — and Â is built from them.
        chunk: how many sign matrices are drawn at once (memory: chunk·h·w numbers).

    Returns:
        (Â, coefficients): Â in A's dtype and device, and the k coefficients ⟨A, M_t⟩ (rounded
        when ``levels`` is given).

    Raises:
        ValueError: ``A`` not 2-D, empty or non-finite; ``k`` or ``chunk`` not ≥ 1; ``levels``
            below 2.
        TypeError: ``A`` not a float tensor or array, or ``seed`` not an integer.

    Examples:
        >>> import torch
        >>> A = torch.arange(6.0).reshape(2, 3)
        >>> A_hat, c = matrix_project(A, 20000, seed=0)
        >>> c.shape, bool((A_hat - A).abs().max() < 0.2)
        (torch.Size([20000]), True)

    References:
        Arora, Ge, Neyshabur, Zhang, "Stronger generalization bounds for deep nets via a
        compression approach", ICML 2018 (arXiv:1802.05296), Algorithm 1.
    """
    A = as_matrix(A, "A")
    k = check_positive_int(k, "k")
    chunk = check_positive_int(chunk, "chunk")
    if levels is not None:
        _check_levels(levels)
    flat = A.reshape(-1)

    def signs() -> Iterator[torch.Tensor]:
        # drawn on the CPU from the seeded stream: the same helper string on every device
        g = generator(seed)
        for start in range(0, k, chunk):
            M = torch.randint(0, 2, (min(chunk, k - start), flat.numel()), generator=g,
                              dtype=torch.float64)  # fmt: skip
            yield M.mul_(2).sub_(1).to(flat)

    c = torch.cat([M @ flat for M in signs()])
    if levels is not None:
        c = round_to_levels(c, levels)
    total = torch.zeros_like(flat)
    for start, M in zip(range(0, k, chunk), signs(), strict=True):
        total += M.T @ c[start : start + len(M)]
    return (total / k).reshape(A.shape), c


def relu_layers(mats: Sequence[object], inputs: object) -> list[torch.Tensor]:
    r"""Run the bias-free ReLU net x ↦ A_L relu(A_{L−1} ⋯ relu(A_1 x)) given by its layer
    matrices (as :meth:`TwoLayerClassifier.layer_matrices` gives them, the bias a column on
    the augmented input) and return what every layer sees and what comes out: ``[X, h_1, …,
    h_{L−1}, f]`` with h_l = relu(h_{l−1}A_lᵀ) and f = h_{L−1}A_Lᵀ (no ReLU on the output).

    Args:
        mats: the layer matrices A_1 … A_L, A_l of shape (d_l, d_{l−1}), at least one.
        inputs: the (n, d_0) inputs, one per row.

    Returns:
        L + 1 tensors: the inputs of layers 1 … L, then the (n, d_L) outputs.

    Raises:
        ValueError: no matrices; shapes that do not chain; non-finite values.
        TypeError: non-float inputs.

    Examples:
        >>> import torch
        >>> A1, A2 = torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0]])
        >>> [h.tolist() for h in relu_layers([A1, A2], torch.tensor([[3.0, 1.0], [1.0, 3.0]]))]
        [[[3.0, 1.0], [1.0, 3.0]], [[2.0], [0.0]], [[4.0], [0.0]]]
    """
    if len(mats) == 0:
        raise ValueError("relu_layers needs at least one layer matrix")
    first = as_matrix(mats[0], "mats[0]")
    h = as_matrix(inputs, "inputs", d=first.shape[1], like=first)
    out = [h]
    for i, A in enumerate(mats):
        h = h @ as_matrix(A, f"mats[{i}]", d=h.shape[1], like=first).T
        if i < len(mats) - 1:
            h = torch.relu(h)
        out.append(h)
    return out


def layer_cushion(A: object, inputs: object) -> float:
    r"""The layer cushion of Arora et al. (ICML 2018, Definition 4): the largest μ with
    μ‖A‖_F‖x‖ ≤ ‖Ax‖ for every input x of the layer, min_x ‖Ax‖/(‖A‖_F‖x‖).

    A random Gaussian (h, w) matrix has cushion ≈ 1/√w on any input; a layer whose rows
    line up with its inputs has cushion near 1 — what makes :func:`matrix_project`'s noise
    small relative to the signal.

    Args:
        A: the (h, w) layer matrix, nonzero.
        inputs: the layer's (n, w) inputs (rows), none zero.

    Returns:
        The cushion, a float in [0, 1].

    Raises:
        ValueError: shapes that do not match, a zero matrix or a zero input, non-finite
            values.
        TypeError: non-float inputs.

    Examples:
        >>> import torch
        >>> round(layer_cushion(torch.eye(4), torch.ones(3, 4)), 6)
        0.5
    """
    A = as_matrix(A, "A")
    X = as_matrix(inputs, "inputs", d=A.shape[1], like=A)
    norms = X.norm(dim=1)
    if float(A.norm()) == 0 or bool((norms == 0).any()):
        raise ValueError("layer_cushion needs a nonzero A and nonzero inputs")
    return float(((X @ A.T).norm(dim=1) / (A.norm() * norms)).min())


def _check_levels(levels: object) -> int:
    if check_positive_int(levels, "levels") < 2:
        raise ValueError(f"levels must be an integer >= 2; got {levels}")
    return int(levels)  # type: ignore[call-overload]


def round_to_levels(values: torch.Tensor, levels: int) -> torch.Tensor:
    """``values`` rounded to ``levels`` evenly spaced numbers on [−s, s], s the smallest power of
    two ≥ max|values| (1 for all-zero values): a description of ``values.numel()`` numbers from
    a set of ``levels``, plus the scale — what a counting bound counts.

    Args:
        values: a float tensor, finite.
        levels: the number of values on the grid, an integer ≥ 2.

    Returns:
        The rounded tensor (same shape, dtype, device); each entry moves by at most s/(levels − 1).

    Raises:
        ValueError: ``levels`` below 2, or non-finite values.
        TypeError: ``values`` is not a float tensor.

    Examples:
        >>> import torch
        >>> round_to_levels(torch.tensor([0.3, -1.0]), 5)
        tensor([ 0.5000, -1.0000])
    """
    levels = _check_levels(levels)
    v = finite(float_tensor(values, "values", None), "values")
    top = float(v.abs().max()) if v.numel() else 0.0
    scale = 2.0 ** math.ceil(math.log2(top)) if top > 0 else 1.0
    step = 2 * scale / (levels - 1)
    return torch.round((v + scale) / step) * step - scale
