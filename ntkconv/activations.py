"""Activations with their derivatives, as used by the closed-form NTK.

Each derivative is the one autograd produces for the same expression (including the value at
the kink, e.g. relu'(0) = 0 and leaky_relu'(0) = slope), so the structured NTK matches the
Jacobian route exactly, not only almost everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

Elementwise = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity σ with derivative σ'. ``smooth``: σ is C² everywhere.
    ``piecewise_linear``: σ' depends on z only through 1{z > 0} (relu, leaky relu, step,
    identity), so an NTK changes only where an activation sign flips."""

    name: str
    fn: Elementwise = field(repr=False)
    deriv: Elementwise = field(repr=False)
    smooth: bool
    piecewise_linear: bool = False

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)


def leaky_relu(slope: float = 0.01) -> Activation:
    """σ(z) = z for z > 0, slope·z otherwise (Soudry & Carmon 2016 need slope ≠ 0)."""
    try:
        slope = float(slope)
    except (TypeError, ValueError):
        raise ValueError(f"leaky_relu slope must be a number in [0, 1); got {slope!r}") from None
    if not 0.0 <= slope < 1.0:
        raise ValueError(f"leaky_relu slope must lie in [0, 1); got {slope}")
    return Activation(
        name=f"leaky_relu({slope:g})",
        fn=lambda z: torch.where(z > 0, z, slope * z),
        deriv=lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope)),
        smooth=False,
        piecewise_linear=True,
    )


RELU = Activation(
    "relu", torch.relu, lambda z: (z > 0).to(z.dtype), smooth=False, piecewise_linear=True
)
SOFTPLUS = Activation("softplus", F.softplus, torch.sigmoid, smooth=True)
TANH = Activation("tanh", torch.tanh, lambda z: 1 - torch.tanh(z) ** 2, smooth=True)
IDENTITY = Activation("identity", lambda z: z, torch.ones_like, smooth=True, piecewise_linear=True)
# Step features 1{z >= 0} (the lecture's random-feature model); σ' = 0 a.e., so only useful
# with the first layer frozen.
STEP = Activation(
    "step", lambda z: (z >= 0).to(z.dtype), torch.zeros_like, smooth=False, piecewise_linear=True
)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (RELU, SOFTPLUS, TANH, IDENTITY, STEP, leaky_relu())
}
ACTIVATIONS["leaky_relu"] = leaky_relu()

_LEAKY = re.compile(r"^leaky_relu\(\s*([0-9.eE+-]+)\s*\)$")


def get_activation(spec: str | Activation) -> Activation:
    """Resolve ``"relu"``, ``"leaky_relu"`` (slope 0.01), ``"leaky_relu(0.2)"``, ``"softplus"``,
    ``"tanh"``, ``"identity"``, ``"step"``, or pass an :class:`Activation` through."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"activation must be a name or an Activation; got {type(spec).__name__}")
    if spec in ACTIVATIONS:
        return ACTIVATIONS[spec]
    match = _LEAKY.match(spec)
    if match:
        return leaky_relu(match.group(1))
    raise ValueError(
        f"unknown activation {spec!r}; expected one of {sorted(ACTIVATIONS)} or 'leaky_relu(s)'"
    )
