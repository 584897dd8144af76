"""Activations with their derivatives, as used by the closed-form NTK.

Each derivative is the one autograd produces for the same expression (including the value at
the kink, e.g. relu'(0) = 0 and leaky_relu'(0) = slope), so the structured NTK matches the
Jacobian route exactly, not only almost everywhere. One exception: ``F.softplus`` switches to
the identity above z = 20, where autograd's derivative is exactly 1 while σ' = sigmoid(z) is
1 − O(e^{−20}); the two routes then agree to ~1e-9 relative, not bit for bit.
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
    """An elementwise nonlinearity σ together with its derivative σ'.

    The closed-form NTK (:meth:`ntkconv.TwoLayerNet.structured_ntk`) uses ``deriv`` where the
    Jacobian route differentiates ``fn`` by autograd, so ``deriv`` should be the derivative
    autograd gives for ``fn``, kinks included. Instances are frozen; get the built-ins with
    :func:`get_activation`.

    Attributes:
        name: the name shown in reprs and accepted by :func:`get_activation` (built-ins:
            ``"relu"``, ``"softplus"``, ``"tanh"``, ``"identity"``, ``"step"``,
            ``"leaky_relu(s)"``).
        fn: σ, elementwise on a tensor of any shape; keeps the input's shape and dtype.
        deriv: σ', elementwise, same shape and dtype as its input.
        smooth: σ is C² everywhere (softplus, tanh, identity), as smoothness-based
            (Hessian / Lipschitz-gradient) arguments require.
        piecewise_linear: σ' depends on z only through 1{z > 0} (relu, leaky relu, step,
            identity), so an NTK changes only where an activation sign flips. Default False.

    Examples:
        >>> cube = Activation("cube", lambda z: z**3, lambda z: 3 * z**2, smooth=True)
        >>> cube
        Activation(name='cube', smooth=True, piecewise_linear=False)
        >>> cube(torch.tensor([2.0])), cube.deriv(torch.tensor([2.0]))
        (tensor([8.]), tensor([12.]))
    """

    name: str
    fn: Elementwise = field(repr=False)
    deriv: Elementwise = field(repr=False)
    smooth: bool
    piecewise_linear: bool = False

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """Apply σ elementwise.

        Args:
            z: pre-activations, any shape, float32 or float64.

        Returns:
            σ(z), same shape and dtype as ``z``.
        """
        return self.fn(z)


def leaky_relu(slope: float = 0.01) -> Activation:
    """The leaky ReLU σ(z) = z for z > 0, slope·z otherwise.

    Its derivative is 1 for z > 0 and ``slope`` for z ≤ 0 (at the kink too, as autograd gives
    for the same ``torch.where``). Soudry & Carmon (2016) need slope ≠ 0; ``slope=0`` gives
    relu's values but keeps this name.

    Args:
        slope: the negative-side slope, a number in [0, 1) (anything ``float()`` accepts,
            e.g. the string ``"0.2"``). Default 0.01.

    Returns:
        A piecewise-linear, non-smooth :class:`Activation` named ``"leaky_relu(<slope>)"``.

    Raises:
        ValueError: ``slope`` is not a number or lies outside [0, 1).

    Examples:
        >>> act = leaky_relu(0.2)
        >>> act.name, act.piecewise_linear
        ('leaky_relu(0.2)', True)
        >>> act(torch.tensor([-1.0, 2.0])), act.deriv(torch.tensor([0.0]))
        (tensor([-0.2000,  2.0000]), tensor([0.2000]))
    """
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
    """Resolve an activation by name, or pass an :class:`Activation` through.

    Names: ``"relu"``, ``"leaky_relu"`` (slope 0.01), ``"leaky_relu(s)"`` for a slope s in
    [0, 1) (e.g. ``"leaky_relu(0.2)"``), ``"softplus"``, ``"tanh"``, ``"identity"`` and
    ``"step"`` (σ = 1{z ≥ 0}, σ' = 0: only useful with the first layer frozen, as in
    random-feature models).

    Args:
        spec: a name as above, or an :class:`Activation` (returned unchanged).

    Returns:
        The :class:`Activation`.

    Raises:
        TypeError: ``spec`` is neither a str nor an :class:`Activation`.
        ValueError: an unknown name, or a ``leaky_relu(s)`` slope outside [0, 1).

    Examples:
        >>> get_activation("relu")
        Activation(name='relu', smooth=False, piecewise_linear=True)
        >>> get_activation("leaky_relu(0.2)").name
        'leaky_relu(0.2)'
        >>> get_activation("gelu")
        Traceback (most recent call last):
        ...
        ValueError: unknown activation 'gelu'; expected one of [...] or 'leaky_relu(s)'
    """
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
