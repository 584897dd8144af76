"""Planting faults to measure a check's power.

A check that passes a broken implementation is worse than none, so every check is tried against
the bugs a user would make: scale the NTK by 1.1, shrink a step by 10%, train the wrong parameter
group. Theorem modules call engine functions through the package namespace at call time
(``nc.empirical_ntk(...)``), so replacing a name in ``ntkconv`` reaches every theorem that uses
it — and nothing else (the engine's own internals call each other directly).

Examples:
    >>> import ntkconv as nc
    >>> from ntkconv.testing import planted, scaled
    >>> theorem = nc.registry()["nls-pl"]
    >>> with planted("empirical_ntk", scaled(1.1)):  # doctest: +SKIP
    ...     print(theorem.check("tight-point", quick=True).verdict.value)
    violated
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sympy as sp
import torch

from .protocol import Bound, Instance, Outcome, Theorem, Tightness, Verdict, hypothesis, leq


@contextmanager
def planted(name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Within the block, ``ntkconv.<name>`` is ``make(original)``; restored afterwards, also on
    error.

    Args:
        name: a public engine name (in ``ntkconv.__all__``).
        make: builds the faulty replacement from the original function.
    """
    import ntkconv

    if name not in ntkconv.__all__:
        raise ValueError(f"name: {name!r} is not a public ntkconv name")
    original = getattr(ntkconv, name)
    setattr(ntkconv, name, make(original))
    try:
        yield
    finally:
        setattr(ntkconv, name, original)


def scaled(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A fault for :func:`planted`: the original's result (a tensor or a float) times
    ``factor``."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            return out * factor if isinstance(out, (torch.Tensor, float, int)) else out

        return faulty

    return make


def with_kwargs(
    **change: Callable[[Any], Any],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A fault for :func:`planted`: each named keyword argument of the call passed through its
    function first (which receives None when the caller did not give it).

    Examples:
        >>> halved = with_kwargs(lr=lambda lr: lr / 2)
        >>> halved(lambda **kw: kw)(lr=1.0, steps=3)
        {'lr': 0.5, 'steps': 3}
    """

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            moved = {name: f(kwargs.get(name)) for name, f in change.items()}
            return original(*args, **{**kwargs, **moved})

        return faulty

    return make


def step_times(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A fault for :func:`planted` on ``train``: the step ``lr`` multiplied by ``factor`` (the
    bug every rate check must see)."""
    return with_kwargs(lr=lambda lr: lr * factor)


def verdicts(
    theorem: Theorem, *, quick: bool = True, seed: int = 0, instances: Sequence[str] | None = None
) -> dict[str, Verdict]:
    """The verdict of each instance (all, or the named ones) of ``theorem``."""
    names = instances or [i.name for i in theorem.instances]
    return {name: theorem.check(name, quick=quick, seed=seed).verdict for name in names}


def toy_theorem() -> Theorem:
    """A two-instance theorem for examples and tests: the measured x is at most 1.

    Instance ``"half"`` (x = 0.5) holds; ``"two"`` (x = 2.0) is violated. Its record carries a
    hypothesis (x ≥ 0), the bound 1 and the tightness 1/x.

    Returns:
        The :class:`~ntkconv.Theorem` (id ``"toy"``).

    Examples:
        >>> toy_theorem().check("two").verdict.value
        'violated'
        >>> toy_theorem().check("half").verdict.value
        'holds'
    """

    def evaluate(config: dict[str, Any], seed: int) -> Outcome:
        x = config["x"]
        return Outcome(
            [hypothesis("x >= 0", x, ">=", 0.0)],
            bool(leq(x, 1.0)),
            Bound(1.0),
            x,
            Tightness.of_upper_bound(x, 1.0, "1 / x"),
        )

    return Theorem(
        "toy",
        "x is at most 1",
        "none",
        sp.Le(sp.Symbol("x"), 1),
        {"x": "the measured value"},
        (Instance("half", {"x": 0.5}), Instance("two", {"x": 2.0})),
        evaluate,
    )
