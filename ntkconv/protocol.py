"""The theorem protocol: what a theorem module provides and what a check returns.

The engine knows no theorem: modules register a :class:`Theorem` under the entry-point group
``ntkconv.theorems`` and :func:`registry` discovers them (``pyproject.toml`` lists ntkconv's own).

Verdict rules (one place):
  * ``diverged`` — training produced NaN/inf or blew up (takes precedence: the run is void);
  * ``hypotheses-not-met`` — some hypothesis failed on the instance; the theorem says nothing;
  * ``holds`` — hypotheses verified and the conclusion measured within the theorem's own
    inequality, up to floating-point slack only (:data:`FLOAT_RTOL`, relative);
  * ``violated`` — hypotheses verified and the conclusion fails.
A control instance breaks one hypothesis (named in ``breaks``) and must never come out ``holds``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from importlib.metadata import entry_points
from typing import Any

import numpy as np
import sympy as sp
import torch

#: Relative floating-point slack allowed when comparing a measured value with a bound.
FLOAT_RTOL = 1e-9


class Verdict(str, Enum):
    HOLDS = "holds"
    VIOLATED = "violated"
    HYPOTHESES_NOT_MET = "hypotheses-not-met"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis checked on the instance: ``measured`` against the ``required`` condition."""

    name: str
    holds: bool
    measured: Any
    required: str


@dataclass(frozen=True)
class Outcome:
    """What a theorem's ``evaluate`` measures; the protocol turns it into a verdict."""

    hypotheses: Sequence[Hypothesis]
    conclusion_holds: bool
    predicted: Any
    measured: Any
    slack: float
    details: Mapping[str, Any] = field(default_factory=dict)
    diverged: bool = False


@dataclass
class CheckResult:
    """One checked instance (what ``ntkconv check --json`` prints)."""

    id: str
    instance: str
    control: bool
    verdict: Verdict
    predicted: Any
    measured: Any
    slack: float
    config: dict[str, Any]
    details: dict[str, Any]
    hypotheses: list[Hypothesis]
    breaks: str | None
    seed: int
    wall_time_s: float

    @property
    def passed(self) -> bool:
        """Regular instances pass when they hold; controls pass when they do not."""
        return (self.verdict is Verdict.HOLDS) != self.control

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: tensors and arrays become lists, NaN becomes null, ±inf the
        strings "inf"/"-inf" (JSON has no non-finite numbers)."""
        out = asdict(self)
        out["verdict"] = self.verdict.value
        return _jsonable(out)


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, torch.Tensor):
        return _jsonable(x.detach().cpu().tolist())
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return None if math.isnan(x) else x if math.isfinite(x) else str(x)
    if isinstance(x, Enum):
        return x.value
    return x if x is None or isinstance(x, str) else str(x)


def decide(hypotheses: Sequence[Hypothesis], conclusion_holds: bool, diverged: bool) -> Verdict:
    """The verdict rules of the module docstring."""
    if diverged:
        return Verdict.DIVERGED
    if not all(h.holds for h in hypotheses):
        return Verdict.HYPOTHESES_NOT_MET
    return Verdict.HOLDS if conclusion_holds else Verdict.VIOLATED


def leq(measured: Any, bound: Any, rtol: float = FLOAT_RTOL) -> np.ndarray:
    """Elementwise ``measured ≤ bound`` up to relative floating-point slack."""
    m, b = np.asarray(measured, dtype=float), np.asarray(bound, dtype=float)
    return m <= b + rtol * np.maximum(np.abs(b), np.abs(m))


@dataclass(frozen=True)
class Instance:
    """A named configuration. A control sets ``breaks`` to the hypothesis it breaks.
    ``quick`` overrides ``config`` for ``--quick`` runs."""

    name: str
    config: Mapping[str, Any]
    description: str = ""
    breaks: str | None = None
    quick: Mapping[str, Any] = field(default_factory=dict)

    @property
    def control(self) -> bool:
        return self.breaks is not None


Evaluate = Callable[[dict[str, Any], int], Outcome]
FigureFn = Callable[[Sequence[CheckResult]], Any]


@dataclass(frozen=True)
class Theorem:
    """A theorem: statement (sympy), citation, instances and an ``evaluate(config, seed)``."""

    id: str
    title: str
    citation: str
    statement: sp.Basic
    symbols: Mapping[str, str]
    instances: tuple[Instance, ...]
    evaluate: Evaluate
    figure: FigureFn | None = None

    def latex(self) -> str:
        return sp.latex(self.statement)

    def instance(self, name: str) -> Instance:
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise ValueError(
            f"unknown instance {name!r} of {self.id}; expected one of "
            f"{[i.name for i in self.instances]}"
        )

    def check(
        self, instance: str | None = None, *, quick: bool = False, seed: int = 0, **overrides: Any
    ) -> CheckResult:
        """Check one instance (default: the first); ``overrides`` replace config entries."""
        inst = self.instance(instance) if instance else self.instances[0]
        unknown = set(overrides) - set(inst.config)
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)} for {self.id}/{inst.name}")
        config = {**inst.config, **(inst.quick if quick else {}), **overrides}
        start = time.perf_counter()
        out = self.evaluate(dict(config), seed)
        return CheckResult(
            id=self.id,
            instance=inst.name,
            control=inst.control,
            verdict=decide(out.hypotheses, out.conclusion_holds, out.diverged),
            predicted=out.predicted,
            measured=out.measured,
            slack=out.slack,
            config=config,
            details=dict(out.details),
            hypotheses=list(out.hypotheses),
            breaks=inst.breaks,
            seed=seed,
            wall_time_s=time.perf_counter() - start,
        )


def registry() -> dict[str, Theorem]:
    """Every theorem registered under the ``ntkconv.theorems`` entry-point group, by id."""
    found: dict[str, Theorem] = {}
    for ep in entry_points(group="ntkconv.theorems"):
        theorem = ep.load()
        if not isinstance(theorem, Theorem) or theorem.id != ep.name:
            raise TypeError(f"entry point {ep.name!r} must name a Theorem with id {ep.name!r}")
        found[theorem.id] = theorem
    return dict(sorted(found.items()))
