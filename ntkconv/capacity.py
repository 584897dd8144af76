"""Exact capacity computations: the best homogeneous halfspace for each sign vector, by
enumerating the dichotomies of the sample (Cover 1965)."""

from __future__ import annotations

import math
from itertools import combinations, islice

import torch

from ._validation import as_matrix, check_positive_int, float_tensor

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
