"""Shallow networks as pure functions of a params dict (``torch.func`` style).

A model is a callable ``net(params, X) -> (n,)``. The object holds only the architecture
(widths, activation, which params are trainable); the weights live in the dict, so any
``torch.func`` transform (``grad``, ``jacrev``, ``vmap`` over stacked params) applies directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from ._validation import Params, check_dtype, check_positive_int, check_wrt
from .activations import Activation, get_activation
from .seeds import generator


class ShallowNet:
    """Shared plumbing: parameter shapes, seeded init, shape checks on params and inputs."""

    d: int
    activation: Activation
    trainable: tuple[str, ...]

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
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

        Draws happen on the CPU in float64 from ``torch.Generator().manual_seed(seed)`` and are
        then moved, so a seed gives the same weights on every device and dtype.
        """
        gen = generator(seed)
        dtype = check_dtype(dtype)
        if (
            isinstance(scale, bool)
            or not isinstance(scale, (int, float))
            or not (math.isfinite(scale) and scale >= 0)
        ):
            raise ValueError(f"scale must be a finite number >= 0; got {scale!r}")
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
        names = self.trainable if wrt is None else check_wrt(wrt, self.param_shapes())
        return sum(math.prod(self.param_shapes()[k]) for k in names)

    def _check_call(self, params: Params, X: torch.Tensor) -> None:
        # Shape-only checks: they read logical shapes, so they also work under vmap.
        for name, shape in self.param_shapes().items():
            if name not in params:
                expected = list(self.param_shapes())
                raise KeyError(f"params is missing {name!r}; expected keys {expected}")
            if tuple(params[name].shape) != shape:
                raise ValueError(
                    f"params[{name!r}] must have shape {shape}; got {tuple(params[name].shape)}"
                )
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a torch.Tensor; got {type(X).__name__}")
        if X.ndim != 2 or X.shape[1] != self.d:
            got = f"{X.shape[1]} columns" if X.ndim == 2 else f"shape {tuple(X.shape)}"
            raise ValueError(f"X must have shape (n, {self.d}) (d = {self.d} columns); got {got}")
        dtype = next(iter(params.values())).dtype
        if X.dtype != dtype:
            raise TypeError(f"X has dtype {X.dtype} but the parameters are {dtype}")


class TwoLayerNet(ShallowNet):
    r"""f(x) = aᵀ σ(W x + b) / √m  (Du, Zhai, Póczos, Singh, ICLR 2019, eq. (1)).

    Params: ``W`` (m, d), ``a`` (m,), and ``b`` (m,) when ``bias=True``. ``trainable`` names the
    params that Jacobians, Grams and training differentiate (default: ``W`` only, ``a`` fixed,
    as in Du et al.).
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
        shapes = {"W": (self.width, self.d), "a": (self.width,)}
        if self.bias:
            shapes["b"] = (self.width,)
        return shapes

    def preactivations(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Z = X Wᵀ (+ b), shape (n, m)."""
        self._check_call(params, X)
        return self._preactivations(params, X)

    def _preactivations(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        Z = X @ params["W"].T
        return Z + params["b"] if self.bias else Z

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        Z = self.preactivations(params, X)
        return self.activation(Z) @ params["a"] / math.sqrt(self.width)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Boolean (n, m): which units are active (Z > 0) on each input."""
        return self.preactivations(params, X) > 0

    def structured_ntk(
        self,
        params: Params,
        X: torch.Tensor,
        X2: torch.Tensor | None = None,
        wrt: Iterable[str] | None = None,
    ) -> torch.Tensor:
        r"""Closed-form Gram J(X) J(X2)ᵀ, never forming J; O(n·n2·(d + m)) work.

        W block: (X X2ᵀ) ∘ (S diag(a²) S2ᵀ)/m, with S = σ'(Z); the b block drops the X X2ᵀ
        factor; the a block is σ(Z) σ(Z2)ᵀ/m (the random-feature Gram).
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


class ThreeLayerNet(ShallowNet):
    r"""f(x) = aᵀ σ(W2 σ(W1 x + b1)/√m1 + b2) / √m2 — two hidden layers, NTK scaling.

    Params: ``W1`` (m1, d), ``W2`` (m2, m1), ``a`` (m2,), plus ``b1`` (m1,), ``b2`` (m2,) when
    ``bias=True``. Default trainable: both hidden layers (``W1``, ``W2``), output fixed.
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
        shapes = {
            "W1": (self.width1, self.d),
            "W2": (self.width2, self.width1),
            "a": (self.width2,),
        }
        if self.bias:
            shapes |= {"b1": (self.width1,), "b2": (self.width2,)}
        return shapes

    def preactivations(self, params: Params, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(Z1, Z2): pre-activations of both hidden layers, shapes (n, m1) and (n, m2)."""
        self._check_call(params, X)
        Z1 = X @ params["W1"].T
        if self.bias:
            Z1 = Z1 + params["b1"]
        Z2 = self.activation(Z1) @ params["W2"].T / math.sqrt(self.width1)
        if self.bias:
            Z2 = Z2 + params["b2"]
        return Z1, Z2

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        _, Z2 = self.preactivations(params, X)
        return self.activation(Z2) @ params["a"] / math.sqrt(self.width2)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Boolean (n, m1 + m2): active units of both hidden layers."""
        Z1, Z2 = self.preactivations(params, X)
        return torch.cat([Z1 > 0, Z2 > 0], dim=1)


class TwoLayerClassifier(ShallowNet):
    r"""Logits f(x) = A σ(W x + b) / √m, shape (n, k): the two-layer net of
    :class:`TwoLayerNet` with k outputs, for cross-entropy training on k classes.

    Params: ``W`` (m, d), ``b`` (m,), ``A`` (k, m), all N(0, scale²) at init (NTK scaling: the
    1/√m keeps the logits O(1) at any width). Default trainable: all three.
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
        return {"W": (self.width, self.d), "b": (self.width,), "A": (self.classes, self.width)}

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        self._check_call(params, X)
        hidden = self.activation(X @ params["W"].T + params["b"])
        return hidden @ params["A"].T / math.sqrt(self.width)

    def activation_pattern(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Boolean (n, m): which hidden units are active on each input."""
        self._check_call(params, X)
        return X @ params["W"].T + params["b"] > 0


class LinearModel(ShallowNet):
    """f(x) = wᵀx (+ b): the linear predictor of least squares and logistic regression.

    Params: ``w`` (d,), and the scalar ``b`` (shape ()) when ``bias=True``; ``init(seed, scale)``
    draws them N(0, scale²), so ``scale=0`` is the zero start. Default trainable: all.
    """

    def __init__(self, d: int, bias: bool = False) -> None:
        self.d = check_positive_int(d, "d")
        self.bias = bool(bias)
        self._set_trainable(self.param_shapes())

    def __repr__(self) -> str:
        return f"LinearModel(d={self.d}, bias={self.bias})"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"w": (self.d,), "b": ()} if self.bias else {"w": (self.d,)}

    def __call__(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        self._check_call(params, X)
        u = X @ params["w"]
        return u + params["b"] if self.bias else u
