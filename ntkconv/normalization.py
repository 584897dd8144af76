"""Normalization layers and dropout as pure functions, and a two-layer net built from them.

``torch.nn.BatchNorm1d`` keeps its running statistics as mutable buffers and ``nn.Dropout``
draws from the global generator: neither composes with ``torch.func`` transforms or gives a
deterministic run. Here the running statistics are a value passed in and returned
(:func:`batch_norm_stats`), and dropout's randomness is a mask drawn from an explicit seed
outside any transform (:func:`dropout_mask`).
"""

from __future__ import annotations

import math

import torch

from ._validation import (
    Params,
    check_choice,
    check_dtype,
    check_interval,
    check_positive_int,
)
from .activations import Activation, get_activation
from .models import ShallowNet, _checked_mask
from .seeds import generator

#: BatchNorm's running statistics: {"mean": (m,), "var": (m,)}.
Stats = dict[str, torch.Tensor]
NORMS = ("batch", "layer", "none")


def batch_norm(H: torch.Tensor, *, eps: float = 1e-5, stats: Stats | None = None) -> torch.Tensor:
    r"""Batch normalization without the affine part (Ioffe & Szegedy, ICML 2015, Alg. 1).

    .. math::

        \hat h_{ir} = \frac{h_{ir} - \mu_r}{\sqrt{\sigma_r^2 + \epsilon}},

    μ_r, σ_r² the mean and the biased variance of unit r over the batch (training mode), or the
    running statistics ``stats`` (evaluation mode). Each unit is normalized on its own, so the
    output is invariant to scaling any unit's pre-activations by c_r > 0 — exactly when ε = 0.

    Args:
        H: (n, m) pre-activations, n ≥ 2 in training mode.
        eps: ε ≥ 0 added to the variance. Default 1e-5 (torch's).
        stats: running statistics {"mean": (m,), "var": (m,)} for evaluation mode; default
            None (normalize with the batch's own statistics).

    Returns:
        The normalized (n, m) tensor.

    Raises:
        ValueError: H is not 2-D, a training batch has fewer than 2 rows, ``eps`` is negative,
            or ``stats`` lacks a key or has the wrong shapes.

    Examples:
        >>> H = torch.tensor([[1.0, 10.0], [3.0, 30.0]], dtype=torch.float64)
        >>> batch_norm(H, eps=0.0)
        tensor([[-1., -1.],
                [ 1.,  1.]], dtype=torch.float64)
    """
    eps = _check_eps(eps)
    _check_pre_activations(H, need_batch=stats is None)
    if stats is None:
        mean, var = H.mean(dim=0), H.var(dim=0, unbiased=False)
    else:
        _check_stats(stats, H.shape[1])
        mean, var = stats["mean"], stats["var"]
    return (H - mean) / torch.sqrt(var + eps)


def batch_norm_stats(H: torch.Tensor, stats: Stats | None = None, momentum: float = 0.1) -> Stats:
    """The running statistics after one training batch, as ``nn.BatchNorm1d`` updates them:
    (1 − momentum)·old + momentum·batch, with the batch's *unbiased* variance.

    Args:
        H: (n, m) pre-activations of the batch, n ≥ 2.
        stats: the statistics so far; default None (torch's start: mean 0, var 1).
        momentum: a number in [0, 1]. Default 0.1.

    Returns:
        New {"mean", "var"} tensors; ``stats`` is not modified.

    Raises:
        ValueError: as :func:`batch_norm`, or ``momentum`` outside [0, 1].

    Examples:
        >>> H = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
        >>> {k: v.tolist() for k, v in batch_norm_stats(H, momentum=0.5).items()}
        {'mean': [0.5], 'var': [1.5]}
    """
    _check_pre_activations(H, need_batch=True)
    momentum = check_interval(momentum, "momentum", 0.0, 1.0, closed=(True, True))
    m = H.shape[1]
    if stats is None:
        stats = {"mean": H.new_zeros(m), "var": H.new_ones(m)}
    _check_stats(stats, m)
    return {
        "mean": (1 - momentum) * stats["mean"] + momentum * H.mean(dim=0),
        "var": (1 - momentum) * stats["var"] + momentum * H.var(dim=0, unbiased=True),
    }


def layer_norm(H: torch.Tensor, *, eps: float = 1e-5) -> torch.Tensor:
    r"""Layer normalization without the affine part (Ba, Kiros & Hinton 2016): each row of H is
    centred and divided by √(its biased variance over the m units + ε). The output is invariant
    to scaling a row's pre-activations by one c > 0 (exactly when ε = 0) — not to scaling units
    separately.

    Args:
        H: (n, m) pre-activations, m ≥ 2.
        eps: ε ≥ 0. Default 1e-5.

    Returns:
        The normalized (n, m) tensor.

    Raises:
        ValueError: H is not 2-D with at least 2 columns, or ``eps`` is negative.

    Examples:
        >>> layer_norm(torch.tensor([[1.0, 3.0]], dtype=torch.float64), eps=0.0)
        tensor([[-1.,  1.]], dtype=torch.float64)
    """
    eps = _check_eps(eps)
    _check_pre_activations(H, need_batch=False)
    if H.shape[1] < 2:
        raise ValueError(f"layer_norm needs at least 2 units (columns); got shape {tuple(H.shape)}")
    mean = H.mean(dim=1, keepdim=True)
    var = H.var(dim=1, unbiased=False, keepdim=True)
    return (H - mean) / torch.sqrt(var + eps)


def dropout_mask(
    shape: tuple[int, ...],
    p: float,
    seed: int | torch.Generator,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """An inverted-dropout mask: each entry 0 with probability p, else 1/(1 − p) (so E = 1).

    Drawn on the CPU from ``seed`` and moved, so a seed gives the same mask on every device; a
    mask is data, drawn once outside ``grad``/``vmap`` and passed to the model, so a GD step
    and its gradient see the same units dropped (Srivastava et al., JMLR 2014).

    Args:
        shape: the mask's shape, e.g. (n, m).
        p: the drop probability, in [0, 1).
        seed: an integer seed (see :func:`ntkconv.check_seed`) or a CPU ``torch.Generator``
            to draw from and advance — one stream for the fresh mask of every training step.
        dtype: float64 (default) or float32.
        device: where the mask goes (default: the CPU).

    Returns:
        The mask tensor.

    Raises:
        ValueError: ``p`` outside [0, 1) or a non-positive dimension in ``shape``.

    Examples:
        >>> dropout_mask((2, 3), 0.5, seed=0).tolist()
        [[2.0, 2.0, 0.0], [2.0, 2.0, 2.0]]
        >>> stream = generator(0)  # successive masks from one stream: the first as above
        >>> torch.equal(dropout_mask((2, 3), 0.5, stream), dropout_mask((2, 3), 0.5, seed=0))
        True
    """
    p = check_interval(p, "p", 0.0, 1.0, closed=(True, False))
    shape = tuple(check_positive_int(s, "shape entry") for s in shape)
    gen = seed if isinstance(seed, torch.Generator) else generator(seed)
    keep = torch.rand(shape, generator=gen, dtype=torch.float64) >= p
    return (keep.double() / (1 - p)).to(dtype=check_dtype(dtype), device=device)


class NormalizedNet(ShallowNet):
    r"""A two-layer net with a normalization between the first layer and the activation:

    .. math::

        f(x) = \frac{1}{\sqrt m} \sum_r a_r\,\sigma\big(N(Wx + b)_r\big)\,(\times\ \text{mask}),

    N = :func:`batch_norm` (over the batch), :func:`layer_norm` (over the units) or the
    identity. With N = BatchNorm the loss is invariant to scaling each row w_r by c_r > 0, with
    LayerNorm to scaling W by one c > 0 — exactly when ε = 0 and, for LayerNorm, without ``b``
    (BatchNorm subtracts a bias before it exactly). Params ``W`` (m, d), ``b`` (m,) if
    ``bias``, ``a`` (m,); trainable: ``W`` (and ``b``).

    Args:
        d: input dimension, an integer ≥ 1.
        width: m, an integer ≥ 2.
        norm: ``"batch"`` (default), ``"layer"`` or ``"none"``.
        activation: a name or :class:`ntkconv.Activation`. Default ``"relu"``.
        bias: add ``b`` before the normalization. Default False.
        eps: the normalization's ε ≥ 0. Default 1e-5.

    Raises:
        ValueError: a bad dimension, norm name or ε.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.NormalizedNet(d=3, width=8, norm="batch", eps=0.0)
        >>> params, X = net.init(0), nc.sphere_inputs(5, 3, seed=1)
        >>> c = torch.arange(1.0, 9.0, dtype=torch.float64)[:, None]  # one scale per unit
        >>> scaled = {**params, "W": c * params["W"]}
        >>> torch.allclose(net(params, X), net(scaled, X), rtol=1e-12, atol=0)
        True
    """

    def __init__(
        self,
        d: int,
        width: int,
        norm: str = "batch",
        activation: str | Activation = "relu",
        bias: bool = False,
        eps: float = 1e-5,
    ) -> None:
        self.d = check_positive_int(d, "d")
        self.width = check_positive_int(width, "width")
        if self.width < 2:
            raise ValueError(f"width must be at least 2 (normalization over units); got {width}")
        self.norm = check_choice(norm, "norm", NORMS)
        self.activation = get_activation(activation)
        self.bias = bool(bias)
        self.eps = _check_eps(eps)
        self._set_trainable(("W", "b") if self.bias else ("W",))

    def __repr__(self) -> str:
        return (
            f"NormalizedNet(d={self.d}, width={self.width}, norm={self.norm!r}, "
            f"activation={self.activation.name!r}, bias={self.bias}, eps={self.eps:g})"
        )

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes {``"W"``: (m, d), ``"b"``: (m,) if ``bias``, ``"a"``: (m,)}."""
        shapes: dict[str, tuple[int, ...]] = {"W": (self.width, self.d)}
        if self.bias:
            shapes["b"] = (self.width,)
        shapes["a"] = (self.width,)
        return shapes

    def pre_activations(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Wx + b for every input, shape (n, m): what the normalization sees (and what
        :func:`batch_norm_stats` tracks)."""
        self._check_call(params, X)
        H = X @ params["W"].T
        return H + params["b"] if self.bias else H

    def __call__(
        self,
        params: Params,
        X: torch.Tensor,
        *,
        stats: Stats | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """f(X), shape (n,).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs of the params' dtype (n ≥ 2 for BatchNorm in training mode).
            stats: BatchNorm's running statistics for evaluation mode (ignored otherwise).
            mask: an (n, m) dropout mask (:func:`dropout_mask`) applied after σ; default none.

        Raises:
            KeyError, ValueError, TypeError: as :class:`TwoLayerNet`, or a mask of the wrong
                shape or dtype.
        """
        H = self.pre_activations(params, X)
        if self.norm == "batch":
            H = batch_norm(H, eps=self.eps, stats=stats)
        elif self.norm == "layer":
            H = layer_norm(H, eps=self.eps)
        Z = self.activation(H)
        if mask is not None:
            Z = Z * _checked_mask(mask, Z)
        return Z @ params["a"] / math.sqrt(self.width)


def _check_eps(eps: object) -> float:
    return check_interval(eps, "eps", 0.0, math.inf, closed=(True, False))


def _check_pre_activations(H: object, *, need_batch: bool) -> None:
    if not isinstance(H, torch.Tensor) or H.ndim != 2:
        got = tuple(H.shape) if isinstance(H, torch.Tensor) else type(H).__name__
        raise ValueError(f"H must be a 2-D tensor of pre-activations (n, m); got {got}")
    if need_batch and H.shape[0] < 2:
        raise ValueError(
            f"batch statistics need at least 2 rows; got n = {H.shape[0]} "
            "(pass stats= for evaluation mode)"
        )


def _check_stats(stats: object, m: int) -> None:
    if not isinstance(stats, dict) or set(stats) != {"mean", "var"}:
        raise ValueError("stats must be a dict with keys 'mean' and 'var'")
    for key, value in stats.items():
        if tuple(value.shape) != (m,):
            raise ValueError(f"stats[{key!r}] must have shape ({m},); got {tuple(value.shape)}")
