"""Shallow networks as pure functions of a params dict (``torch.func`` style).

A model is a callable ``net(params, X) -> (n,)``. The object holds only the architecture
(widths, activation, which params are trainable); the weights live in the dict, so any
``torch.func`` transform (``grad``, ``jacrev``, ``vmap`` over stacked params) applies directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from ._validation import (
    Params,
    check_choice,
    check_dtype,
    check_interval,
    check_positive_float,
    check_positive_int,
    check_wrt,
)
from .activations import Activation, get_activation
from .seeds import generator


class ShallowNet:
    """Shared plumbing: parameter shapes, seeded init, shape checks on params and inputs."""

    d: int
    activation: Activation
    trainable: tuple[str, ...]

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, in the params dict's order.

        Returns:
            A dict {name: shape}; this order is the order of the flattened parameter vector.
        """
        raise NotImplementedError

    def _set_trainable(self, trainable: Iterable[str]) -> None:
        self.trainable = check_wrt(trainable, self.param_shapes(), name="trainable")

    def init(
        self,
        seed: int = 0,
        *,
        scale: float = 1.0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> Params:
        """Du et al. (2019) initialization: hidden weights and biases ~ N(0, scale²),
        output weights a_r ~ Unif{±1}.

        Every parameter other than ``a`` (including a classifier's ``A`` and a linear model's
        ``w``, ``b``) is N(0, scale²). Draws happen on the CPU in float64 from
        ``torch.Generator().manual_seed(seed)`` and are then moved, so a seed gives the same
        weights on every device and dtype.

        Args:
            seed: an integer in [0, 2^63) (see :func:`ntkconv.check_seed`). Default 0.
            scale: the standard deviation of the Gaussian parameters, a finite number ≥ 0;
                ``scale=0`` zeroes them (``a`` stays ±1). Default 1.
            dtype: ``torch.float64`` (default) or ``torch.float32``.
            device: where the tensors go (default: the CPU).

        Returns:
            A params dict {name: tensor} with the shapes of :meth:`param_shapes`, all of one
            dtype and device, not requiring grad.

        Raises:
            TypeError: ``seed`` is not an integer, or ``dtype`` is not float32/float64.
            ValueError: ``seed`` is out of range, or ``scale`` is not a finite number ≥ 0.

        Examples:
            >>> net = TwoLayerNet(d=3, width=50)
            >>> params = net.init(seed=0)
            >>> {k: (tuple(v.shape), v.dtype) for k, v in params.items()}
            {'W': ((50, 3), torch.float64), 'a': ((50,), torch.float64)}
            >>> bool(params["a"].abs().eq(1).all())
            True
            >>> torch.equal(net.init(0, dtype=torch.float32)["W"], params["W"].float())
            True
        """
        gen = generator(seed)
        dtype = check_dtype(dtype)
        scale = check_interval(scale, "scale", 0, math.inf, closed=(True, False))
        params: Params = {}
        for name, shape in self.param_shapes().items():
            if name == "a":
                signs = torch.randint(0, 2, shape, generator=gen, dtype=torch.float64)
                value = 2.0 * signs - 1.0
            else:
                value = float(scale) * torch.randn(shape, generator=gen, dtype=torch.float64)
            params[name] = value.to(device=device, dtype=dtype)
        return params

    def n_params(self, wrt: Iterable[str] | None = None) -> int:
        """The number p of scalar parameters in ``wrt``: the width of the (n, p) Jacobian.

        Args:
            wrt: parameter names (default: :attr:`trainable`).

        Returns:
            The total number of entries of the named parameters.

        Raises:
            TypeError: ``wrt`` is not a name or a collection of names.
            ValueError: ``wrt`` is empty, repeats a name or names an unknown parameter.

        Examples:
            >>> net = TwoLayerNet(d=3, width=50)
            >>> net.n_params(), net.n_params(wrt=("W", "a"))
            (150, 200)
        """
        names = self.trainable if wrt is None else check_wrt(wrt, self.param_shapes())
        return sum(math.prod(self.param_shapes()[k]) for k in names)

    def _check_params(self, params: Params) -> None:
        for name, shape in self.param_shapes().items():
            if name not in params:
                expected = list(self.param_shapes())
                raise KeyError(f"params is missing {name!r}; expected keys {expected}")
            if tuple(params[name].shape) != shape:
                raise ValueError(
                    f"params[{name!r}] must have shape {shape}; got {tuple(params[name].shape)}"
                )

    def _check_call(self, params: Params, X: torch.Tensor) -> None:
        # Shape-only checks: they read logical shapes, so they also work under vmap.
        self._check_params(params)
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a torch.Tensor; got {type(X).__name__}")
        if X.ndim != 2 or X.shape[1] != self.d:
            got = f"{X.shape[1]} columns" if X.ndim == 2 else f"shape {tuple(X.shape)}"
            raise ValueError(f"X must have shape (n, {self.d}) (d = {self.d} columns); got {got}")
        dtype = next(iter(params.values())).dtype
        if X.dtype != dtype:
            raise TypeError(f"X has dtype {X.dtype} but the parameters are {dtype}")


class TwoLayerNet(ShallowNet):
    r"""Two-layer network f(x) = aᵀ σ(W x + b) / √m (Du, Zhai, Póczos, Singh, ICLR 2019, eq. (1)).

    A pure function of a params dict: ``net(params, X)`` maps (n, d) inputs to (n,) outputs.
    Params: ``W`` (m, d), ``a`` (m,), and ``b`` (m,) when ``bias=True``. ``trainable`` names the
    params that Jacobians, Grams and training differentiate (default: ``W`` only, ``a`` fixed,
    as in Du et al.). The model has a closed-form NTK (:meth:`structured_ntk`), which
    :func:`ntkconv.empirical_ntk` uses by default.

    Args:
        d: input dimension, an integer ≥ 1.
        width: number m of hidden units, an integer ≥ 1.
        activation: a name for :func:`ntkconv.get_activation` or an
            :class:`ntkconv.Activation`. Default ``"relu"``.
        trainable: the differentiated params, a subset of ``W``, ``a`` (and ``b``); stored in
            the params dict's order. Default ``("W",)``.
        bias: add the hidden bias ``b``. Default False.

    Attributes:
        d: input dimension.
        width: hidden width m.
        activation: the resolved :class:`ntkconv.Activation`.
        trainable: tuple of the trainable parameter names.
        bias: whether ``b`` is a parameter.

    Raises:
        ValueError: ``d`` or ``width`` is not an integer ≥ 1, an unknown activation name, or
            ``trainable`` empty, repeated or naming an unknown parameter.
        TypeError: ``activation`` of the wrong type, or ``trainable`` not names.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> net
        TwoLayerNet(d=3, width=50, activation='relu', trainable=('W',), bias=False)
        >>> params = net.init(seed=0)
        >>> net(params, nc.sphere_inputs(4, 3, seed=1)).shape
        torch.Size([4])
    """

    def __init__(
        self,
        d: int,
        width: int,
        activation: str | Activation = "relu",
        trainable: Iterable[str] = ("W",),
        bias: bool = False,
    ) -> None:
        self.d = check_positive_int(d, "d")
        self.width = check_positive_int(width, "width")
        self.activation = get_activation(activation)
        self.bias = bool(bias)
        self._set_trainable(trainable)

    def __repr__(self) -> str:
        return (
            f"TwoLayerNet(d={self.d}, width={self.width}, activation={self.activation.name!r}, "
            f"trainable={self.trainable}, bias={self.bias})"
        )

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes {``"W"``: (m, d), ``"a"``: (m,)}, plus ``"b"``: (m,) when ``bias=True``.

        Returns:
            A dict {name: shape} in the params dict's order.

        Examples:
            >>> TwoLayerNet(d=3, width=5, bias=True).param_shapes()
            {'W': (5, 3), 'a': (5,), 'b': (5,)}
        """
        shapes = {"W": (self.width, self.d), "a": (self.width,)}
        if self.bias:
            shapes["b"] = (self.width,)
        return shapes

    def preactivations(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Hidden pre-activations Z = X Wᵀ (+ b).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            Z, shape (n, m).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.TwoLayerNet(d=3, width=50)
            >>> net.preactivations(net.init(0), nc.sphere_inputs(4, 3, seed=1)).shape
            torch.Size([4, 50])
        """
        self._check_call(params, X)
        return self._preactivations(params, X)

    def _preactivations(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        Z = X @ params["W"].T
        return Z + params["b"] if self.bias else Z

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """The outputs f(X) = σ(Z) a / √m.

        Shape checks only (they work under ``vmap``); values are checked by the public entry
        points (:func:`ntkconv.train`, :func:`ntkconv.jacobian`, …).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            f(X), shape (n,).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.
        """
        Z = self.preactivations(params, X)
        return self.activation(Z) @ params["a"] / math.sqrt(self.width)

    def stacked(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """f(X) for S members at once, as batched matmuls: what ``vmap(net)`` computes, at the
        cost of a hand-written ensemble (vmap's wrapping costs as much as a step of a small
        net; :func:`ntkconv.train_ensemble` uses this method when a model has one).

        Args:
            params: stacked params, a leading axis S on every tensor
                (:func:`ntkconv.stack_params`).
            X: (n, d) inputs shared by the members, or (S, n, d) one set per member.

        Returns:
            The outputs, shape (S, n).

        Examples:
            >>> import ntkconv as nc
            >>> from torch.func import vmap
            >>> net = nc.TwoLayerNet(d=3, width=50, bias=True)
            >>> params = nc.stack_params([net.init(seed=s) for s in range(2)])
            >>> X = nc.sphere_inputs(4, 3, seed=1)
            >>> out = net.stacked(params, X)
            >>> out.shape, torch.allclose(out, vmap(net, in_dims=(0, None))(params, X))
            (torch.Size([2, 4]), True)
        """
        Z = X @ params["W"].mT  # (S, n, m)
        if self.bias:
            Z = Z + params["b"].unsqueeze(-2)
        out = self.activation(Z) @ params["a"].unsqueeze(-1)
        return out.squeeze(-1) / math.sqrt(self.width)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Which hidden units are active (Z > 0) on each input.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            A bool tensor of shape (n, m).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.TwoLayerNet(d=3, width=50)
            >>> S = net.activation_pattern(net.init(0), nc.sphere_inputs(4, 3, seed=1))
            >>> S.shape, S.dtype
            (torch.Size([4, 50]), torch.bool)
        """
        return self.preactivations(params, X) > 0

    def structured_ntk(
        self,
        params: Params,
        X: torch.Tensor,
        X2: torch.Tensor | None = None,
        wrt: Iterable[str] | None = None,
    ) -> torch.Tensor:
        r"""Closed-form Gram J(X) J(X2)ᵀ, never forming J; O(n·n2·(d + m)) work.

        The Gram is the sum of one block per differentiated parameter:

        * W block: (X X2ᵀ) ∘ (S diag(a²) S2ᵀ)/m, with S = σ'(Z);
        * b block: S diag(a²) S2ᵀ/m (the W block without the X X2ᵀ factor);
        * a block: σ(Z) σ(Z2)ᵀ/m (the random-feature Gram).

        It equals the Jacobian route of :func:`ntkconv.empirical_ntk` to rounding, because σ'
        is autograd's derivative (see :class:`ntkconv.Activation`). Shape checks only, so it
        runs under ``vmap`` over stacked params.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            X2: (n2, d) second inputs (default: ``X``, giving the symmetric (n, n) Gram).
            wrt: the differentiated params (default: :attr:`trainable`).

        Returns:
            Θ(X, X2), shape (n, n2), in the params' dtype.

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter, ``X`` or ``X2`` has the wrong shape, or ``wrt`` is
                empty, repeated or names an unknown parameter.
            TypeError: ``X`` or ``X2`` is not a tensor or not of the params' dtype, or
                ``wrt`` is not names.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.TwoLayerNet(d=3, width=50)
            >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
            >>> G = net.structured_ntk(params, X)
            >>> G.shape, torch.allclose(G, nc.empirical_ntk(net, params, X, method="jacobian"))
            (torch.Size([4, 4]), True)
        """
        names = self.trainable if wrt is None else check_wrt(wrt, self.param_shapes())
        m = self.width
        self._check_call(params, X)
        if X2 is not None:
            self._check_call(params, X2)
        Z = self._preactivations(params, X)
        Z2 = Z if X2 is None else self._preactivations(params, X2)
        X2_ = X if X2 is None else X2
        # Blocks are summed out of place so the function also runs under vmap (ensembles).
        blocks = []
        if "W" in names or "b" in names:
            S = self.activation.deriv(Z)
            S2 = S if X2 is None else self.activation.deriv(Z2)
            core = (S * (params["a"] ** 2 / m)) @ S2.T
            if "W" in names:
                blocks.append((X @ X2_.T) * core)
            if "b" in names:
                blocks.append(core)
        if "a" in names:
            F = self.activation(Z)
            F2 = F if X2 is None else self.activation(Z2)
            blocks.append(F @ F2.T / m)
        return torch.stack(blocks).sum(dim=0) if len(blocks) > 1 else blocks[0]

    def output_hessian_norm(
        self, params: Params, X: torch.Tensor, wrt: Iterable[str] | None = None
    ) -> torch.Tensor:
        r"""Spectral norm ‖∇²_θ f(x)‖₂ of each output's Hessian in the differentiated params, in
        closed form; O(n·m·d) work, the Hessian never formed.

        Units do not interact, so the Hessian is block diagonal with one block per hidden unit.
        With u = (x if ``W`` is differentiated, 1 if ``b`` is), z = w·x (+ b), unit r's block
        acts on span{u, e_{a_r}} only, as the 2×2 matrix

            (1/√m) [[a_r σ''(z) ‖u‖², σ'(z) ‖u‖], [σ'(z) ‖u‖, 0]]

        (the off-diagonal entries only when ``a`` is differentiated), so ‖∇²f(x)‖₂ is the
        largest over r of (|p_r| + √(p_r² + 4q_r²))/2 with p_r, q_r its entries. For σ with
        bounded σ', σ'' this is O(m^{-1/2}): the "transition to linearity" of wide networks
        (Liu, Zhu, Belkin, NeurIPS 2020, "On the linearity of large non-linear models", §3).
        σ'' is the derivative of :attr:`Activation.deriv` by forward-mode autograd (0 for the
        piecewise-linear activations, away from their kinks).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            wrt: the differentiated params (default: :attr:`trainable`).

        Returns:
            The n norms, shape (n,), in the params' dtype (all zero when only ``a`` is
            differentiated: f is linear in a).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape, or ``wrt`` is empty,
                repeated or names an unknown parameter.
            TypeError: ``X`` is not a tensor or not of the params' dtype, or ``wrt`` is not
                names.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.TwoLayerNet(d=3, width=64, activation="tanh", trainable=("W", "a"))
            >>> params, X = net.init(0), nc.sphere_inputs(2, 3, seed=1)
            >>> h = net.output_hessian_norm(params, X)
            >>> lanczos = nc.hessian_eigenvalue(lambda p: net(p, X[:1]).sum(), params)
            >>> bool(torch.isclose(h[0], torch.tensor(abs(lanczos), dtype=h.dtype)))
            True
        """
        names = self.trainable if wrt is None else check_wrt(wrt, self.param_shapes())
        self._check_call(params, X)
        Z = self._preactivations(params, X)
        sq = torch.zeros(X.shape[0], 1, dtype=X.dtype, device=X.device)  # ‖u‖²
        if "W" in names:
            sq = sq + (X**2).sum(dim=1, keepdim=True)
        if "b" in names:
            sq = sq + 1
        root_m = math.sqrt(self.width)
        deriv2 = torch.func.jvp(self.activation.deriv, (Z,), (torch.ones_like(Z),))[1]
        p = params["a"] * deriv2 * sq / root_m
        q = self.activation.deriv(Z) * sq.sqrt() / root_m if "a" in names else torch.zeros_like(Z)
        return ((p.abs() + (p**2 + 4 * q**2).sqrt()) / 2).amax(dim=1)


class ThreeLayerNet(ShallowNet):
    r"""Three-layer network f(x) = aᵀ σ(W2 σ(W1 x + b1)/√m1 + b2) / √m2 (NTK scaling).

    Two hidden layers, ``net(params, X)`` mapping (n, d) inputs to (n,) outputs. Params:
    ``W1`` (m1, d), ``W2`` (m2, m1), ``a`` (m2,), plus ``b1`` (m1,), ``b2`` (m2,) when
    ``bias=True``. Default trainable: both hidden layers (``W1``, ``W2``), output fixed. It has
    no closed-form NTK: :func:`ntkconv.empirical_ntk` goes through the Jacobian.

    Args:
        d: input dimension, an integer ≥ 1.
        width1: first hidden width m1, an integer ≥ 1.
        width2: second hidden width m2 (default: ``width1``).
        activation: a name for :func:`ntkconv.get_activation` or an
            :class:`ntkconv.Activation`, used in both hidden layers. Default ``"relu"``.
        trainable: the differentiated params. Default ``("W1", "W2")``.
        bias: add the hidden biases ``b1``, ``b2``. Default False.

    Attributes:
        d: input dimension.
        width1: first hidden width m1.
        width2: second hidden width m2.
        activation: the resolved :class:`ntkconv.Activation`.
        trainable: tuple of the trainable parameter names.
        bias: whether ``b1``, ``b2`` are parameters.

    Raises:
        ValueError: a dimension is not an integer ≥ 1, an unknown activation name, or
            ``trainable`` empty, repeated or naming an unknown parameter.
        TypeError: ``activation`` of the wrong type, or ``trainable`` not names.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.ThreeLayerNet(d=3, width1=20, width2=10)
        >>> net.param_shapes()
        {'W1': (20, 3), 'W2': (10, 20), 'a': (10,)}
        >>> net(net.init(0), nc.sphere_inputs(4, 3, seed=1)).shape
        torch.Size([4])
    """

    def __init__(
        self,
        d: int,
        width1: int,
        width2: int | None = None,
        activation: str | Activation = "relu",
        trainable: Iterable[str] = ("W1", "W2"),
        bias: bool = False,
    ) -> None:
        self.d = check_positive_int(d, "d")
        self.width1 = check_positive_int(width1, "width1")
        self.width2 = check_positive_int(width1 if width2 is None else width2, "width2")
        self.activation = get_activation(activation)
        self.bias = bool(bias)
        self._set_trainable(trainable)

    def __repr__(self) -> str:
        return (
            f"ThreeLayerNet(d={self.d}, width1={self.width1}, width2={self.width2}, "
            f"activation={self.activation.name!r}, trainable={self.trainable}, bias={self.bias})"
        )

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes ``W1`` (m1, d), ``W2`` (m2, m1), ``a`` (m2,) (+ ``b1`` (m1,), ``b2`` (m2,)).

        Returns:
            A dict {name: shape} in the params dict's order.
        """
        shapes = {
            "W1": (self.width1, self.d),
            "W2": (self.width2, self.width1),
            "a": (self.width2,),
        }
        if self.bias:
            shapes |= {"b1": (self.width1,), "b2": (self.width2,)}
        return shapes

    def preactivations(self, params: Params, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pre-activations of both hidden layers.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            (Z1, Z2) with Z1 = X W1ᵀ (+ b1), shape (n, m1), and
            Z2 = σ(Z1) W2ᵀ / √m1 (+ b2), shape (n, m2).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.ThreeLayerNet(d=3, width1=20, width2=10)
            >>> Z1, Z2 = net.preactivations(net.init(0), nc.sphere_inputs(4, 3, seed=1))
            >>> Z1.shape, Z2.shape
            (torch.Size([4, 20]), torch.Size([4, 10]))
        """
        self._check_call(params, X)
        Z1 = X @ params["W1"].T
        if self.bias:
            Z1 = Z1 + params["b1"]
        Z2 = self.activation(Z1) @ params["W2"].T / math.sqrt(self.width1)
        if self.bias:
            Z2 = Z2 + params["b2"]
        return Z1, Z2

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """The outputs f(X) = σ(Z2) a / √m2.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            f(X), shape (n,).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.
        """
        _, Z2 = self.preactivations(params, X)
        return self.activation(Z2) @ params["a"] / math.sqrt(self.width2)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Active units (Z > 0) of both hidden layers on each input.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            A bool tensor of shape (n, m1 + m2): layer 1's units, then layer 2's.

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.ThreeLayerNet(d=3, width1=20, width2=10)
            >>> net.activation_pattern(net.init(0), nc.sphere_inputs(4, 3, seed=1)).shape
            torch.Size([4, 30])
        """
        Z1, Z2 = self.preactivations(params, X)
        return torch.cat([Z1 > 0, Z2 > 0], dim=1)


def _checked_mask(mask: object, hidden: torch.Tensor) -> torch.Tensor:
    """A dropout mask of the hidden layer's (n, m) shape and dtype, else a clear error."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor; got {type(mask).__name__}")
    if tuple(mask.shape) != tuple(hidden.shape):
        raise ValueError(
            f"mask must have shape {tuple(hidden.shape)} (n, width); got {tuple(mask.shape)}"
        )
    if mask.dtype != hidden.dtype:
        raise TypeError(f"mask has dtype {mask.dtype} but the parameters are {hidden.dtype}")
    return mask


class TwoLayerClassifier(ShallowNet):
    r"""Two-layer classifier with logits f(x) = A σ(W x + b) / √m, shape (n, k).

    The two-layer net of :class:`TwoLayerNet` with k outputs, for cross-entropy training on k
    classes (``ntkconv.train(..., loss="cross_entropy")``); the scalar-output tools
    (:func:`ntkconv.jacobian`, :func:`ntkconv.empirical_ntk`) refuse its (n, k) outputs.
    Params: ``W`` (m, d), ``b`` (m,), ``A`` (k, m), all N(0, scale²) at init (NTK scaling: the
    1/√m keeps the logits O(1) at any width). Default trainable: all three.

    Args:
        d: input dimension, an integer ≥ 1.
        width: number m of hidden units, an integer ≥ 1.
        classes: number k of classes, an integer ≥ 2.
        activation: a name for :func:`ntkconv.get_activation` or an
            :class:`ntkconv.Activation`. Default ``"relu"``.
        trainable: the differentiated params. Default ``("W", "b", "A")``.

    Attributes:
        d: input dimension.
        width: hidden width m.
        classes: number of classes k.
        activation: the resolved :class:`ntkconv.Activation`.
        trainable: tuple of the trainable parameter names.

    Raises:
        ValueError: ``d``, ``width`` or ``classes`` is not an integer ≥ 1, ``classes`` < 2,
            an unknown activation name, or ``trainable`` empty, repeated or naming an
            unknown parameter.
        TypeError: ``activation`` of the wrong type, or ``trainable`` not names.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerClassifier(d=3, width=16, classes=4)
        >>> net.param_shapes()
        {'W': (16, 3), 'b': (16,), 'A': (4, 16)}
        >>> net(net.init(0), nc.sphere_inputs(5, 3, seed=1)).shape
        torch.Size([5, 4])
    """

    def __init__(
        self,
        d: int,
        width: int,
        classes: int,
        activation: str | Activation = "relu",
        trainable: Iterable[str] = ("W", "b", "A"),
    ) -> None:
        self.d = check_positive_int(d, "d")
        self.width = check_positive_int(width, "width")
        self.classes = check_positive_int(classes, "classes")
        if self.classes < 2:
            raise ValueError(f"classes must be >= 2 (logits for cross-entropy); got {classes}")
        self.activation = get_activation(activation)
        self._set_trainable(trainable)

    def __repr__(self) -> str:
        return (
            f"TwoLayerClassifier(d={self.d}, width={self.width}, classes={self.classes}, "
            f"activation={self.activation.name!r}, trainable={self.trainable})"
        )

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes {``"W"``: (m, d), ``"b"``: (m,), ``"A"``: (k, m)}.

        Returns:
            A dict {name: shape} in the params dict's order.
        """
        return {"W": (self.width, self.d), "b": (self.width,), "A": (self.classes, self.width)}

    def __call__(
        self, params: Params, X: torch.Tensor, *, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The logits (σ(X Wᵀ + b) ⊙ mask) Aᵀ / √m.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            mask: an (n, m) dropout mask (:func:`ntkconv.dropout_mask`) multiplying the
                hidden units, one row per input; default none (evaluation mode).

        Returns:
            Logits of shape (n, k).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter, ``X`` or ``mask`` has the wrong shape.
            TypeError: ``X`` or ``mask`` is not a tensor or not of the params' dtype.
        """
        self._check_call(params, X)
        hidden = self.activation(X @ params["W"].T + params["b"])
        if mask is not None:
            hidden = hidden * _checked_mask(mask, hidden)
        return hidden @ params["A"].T / math.sqrt(self.width)

    def layer_matrices(self, params: Params) -> tuple[torch.Tensor, torch.Tensor]:
        """The net as two bias-free layers acting on the augmented input x̃ = (x, 1):
        f(x) = A₂ σ(A₁ x̃) with A₁ = [W | b] (m × (d+1)) and A₂ = A/√m (k × m).

        The form the layer-wise bounds are stated for (linear maps between σ's with
        σ(0) = 0, e.g. :func:`ntkconv.spectral_complexity`); the bias becomes a column of A₁.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.

        Returns:
            (A₁, A₂) in the params' dtype and device.

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter has the wrong shape.

        Examples:
            >>> import torch, ntkconv as nc
            >>> net = nc.TwoLayerClassifier(d=3, width=8, classes=2)
            >>> p, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
            >>> A1, A2 = net.layer_matrices(p)
            >>> torch.allclose(torch.relu(net.augment(X) @ A1.T) @ A2.T, net(p, X))
            True
        """
        self._check_params(params)
        return (
            torch.cat([params["W"], params["b"][:, None]], dim=1),
            params["A"] / math.sqrt(self.width),
        )

    def augment(self, X: torch.Tensor) -> torch.Tensor:
        """The inputs :meth:`layer_matrices` acts on: x̃ = (x, 1), the bias's column last.

        Args:
            X: (n, d) inputs, a float tensor.

        Returns:
            The (n, d + 1) tensor [X | 1] in X's dtype and device.

        Raises:
            ValueError: ``X`` is not (n, d).
            TypeError: ``X`` is not a tensor.
        """
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a torch.Tensor; got {type(X).__name__}")
        if X.ndim != 2 or X.shape[1] != self.d:
            raise ValueError(f"X must have shape (n, {self.d}); got {tuple(X.shape)}")
        return torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype, device=X.device)], dim=1)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Which hidden units are active (X Wᵀ + b > 0) on each input.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            A bool tensor of shape (n, m).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.
        """
        self._check_call(params, X)
        return X @ params["W"].T + params["b"] > 0


class LinearModel(ShallowNet):
    """Linear model f(x) = wᵀx (+ b): the predictor of least squares and logistic regression.

    Params: ``w`` (d,), and the scalar ``b`` (shape ()) when ``bias=True``; ``init(seed, scale)``
    draws them N(0, scale²), so ``scale=0`` is the zero start. Trainable: all (fixed).
    Its Jacobian is X itself (with a column of ones for ``b``).

    Args:
        d: input dimension, an integer ≥ 1.
        bias: add the scalar intercept ``b``. Default False.

    Attributes:
        d: input dimension.
        bias: whether ``b`` is a parameter.
        trainable: ``("w",)`` or ``("w", "b")``.

    Raises:
        ValueError: ``d`` is not an integer ≥ 1.

    Examples:
        >>> import ntkconv as nc
        >>> model = nc.LinearModel(d=3, bias=True)
        >>> params = model.init(seed=0, scale=0.0)
        >>> model(params, nc.sphere_inputs(4, 3, seed=1))
        tensor([0., 0., 0., 0.], dtype=torch.float64)
    """

    def __init__(self, d: int, bias: bool = False) -> None:
        self.d = check_positive_int(d, "d")
        self.bias = bool(bias)
        self._set_trainable(self.param_shapes())

    def __repr__(self) -> str:
        return f"LinearModel(d={self.d}, bias={self.bias})"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes {``"w"``: (d,)}, plus ``"b"``: () when ``bias=True``.

        Returns:
            A dict {name: shape} in the params dict's order.
        """
        return {"w": (self.d,), "b": ()} if self.bias else {"w": (self.d,)}

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """The predictions X w (+ b).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            f(X), shape (n,).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.
        """
        self._check_call(params, X)
        u = X @ params["w"]
        return u + params["b"] if self.bias else u


def gaussian_second_moment(activation: str | Activation) -> float:
    """E[σ(g)²] for g ~ N(0, 1), by 200-point Gauss–Hermite quadrature in float64.

    The node set is symmetric with no node at 0, so for relu, leaky relu and the step the
    quadrature is exact (σ² is a polynomial on each half-line); for smooth σ it is accurate to
    float64 rounding. The result is rounded to 12 digits.

    Args:
        activation: a name for :func:`ntkconv.get_activation` or an :class:`ntkconv.Activation`.

    Returns:
        E[σ(g)²], a float (1/2 for relu, 1 for the identity).

    Examples:
        >>> gaussian_second_moment("relu"), gaussian_second_moment("identity")
        (0.5, 1.0)
    """
    sigma = get_activation(activation)
    nodes, weights = np.polynomial.hermite_e.hermegauss(200)
    values = sigma(torch.as_tensor(nodes, dtype=torch.float64)).numpy()
    # 12 digits: the quadrature's own rounding is ~1e-15, and 0.5 should print as 0.5
    return round(float(weights @ values**2 / weights.sum()), 12)


class DeepNet(ShallowNet):
    r"""A fully connected network with L hidden layers, plain (MLP) or residual (ResNet).

    **L counts hidden layers**: ``DeepNet(d, (m_1, …, m_L))`` has L weight matrices W_l before
    the output layer, so L = 1 is the two-layer net and L = 2 the three-layer one. In the
    default **NTK parametrization** every W_l, b_l is N(0, scale²) at init and the forward pass
    carries the scalings of Du, Lee, Li, Wang, Zhai (ICML 2019, eqs. (2) and (3)):

        MLP:     x⁽⁰⁾ = x,   x⁽ˡ⁾ = √(c_σ/m_l) σ(W_l x⁽ˡ⁻¹⁾ + b_l),
        ResNet:  x⁽¹⁾ = √(c_σ/m_1) σ(W_1 x + b_1),
                 x⁽ˡ⁾ = x⁽ˡ⁻¹⁾ + (c_res/(L√m)) σ(W_l x⁽ˡ⁻¹⁾ + b_l)   (l ≥ 2, equal widths m),
        output:  f(x) = a x⁽ᴸ⁾  (scalar, ``a`` ~ Unif{±1}) or A x⁽ᴸ⁾  (k outputs, ``A`` Gaussian),

    with c_σ = 1/E[σ(g)²] (2 for relu; :func:`gaussian_second_moment`), so that
    ‖x⁽ˡ⁾‖ ≈ ‖x‖ at init at every depth; **the residual branch is scaled by c_res/(L√m)**
    (c_res = 1 by default). The **standard parametrization** computes the same function with
    the scalings moved into the init: x⁽ˡ⁾ = σ(W_l x⁽ˡ⁻¹⁾ + b_l) with W_l ~ N(0, scale²·c_σ/m_(l−1))
    for l ≥ 2 and ``a`` = ±√(c_σ/m_L) (the ResNet branch then carries c_res/(L√c_σ)); one seed
    gives the same f in both, while gradient descent moves them differently. Like
    :class:`ThreeLayerNet`, the first layer is not divided by √d: inputs are meant to be on the
    unit sphere. With ``c_sigma=1`` and ``bias=True``, ``DeepNet(d, (m1, m2))`` is
    :class:`ThreeLayerNet` ``(d, m1, m2, bias=True)`` (same params dict, same outputs).

    Args:
        d: input dimension, an integer ≥ 1.
        widths: the hidden widths (m_1, …, m_L), L ≥ 1 integers ≥ 1 (equal for a ResNet).
        out_dim: number k of outputs, an integer ≥ 1; 1 (default) gives outputs of shape (n,)
            and an output vector ``a``, k > 1 outputs (n, k) and a matrix ``A`` (k, m_L).
        activation: a name for :func:`ntkconv.get_activation` or an
            :class:`ntkconv.Activation`, used in every hidden layer. Default ``"relu"``.
        bias: add hidden biases ``b1`` … ``bL``. Default False (as in Du et al.).
        residual: Du et al.'s ResNet instead of the MLP. Default False.
        parametrization: ``"ntk"`` (default) or ``"standard"``.
        c_sigma: the factor c_σ, a finite number > 0; default 1/E[σ(g)²].
        c_res: the residual branch's constant, a finite number > 0. Default 1.
        trainable: the differentiated params; default every hidden layer's weights (and
            biases), the output fixed.

    Attributes:
        d: input dimension.
        widths: the hidden widths, a tuple of L ints.
        depth: L, the number of hidden layers.
        out_dim: number of outputs k.
        activation: the resolved :class:`ntkconv.Activation`.
        bias: whether ``b1`` … ``bL`` are parameters.
        residual: whether layers 2 … L add their input (ResNet).
        parametrization: ``"ntk"`` or ``"standard"``.
        c_sigma: the factor c_σ in use.
        c_res: the residual branch's constant.
        trainable: tuple of the trainable parameter names.

    Raises:
        ValueError: a dimension is not an integer ≥ 1, ``widths`` is empty, a ResNet's widths
            differ, an unknown parametrization or activation name, a constant not > 0, or
            ``trainable`` empty, repeated or naming an unknown parameter.
        TypeError: ``widths`` is not a sequence of integers, ``activation`` of the wrong type,
            or ``trainable`` not names.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.DeepNet(d=3, widths=(20, 10, 10))
        >>> net.depth, net.c_sigma
        (3, 2.0)
        >>> net.param_shapes()
        {'W1': (20, 3), 'W2': (10, 20), 'W3': (10, 10), 'a': (10,)}
        >>> X = nc.sphere_inputs(4, 3, seed=1)
        >>> f = net(net.init(0), X)
        >>> f.shape
        torch.Size([4])
        >>> std = nc.DeepNet(3, (20, 10, 10), parametrization="standard")
        >>> bool(torch.allclose(std(std.init(0), X), f))
        True

    References:
        S. Du, J. Lee, H. Li, L. Wang, X. Zhai, "Gradient descent finds global minima of deep
        neural networks", ICML 2019, Section 3 (eqs. (2), (3); c_σ and c_res).
    """

    def __init__(
        self,
        d: int,
        widths: Iterable[int],
        out_dim: int = 1,
        activation: str | Activation = "relu",
        *,
        bias: bool = False,
        residual: bool = False,
        parametrization: str = "ntk",
        c_sigma: float | None = None,
        c_res: float = 1.0,
        trainable: Iterable[str] | None = None,
    ) -> None:
        self.d = check_positive_int(d, "d")
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Iterable):
            raise TypeError(f"widths must be a sequence of integers; got {type(widths).__name__}")
        self.widths = tuple(check_positive_int(m, f"widths[{i}]") for i, m in enumerate(widths))
        if not self.widths:
            raise ValueError("widths must name at least one hidden layer; got ()")
        self.depth = len(self.widths)
        self.out_dim = check_positive_int(out_dim, "out_dim")
        self.activation = get_activation(activation)
        self.bias = bool(bias)
        self.residual = bool(residual)
        if self.residual and len(set(self.widths)) > 1:
            raise ValueError(
                f"a ResNet adds x⁽ˡ⁻¹⁾ to layer l's output, so its widths must be equal; got "
                f"widths={self.widths}"
            )
        self.parametrization = check_choice(parametrization, "parametrization", ("ntk", "standard"))
        self.c_sigma = (
            1.0 / gaussian_second_moment(self.activation)
            if c_sigma is None
            else check_positive_float(c_sigma, "c_sigma")
        )
        self.c_res = check_positive_float(c_res, "c_res")
        if trainable is None:
            trainable = [n for n in self.param_shapes() if n not in ("a", "A")]
        self._set_trainable(trainable)

    def __repr__(self) -> str:
        return (
            f"DeepNet(d={self.d}, widths={self.widths}, out_dim={self.out_dim}, "
            f"activation={self.activation.name!r}, residual={self.residual}, "
            f"parametrization={self.parametrization!r})"
        )

    @property
    def _out(self) -> str:
        return "a" if self.out_dim == 1 else "A"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes ``W1`` (m_1, d), ``Wl`` (m_l, m_(l−1)), the output ``a`` (m_L,) or ``A``
        (k, m_L), then ``b1`` … ``bL`` (m_l,) when ``bias=True``.

        Returns:
            A dict {name: shape} in the params dict's order.
        """
        fan_in = (self.d, *self.widths[:-1])
        pairs = enumerate(zip(self.widths, fan_in, strict=True), start=1)
        shapes = {f"W{k}": (m, f) for k, (m, f) in pairs}
        m_last = self.widths[-1]
        shapes[self._out] = (m_last,) if self.out_dim == 1 else (self.out_dim, m_last)
        if self.bias:
            shapes |= {f"b{k}": (m,) for k, m in enumerate(self.widths, start=1)}
        return shapes

    def _ntk_scales(self) -> tuple[list[float], float]:
        """The NTK parametrization's factor on each W_l and on the output."""
        inner = [1.0] + [math.sqrt(self.c_sigma / m) for m in self.widths[:-1]]
        return inner, math.sqrt(self.c_sigma / self.widths[-1])

    def _scales(self) -> tuple[list[float], float]:
        """The forward pass's factors: the NTK ones, or all 1 when standard."""
        if self.parametrization == "standard":
            return [1.0] * self.depth, 1.0
        return self._ntk_scales()

    def init(
        self,
        seed: int = 0,
        *,
        scale: float = 1.0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> Params:
        """Du et al. (2019) initialization (see :meth:`ShallowNet.init`): W_l, b_l, ``A`` ~
        N(0, scale²), ``a`` ~ Unif{±1}; in the standard parametrization each W_l (l ≥ 2) and the
        output are then multiplied by the forward pass's NTK factor, so f is the same function.

        Args:
            seed: an integer in [0, 2^63). Default 0.
            scale: the standard deviation of the Gaussian parameters, a finite number ≥ 0.
            dtype: ``torch.float64`` (default) or ``torch.float32``.
            device: where the tensors go (default: the CPU).

        Returns:
            A params dict with the shapes of :meth:`param_shapes`.
        """
        params = super().init(seed, scale=scale, dtype=dtype, device=device)
        if self.parametrization == "standard":
            inner, out = self._ntk_scales()
            for k, factor in enumerate(inner, start=1):
                params[f"W{k}"] = params[f"W{k}"] * factor
            params[self._out] = params[self._out] * out
        return params

    def preactivations(self, params: Params, X: torch.Tensor) -> list[torch.Tensor]:
        """The hidden pre-activations z_l = ω_l W_l x⁽ˡ⁻¹⁾ (+ b_l), layer by layer.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            A list of L tensors, z_l of shape (n, m_l).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter or ``X`` has the wrong shape.
            TypeError: ``X`` is not a tensor or not of the params' dtype.
        """
        return self._forward(params, X)[0]

    def _forward(
        self, params: Params, X: torch.Tensor, gates: Sequence[torch.Tensor] | None = None
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Pre-activations z_1 … z_L and hidden states h_0 = X, h_1 … h_L (unscaled: in the NTK
        parametrization x⁽ˡ⁾ = √(c_σ/m_l)·h_l, and the ResNet branch of h_l is
        c_res/(L√c_σ)·σ(z_l)); with ``gates`` each σ(z_l) is multiplied by gates[l − 1]."""
        self._check_call(params, X)
        self._check_gates(gates, X)
        inner, _ = self._scales()
        hs, zs = [X], []
        for k, factor in enumerate(inner, start=1):
            z = hs[-1] @ params[f"W{k}"].T * factor
            if self.bias:
                z = z + params[f"b{k}"]
            zs.append(z)
            act = self.activation(z) if gates is None else gates[k - 1] * self.activation(z)
            hs.append(hs[-1] + self._branch * act if self.residual and k > 1 else act)
        return zs, hs

    def _check_gates(self, gates: Sequence[torch.Tensor] | None, X: torch.Tensor) -> None:
        if gates is None:
            return
        if isinstance(gates, torch.Tensor) or not isinstance(gates, Sequence):
            raise TypeError(
                f"gates must be a sequence of L = {self.depth} tensors (n, m_l); got "
                f"{type(gates).__name__}"
            )
        if len(gates) != self.depth:
            raise ValueError(
                f"gates must hold one tensor per hidden layer (L = {self.depth}); got {len(gates)}"
            )
        for k, (g, m) in enumerate(zip(gates, self.widths, strict=True)):
            if not isinstance(g, torch.Tensor) or g.dtype != X.dtype:
                raise TypeError(f"gates[{k}] must be a tensor of dtype {X.dtype}")
            if tuple(g.shape) != (X.shape[0], m):
                raise ValueError(
                    f"gates[{k}] must have shape (n, m_{k + 1}) = {(X.shape[0], m)}; got "
                    f"{tuple(g.shape)}"
                )

    @property
    def _branch(self) -> float:
        return self.c_res / (self.depth * math.sqrt(self.c_sigma))

    def structured_ntk(
        self,
        params: Params,
        X: torch.Tensor,
        X2: torch.Tensor | None = None,
        wrt: Iterable[str] | None = None,
    ) -> torch.Tensor:
        r"""Closed-form Gram J(X) J(X2)ᵀ for depth L, never forming J (scalar output only).

        With δ_l = ∂f/∂z_l the per-example backward signals (n, m_l) and h_(l−1) the layer
        inputs (n, m_(l−1)), one block per differentiated parameter:

            W_l:  ω_l² (δ_l δ2_lᵀ) ∘ (h_(l−1) h2_(l−1)ᵀ),   b_l:  δ_l δ2_lᵀ,
            a:    ω_out² h_L h2_Lᵀ,

        ω_l the forward factor on W_l (:class:`DeepNet`). The signals come from one batched
        backward pass, δ_l = η_l ∘ σ'(z_l) (times the branch factor c_res/(L√c_σ) for a
        residual layer) with η_L = ω_out a and η_(l−1) = δ_l ω_l W_l (plus η_l through a
        skip). Work O(n·Σ m_l m_(l−1) + n·n2·Σ m_l), memory O(n·n2 + n·Σ m_l), never O(n·P).
        σ' is autograd's derivative (:class:`ntkconv.Activation`), so it equals the Jacobian
        route to rounding.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            X2: (n2, d) second inputs (default: ``X``, giving the symmetric (n, n) Gram).
            wrt: the differentiated params (default: :attr:`trainable`).

        Returns:
            Θ(X, X2), shape (n, n2), in the params' dtype.

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: ``out_dim`` > 1, a parameter, ``X`` or ``X2`` has the wrong shape, or
                ``wrt`` is empty, repeated or names an unknown parameter.
            TypeError: ``X`` or ``X2`` is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.DeepNet(3, (16, 16, 16), residual=True, bias=True)
            >>> params, X = net.init(0), nc.sphere_inputs(5, 3, seed=1)
            >>> G = net.structured_ntk(params, X, wrt=net.param_shapes())
            >>> J = nc.empirical_ntk(net, params, X, wrt=net.param_shapes(), method="jacobian")
            >>> tuple(G.shape), bool(torch.allclose(G, J, rtol=1e-12, atol=0))
            ((5, 5), True)
        """
        if self.out_dim != 1:
            raise ValueError(
                f"structured_ntk needs a scalar output (out_dim=1); this net has out_dim="
                f"{self.out_dim}: take one output's Gram through empirical_ntk on a wrapper"
            )
        names = self.trainable if wrt is None else check_wrt(wrt, self.param_shapes())
        first = self._signals(params, X)
        second = first if X2 is None else self._signals(params, X2)
        inner, out = self._scales()
        blocks = []
        for k in range(1, self.depth + 1):
            want_w, want_b = f"W{k}" in names, f"b{k}" in names
            if not (want_w or want_b):
                continue
            core = first[1][k - 1] @ second[1][k - 1].T
            if want_w:
                hs, hs2 = first[0][k - 1], second[0][k - 1]
                blocks.append(core * (hs @ hs2.T) * inner[k - 1] ** 2)
            if want_b:
                blocks.append(core)
        if "a" in names:
            blocks.append(first[0][-1] @ second[0][-1].T * out**2)
        return torch.stack(blocks).sum(dim=0) if len(blocks) > 1 else blocks[0]

    def layer_jacobian(
        self,
        params: Params,
        X: torch.Tensor,
        layer: int,
        *,
        gates: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        r"""The Jacobian of the n outputs in one hidden weight matrix W_l, from one forward and
        one batched backward pass (scalar output only):

            ∂f(x_n)/∂W_l = ω_l δ_l,n h_(l−1),nᵀ,   i.e. J_(W_l) = (δ_l ∗ h_(l−1))ᵀ  (Khatri–Rao),

        δ_l = ∂f/∂z_l the backward signals and h_(l−1) the layer's inputs (see
        :meth:`structured_ntk`). With ``gates`` (the dropout-like noise of :meth:`__call__`) both
        passes carry the noise, so this is the Jacobian of ``net(params, X, gates=gates)``:
        Soudry & Carmon's (2016) G matrix for layer l.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            layer: l, an integer in 1 … L.
            gates: optional L tensors (n, m_l) of multiplicative noise (:meth:`__call__`).

        Returns:
            A tensor of shape (n, m_l, m_(l−1)) (m_0 = d): row n is ∂f(x_n)/∂W_l.

        Raises:
            ValueError: ``out_dim`` > 1, ``layer`` not in 1 … L, or a shape is wrong.
            TypeError: ``X`` or a gate is not a tensor or not of the params' dtype.

        Examples:
            >>> import ntkconv as nc
            >>> net = nc.DeepNet(3, (6, 5), activation="leaky_relu(0.1)")
            >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
            >>> J = net.layer_jacobian(params, X, 2)
            >>> J.shape, bool(torch.allclose(J, nc.jacobian(net, params, X, flat=False)["W2"]))
            (torch.Size([4, 5, 6]), True)
        """
        if self.out_dim != 1:
            raise ValueError(
                f"layer_jacobian needs a scalar output (out_dim=1); this net has out_dim="
                f"{self.out_dim}"
            )
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= self.depth:
            raise ValueError(f"layer must be an integer in 1 … {self.depth}; got {layer!r}")
        hs, deltas = self._signals(params, X, gates)
        inner, _ = self._scales()
        return deltas[layer - 1][:, :, None] * hs[layer - 1][:, None, :] * inner[layer - 1]

    def _signals(
        self, params: Params, X: torch.Tensor, gates: Sequence[torch.Tensor] | None = None
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Hidden states h_0 … h_L and per-example backward signals δ_1 … δ_L = ∂f/∂z_l."""
        zs, hs = self._forward(params, X, gates)
        inner, out = self._scales()
        eta = (out * params["a"]).expand(X.shape[0], -1)  # ∂f/∂h_L, the same for every row
        deltas: list[torch.Tensor] = []
        for k in range(self.depth, 0, -1):
            skip = self.residual and k > 1
            slope = self.activation.deriv(zs[k - 1])
            if gates is not None:
                slope = slope * gates[k - 1]
            delta = eta * slope * (self._branch if skip else 1.0)
            deltas.append(delta)
            if k > 1:
                back = delta @ params[f"W{k}"] * inner[k - 1]
                eta = eta + back if skip else back
        return hs, deltas[::-1]

    def __call__(
        self, params: Params, X: torch.Tensor, *, gates: Sequence[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """The outputs f(X): shape (n,) for ``out_dim=1``, else (n, k).

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.
            gates: optional per-example multiplicative noise on the hidden units, L tensors
                ε_l of shape (n, m_l): layer l's output σ(z_l) becomes ε_l ∘ σ(z_l) (the
                "dropout-like noise" of Soudry & Carmon 2016, eq. (1); Bernoulli/p entries give
                dropout). Default None (no noise).

        Returns:
            f(X).

        Raises:
            KeyError: ``params`` lacks a parameter.
            ValueError: a parameter, ``X`` or a gate has the wrong shape, or ``gates`` does not
                hold L tensors.
            TypeError: ``X`` or a gate is not a tensor or not of the params' dtype.
        """
        h = self._forward(params, X, gates)[1][-1]
        _, out = self._scales()
        weights = params[self._out]
        return (h @ weights if self.out_dim == 1 else h @ weights.T) * out

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Active units (z_l > 0) of every hidden layer on each input.

        Args:
            params: params dict with the shapes of :meth:`param_shapes`.
            X: (n, d) inputs, a tensor of the params' dtype.

        Returns:
            A bool tensor of shape (n, m_1 + … + m_L), layer 1's units first.
        """
        return torch.cat([z > 0 for z in self.preactivations(params, X)], dim=1)
