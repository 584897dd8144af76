"""Jacobians, JVPs/VJPs, Hessian-vector and NTK-vector products with ``torch.func``.

Conventions: a model is ``fn(params, X) -> (n,)`` (an ``(n, 1)`` output, e.g. an ``nn.Module``
ending in ``Linear(k, 1)``, is squeezed to ``(n,)``; any other shape is refused, see
:func:`scalar_model`); ``wrt`` names the params differentiated
(default: ``fn.trainable`` for ntkconv models, else every param); the flattened parameter vector
concatenates the ``wrt`` params in the params dict's order, each raveled row-major.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import torch
from torch._C._functorch import is_functorch_wrapped_tensor
from torch.func import grad, jacrev, vmap
from torch.func import jvp as _jvp
from torch.func import vjp as _vjp

from ._validation import Params, as_matrix, check_chunk_size, check_params, check_wrt

Model = Callable[[Params, torch.Tensor], torch.Tensor]
Bound = Callable[[Params, torch.Tensor], torch.Tensor]


def resolve_wrt(fn: object, params: Params, wrt: Iterable[str] | str | None) -> tuple[str, ...]:
    """The differentiated params: ``wrt``, else ``fn.trainable``, else all of ``params``."""
    if wrt is None:
        wrt = getattr(fn, "trainable", None) or tuple(params)
    return check_wrt(wrt, params.keys())


def split(params: Params, names: Iterable[str]) -> tuple[Params, Params]:
    """(differentiated, fixed) parts of a params dict."""
    chosen = set(names)
    return (
        {k: v for k, v in params.items() if k in chosen},
        {k: v for k, v in params.items() if k not in chosen},
    )


def bind(fn: Model, fixed: Params) -> Bound:
    """``fn`` as a function of the differentiated params only."""
    return lambda sub, X: fn({**fixed, **sub}, X)


def ravel(tree: Params, names: Iterable[str] | None = None) -> torch.Tensor:
    """Concatenate the named tensors, each raveled row-major, into one vector.

    This is the flattened parameter vector whose coordinates index the columns of
    :func:`jacobian`; :func:`unravel` inverts it.

    Args:
        tree: a dict {name: tensor}, e.g. params, gradients or tangents.
        names: the keys to concatenate, in this order (default: all keys, in the dict's
            order). Pass a tuple or list: a bare string is read as its characters.

    Returns:
        A 1-D tensor of length Σ numel, in the tensors' common dtype.

    Raises:
        ValueError: ``names`` lists keys that ``tree`` lacks.

    Examples:
        >>> ravel({"W": torch.ones(2, 2), "a": torch.zeros(2)})
        tensor([1., 1., 1., 1., 0., 0.])
        >>> ravel({"W": torch.ones(2, 2), "a": torch.zeros(2)}, names=("a",))
        tensor([0., 0.])
    """
    keys = tuple(tree) if names is None else ((names,) if isinstance(names, str) else tuple(names))
    missing = [k for k in keys if k not in tree]
    if missing:
        raise ValueError(f"names lists keys {missing} that the dict lacks; it has {list(tree)}")
    return torch.cat([tree[k].reshape(-1) for k in keys])


def unravel(vector: torch.Tensor, like: Params) -> Params:
    """Split a flat vector back into a dict: the inverse of :func:`ravel`.

    Args:
        vector: a 1-D tensor of length Σ ``like[k].numel()``.
        like: a dict whose keys (in order) and shapes the result takes; only shapes are
            read, not dtype or device.

    Returns:
        A dict {name: tensor of ``like[name]``'s shape}; the entries are views into
        ``vector`` (same dtype and device as it).

    Raises:
        ValueError: ``vector`` is not a 1-D tensor of the right length.

    Examples:
        >>> like = {"W": torch.ones(2, 2), "a": torch.zeros(2)}
        >>> unravel(torch.arange(6.0), like)
        {'W': tensor([[0., 1.], [2., 3.]]), 'a': tensor([4., 5.])}
        >>> torch.equal(ravel(unravel(torch.arange(6.0), like)), torch.arange(6.0))
        True
    """
    total = sum(v.numel() for v in like.values())
    if not isinstance(vector, torch.Tensor) or vector.ndim != 1 or vector.shape[0] != total:
        shape = tuple(vector.shape) if isinstance(vector, torch.Tensor) else type(vector).__name__
        raise ValueError(f"vector must have shape ({total},) to fill like's shapes; got {shape}")
    out, start = {}, 0
    for k, v in like.items():
        out[k] = vector[start : start + v.numel()].reshape(v.shape)
        start += v.numel()
    return out


class _Squeezed:
    """A model with (n, 1) outputs seen as one with (n,) outputs; attributes (``trainable``,
    ``activation_pattern`` …) are the wrapped model's."""

    def __init__(self, fn: Model) -> None:
        self.fn = fn

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        return self.fn(params, X).squeeze(-1)

    def __getattr__(self, name: str) -> object:
        return getattr(self.fn, name)


def _probe(fn: Model, params: Params, X: torch.Tensor, name: str) -> tuple[torch.Tensor, int]:
    """``fn`` on the first (at most two) rows of X: its output and the number of rows."""
    rows = X[: min(2, X.shape[0])]
    out = fn(params, rows)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name}(params, X) must return a torch.Tensor; got {type(out).__name__}")
    if out.dtype != X.dtype:
        raise TypeError(
            f"{name}(params, X) returned {out.dtype} outputs for {X.dtype} inputs and params; "
            "compute in the params' dtype"
        )
    return out, rows.shape[0]


def scalar_model(fn: Model, params: Params, X: torch.Tensor, name: str = "fn") -> Model:
    """The output-shape rule for scalar models, checked on a two-row probe.

    Args:
        fn: a model ``fn(params, X)``.
        params: validated params.
        X: validated (n, d) inputs.
        name: the argument's name, for the error message.

    Returns:
        ``fn`` itself when it returns shape (n,); a wrapper squeezing the last axis when it
        returns (n, 1), as an ``nn.Module`` regressor does.

    Raises:
        TypeError: ``fn`` returns no tensor, or one of another dtype than X.
        ValueError: any other output shape, e.g. (n, k) logits (train those with
            ``loss="cross_entropy"``) or a scalar.
    """
    out, b = _probe(fn, params, X, name)
    shape = tuple(out.shape)
    if shape == (b,):
        return fn
    if shape == (b, 1):
        return _Squeezed(fn)
    hint = "; (n, k) logits take loss='cross_entropy'" if out.ndim == 2 else ""
    raise ValueError(
        f"{name}(params, X) must return shape (n,) or (n, 1); got {shape} for n = {b}{hint}"
    )


def logits_model(fn: Model, params: Params, X: torch.Tensor, name: str = "model") -> int:
    """Check that ``fn`` returns (n, k) logits with k ≥ 2; returns k."""
    out, b = _probe(fn, params, X, name)
    if out.ndim != 2 or out.shape[0] != b or out.shape[1] < 2:
        raise ValueError(
            f"loss='cross_entropy' needs {name}(params, X) to return (n, k) logits with k >= 2; "
            f"got {tuple(out.shape)} for n = {b}"
        )
    return int(out.shape[1])


def prepare(
    fn: Model, params: Params, X: object, wrt: Iterable[str] | str | None, name: str = "X"
) -> tuple[Model, Params, torch.Tensor, tuple[str, ...]]:
    """Validate a (model, params, X, wrt) call once, at the public boundary; returns the model
    under the output-shape rule of :func:`scalar_model`."""
    params = check_params(params)
    X = as_matrix(X, name, like=next(iter(params.values())))
    names = resolve_wrt(fn, params, wrt)
    return scalar_model(fn, params, X), params, X, names


def jacobian_blocks(
    fn: Model, params: Params, X: torch.Tensor, names: tuple[str, ...], chunk_size: int | None
) -> Params:
    """Per-parameter Jacobian {name: (n, *shape)}: per-sample ``jacrev`` under ``vmap``.

    Per-sample differentiation keeps memory at O(n·p); ``jacrev`` of the batched output would
    also push every one-hot cotangent through all n samples (O(n²·m) intermediates).
    """
    sub, fixed = split(params, names)
    f = bind(fn, fixed)

    def single(s: Params, x: torch.Tensor) -> torch.Tensor:
        return f(s, x.unsqueeze(0)).squeeze(0)

    return vmap(jacrev(single), in_dims=(None, 0), chunk_size=chunk_size)(sub, X)


def jacobian(
    fn: Model,
    params: Params,
    X: object,
    wrt: Iterable[str] | str | None = None,
    *,
    chunk_size: int | None = None,
    flat: bool = True,
) -> torch.Tensor | Params:
    """The Jacobian J = ∂fn(params, X)/∂params[wrt] of a scalar-output model.

    Computed per sample (``vmap`` of ``jacrev``), so memory stays O(n·p).

    Args:
        fn: a model ``fn(params, X)`` returning (n,) outputs ((n, 1) is squeezed), e.g. an
            ntkconv model or a functional wrapper of an ``nn.Module``.
        params: dict of float32 or float64 tensors of one dtype and device, finite; they are
            detached first.
        X: (n, d) inputs, a tensor or NumPy array of the params' dtype, finite.
        wrt: the differentiated params (default: ``fn.trainable`` for ntkconv models, else all
            of ``params``).
        chunk_size: how many samples are differentiated at once (default: all); bounds memory.
        flat: return the (n, p) matrix (default) rather than the per-parameter blocks.

    Returns:
        With ``flat=True``, the (n, p) matrix whose columns follow :func:`ravel` of the
        ``wrt`` params (in the params dict's order); otherwise a dict {name: (n, *shape)}.
        Same dtype and device as ``params``.

    Raises:
        TypeError: ``params`` is not a non-empty dict of float32/float64 tensors of one dtype
            and device; ``X`` has another type or dtype; ``fn`` returns no tensor or one of
            another dtype.
        ValueError: ``X`` is not a finite, non-empty (n, d) matrix, a param is non-finite or
            on another device than ``X``, ``wrt`` names unknown params, ``chunk_size`` is not
            an integer ≥ 1, or ``fn``'s outputs are neither (n,) nor (n, 1).

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> jacobian(net, params, X).shape
        torch.Size([4, 150])
        >>> blocks = jacobian(net, params, X, wrt=("W", "a"), flat=False)
        >>> {k: tuple(v.shape) for k, v in blocks.items()}
        {'W': (4, 50, 3), 'a': (4, 50)}
        >>> linear = nc.LinearModel(d=3)
        >>> torch.equal(jacobian(linear, linear.init(0), X), X)
        True
    """
    chunk_size = check_chunk_size(chunk_size)
    fn, params, X, names = prepare(fn, params, X, wrt)
    if not flat:
        return jacobian_blocks(fn, params, X, names, chunk_size)
    return flat_jacobian(fn, params, X, names, chunk_size)


def flat_jacobian(
    fn: Model, params: Params, X: torch.Tensor, names: tuple[str, ...], chunk_size: int | None
) -> torch.Tensor:
    """The (n, p) Jacobian: :func:`jacobian_blocks` raveled and concatenated in ``names`` order."""
    blocks = jacobian_blocks(fn, params, X, names, chunk_size)
    return torch.cat([blocks[k].reshape(X.shape[0], -1) for k in names], dim=1)


def _check_like(tree: object, like: Params, name: str) -> Params:
    """A dict with ``like``'s keys, shapes, dtype and device (the tangents of a JVP/HVP)."""
    if not isinstance(tree, Mapping) or set(tree) != set(like):
        raise ValueError(f"{name} must be a dict with keys {sorted(like)}")
    for k, v in like.items():
        t = tree[k]
        if not isinstance(t, torch.Tensor) or t.shape != v.shape:
            raise ValueError(f"{name}[{k!r}] must be a tensor of shape {tuple(v.shape)}")
        _same_kind(t, v, f"{name}[{k!r}]")
        if not is_functorch_wrapped_tensor(t) and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name}[{k!r}] contains NaN or inf")
    return {k: tree[k] for k in like}


def _same_kind(t: torch.Tensor, ref: torch.Tensor, name: str) -> None:
    if t.dtype != ref.dtype or t.device != ref.device:
        raise TypeError(
            f"{name} is {t.dtype} on {t.device}; the parameters are {ref.dtype} on {ref.device}"
        )


def jvp(
    fn: Model,
    params: Params,
    X: object,
    tangents: Params,
    wrt: Iterable[str] | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The outputs and the Jacobian-vector product J·v (forward mode), J never formed.

    Args:
        fn: a model ``fn(params, X)`` returning (n,) outputs ((n, 1) is squeezed).
        params: dict of float32/float64 tensors of one dtype and device, finite.
        X: (n, d) inputs of the params' dtype, finite.
        tangents: the direction v, a dict with exactly the ``wrt`` keys, each of that param's
            shape, dtype and device.
        wrt: the differentiated params (default: ``fn.trainable``, else all).

    Returns:
        (fn(params, X), J·v), both of shape (n,).

    Raises:
        TypeError: invalid ``params`` or ``X`` (as :func:`jacobian`), or a tangent of another
            dtype or device than the params.
        ValueError: invalid ``X``/``wrt``/outputs (as :func:`jacobian`), ``tangents`` without
            exactly the ``wrt`` keys, a tangent of the wrong shape, or one with NaN/inf.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> v = {"W": torch.ones(50, 3, dtype=torch.float64)}
        >>> u, Jv = jvp(net, params, X, v)
        >>> Jv.shape, torch.allclose(Jv, jacobian(net, params, X) @ ravel(v))
        (torch.Size([4]), True)
    """
    fn, params, X, names = prepare(fn, params, X, wrt)
    sub, fixed = split(params, names)
    v = _check_like(tangents, sub, "tangents")
    f = bind(fn, fixed)
    return _jvp(lambda s: f(s, X), (sub,), (v,))


def vjp(
    fn: Model,
    params: Params,
    X: object,
    cotangent: torch.Tensor,
    wrt: Iterable[str] | str | None = None,
) -> Params:
    """The vector-Jacobian product Jᵀ·c (reverse mode), as a dict over the ``wrt`` params.

    For c = u − y this is the gradient of the loss ½‖u − y‖² with respect to ``wrt``.

    Args:
        fn: a model ``fn(params, X)`` returning (n,) outputs ((n, 1) is squeezed).
        params: dict of float32/float64 tensors of one dtype and device, finite.
        X: (n, d) inputs of the params' dtype, finite.
        cotangent: c, a finite tensor of shape (n,) of the params' dtype and device.
        wrt: the differentiated params (default: ``fn.trainable``, else all).

    Returns:
        A dict {name: tensor of that param's shape} for the ``wrt`` params; its
        :func:`ravel` is Jᵀc.

    Raises:
        TypeError: invalid ``params`` or ``X`` (as :func:`jacobian`), or a cotangent of
            another dtype or device than the params.
        ValueError: invalid ``X``/``wrt``/outputs (as :func:`jacobian`), a cotangent that
            is not a tensor of shape (n,), or one with NaN/inf.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> c = torch.ones(4, dtype=torch.float64)
        >>> g = vjp(net, params, X, c)
        >>> list(g), torch.allclose(ravel(g), jacobian(net, params, X).T @ c)
        (['W'], True)
    """
    fn, params, X, names = prepare(fn, params, X, wrt)
    if not isinstance(cotangent, torch.Tensor) or tuple(cotangent.shape) != (X.shape[0],):
        raise ValueError(f"cotangent must be a tensor of shape ({X.shape[0]},)")
    _same_kind(cotangent, X, "cotangent")
    if not bool(torch.isfinite(cotangent).all()):
        raise ValueError("cotangent contains NaN or inf")
    sub, fixed = split(params, names)
    f = bind(fn, fixed)
    _, pullback = _vjp(lambda s: f(s, X), sub)
    return pullback(cotangent)[0]


def hvp(
    loss_fn: Callable[[Params], torch.Tensor],
    params: Params,
    tangents: Params,
    wrt: Iterable[str] | str | None = None,
) -> Params:
    """The Hessian-vector product ∇²L(params)·v of a scalar ``loss_fn(params)``.

    By reverse-over-reverse differentiation (the pullback of ∇L; see :func:`hvp_fn`); the
    Hessian is never formed. Parameters outside ``wrt`` are held fixed.

    Args:
        loss_fn: ``loss_fn(params) -> scalar tensor``, twice differentiable by ``torch.func``;
            it receives the full params dict.
        params: dict of float32/float64 tensors of one dtype and device, finite.
        tangents: the direction v, a dict with exactly the ``wrt`` keys, each of that param's
            shape, dtype and device.
        wrt: the differentiated params (default: all of ``params``; there is no model whose
            ``trainable`` could be used).

    Returns:
        ∇²L·v as a dict {name: tensor of that param's shape} over the ``wrt`` params.

    Raises:
        TypeError: ``params`` is not a non-empty dict of float32/float64 tensors of one dtype
            and device, or a tangent of another dtype or device.
        ValueError: a param is non-finite, ``wrt`` names unknown params, or ``tangents`` lacks
            exactly the ``wrt`` keys, has a wrong shape or contains NaN/inf.

    Examples:
        >>> loss = lambda p: (p["w"] ** 3).sum()  # ∇²L = diag(6 w)
        >>> hvp(loss, {"w": torch.tensor([1.0, 2.0])}, {"w": torch.tensor([1.0, 1.0])})
        {'w': tensor([ 6., 12.])}
    """
    params = check_params(params)
    names = resolve_wrt(None, params, wrt)
    sub, fixed = split(params, names)
    v = _check_like(tangents, sub, "tangents")
    return hvp_fn(loss_fn, sub, fixed)(v)


def hvp_fn(
    loss_fn: Callable[[Params], torch.Tensor], sub: Params, fixed: Params
) -> Callable[[Params], Params]:
    """v ↦ ∇²L·v at ``sub`` (differentiated) with ``fixed`` held constant; no validation.

    Reverse-over-reverse: ∇L is linearized once (``vjp`` of ``grad``) and the pullback, which
    equals the HVP because the Hessian is symmetric, is reused for every v — an order of
    magnitude faster per product than forward-over-reverse when many products are taken at one
    point, as Lanczos does."""
    _, pullback = _vjp(grad(lambda s: loss_fn({**fixed, **s})), sub)
    return lambda v: pullback(v)[0]


def ntvp_rows(
    f: Bound,
    sub: Params,
    X: torch.Tensor,
    X2: torch.Tensor,
    V: torch.Tensor,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Rows of (Θ(X, X2) Vᵀ)ᵀ for V of shape (k, n2): J(X)·(J(X2)ᵀ v) per row v, never forming J."""
    _, pullback = _vjp(lambda s: f(s, X2), sub)

    def one(v: torch.Tensor) -> torch.Tensor:
        (tangent,) = pullback(v)
        return _jvp(lambda s: f(s, X), (sub,), (tangent,))[1]

    return vmap(one, chunk_size=chunk_size)(V)


def ntk_vector_product(
    fn: Model,
    params: Params,
    X: object,
    V: torch.Tensor,
    X2: object | None = None,
    wrt: Iterable[str] | str | None = None,
) -> torch.Tensor:
    """The NTK-vector product Θ(X, X2)·V = J(X) J(X2)ᵀ V, J never formed.

    One VJP and one JVP per column of V (neural-tangents' "NTK-vector products"); memory O(p)
    per column. Under gradient flow on ½‖u − y‖², du/dt = −Θ(X, X)(u − y).

    Args:
        fn: a model ``fn(params, X)`` returning (n,) outputs ((n, 1) is squeezed).
        params: dict of float32/float64 tensors of one dtype and device, finite.
        X: (n, d) inputs of the params' dtype, finite.
        V: a finite tensor of shape (n2,) or (n2, k), of the params' dtype and device.
        X2: (n2, d) second inputs (default: ``X``, so n2 = n).
        wrt: the differentiated params (default: ``fn.trainable``, else all).

    Returns:
        Θ(X, X2) V, shape (n,) for a vector V and (n, k) for a matrix V.

    Raises:
        TypeError: invalid ``params``, ``X`` or ``X2`` (as :func:`jacobian`), or ``V`` of
            another dtype or device than the params.
        ValueError: invalid ``X``/``X2``/``wrt``/outputs (as :func:`jacobian`; ``X2`` must
            have d columns), ``V`` not of shape (n2,) or (n2, k), or ``V`` with NaN/inf.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> V = torch.eye(4, dtype=torch.float64)[:, :2]
        >>> TV = ntk_vector_product(net, params, X, V)
        >>> TV.shape, torch.allclose(TV, nc.empirical_ntk(net, params, X) @ V)
        (torch.Size([4, 2]), True)
    """
    fn, params, X, names = prepare(fn, params, X, wrt)
    X2_ = X if X2 is None else as_matrix(X2, "X2", d=X.shape[1], like=X)
    if not isinstance(V, torch.Tensor) or V.ndim not in (1, 2) or V.shape[0] != X2_.shape[0]:
        raise ValueError(f"V must have shape ({X2_.shape[0]},) or ({X2_.shape[0]}, k)")
    _same_kind(V, X, "V")
    if not bool(torch.isfinite(V).all()):
        raise ValueError("V contains NaN or inf")
    sub, fixed = split(params, names)
    rows = ntvp_rows(bind(fn, fixed), sub, X, X2_, (V[None] if V.ndim == 1 else V.T))
    return rows.T.reshape(X.shape[0], *V.shape[1:])
