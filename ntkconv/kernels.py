"""Neural tangent kernels: finite-width (three methods) and the infinite-width ReLU limit;
shift-invariant kernels and their random Fourier features.

Gram convention throughout: G = J Jᵀ with J = ∂f(X)/∂params[trainable] (no loss factor), so
for the loss ½‖u − y‖², gradient flow gives du/dt = −G (u − y) (Du et al. 2019, eq. (4)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from ._validation import (
    Params,
    as_matrix,
    check_choice,
    check_chunk_size,
    check_dtype,
    check_positive_float,
    check_positive_int,
    check_wrt,
)
from .activations import Activation
from .autodiff import Model, bind, flat_jacobian, ntvp_rows, prepare, split
from .models import TwoLayerNet
from .seeds import generator

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
    """The empirical (finite-width) NTK Θ(X, X2) = J(X) J(X2)ᵀ.

    J = ∂fn(X)/∂params[wrt], with no loss factor, so for the loss ½‖u − y‖² gradient flow
    gives du/dt = −Θ(X, X)(u − y) (Du et al. 2019, eq. (4)). ``method`` chooses how:

    * ``"structured"`` — the model's closed form (``TwoLayerNet``: any activation, W/b/a
      blocks), O(n·n2·(d + m)) work, J never formed;
    * ``"jacobian"`` — per-sample ``vmap(jacrev)`` then one matrix product, O(n·n2·p);
    * ``"ntvp"`` — J(X)·(J(X2)ᵀ e_j) column by column (one VJP + one JVP each), J never
      formed;
    * ``"auto"`` — structured when the model has it; else ``jacobian`` if J fits in
      ``memory_cap`` bytes (same flop count, but one GEMM), else ``ntvp`` in column chunks.

    Works for any callable ``fn(params, X) -> (n,)`` (an (n, 1) output is squeezed).

    Args:
        fn: the model ``fn(params, X)``; one with a ``structured_ntk`` method (e.g.
            :class:`ntkconv.TwoLayerNet`) gets the closed form.
        params: dict of float32 or float64 tensors of one dtype and device, finite; the Gram
            is computed in this dtype (pass float64 params for spectra).
        X: (n, d) inputs, a tensor or NumPy array of the params' dtype, finite.
        X2: (n2, d) second inputs (default: ``X``, giving the symmetric (n, n) Gram).
        wrt: the differentiated params (default: ``fn.trainable`` for ntkconv models, else
            all of ``params``).
        method: ``"auto"`` (default), ``"structured"``, ``"jacobian"`` or ``"ntvp"``.
        chunk_size: samples (``"jacobian"``) or columns (``"ntvp"``) processed at once
            (default: all, except that ``"auto"`` picks a chunk for ``"ntvp"`` to fit
            ``memory_cap``); ignored by ``"structured"``.
        memory_cap: bytes J(X) and J(X2) may take for ``"auto"`` to form them (default
            2 GiB).

    Returns:
        Θ(X, X2), shape (n, n2), in the dtype and on the device of ``params``.

    Raises:
        TypeError: ``params`` is not a non-empty dict of float32/float64 tensors of one dtype
            and device, ``X``/``X2`` has another type or dtype, or ``fn`` returns no tensor
            or one of another dtype.
        ValueError: an unknown ``method``, ``chunk_size``/``memory_cap`` not an integer ≥ 1,
            ``X``/``X2`` not finite non-empty matrices with the same d (or on another
            device), a non-finite param, ``wrt`` naming unknown params, ``fn``'s outputs
            neither (n,) nor (n, 1), or ``method="structured"`` for a model without a
            closed form.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> G = empirical_ntk(net, params, X)  # closed form for TwoLayerNet
        >>> G.shape, bool(torch.allclose(G, G.T))
        (torch.Size([4, 4]), True)
        >>> X2 = nc.sphere_inputs(3, 3, seed=2)
        >>> K = empirical_ntk(net, params, X, X2, method="ntvp")
        >>> K.shape, torch.allclose(K, empirical_ntk(net, params, X, X2, method="jacobian"))
        (torch.Size([4, 3]), True)
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
    r"""The arc-cosine kernel K(x, x') = E_{w ~ N(0, I)}[σ_n(wᵀx) σ_n(wᵀx')].

    With σ_0 = 1{z ≥ 0} (degree 0) and σ_1 = relu (degree 1), and θ the angle between x and x':

    degree 0: (π − θ)/(2π);  degree 1: (‖x‖‖x'‖ sin θ + (π − θ) xᵀx')/(2π).

    This is the m → ∞ limit of the random-feature Gram σ(XWᵀ) σ(X2Wᵀ)ᵀ/m
    (:func:`random_feature_gram` with W ~ N(0, I)), i.e. half of Cho & Saul's (2009)
    arc-cosine kernel k_n. Angles use Kahan's formula θ = 2·atan2(‖u − v‖, ‖u + v‖) on unit
    vectors, accurate near θ = 0 and θ = π where arccos(uᵀv) loses half the digits; a zero row
    gets θ = π/2.

    Args:
        X: (n, d) inputs, a float32/float64 tensor or NumPy array, finite.
        X2: (n2, d) second inputs of X's dtype (default: ``X``).
        degree: 0 or 1 (default 1).

    Returns:
        K(X, X2), shape (n, n2), in X's dtype.

    Raises:
        TypeError: ``X`` or ``X2`` is not a float32/float64 tensor or array, or ``X2``'s
            dtype differs from ``X``'s.
        ValueError: ``degree`` is not 0 or 1, or ``X``/``X2`` are not finite, non-empty
            matrices with the same number of columns (on the same device).

    Examples:
        >>> X = torch.eye(2, dtype=torch.float64)  # two orthogonal unit vectors
        >>> arccos_kernel(X, degree=0)
        tensor([[0.5000, 0.2500], [0.2500, 0.5000]], dtype=torch.float64)
        >>> arccos_kernel(X, degree=1)  # off-diagonal: 1/(2π)
        tensor([[0.5000, 0.1592], [0.1592, 0.5000]], dtype=torch.float64)
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
    r"""The infinite-width NTK: lim_{m→∞} of ``empirical_ntk`` for a relu ``TwoLayerNet``.

    For ``TwoLayerNet(activation="relu", bias=False)`` at its default initialization
    (``init(scale=1)``):

    * W block: xᵢᵀxⱼ (π − θᵢⱼ)/(2π) — for unit-norm inputs Du et al.'s H^∞ (ICLR 2019,
      eq. (5)); it does not depend on the init scale (> 0);
    * a block (``"a"`` trainable): the degree-1 arc-cosine kernel (:func:`arccos_kernel`),
      which scales with scale² for ``init(scale=...)``.

    Angles are computed stably, so entries are accurate to ~1e-15 relative in float64,
    diagonal included.

    Args:
        X: (n, d) inputs, a float32/float64 tensor or NumPy array, finite.
        X2: (n2, d) second inputs of X's dtype (default: ``X``).
        trainable: the trained layers, ``"W"`` and/or ``"a"`` (default ``("W",)``, as
            ``TwoLayerNet``'s default).

    Returns:
        The limit Gram, shape (n, n2), in X's dtype.

    Raises:
        TypeError: ``X``/``X2`` of the wrong type or dtype, or ``trainable`` not names.
        ValueError: ``trainable`` empty, repeated or naming anything but ``"W"``/``"a"``, or
            ``X``/``X2`` not finite, non-empty matrices with the same number of columns.

    Examples:
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(4, 3, seed=1)
        >>> H = relu_ntk_infinite(X)
        >>> H.diagonal()  # xᵀx (π − 0)/(2π) = 1/2 on the sphere
        tensor([0.5000, 0.5000, 0.5000, 0.5000], dtype=torch.float64)
        >>> net = nc.TwoLayerNet(d=3, width=20_000)
        >>> bool((empirical_ntk(net, net.init(0), X) - H).abs().max() < 0.01)
        True
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


@dataclass(frozen=True)
class DeepKernels:
    """The infinite-width kernels of a deep relu net (:func:`relu_kernels_infinite`).

    Attributes:
        ntk: lim_(m→∞) of ``empirical_ntk`` (the differentiated params as in the call), (n, n2).
        nngp: the output's covariance at init, lim E[f(x) f(x')], (n, n2).
    """

    ntk: torch.Tensor
    nngp: torch.Tensor


def _t_cos_minus_sin(t: torch.Tensor) -> torch.Tensor:
    """t·cos t − sin t, by its Taylor series Σ_k (−1)^k 2k t^(2k+1)/(2k+1)! for |t| < 1/2, where
    the closed form cancels to ~ε/t² relative (the value is ≈ −t³/3)."""
    series = torch.zeros_like(t)
    term = t.clone()  # t^(2k+1)/(2k+1)!, k = 0
    for k in range(1, 13):
        term = -term * t * t / ((2 * k) * (2 * k + 1))
        series = series + 2 * k * term
    return torch.where(t.abs() < 0.5, series, t * torch.cos(t) - torch.sin(t))


def relu_kernels_infinite(
    X: object,
    X2: object | None = None,
    *,
    depth: int,
    bias: bool = False,
    train_output: bool = False,
) -> DeepKernels:
    r"""The infinite-width NTK and NNGP of a relu :class:`ntkconv.DeepNet` MLP, by the layer
    recursion (Jacot, Gabriel, Hongler 2018; Arora, Du, Hu, Li, Salakhutdinov, Wang, NeurIPS
    2019, "On exact computation with an infinitely wide neural net", eqs. (4)–(6)).

    For ``DeepNet(d, (m,)·L, bias=bias)`` at its default init (NTK parametrization, c_σ = 2,
    every W_l, b_l ~ N(0, 1), hidden layers trained) as m → ∞, with β = 1 if ``bias`` else 0:

        Σ_1 = xᵀx' + β,   Σ_(l+1) = 2·E[relu(u) relu(v)] + β,   Θ_1 = Σ_1,
        Θ_(l+1) = 2·E[1{u>0}1{v>0}]·Θ_l + Σ_(l+1),   (u, v) ~ N(0, Σ_l on {x, x'}),

    and f's kernels are NNGP = Σ_(L+1) − β and NTK = Θ_(L+1) − Σ_(L+1) (+ NNGP when the output
    layer ``a`` is trained too). The expectations are the arc-cosine forms
    √(Σ_xx Σ_x'x')·(sin θ + (π − θ) cos θ)/(2π) and (π − θ)/(2π), θ the angle of the pair under
    Σ_l. **Stability**: θ is never taken from arccos of a correlation, which loses half the
    digits near ±1. The recursion carries, per pair, D = E(u − v)² and D' = E(u + v)² next to
    Σ_xx, Σ_x'x' (updated in closed form, the near-cancelling t·cos t − sin t by its series), and
    θ = 2·atan2(√(D − (a − b)²), √(D' − (a − b)²)) with a, b = √Σ_xx, √Σ_x'x' — Kahan's formula
    of :func:`arccos_kernel`, one layer at a time. Entries then hold ~1e-15 relative for pairs
    at any angle when the two inputs have equal norms (e.g. on the sphere); for unequal norms
    D − (a − b)² can still cancel.

    Args:
        X: (n, d) inputs, a float32/float64 tensor or NumPy array, finite.
        X2: (n2, d) second inputs of X's dtype (default: ``X``).
        depth: L, the number of hidden layers, an integer ≥ 1.
        bias: the net has hidden biases (trained). Default False.
        train_output: add the output layer's block. Default False (``DeepNet``'s default).

    Returns:
        A :class:`DeepKernels` with ``ntk`` and ``nngp``, each (n, n2) in X's dtype.

    Raises:
        TypeError: ``X``/``X2`` of the wrong type or dtype.
        ValueError: ``depth`` is not an integer ≥ 1, or ``X``/``X2`` are not finite, non-empty
            matrices with the same number of columns.

    Examples:
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(3, 4, seed=0)
        >>> K = relu_kernels_infinite(X, depth=1)
        >>> bool(torch.allclose(K.ntk, nc.relu_ntk_infinite(X) * 2))  # c_σ = 2 at the output
        True
        >>> K.nngp.diagonal().round(decimals=12)  # 2·E relu(u)² = ‖x‖² = 1 at every depth
        tensor([1., 1., 1.], dtype=torch.float64)
    """
    depth = check_positive_int(depth, "depth")
    X = as_matrix(X, "X")
    X2_ = X if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    beta = 1.0 if bias else 0.0
    mode = "donot_use_mm_for_euclid_dist"  # the matmul expansion cancels for close points
    sxx = (X * X).sum(1)[:, None] + beta
    syy = (X2_ * X2_).sum(1)[None, :] + beta
    sxy = X @ X2_.T + beta
    minus = torch.cdist(X, X2_, compute_mode=mode) ** 2  # D = E(u − v)²: the bias cancels
    plus = torch.cdist(X, -X2_, compute_mode=mode) ** 2 + 4 * beta
    theta_ntk = sxy.clone()
    for _ in range(depth):
        a, b = sxx.sqrt(), syy.sqrt()
        gap = (a - b) ** 2
        theta = 2 * torch.atan2((minus - gap).clamp(min=0).sqrt(), (plus - gap).clamp(min=0).sqrt())
        # h = sin θ + (π − θ) cos θ, g = π − h: each from the series where it is small
        g_small = 2 * math.pi * torch.sin(theta / 2) ** 2 + _t_cos_minus_sin(theta)
        h_small = -_t_cos_minus_sin(math.pi - theta)
        near_zero = theta <= math.pi / 2
        g = torch.where(near_zero, g_small, math.pi - h_small)
        h = torch.where(near_zero, math.pi - g_small, h_small)
        ab = a * b
        dot_deriv = (math.pi - theta) / (2 * math.pi)
        # the next layer: c_σ = 2 times the arc-cosine expectations, plus β
        sxy = ab * h / math.pi + beta
        minus = gap + 2 * ab * g / math.pi
        plus = (a * a + b * b) + 2 * ab * h / math.pi + 4 * beta
        sxx, syy = sxx + beta, syy + beta  # 2·E relu(u)² + β = Σ_xx + β
        theta_ntk = 2 * dot_deriv * theta_ntk + sxy
    nngp = sxy - beta
    ntk = theta_ntk - sxy + (nngp if train_output else 0.0)
    return DeepKernels(ntk=ntk, nngp=nngp)


def random_feature_gram(
    X: object,
    W: torch.Tensor,
    activation: str | Activation = "relu",
    X2: object | None = None,
) -> torch.Tensor:
    """The random-feature Gram σ(X Wᵀ) σ(X2 Wᵀ)ᵀ / m for fixed first-layer weights W.

    The Gram of last-layer training (the lecture's QQᵀ/m): the ``a`` block of a
    :class:`ntkconv.TwoLayerNet` NTK. Its m → ∞ limit for W ~ N(0, I) is
    :func:`arccos_kernel` (degree 1 for relu, degree 0 for step).

    Args:
        X: (n, d) inputs of W's dtype, finite (tensor or NumPy array).
        W: (m, d) first-layer weights, a finite float32/float64 tensor or NumPy array.
        activation: a name for :func:`ntkconv.get_activation` or an
            :class:`ntkconv.Activation`. Default ``"relu"``.
        X2: (n2, d) second inputs of W's dtype (default: ``X``).

    Returns:
        The Gram, shape (n, n2), in W's dtype and on W's device.

    Raises:
        TypeError: ``W``, ``X`` or ``X2`` not a float32/float64 tensor or array, an input
            dtype different from W's, or an ``activation`` of the wrong type.
        ValueError: ``W``, ``X`` or ``X2`` not finite, non-empty matrices with d columns (or
            on another device), or an unknown activation name.

    Examples:
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(4, 3, seed=1)
        >>> W = torch.randn(20_000, 3, generator=nc.generator(0), dtype=torch.float64)
        >>> Q = random_feature_gram(X, W)
        >>> Q.shape, bool((Q - arccos_kernel(X)).abs().max() < 0.05)
        (torch.Size([4, 4]), True)
    """
    W = as_matrix(W, "W")  # finite, float32/float64, non-empty (m, d); NumPy accepted
    X = as_matrix(X, "X", d=W.shape[1], like=W)
    X2_ = None if X2 is None else as_matrix(X2, "X2", d=W.shape[1], like=W)
    net = TwoLayerNet(W.shape[1], W.shape[0], activation, trainable=("a",))
    params = {"W": W, "a": torch.ones(W.shape[0], dtype=W.dtype, device=W.device)}
    return net.structured_ntk(params, X, X2_)


#: Shift-invariant kernels with random Fourier features: k(Δ) and the law of the frequencies.
SHIFT_INVARIANT = ("gaussian", "laplacian")


def shift_invariant_kernel(
    X: object, X2: object | None = None, *, kernel: str = "gaussian", bandwidth: float = 1.0
) -> torch.Tensor:
    r"""A shift-invariant kernel k(x − x') in closed form.

    gaussian: exp(−‖x − x'‖²/(2σ²));  laplacian: exp(−‖x − x'‖₁/σ)  (σ = ``bandwidth``).

    Args:
        X: (n, d) inputs, a float32/float64 tensor or NumPy array, finite.
        X2: (n2, d) second inputs of X's dtype (default: ``X``).
        kernel: one of :data:`SHIFT_INVARIANT`. Default ``"gaussian"``.
        bandwidth: σ, a finite number > 0. Default 1.

    Returns:
        K(X, X2), shape (n, n2), in X's dtype.

    Raises:
        TypeError: ``X``/``X2`` of the wrong type or dtype.
        ValueError: an unknown ``kernel``, a ``bandwidth`` not > 0, or ``X``/``X2`` not
            finite, non-empty matrices with the same number of columns.

    Examples:
        >>> X = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
        >>> math.isclose(shift_invariant_kernel(X)[0, 1].item(), math.exp(-1.0))
        True
        >>> math.isclose(shift_invariant_kernel(X, kernel="laplacian")[0, 1].item(), math.exp(-2.0))
        True
    """
    kernel = check_choice(kernel, "kernel", SHIFT_INVARIANT)
    sigma = check_positive_float(bandwidth, "bandwidth")
    X = as_matrix(X, "X")
    X2_ = X if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    if kernel == "gaussian":
        return torch.exp(-(torch.cdist(X, X2_) ** 2) / (2 * sigma**2))
    return torch.exp(-torch.cdist(X, X2_, p=1) / sigma)


@dataclass(frozen=True)
class FourierFeatures:
    """Random Fourier features z(x) = √(2/N)·cos(Ωx + b) (Rahimi & Recht 2007, §3).

    Attributes:
        omega: (N, d) frequencies ω_j, drawn from the kernel's spectral density.
        phase: (N,) phases b_j ~ U[0, 2π].
    """

    omega: torch.Tensor
    phase: torch.Tensor

    def __call__(self, X: object) -> torch.Tensor:
        """The features of (n, d) inputs, shape (n, N), in the frequencies' dtype and device.

        Raises:
            TypeError: ``X`` is not a float tensor or array of the frequencies' dtype.
            ValueError: ``X`` is not a finite, non-empty matrix with d columns.
        """
        X = as_matrix(X, "X", d=self.omega.shape[1], like=self.omega)
        return math.sqrt(2 / self.omega.shape[0]) * torch.cos(X @ self.omega.T + self.phase)


def random_fourier_features(
    d: int,
    n_features: int,
    *,
    kernel: str = "gaussian",
    bandwidth: float = 1.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> FourierFeatures:
    r"""Draw random Fourier features for a shift-invariant kernel (Rahimi & Recht, "Random
    features for large-scale kernel machines", NIPS 2007, Algorithm 1).

    By Bochner's theorem k(x − x') = E_ω[cos(ωᵀ(x − x'))] with ω from the kernel's spectral
    density p: N(0, I/σ²) for the gaussian kernel, independent Cauchy(0, 1/σ) coordinates for the
    laplacian one. With b ~ U[0, 2π], E[2cos(ωᵀx + b)cos(ωᵀx' + b)] = k(x − x'), so
    z(x)ᵀz(x') is a mean of N i.i.d. terms in [−2, 2], unbiased for k(x, x') (Hoeffding:
    P(|z(x)ᵀz(x') − k| ≥ ε) ≤ 2exp(−Nε²/8)).

    Args:
        d: input dimension, an integer ≥ 1.
        n_features: N, an integer ≥ 1.
        kernel: one of :data:`SHIFT_INVARIANT`. Default ``"gaussian"``.
        bandwidth: σ of :func:`shift_invariant_kernel`, a finite number > 0. Default 1.
        seed: the draw's seed (:func:`ntkconv.check_seed`); one seed gives one feature map, so
            features of two input sets from the same call are consistent.
        dtype: ``torch.float64`` (default) or ``torch.float32``.
        device: where the frequencies go (drawn on the CPU, then moved). Default the CPU.

    Returns:
        A :class:`FourierFeatures` map.

    Raises:
        ValueError: ``d`` or ``n_features`` not an integer ≥ 1, an unknown ``kernel``, a
            ``bandwidth`` not > 0, or a bad ``seed``.
        TypeError: ``dtype`` not a float dtype.

    Examples:
        >>> import ntkconv as nc
        >>> X = nc.sphere_inputs(5, 3, seed=1)
        >>> z = random_fourier_features(3, 20_000, seed=0)
        >>> err = (z(X) @ z(X).T - shift_invariant_kernel(X)).abs().max()
        >>> bool(err < 0.05)
        True
    """
    d = check_positive_int(d, "d")
    n_features = check_positive_int(n_features, "n_features")
    kernel = check_choice(kernel, "kernel", SHIFT_INVARIANT)
    sigma = check_positive_float(bandwidth, "bandwidth")
    dtype = check_dtype(dtype)
    gen = generator(seed)
    if kernel == "gaussian":
        omega = torch.randn(n_features, d, generator=gen, dtype=torch.float64) / sigma
    else:  # Cauchy by inversion: tan(π(U − ½))
        u = torch.rand(n_features, d, generator=gen, dtype=torch.float64)
        omega = torch.tan(math.pi * (u - 0.5)) / sigma
    phase = 2 * math.pi * torch.rand(n_features, generator=gen, dtype=torch.float64)
    return FourierFeatures(
        omega.to(dtype=dtype, device=device), phase.to(dtype=dtype, device=device)
    )
