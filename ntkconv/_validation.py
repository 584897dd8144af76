"""Input checks at the public boundary, in the spirit of scikit-learn's ``check_array``.

Checks run *before* any ``torch.func`` transform: value checks (NaN/inf) are data-dependent
control flow, which ``vmap`` cannot trace, so models themselves only check shapes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import torch
from torch._C._functorch import is_functorch_wrapped_tensor

Params = dict[str, torch.Tensor]


#: The dtypes the engine computes in: half precision would silently round Grams and spectra.
FLOAT_DTYPES = (torch.float32, torch.float64)


def float_tensor(x: object, name: str, like: torch.Tensor | None) -> torch.Tensor:
    """``x`` as a float32/float64 tensor (NumPy arrays converted without changing dtype; any
    strides), matching ``like``'s dtype and device when given, so mixed inputs fail loudly
    instead of casting."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise TypeError(f"{name} must have dtype float32 or float64; got numpy {x.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(x))  # from_numpy refuses negative strides
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray; got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64; got {x.dtype}")
    if like is not None:
        if x.dtype != like.dtype:
            raise TypeError(f"{name} has dtype {x.dtype} but the parameters are {like.dtype}")
        if x.device != like.device:
            raise ValueError(f"{name} is on {x.device} but the parameters are on {like.device}")
    if x.requires_grad and not is_functorch_wrapped_tensor(x):
        x = x.detach()  # data, not a parameter: no graph may grow through it
    return x


def finite(x: torch.Tensor, name: str) -> torch.Tensor:
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf")
    return x


def as_matrix(
    X: object,
    name: str = "X",
    *,
    d: int | None = None,
    like: torch.Tensor | None = None,
) -> torch.Tensor:
    """Return ``X`` as a finite, non-empty 2-D floating tensor of shape ``(n, d)``."""
    X = float_tensor(X, name, like)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n, d); got shape {tuple(X.shape)}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {tuple(X.shape)}; need n >= 1 and d >= 1")
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{name} must have d = {d} columns; got shape {tuple(X.shape)}")
    return finite(X, name)


def as_vector(y: object, name: str, *, n: int, like: torch.Tensor | None = None) -> torch.Tensor:
    """Return ``y`` as a finite 1-D floating tensor of length ``n``."""
    y = float_tensor(y, name, like)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},); got {tuple(y.shape)}")
    return finite(y, name)


def as_labels(
    y: object, name: str, *, n: int, classes: int | None, device: torch.device | None = None
) -> torch.Tensor:
    """Return ``y`` as a 1-D int64 tensor of length ``n`` with classes in ``0..classes-1``
    (``classes=None``: any integers >= 0)."""
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(np.ascontiguousarray(y))  # a reversed view has negative strides
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.dtype == torch.bool:
        kind = y.dtype if isinstance(y, torch.Tensor) else type(y).__name__
        raise TypeError(f"{name} must be an integer tensor of class labels; got {kind}")
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},); got {tuple(y.shape)}")
    if n and classes is None and int(y.min()) < 0:
        raise ValueError(f"{name} must hold classes >= 0; got a minimum of {int(y.min())}")
    if n and classes is not None and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise ValueError(
            f"{name} must hold classes in 0..{classes - 1}; got {int(y.min())}..{int(y.max())}"
        )
    return y.to(device=device, dtype=torch.int64)


def check_params(params: object, name: str = "params") -> Params:
    """A params dict: non-empty mapping from names to finite float32/float64 tensors of one
    dtype on one device, detached from any autograd graph (``dict(module.named_parameters())``
    would otherwise record every step's graph and leak memory). Tensors inside a ``torch.func``
    transform are left as they are, so the transform still sees through the call."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"{name} must be a non-empty dict of tensors; got {type(params).__name__}")
    ref: torch.Tensor | None = None
    out: Params = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str; got {key!r}")
        if not isinstance(value, torch.Tensor) or value.dtype not in FLOAT_DTYPES:
            kind = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"{name}[{key!r}] must be a float32/float64 torch.Tensor; got {kind}")
        if ref is None:
            ref = value
        elif value.dtype != ref.dtype or value.device != ref.device:
            raise TypeError(
                f"{name} mixes dtypes/devices: {key!r} is {value.dtype}/{value.device}, "
                f"the first entry {ref.dtype}/{ref.device}"
            )
        if value.requires_grad and not is_functorch_wrapped_tensor(value):
            value = value.detach()
        out[key] = finite(value, f"{name}[{key!r}]")
    return out


def check_wrt(wrt: Iterable[str], available: Iterable[str], name: str = "wrt") -> tuple[str, ...]:
    """Validate a selection of parameter names; order follows the params dict."""
    if isinstance(wrt, str):
        wrt = (wrt,)
    if not isinstance(wrt, Iterable) or not all(isinstance(k, str) for k in wrt):
        raise TypeError(f"{name} must be a parameter name or a collection of them; got {wrt!r}")
    chosen = tuple(wrt)
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{name} names a parameter twice: {list(chosen)}")
    names = tuple(available)
    if not chosen:
        raise ValueError(f"{name} must name at least one parameter; available: {names}")
    unknown = [k for k in chosen if k not in names]
    if unknown:
        raise ValueError(f"{name} names unknown parameters {unknown}; available: {names}")
    return tuple(k for k in names if k in chosen)


def check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {options}")
    return str(value)


def check_nonnegative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    return int(value)


def check_positive_float(value: object, name: str, *, allow_inf: bool = False) -> float:
    """``value`` as a float > 0 (finite unless ``allow_inf``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__}")
    v = float(value)
    if not (v > 0 and (math.isfinite(v) or (allow_inf and v == math.inf))):
        expected = "a number > 0 (or inf)" if allow_inf else "a finite number > 0"
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return v


def check_interval(
    value: object, name: str, low: float, high: float, *, closed: tuple[bool, bool] = (True, True)
) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (each end included or not,
    by ``closed``); anything that is not a real number (a bool, a str, NaN) raises ValueError
    with the interval in the message."""
    left, right = ("[" if closed[0] else "("), ("]" if closed[1] else ")")
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)
    if ok:
        v = float(value)
        ok = (low <= v if closed[0] else low < v) and (v <= high if closed[1] else v < high)
    if not ok:
        raise ValueError(
            f"{name} must be a number in {left}{low:g}, {high:g}{right}; got {value!r}"
        )
    return v


def check_chunk_size(value: object, name: str = "chunk_size") -> int | None:
    return None if value is None else check_positive_int(value, name)


def check_dtype(dtype: object, name: str = "dtype") -> torch.dtype:
    """A dtype the engine computes in: torch.float32 or torch.float64."""
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be torch.float32 or torch.float64; got {dtype!r}")
    return dtype  # type: ignore[return-value]


def check_callable(value: object, name: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None; got {type(value).__name__}")
