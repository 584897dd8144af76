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
    """Eigenvalues of a symmetric matrix, ascending, in float64.

    The matrix is symmetrized as (G + Gᵀ)/2 after the symmetry check, so round-off below
    ``SYMMETRY_RTOL`` cannot make ``torch.linalg.eigvalsh`` read only one triangle.

    Args:
        G: a symmetric (n, n) float32 or float64 tensor or NumPy array (cast to float64, on
            its own device); symmetric up to ‖G − Gᵀ‖_max ≤ ``SYMMETRY_RTOL``·‖G‖_max.

    Returns:
        The (n,) float64 tensor of eigenvalues, in ascending order.

    Raises:
        TypeError: ``G`` has a dtype other than float32/float64 (complex, half, integer).
        ValueError: ``G`` is not a non-empty 2-D tensor, is not square, contains NaN or inf,
            or is not symmetric.

    Examples:
        >>> eigvalsh(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.], dtype=torch.float64)
    """
    return torch.linalg.eigvalsh(_symmetric64(G))


def lambda_min(G: object) -> float:
    """Smallest eigenvalue λ_min of a symmetric matrix, in float64 (see :func:`eigvalsh`).

    Args:
        G: a symmetric (n, n) float32 or float64 tensor or NumPy array, e.g. an NTK Gram.

    Returns:
        λ_min(G) as a Python float.

    Raises:
        TypeError: ``G`` has a dtype other than float32/float64.
        ValueError: ``G`` is empty, not 2-D, not square, not finite or not symmetric.

    Examples:
        >>> lambda_min(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
        1.0
    """
    return float(eigvalsh(G)[0])


def lambda_max(G: object) -> float:
    """Largest eigenvalue λ_max of a symmetric matrix, in float64 (see :func:`eigvalsh`).

    Args:
        G: a symmetric (n, n) float32 or float64 tensor or NumPy array.

    Returns:
        λ_max(G) as a Python float.

    Raises:
        TypeError: ``G`` has a dtype other than float32/float64.
        ValueError: ``G`` is empty, not 2-D, not square, not finite or not symmetric.

    Examples:
        >>> lambda_max(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
        3.0
    """
    return float(eigvalsh(G)[-1])


def rank_cutoff(s_max: float, shape: tuple[int, ...], rtol: float | None = None) -> float:
    """The threshold at or below which a singular value counts as zero.

    max(shape)·ε₆₄·σ_max by default (NumPy's ``matrix_rank`` rule), rtol·σ_max when ``rtol``
    is given (see the module docstring).

    Args:
        s_max: the largest singular value σ_max (or largest |eigenvalue|) of the matrix.
        shape: the matrix's shape; only ``max(shape)`` is used.
        rtol: an optional relative tolerance > 0 replacing max(shape)·ε₆₄; ``None`` (the
            default) keeps NumPy's rule.

    Returns:
        The cutoff as a float (in the units of ``s_max``).

    Raises:
        TypeError: ``rtol`` is not a number.
        ValueError: ``rtol`` is not a finite number > 0.

    Examples:
        >>> rank_cutoff(2.0, (4, 3)) == 2.0 * 4 * float(np.finfo(np.float64).eps)
        True
        >>> rank_cutoff(2.0, (4, 3), rtol=1e-6)
        2e-06
    """
    if rtol is not None:
        check_positive_float(rtol, "rtol")
    return s_max * (max(shape) * EPS64 if rtol is None else rtol)


def numerical_rank(M: object, rtol: float | None = None) -> int:
    """Number of singular values above :func:`rank_cutoff` (float64 SVD).

    Args:
        M: a non-empty 2-D float32 or float64 tensor or NumPy array, any shape (p, q).
        rtol: relative tolerance for :func:`rank_cutoff`; ``None`` (the default) uses
            max(p, q)·ε₆₄·σ_max.

    Returns:
        The numerical rank, an int in 0..min(p, q).

    Raises:
        TypeError: ``M`` has a dtype other than float32/float64, or ``rtol`` is not a number.
        ValueError: ``M`` is empty, not 2-D or not finite, or ``rtol`` is not > 0.

    Examples:
        >>> u = torch.tensor([[1.0], [2.0], [3.0]])
        >>> numerical_rank(u @ u.T), numerical_rank(torch.eye(3))
        (1, 3)
    """
    M = _matrix64(M, "M")
    s = torch.linalg.svdvals(M)
    return int((s > rank_cutoff(float(s[0]), tuple(M.shape), rtol)).sum())


def rank_margins(M: object, rtol: float | None = None) -> dict[str, float]:
    """:func:`numerical_rank` with how unambiguous it is: the decades between the cutoff and
    the last kept singular value, and between the cutoff and the first dropped one.

    A rank is only as good as the gap around its tolerance: a kept σ_r many decades above the
    cutoff and a dropped σ_(r+1) at the round-off floor of an exact zero mean any tolerance in
    between gives the same count.

    Args:
        M: a non-empty 2-D float32 or float64 tensor or NumPy array.
        rtol: relative tolerance for :func:`rank_cutoff` (default: NumPy's rule).

    Returns:
        A dict: ``rank`` (an int), ``decades_above_cutoff`` = log10(σ_r / cutoff) (NaN for
        rank 0) and ``decades_below_cutoff`` = log10(cutoff / σ_(r+1)) (NaN when nothing is
        dropped or ``M`` is zero; an exact zero singular value counts as 10⁻³⁰⁰).

    Raises:
        TypeError, ValueError: as :func:`numerical_rank`.

    Examples:
        >>> u = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
        >>> m = rank_margins(u @ u.T + 1e-9 * torch.eye(3, dtype=torch.float64))
        >>> m["rank"], round(m["decades_above_cutoff"], 1)
        (3, 5.0)
    """
    M = _matrix64(M, "M")
    s = torch.linalg.svdvals(M)
    cutoff = rank_cutoff(float(s[0]), tuple(M.shape), rtol)
    r = int((s > cutoff).sum())
    above = float(np.log10(float(s[r - 1]) / cutoff)) if r >= 1 else float("nan")
    dropped = r < len(s) and cutoff > 0  # a zero matrix has no scale to be below
    below = float(np.log10(cutoff / max(float(s[r]), 1e-300))) if dropped else float("nan")
    return {"rank": r, "decades_above_cutoff": above, "decades_below_cutoff": below}


def condition_number(G: object) -> float:
    """Condition number κ(G) = λ_max/λ_min of a symmetric PSD matrix, in float64.

    The cutoff is :func:`rank_cutoff` of the largest |eigenvalue| at shape (n, n).

    Args:
        G: a symmetric positive semi-definite (n, n) float32 or float64 tensor or NumPy array.

    Returns:
        λ_max/λ_min as a float; ``inf`` when |λ_min| is at or below the rank cutoff (singular
        to float64).

    Raises:
        TypeError: ``G`` has a dtype other than float32/float64.
        ValueError: G is not symmetric, or is indefinite (λ_min below minus the cutoff): a
            condition number of an indefinite matrix would be a silent wrong number. Also
            when G is empty, not 2-D, not square or not finite.

    Examples:
        >>> condition_number(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
        3.0
        >>> condition_number(torch.ones(2, 2))
        inf
        >>> condition_number(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        Traceback (most recent call last):
        ...
        ValueError: G must be positive semi-definite; its smallest eigenvalue is -1
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
    """argmin_w ‖Aw − y‖² + ridge·‖w‖² in float64, via the SVD.

    With A = U diag(s) Vᵀ (thin SVD), w = V diag(s/(s² + ridge)) Uᵀy. With ``ridge = 0``
    this is the minimum-norm least-squares solution A⁺y, singular values at or below
    :func:`rank_cutoff` dropped (for a full-row-rank A, the min-norm interpolant
    Aᵀ(AAᵀ)⁻¹y).

    Args:
        A: the (n, p) design matrix (e.g. a Jacobian), float32 or float64 tensor or NumPy
            array; computed in float64.
        y: targets of shape (n,), or (n, k) for k targets at once; float32 or float64.
        ridge: the ridge penalty ≥ 0; ``0.0`` (the default) gives the pseudo-inverse solution.
        rtol: relative tolerance for :func:`rank_cutoff` when ``ridge = 0``; ``None`` (the
            default) uses max(n, p)·ε₆₄·σ_max. Ignored when ``ridge > 0``.

    Returns:
        A float64 tensor w of shape (p,) for (n,) targets, or (p, k) for (n, k) targets (one
        column per target).

    Raises:
        TypeError: ``A`` or ``y`` has a dtype other than float32/float64, or ``ridge`` /
            ``rtol`` is not a number.
        ValueError: ``A`` is empty, not 2-D or not finite; ``y`` is not of shape (n,) or
            (n, k) or not finite; ``ridge`` is negative or not finite; ``rtol`` is not > 0.

    Examples:
        >>> A = torch.tensor([[1.0, 1.0]])
        >>> min_norm_lstsq(A, torch.tensor([2.0])).round(decimals=6)
        tensor([1., 1.], dtype=torch.float64)
        >>> min_norm_lstsq(A, torch.tensor([2.0]), ridge=1.0).round(decimals=4)
        tensor([0.6667, 0.6667], dtype=torch.float64)
    """
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
    """Column-wise Kronecker (Khatri–Rao) product A ∗ B: column n is A[:, n] ⊗ B[:, n].

    For a one-hidden-layer net f = w₂ᵀ diag(a) W₁ x the Jacobian in W₁ is (diag(w₂) A) ∗ X
    (Soudry & Carmon 2016), with A the (m, N) activation (derivative) pattern and X the (d, N)
    inputs as columns.

    Args:
        A: a 2-D tensor of shape (p, N).
        B: a 2-D tensor of shape (q, N), with the same number of columns N as ``A``.

    Returns:
        The (p·q, N) tensor whose row i·q + j is A[i, :]·B[j, :] (dtype by torch promotion;
        no float64 cast here).

    Raises:
        ValueError: ``A`` or ``B`` is not 2-D, or their column counts differ.

    Examples:
        >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> B = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> khatri_rao(A, B)
        tensor([[1., 0.],
                [0., 2.],
                [1., 2.],
                [3., 0.],
                [0., 4.],
                [3., 4.]])
    """
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
    """One extreme eigenvalue of the Hessian ∇²L at ``params``, by Lanczos on HVPs.

    Lanczos (ARPACK ``eigsh``) runs on a ``LinearOperator`` whose matvec is a Hessian-vector
    product; the Hessian is never formed. The start vector is seeded, so results are
    deterministic. At or below ``dense_below`` parameters (and always for p ≤ 2) the Hessian is
    assembled from p HVPs and diagonalized exactly (ARPACK needs p > 1 and is fragile for tiny
    p).

    Args:
        loss_fn: the objective ``loss_fn(params) -> scalar tensor``, twice differentiable in
            the ``wrt`` params (e.g. a closure over data calling :func:`ntkconv.risk`).
        params: the point w, a dict of float32/float64 tensors of one dtype and device.
        wrt: the params the Hessian is taken in (the others held fixed); a name or a
            collection of names. ``None`` (the default) means all of ``params``.
        which: ``"LM"`` largest magnitude (signed; |λ| is the local smoothness β), ``"LA"``
            largest algebraic, ``"SA"`` smallest algebraic.
        tol: ARPACK's relative accuracy, a finite float > 0 (unused on the dense path).
        seed: seeds the Lanczos start vector (see :func:`ntkconv.check_seed`).
        dense_below: parameter count at or below which the dense path is taken; an int ≥ 0.

    Returns:
        The eigenvalue as a float (signed, also for ``"LM"``); 0.0 when the Hessian vanishes
        on the (random) start vector, i.e. almost surely vanishes (a ReLU net whose units are
        all off, a loss linear in the params).

    Raises:
        TypeError: ``params`` is not a non-empty dict of float tensors of one dtype/device,
            ``seed`` is not an integer, ``tol`` is not a number, or ``wrt`` is not names.
        ValueError: an unknown ``which``; ``tol`` not > 0; ``dense_below`` not an int ≥ 0;
            ``seed`` out of range; ``wrt`` naming unknown or repeated params; or non-finite
            params.

    Examples:
        >>> c = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        >>> loss = lambda p: 0.5 * (c * p["w"] ** 2).sum()  # ∇²L = diag(c)
        >>> w = {"w": torch.ones(3, dtype=torch.float64)}
        >>> round(hessian_eigenvalue(loss, w), 6), round(hessian_eigenvalue(loss, w, which="SA"), 6)
        (3.0, 1.0)
        >>> c = torch.linspace(-2.0, 1.0, 50, dtype=torch.float64)  # p = 50: ARPACK
        >>> w = {"w": torch.ones(50, dtype=torch.float64)}
        >>> round(hessian_eigenvalue(loss, w), 6), round(hessian_eigenvalue(loss, w, which="LA"), 6)
        (-2.0, 1.0)
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
    # ARPACK stops on a zero Hv ("starting vector is zero"); a random v0 in the null space of a
    # nonzero Hessian has probability 0, so the Hessian is 0 (e.g. a ReLU net with every unit
    # off, or a loss linear in the params)
    if not np.any(matvec(v0)):
        return 0.0
    vals = eigsh(op, k=1, which=which, tol=tol, v0=v0, return_eigenvectors=False)
    return float(vals[0])


def smoothness(
    loss_fn: Callable[[Params], torch.Tensor],
    params: Params,
    wrt: Iterable[str] | str | None = None,
    **kwargs: object,
) -> float:
    """Local smoothness β(w) = ‖∇²L(w)‖₂ = |largest-magnitude Hessian eigenvalue|.

    ``abs(hessian_eigenvalue(loss_fn, params, wrt, "LM", **kwargs))``; GD on an L that is
    β-smooth along its path decreases the loss for step sizes η < 2/β.

    Args:
        loss_fn: the objective ``loss_fn(params) -> scalar tensor``.
        params: the point w, a dict of float32/float64 tensors of one dtype and device.
        wrt: the params the Hessian is taken in; ``None`` (the default) means all of them.
        **kwargs: ``tol``, ``seed`` and ``dense_below``, as for :func:`hessian_eigenvalue`.

    Returns:
        β(w) ≥ 0 as a float.

    Raises:
        TypeError: as for :func:`hessian_eigenvalue`, or an unknown keyword argument.
        ValueError: as for :func:`hessian_eigenvalue`.

    Examples:
        >>> c = torch.tensor([1.0, -4.0], dtype=torch.float64)
        >>> loss = lambda p: 0.5 * (c * p["w"] ** 2).sum()
        >>> round(smoothness(loss, {"w": torch.ones(2, dtype=torch.float64)}), 6)
        4.0
    """
    return abs(hessian_eigenvalue(loss_fn, params, wrt, "LM", **kwargs))
