"""Exact capacity computations: the best homogeneous halfspace for each sign vector, by
enumerating the dichotomies of the sample (Cover 1965)."""

from __future__ import annotations

import math
from itertools import combinations, islice

import torch

from ._validation import as_matrix, check_nonnegative_int, check_positive_int, float_tensor
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
