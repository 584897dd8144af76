"""Spectral quantities, always computed in float64 (on the input's device).

Tolerances, stated once:
  * symmetry: ‖G − Gᵀ‖_max ≤ ``SYMMETRY_RTOL``·‖G‖_max, else ``ValueError``;
  * numerical rank: singular values > max(shape)·ε₆₄·σ_max (NumPy's ``matrix_rank`` default),
    unless ``rtol`` is given, in which case > rtol·σ_max;
  * a PSD matrix counts as singular in :func:`condition_number` when λ_min ≤ that rank cutoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh
from torch.func import vmap

from ._validation import (
    FLOAT_DTYPES,
    Params,
    check_choice,
    check_nonnegative_int,
    check_params,
    check_positive_float,
)
from .autodiff import hvp_fn, ravel, resolve_wrt, split, unravel
from .seeds import check_seed, numpy_rng

SPECTRAL_DTYPE = torch.float64
SYMMETRY_RTOL = 1e-10
EPS64 = float(np.finfo(np.float64).eps)


def _matrix64(M: object, name: str) -> torch.Tensor:
    if isinstance(M, np.ndarray):
        M = torch.from_numpy(np.ascontiguousarray(M))
    if not isinstance(M, torch.Tensor) or M.ndim != 2 or 0 in M.shape:
        raise ValueError(f"{name} must be a non-empty 2-D tensor")
    if M.dtype not in FLOAT_DTYPES:  # complex would lose its imaginary part, half its digits
        raise TypeError(f"{name} must have dtype float32 or float64; got {M.dtype}")
    if not torch.isfinite(M).all():
        raise ValueError(f"{name} contains NaN or inf")
    return M.to(SPECTRAL_DTYPE)


def _symmetric64(G: object, name: str = "G") -> torch.Tensor:
    G = _matrix64(G, name)
    if G.shape[0] != G.shape[1]:
        raise ValueError(f"{name} must be square; got shape {tuple(G.shape)}")
    scale = G.abs().max()
    if (G - G.T).abs().max() > SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} is not symmetric (relative asymmetry > {SYMMETRY_RTOL:g})")
    return (G + G.T) / 2


def eigvalsh(G: object) -> torch.Tensor:
    """Eigenvalues of a symmetric matrix, ascending, float64."""
    return torch.linalg.eigvalsh(_symmetric64(G))


def lambda_min(G: object) -> float:
    return float(eigvalsh(G)[0])


def lambda_max(G: object) -> float:
    return float(eigvalsh(G)[-1])


def rank_cutoff(s_max: float, shape: tuple[int, ...], rtol: float | None = None) -> float:
    """Singular values at or below this are treated as zero (see the module docstring)."""
    if rtol is not None:
        check_positive_float(rtol, "rtol")
    return s_max * (max(shape) * EPS64 if rtol is None else rtol)


def numerical_rank(M: object, rtol: float | None = None) -> int:
    """Number of singular values above :func:`rank_cutoff` (float64 SVD)."""
    M = _matrix64(M, "M")
    s = torch.linalg.svdvals(M)
    return int((s > rank_cutoff(float(s[0]), tuple(M.shape), rtol)).sum())


def condition_number(G: object) -> float:
    """λ_max/λ_min of a symmetric PSD matrix.

    Returns ``inf`` when |λ_min| is at or below the rank cutoff (singular to float64).

    Raises:
        ValueError: G is not symmetric, or is indefinite (λ_min below minus the cutoff): a
            condition number of an indefinite matrix would be a silent wrong number.
    """
    ev = eigvalsh(G)
    lo, hi = float(ev[0]), float(ev[-1])
    cutoff = rank_cutoff(float(ev.abs().max()), tuple(ev.shape) * 2)
    if lo < -cutoff:
        raise ValueError(f"G must be positive semi-definite; its smallest eigenvalue is {lo:.3g}")
    if lo <= cutoff:
        return float("inf")
    return hi / lo


def min_norm_lstsq(
    A: object, y: object, ridge: float = 0.0, rtol: float | None = None
) -> torch.Tensor:
    """argmin_w ‖Aw − y‖² + ridge·‖w‖² in float64 via the SVD A = U diag(s) Vᵀ:
    w = V diag(s/(s² + ridge)) Uᵀy. With ``ridge = 0`` this is the minimum-norm least-squares
    solution A⁺y, singular values at or below :func:`rank_cutoff` dropped (for a full-row-rank
    A, the min-norm interpolant Aᵀ(AAᵀ)⁻¹y). ``y`` of shape (n,) gives w of shape (p,);
    (n, k) targets give (p, k), one column per target."""
    A = _matrix64(A, "A")
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(np.ascontiguousarray(y))
    if not isinstance(y, torch.Tensor) or y.ndim not in (1, 2) or y.shape[0] != A.shape[0]:
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y must have shape ({A.shape[0]},) or ({A.shape[0]}, k); got {shape}")
    y = _matrix64(y.reshape(A.shape[0], -1), "y").reshape(y.shape)
    if ridge != 0:
        check_positive_float(ridge, "ridge")
    U, s, Vh = torch.linalg.svd(A, full_matrices=False)
    if ridge == 0:
        keep = s > rank_cutoff(float(s[0]), tuple(A.shape), rtol)
        inv = torch.where(keep, 1.0 / torch.where(keep, s, 1.0), 0.0)
    else:
        inv = s / (s**2 + ridge)
    scale = inv if y.ndim == 1 else inv[:, None]
    return Vh.T @ (scale * (U.T @ y))


def khatri_rao(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Column-wise Kronecker product: column n of the result is A[:, n] ⊗ B[:, n], shape
    (p·q, N) for A (p, N) and B (q, N). For a one-hidden-layer net f = w₂ᵀ diag(a) W₁ x the
    Jacobian in W₁ is (diag(w₂) A) ∗ X (Soudry & Carmon 2016)."""
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ValueError(
            f"A and B must be 2-D with equal column counts; got {tuple(A.shape)} "
            f"and {tuple(B.shape)}"
        )
    return (A[:, None, :] * B[None, :, :]).reshape(A.shape[0] * B.shape[0], A.shape[1])


WHICH = ("LM", "LA", "SA")


def hessian_eigenvalue(
    loss_fn: Callable[[Params], torch.Tensor],
    params: Params,
    wrt: Iterable[str] | str | None = None,
    which: str = "LM",
    *,
    tol: float = 1e-10,
    seed: int = 0,
    dense_below: int = 32,
) -> float:
    """One extreme eigenvalue of ∇²L at ``params`` by Lanczos (ARPACK ``eigsh``) on a
    ``LinearOperator`` whose matvec is a Hessian-vector product; the Hessian is never formed.

    ``which``: ``"LM"`` largest magnitude (signed; |λ| is the local smoothness β), ``"LA"``
    largest algebraic, ``"SA"`` smallest algebraic. The start vector is seeded, so results are
    deterministic. Below ``dense_below`` parameters the Hessian is assembled from p HVPs and
    diagonalized exactly (ARPACK needs p > 1 and is fragile for tiny p).
    """
    which = check_choice(which, "which", WHICH)
    seed = check_seed(seed)
    tol = check_positive_float(tol, "tol")
    dense_below = check_nonnegative_int(dense_below, "dense_below")
    params = check_params(params)
    names = resolve_wrt(None, params, wrt)
    sub, fixed = split(params, names)
    hv = hvp_fn(loss_fn, sub, fixed)
    ref = next(iter(sub.values()))
    p = sum(v.numel() for v in sub.values())

    def matvec_t(v: torch.Tensor) -> torch.Tensor:
        return ravel(hv(unravel(v, sub)))

    if p <= max(dense_below, 2):  # eigsh needs k < p; tiny p goes dense
        H = vmap(matvec_t)(torch.eye(p, dtype=ref.dtype, device=ref.device))
        ev = eigvalsh(H)
        return float({"LA": ev[-1], "SA": ev[0], "LM": max(ev[0], ev[-1], key=abs)}[which])

    def matvec(v: np.ndarray) -> np.ndarray:
        vt = torch.as_tensor(np.ravel(v), dtype=ref.dtype, device=ref.device)
        return matvec_t(vt).to(SPECTRAL_DTYPE).cpu().numpy()

    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    v0 = numpy_rng(seed).standard_normal(p)
    vals = eigsh(op, k=1, which=which, tol=tol, v0=v0, return_eigenvectors=False)
    return float(vals[0])


def smoothness(
    loss_fn: Callable[[Params], torch.Tensor],
    params: Params,
    wrt: Iterable[str] | str | None = None,
    **kwargs: object,
) -> float:
    """Local smoothness β(w) = ‖∇²L(w)‖₂ = |largest-magnitude Hessian eigenvalue|."""
    return abs(hessian_eigenvalue(loss_fn, params, wrt, "LM", **kwargs))
