"""Neural tangent kernels: finite-width (three methods) and the infinite-width ReLU limit.

Gram convention throughout: G = J Jᵀ with J = ∂f(X)/∂params[trainable] (no loss factor), so
for the loss ½‖u − y‖², gradient flow gives du/dt = −G (u − y) (Du et al. 2019, eq. (4)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from ._validation import (
    Params,
    as_matrix,
    check_choice,
    check_chunk_size,
    check_positive_int,
    check_wrt,
)
from .activations import Activation
from .autodiff import Model, bind, flat_jacobian, ntvp_rows, prepare, split
from .models import TwoLayerNet

METHODS = ("auto", "structured", "jacobian", "ntvp")
#: "auto" forms J only if J(X) and J(X2) together fit under this many bytes.
DEFAULT_MEMORY_CAP = 2 * 1024**3


def empirical_ntk(
    fn: Model,
    params: Params,
    X: object,
    X2: object | None = None,
    wrt: Iterable[str] | str | None = None,
    method: str = "auto",
    *,
    chunk_size: int | None = None,
    memory_cap: int = DEFAULT_MEMORY_CAP,
) -> torch.Tensor:
    """Θ(X, X2) = J(X) J(X2)ᵀ, shape (n, n2), in the dtype and on the device of ``params``.

    ``method`` chooses how:
      * ``"structured"`` — the model's closed form (``TwoLayerNet``: any activation, W/b/a
        blocks), O(n·n2·(d + m)) work, J never formed;
      * ``"jacobian"`` — per-sample ``vmap(jacrev)`` then one matrix product, O(n·n2·p);
      * ``"ntvp"`` — J(X)·(J(X2)ᵀ e_j) column by column (one VJP + one JVP each), J never formed;
      * ``"auto"`` — structured when the model has it; else ``jacobian`` if J fits in
        ``memory_cap`` bytes (same flop count, but one GEMM), else ``ntvp`` in column chunks.

    Works for any callable ``fn(params, X) -> (n,)``; ``wrt`` defaults to ``fn.trainable``.
    """
    method = check_choice(method, "method", METHODS)
    chunk_size = check_chunk_size(chunk_size)
    memory_cap = check_positive_int(memory_cap, "memory_cap")
    fn, params, X, names = prepare(fn, params, X, wrt)
    X2_ = None if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    structured = getattr(fn, "structured_ntk", None)
    if method == "structured" and structured is None:
        raise ValueError(
            f"method='structured' needs a model with a closed-form NTK (e.g. TwoLayerNet); "
            f"{type(fn).__name__} has none: use 'jacobian' or 'ntvp'"
        )
    if method == "auto":
        method, chunk_size = _choose(
            structured is not None, params, names, X, X2_, chunk_size, memory_cap
        )
    if method == "structured":
        return structured(params, X, X2_, names)
    if method == "jacobian":
        J = flat_jacobian(fn, params, X, names, chunk_size)
        J2 = J if X2_ is None else flat_jacobian(fn, params, X2_, names, chunk_size)
        return J @ J2.T
    right = X if X2_ is None else X2_
    sub, fixed = split(params, names)
    eye = torch.eye(right.shape[0], dtype=X.dtype, device=X.device)
    return ntvp_rows(bind(fn, fixed), sub, X, right, eye, chunk_size).T


def _choose(
    has_structured: bool,
    params: Params,
    names: tuple[str, ...],
    X: torch.Tensor,
    X2: torch.Tensor | None,
    chunk_size: int | None,
    memory_cap: int,
) -> tuple[str, int | None]:
    if has_structured:
        return "structured", chunk_size
    p = sum(params[k].numel() for k in names)
    itemsize = X.element_size()
    rows = X.shape[0] + (0 if X2 is None else X2.shape[0])
    if rows * p * itemsize <= memory_cap:
        return "jacobian", chunk_size
    # A column holds a p-vector tangent plus the backward's intermediates; 4p is a rough bound.
    return "ntvp", chunk_size or max(1, memory_cap // (4 * p * itemsize))


def _angles(X: torch.Tensor, X2: torch.Tensor) -> torch.Tensor:
    """Pairwise angles θ_ij ∈ [0, π] by Kahan's formula θ = 2·atan2(‖u − v‖, ‖u + v‖) on unit
    vectors: accurate to a few ulps everywhere, where arccos(uᵀv) loses half the digits near
    θ = 0 and θ = π. Zero rows get θ = π/2 (their kernel entries vanish anyway)."""

    def unit(A: torch.Tensor) -> torch.Tensor:
        norms = torch.linalg.vector_norm(A, dim=1, keepdim=True)
        return A / torch.where(norms > 0, norms, torch.ones_like(norms))

    U, U2 = unit(X), unit(X2)
    mode = "donot_use_mm_for_euclid_dist"  # the matmul expansion cancels for close points
    minus = torch.cdist(U, U2, compute_mode=mode)
    plus = torch.cdist(U, -U2, compute_mode=mode)
    return 2.0 * torch.atan2(minus, plus)


def arccos_kernel(X: object, X2: object | None = None, degree: int = 1) -> torch.Tensor:
    r"""K(x, x') = E_{w ~ N(0, I)}[σ_n(wᵀx) σ_n(wᵀx')] with σ_0 = 1{z ≥ 0}, σ_1 = relu:

    degree 0: (π − θ)/(2π);  degree 1: (‖x‖‖x'‖ sin θ + (π − θ) xᵀx')/(2π).

    This is the m → ∞ limit of the random-feature Gram σ(XWᵀ) σ(X2Wᵀ)ᵀ/m, i.e. half of Cho &
    Saul's (2009) arc-cosine kernel k_n.
    """
    if isinstance(degree, bool) or not isinstance(degree, int) or degree not in (0, 1):
        raise ValueError(f"degree must be 0 or 1; got {degree!r}")
    X = as_matrix(X, "X")
    X2_ = X if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    theta = _angles(X, X2_)
    if degree == 0:
        return (math.pi - theta) / (2 * math.pi)
    norms = torch.outer(torch.linalg.vector_norm(X, dim=1), torch.linalg.vector_norm(X2_, dim=1))
    return (norms * torch.sin(theta) + (math.pi - theta) * (X @ X2_.T)) / (2 * math.pi)


def relu_ntk_infinite(
    X: object, X2: object | None = None, trainable: Iterable[str] = ("W",)
) -> torch.Tensor:
    r"""lim_{m→∞} of ``empirical_ntk`` for ``TwoLayerNet(activation="relu", bias=False)``.

    W block: xᵢᵀxⱼ (π − θᵢⱼ)/(2π) — for unit-norm inputs Du et al.'s H^∞ (ICLR 2019, eq. (5));
    a block (``"a"`` trainable): the degree-1 arc-cosine kernel. Angles are computed stably, so
    entries are accurate to ~1e-15 relative in float64, diagonal included.
    """
    names = check_wrt(trainable, ("W", "a"), name="trainable")
    X = as_matrix(X, "X")
    X2_ = X if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    gram = torch.zeros(X.shape[0], X2_.shape[0], dtype=X.dtype, device=X.device)
    if "W" in names:
        gram += (X @ X2_.T) * arccos_kernel(X, X2_, degree=0)
    if "a" in names:
        gram += arccos_kernel(X, X2_, degree=1)
    return gram


def random_feature_gram(
    X: object,
    W: torch.Tensor,
    activation: str | Activation = "relu",
    X2: object | None = None,
) -> torch.Tensor:
    """σ(X Wᵀ) σ(X2 Wᵀ)ᵀ / m for fixed first-layer weights W (m, d): the Gram of last-layer
    training (the lecture's QQᵀ/m; its m → ∞ limit for relu/step is :func:`arccos_kernel`)."""
    W = as_matrix(W, "W")  # finite, float32/float64, non-empty (m, d); NumPy accepted
    X = as_matrix(X, "X", d=W.shape[1], like=W)
    X2_ = None if X2 is None else as_matrix(X2, "X2", d=W.shape[1], like=W)
    net = TwoLayerNet(W.shape[1], W.shape[0], activation, trainable=("a",))
    params = {"W": W, "a": torch.ones(W.shape[0], dtype=W.dtype, device=W.device)}
    return net.structured_ntk(params, X, X2_)
