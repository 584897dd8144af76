"""The theorem protocol: what a theorem module provides, what a check records, and how the
verdict is read off the record.

The engine knows no theorem: modules register a :class:`Theorem` under the entry-point group
``ntkconv.theorems`` and :func:`registry` discovers them (``pyproject.toml`` lists ntkconv's own).

A check measures two things separately — whether the theorem's hypotheses hold on the instance,
and whether its conclusion holds — and the verdict is read off the table

    ================  ===========================  ============================
                      conclusion holds             conclusion fails
    ================  ===========================  ============================
    hypotheses met    ``holds``                    ``violated``
    hypotheses not    ``held-outside-hypotheses``  ``failed-without-hypothesis``
    ================  ===========================  ============================

plus ``diverged`` (training produced NaN/inf or blew up; it takes precedence, the run is void)
and ``error`` (the evaluation raised; the message is in the record). Comparisons allow
floating-point slack only (:data:`FLOAT_RTOL`, relative).

Every :class:`Instance` declares the verdict it should produce. A regular instance should
``hold`` (or, where the theorem's sufficient conditions cannot be met at runnable sizes,
honestly come out ``held-outside-hypotheses``). A *strong control* names the hypothesis it
breaks (``breaks=``) and its conclusion is measured failing: ``failed-without-hypothesis``. A
*sharpened control* (``sharpen=``) tightens the bound by a factor the theorem does not grant,
and must come out ``violated``: it is decided from the record's :class:`Tightness`.
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from importlib.metadata import entry_points
from typing import Any

import numpy as np
import sympy as sp
import torch

from .seeds import check_seed
from .stats import MeanInterval

#: Relative floating-point slack allowed when comparing a measured value with a bound.
FLOAT_RTOL = 1e-9
#: A record whose conclusion holds must have tightness ≥ its threshold up to this relative
#: slack (tightness is computed from the same numbers, so only rounding separates them).
TIGHTNESS_RTOL = 1e-6


class Verdict(str, Enum):
    """The six verdicts of a check (see the module docstring for the table)."""

    HOLDS = "holds"
    VIOLATED = "violated"
    FAILED_WITHOUT_HYPOTHESIS = "failed-without-hypothesis"
    HELD_OUTSIDE_HYPOTHESES = "held-outside-hypotheses"
    DIVERGED = "diverged"
    ERROR = "error"


#: relation → how it reads
RELATIONS = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "="}


def _reals(x: Any, name: str) -> np.ndarray:
    """``x`` as a float array; strings, complex numbers and objects are refused by name."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number or array of them; got {x!r}")
    return a.astype(float)


def leq(measured: Any, bound: Any, rtol: float = FLOAT_RTOL, atol: float = 0.0) -> np.ndarray:
    """Elementwise ``measured ≤ bound`` up to relative floating-point slack ``rtol`` (of the
    larger magnitude) and an absolute ``atol`` (for quantities whose scale is known, such as an
    eigenvalue next to the rank cutoff of its matrix).

    Example:
        >>> bool(leq(1 + 5e-10, 1.0)), bool(leq(1 + 2e-9, 1.0)), bool(leq(float("inf"), 1.0))
        (True, False, False)
    """
    m, b = _reals(measured, "measured"), _reals(bound, "bound")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be >= 0; got {rtol!r}, {atol!r}")
    try:
        np.broadcast_shapes(m.shape, b.shape)
    except ValueError:
        raise ValueError(f"measured {m.shape} and bound {b.shape} do not broadcast") from None
    scale = np.maximum(np.abs(b), np.abs(m))
    # slack relative to a finite scale only: inf ≤ 1 must stay false
    slack = rtol * np.where(np.isfinite(scale), scale, 0.0) + atol
    return m <= b + slack


def compare(
    measured: Any, relation: str, bound: Any, rtol: float = FLOAT_RTOL, atol: float = 0.0
) -> np.ndarray:
    """Elementwise ``measured <relation> bound``. ``<=``, ``>=`` and ``==`` allow the slack of
    :func:`leq`; the strict ``<`` and ``>`` allow none (a strict claim with slack is no claim).
    NaN never satisfies a relation."""
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {list(RELATIONS)}; got {relation!r}")
    m, b = _reals(measured, "measured"), _reals(bound, "bound")
    if relation == "<=":
        return leq(m, b, rtol, atol)
    if relation == ">=":
        return leq(b, m, rtol, atol)
    if relation == "==":
        return leq(m, b, rtol, atol) & leq(b, m, rtol, atol)
    return m < b if relation == "<" else m > b


@dataclass(frozen=True)
class Bound:
    """A number with the relation a value is claimed to satisfy: ``Bound(0.07, "<=")`` reads
    "≤ 0.07". Records hold predictions (and censored measurements) this way, never as text."""

    value: float
    relation: str = "<="

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise ValueError(f"relation must be one of {list(RELATIONS)}; got {self.relation!r}")
        object.__setattr__(self, "value", float(self.value))

    def holds(self, measured: Any, rtol: float = FLOAT_RTOL) -> bool:
        """Whether every entry of ``measured`` satisfies the relation."""
        return bool(np.all(compare(measured, self.relation, self.value, rtol)))

    def __str__(self) -> str:
        return f"{RELATIONS[self.relation]} {self.value:.4g}"


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis checked on the instance: ``measured`` against ``required`` — a
    :class:`Bound`, or text for a qualitative condition — with ``note`` naming the bound
    (e.g. ``"1/β"``)."""

    name: str
    holds: bool
    measured: Any
    required: Bound | str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", bool(self.holds))


def hypothesis(
    name: str,
    measured: Any,
    relation: str,
    bound: float,
    *,
    note: str = "",
    rtol: float = FLOAT_RTOL,
    atol: float = 0.0,
) -> Hypothesis:
    """A :class:`Hypothesis` decided by :func:`compare`: it holds when every entry of
    ``measured`` satisfies ``relation`` against ``bound``.

    Example:
        >>> h = hypothesis("step <= 1/beta", 0.5, "<=", 1 / 1.8, note="1/β")
        >>> h.holds, str(h.required)
        (True, '≤ 0.5556')
    """
    holds = bool(np.all(compare(measured, relation, bound, rtol, atol)))
    return Hypothesis(name, holds, measured, Bound(bound, relation), note)


@dataclass(frozen=True)
class Tightness:
    """How far a claim could be tightened before the measured values break it.

    * ``ratio`` — the largest c with measured ≤ bound/c (for a lower bound: measured ≥ c·bound);
    * ``exponent`` — for a rate q^k, the largest e with measured ≤ q^{e·k}·(start);
    * ``margin`` — for a threshold (a fitted exponent, a tolerance), the distance to it in the
      threshold's own units;
    * ``kind=None`` — no tightening makes sense (equalities such as a rank or a piece count,
      qualitative trends); ``about`` says why, and a planted-fault test stands in.

    A claim holds when the value reaches :attr:`threshold` (1 for ratio and exponent, 0 for
    margin); a sharpened control with factor f holds only when the value reaches f. Huge values
    mean the check cannot see a constant-factor error: it then needs a sharper prediction.
    """

    kind: str | None
    value: float | None
    about: str

    KINDS = ("ratio", "exponent", "margin")

    def __post_init__(self) -> None:
        if self.kind is None:
            if self.value is not None:
                raise ValueError("Tightness without a kind carries no value")
            if not self.about:
                raise ValueError("Tightness without a kind must say why (about=...)")
        elif self.kind not in self.KINDS:
            raise ValueError(f"Tightness kind must be one of {self.KINDS} or None")
        elif self.value is None:
            raise ValueError(f"Tightness of kind {self.kind!r} needs a value")
        else:
            object.__setattr__(self, "value", float(self.value))

    @classmethod
    def ratio(cls, value: float, about: str) -> Tightness:
        return cls("ratio", value, about)

    @classmethod
    def exponent(cls, value: float, about: str) -> Tightness:
        return cls("exponent", value, about)

    @classmethod
    def margin(cls, value: float, about: str) -> Tightness:
        return cls("margin", value, about)

    @classmethod
    def none(cls, reason: str) -> Tightness:
        return cls(None, None, reason)

    @classmethod
    def of_upper_bound(cls, measured: Any, bound: Any, about: str) -> Tightness:
        """Ratio tightness of ``measured ≤ bound`` (elementwise): min bound/measured, +inf
        where the measured value is ≤ 0 under a positive bound."""
        m, b = np.broadcast_arrays(np.asarray(measured, float), np.asarray(bound, float))
        if (b <= 0).any():
            raise ValueError("of_upper_bound needs a positive bound")
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(m > 0, b / np.where(m > 0, m, 1.0), np.inf)
        r = np.where(m == b, 1.0, r)  # inf ≤ inf holds, with no room
        r = np.where(np.isnan(m) | np.isnan(b), np.nan, r)  # NaN never satisfies a claim
        return cls.ratio(float(np.min(r)) if r.size else math.inf, about)

    @classmethod
    def of_lower_bound(cls, measured: Any, bound: Any, about: str) -> Tightness:
        """Ratio tightness of ``measured ≥ bound > 0`` (elementwise): min measured/bound."""
        m, b = np.broadcast_arrays(np.asarray(measured, float), np.asarray(bound, float))
        if (b <= 0).any():
            raise ValueError("of_lower_bound needs a positive bound")
        return cls.ratio(float(np.min(m / b)) if m.size else math.inf, about)

    @classmethod
    def of_rate(cls, measured: Any, predicted: Any, about: str) -> Tightness:
        """Exponent tightness of ``measured_k ≤ predicted_k`` where both are ratios to the same
        start (``predicted_k`` = q^k, or a product of per-step rates): the largest e with
        measured_k ≤ predicted_k^e, i.e. min_k log(measured_k)/log(predicted_k) over the steps
        where the prediction has contracted (predicted_k < 1). A measured value of 0 (converged
        exactly) puts no limit on e; one that blew up (inf) gives −inf, and NaN gives NaN."""
        m = np.asarray(measured, float).ravel()
        p = np.asarray(predicted, float).ravel()
        keep = (p < 1) & (p > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.log(np.maximum(m[keep], 0.0)) / np.log(p[keep])
        e = np.where(np.isnan(m[keep]), np.nan, e)
        return cls.exponent(float(np.min(e)) if e.size else math.inf, about)

    @property
    def threshold(self) -> float:
        """The value at which the (unsharpened) claim just holds."""
        return 0.0 if self.kind == "margin" else 1.0

    def reaches(self, level: float) -> bool:
        """Whether the claim, tightened to ``level``, still holds (NaN never does)."""
        return self.kind is not None and bool(self.value >= level)  # type: ignore[operator]

    def __str__(self) -> str:
        if self.kind is None:
            return "—"
        short = {"ratio": "ratio", "exponent": "exp", "margin": "margin"}[self.kind]
        return f"{short} {self.value:.3g}"


@dataclass(frozen=True)
class Outcome:
    """What a theorem's ``evaluate`` measures; the protocol turns it into a record.

    ``tightness`` is required of every outcome: compute it from the same numbers as
    ``conclusion_holds`` (the protocol refuses an outcome whose conclusion holds while its
    tightness says it does not)."""

    hypotheses: Sequence[Hypothesis]
    conclusion_holds: bool
    predicted: Any
    measured: Any
    tightness: Tightness
    details: Mapping[str, Any] = field(default_factory=dict)
    diverged: bool = False


def decide(hypotheses_met: bool, conclusion_holds: bool, diverged: bool = False) -> Verdict:
    """The verdict table of the module docstring.

    Example:
        >>> decide(True, True).value, decide(False, False).value
        ('holds', 'failed-without-hypothesis')
    """
    flags = {
        "hypotheses_met": hypotheses_met,
        "conclusion_holds": conclusion_holds,
        "diverged": diverged,
    }
    for name, flag in flags.items():
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool; got {flag!r}")
    if diverged:
        return Verdict.DIVERGED
    if hypotheses_met:
        return Verdict.HOLDS if conclusion_holds else Verdict.VIOLATED
    return (
        Verdict.HELD_OUTSIDE_HYPOTHESES if conclusion_holds else Verdict.FAILED_WITHOUT_HYPOTHESIS
    )


#: The verdict an instance declares by default, by role.
_DEFAULT_EXPECT = {
    "instance": Verdict.HOLDS,
    "breaks": Verdict.FAILED_WITHOUT_HYPOTHESIS,
    "sharpen": Verdict.VIOLATED,
}
#: What each role may declare: a broken hypothesis cannot give holds/violated, a sharpened
#: control that still held would show no power.
_ALLOWED_EXPECT = {
    "instance": {Verdict.HOLDS, Verdict.HELD_OUTSIDE_HYPOTHESES, Verdict.VIOLATED},
    "breaks": {
        Verdict.FAILED_WITHOUT_HYPOTHESIS,
        Verdict.HELD_OUTSIDE_HYPOTHESES,
        Verdict.DIVERGED,
    },
    "sharpen": {Verdict.VIOLATED, Verdict.FAILED_WITHOUT_HYPOTHESIS},
}


def _is_control(role: str, expected: Verdict) -> bool:
    return role != "instance" or expected not in (Verdict.HOLDS, Verdict.HELD_OUTSIDE_HYPOTHESES)


@dataclass(frozen=True)
class Instance:
    """A named configuration and the verdict it declares.

    Args:
        name: the instance's name within its theorem.
        config: the configuration passed to ``evaluate``.
        description: one line for tables and pages.
        breaks: a strong control: the name of the hypothesis it breaks (it must be among the
            record's hypotheses and fail).
        quick: overrides of ``config`` for ``--quick`` runs.
        sharpen: a sharpened control: the factor (ratio, exponent) or amount (margin) by which
            the theorem's bound is tightened beyond what it grants; decided from the tightness.
        expect: the declared verdict; by default ``holds``, ``failed-without-hypothesis`` for
            ``breaks`` and ``violated`` for ``sharpen``. A regular instance outside the
            theorem's sufficient conditions declares ``held-outside-hypotheses``; an instance
            encoding a false claim (a slide's misprint) declares ``violated``.
    """

    name: str
    config: Mapping[str, Any]
    description: str = ""
    breaks: str | None = None
    quick: Mapping[str, Any] = field(default_factory=dict)
    sharpen: float | None = None
    expect: Verdict | str | None = None

    def __post_init__(self) -> None:
        if self.breaks is not None and not self.breaks:
            raise ValueError(f"instance {self.name!r}: breaks must name a hypothesis")
        if self.breaks is not None and self.sharpen is not None:
            raise ValueError(f"instance {self.name!r}: set breaks= or sharpen=, not both")
        if self.sharpen is not None and not (self.sharpen > 0 and math.isfinite(self.sharpen)):
            raise ValueError(f"instance {self.name!r}: sharpen must be finite and > 0")
        expect = _DEFAULT_EXPECT[self.role] if self.expect is None else Verdict(self.expect)
        if expect not in _ALLOWED_EXPECT[self.role]:
            raise ValueError(
                f"instance {self.name!r} ({self.role}) cannot declare {expect.value!r}; "
                f"expected one of {sorted(v.value for v in _ALLOWED_EXPECT[self.role])}"
            )
        object.__setattr__(self, "expect", expect)

    @property
    def role(self) -> str:
        """``instance``, ``breaks`` (strong control) or ``sharpen`` (sharpened control)."""
        if self.breaks is not None:
            return "breaks"
        return "sharpen" if self.sharpen is not None else "instance"

    @property
    def expected(self) -> Verdict:
        return self.expect  # type: ignore[return-value]

    @property
    def control(self) -> bool:
        """A control breaks a hypothesis, sharpens the bound, or is not expected to hold."""
        return _is_control(self.role, self.expected)

    def sharpened(self, factor: float, description: str = "", name: str = "") -> Instance:
        """This instance's configuration as a sharpened control (same evaluation, reused by
        :func:`~ntkconv.run_checks`), named ``<name>-sharpened`` unless ``name`` is given."""
        return Instance(
            name or f"{self.name}-sharpened",
            self.config,
            description or f"{self.name} with the bound tightened by {factor:g}",
            quick=self.quick,
            sharpen=factor,
        )


@dataclass
class CheckResult:
    """One checked instance (what ``ntkconv check --json`` prints): the declared and the
    measured verdict, both halves of the verdict table, the numbers behind them."""

    id: str
    instance: str
    role: str
    breaks: str | None
    sharpen: float | None
    declared: Verdict
    verdict: Verdict
    hypotheses_met: bool | None
    conclusion_holds: bool | None
    predicted: Any
    measured: Any
    tightness: Tightness | None
    config: dict[str, Any]
    details: dict[str, Any]
    hypotheses: list[Hypothesis]
    seed: int
    wall_time_s: float
    error: str | None = None
    shares_evaluation_with: str | None = None

    @property
    def control(self) -> bool:
        return _is_control(self.role, self.declared)

    @property
    def problems(self) -> list[str]:
        """Why the record is not as its instance declares (empty when it is)."""
        out = []
        if self.verdict is not self.declared:
            out.append(f"verdict {self.verdict.value}, declared {self.declared.value}")
        if self.breaks is not None and self.verdict is not Verdict.ERROR:
            named = [h for h in self.hypotheses if h.name == self.breaks]
            if not named:
                out.append(f"the broken hypothesis {self.breaks!r} is not among the hypotheses")
            elif any(h.holds for h in named):
                out.append(f"the broken hypothesis {self.breaks!r} holds")
        return out

    @property
    def as_declared(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: tensors and arrays become lists, NaN becomes null, ±inf the
        strings "inf"/"-inf" (JSON has no non-finite numbers), bounds {"value", "relation"}."""
        # not dataclasses.asdict: it deep-copies, which tensors carrying a graph refuse
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["control"] = self.control
        out["as_declared"] = self.as_declared
        return jsonable(out)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """A record back from :meth:`to_dict` (details and values stay JSON: lists, not
        tensors); enough to tabulate it."""
        d = dict(d)
        d.pop("as_declared", None)
        d.pop("control", None)
        t = d.get("tightness")
        return cls(
            **{
                **d,
                "declared": Verdict(d["declared"]),
                "verdict": Verdict(d["verdict"]),
                "predicted": _bounds_back(d["predicted"]),
                "measured": _bounds_back(d["measured"]),
                "tightness": None
                if t is None
                else Tightness(
                    t["kind"], None if t["kind"] is None else _number_back(t["value"]), t["about"]
                ),
                "hypotheses": [
                    Hypothesis(**{**h, "required": _bounds_back(h["required"])})
                    for h in d["hypotheses"]
                ],
            }
        )


_INTERVAL_FIELDS = {f.name for f in dataclasses.fields(MeanInterval)}


def _bounds_back(x: Any) -> Any:
    """Bounds and confidence intervals back from their JSON dicts."""
    if isinstance(x, Mapping):
        if set(x) == {"value", "relation"}:
            return Bound(_number_back(x["value"]), x["relation"])
        if set(x) == _INTERVAL_FIELDS:
            numbers = {k: _number_back(x[k]) for k in ("estimate", "lower", "upper", "alpha")}
            return MeanInterval(**numbers, samples=int(x["samples"]), method=x["method"])
        return {k: _bounds_back(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_bounds_back(v) for v in x]
    return x


def _number_back(x: Any) -> float:
    """A number back from JSON: null was NaN, the strings "inf"/"-inf" infinities."""
    return math.nan if x is None else float(x)


def jsonable(x: Any) -> Any:
    """``x`` with tensors/arrays as lists, NaN as None, ±inf as "inf"/"-inf", enums as their
    values and dataclasses (bounds, intervals, tightness) as dicts."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable({f.name: getattr(x, f.name) for f in dataclasses.fields(x)})
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, torch.Tensor):
        return jsonable(x.detach().cpu().tolist())
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
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


Evaluate = Callable[[dict[str, Any], int], Outcome]
FigureFn = Callable[[Sequence[CheckResult]], Any]
#: Evaluations shared between instances of one run, keyed by (theorem id, config, seed).
EvaluationCache = MutableMapping[tuple[str, Any, int], tuple[str, Outcome]]


def _cache_key(x: Any) -> Any:
    """A hashable encoding of a configuration that keeps every distinction ``evaluate`` could
    see: tuple vs list, int vs float vs str, NaN vs None, a tensor's dtype and values."""
    if isinstance(x, Mapping):
        return ("dict", tuple(sorted((repr(k), _cache_key(v)) for k, v in x.items())))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple(_cache_key(v) for v in x))
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return ("tensor", str(x.dtype), tuple(x.shape), x.numpy().tobytes())
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.shape, x.tobytes())
    return (type(x).__qualname__, repr(x))


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

    def __post_init__(self) -> None:
        names = [i.name for i in self.instances]
        if len(set(names)) != len(names):
            raise ValueError(f"theorem {self.id!r}: instance names repeat: {names}")

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
        self,
        instance: str | None = None,
        *,
        quick: bool = False,
        seed: int = 0,
        cache: EvaluationCache | None = None,
        **overrides: Any,
    ) -> CheckResult:
        """Check one instance (default: the first); ``overrides`` replace config entries.

        An exception inside ``evaluate`` becomes a record with verdict ``error`` (the message
        and the last lines of the traceback in the record), so one failing instance never loses
        the rest of a run. ``cache`` lets instances with the same configuration and seed share
        one evaluation (a sharpened control re-decides its base instance's numbers)."""
        inst = self.instance(instance) if instance else self.instances[0]
        seed = check_seed(seed)
        unknown = set(overrides) - set(inst.config)
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)} for {self.id}/{inst.name}")
        config = {**inst.config, **(inst.quick if quick else {}), **overrides}
        start = time.perf_counter()
        shared = None
        try:
            key = (self.id, _cache_key(config), seed)
            if cache is not None and key in cache:
                shared, out = cache[key]
            else:
                out = self.evaluate(dict(config), seed)
                if cache is not None:
                    cache[key] = (inst.name, out)
            return self._record(inst, config, seed, out, time.perf_counter() - start, shared)
        except Exception as exc:  # the record says what raised; the run goes on
            return self._error(inst, config, seed, exc, time.perf_counter() - start)

    def _record(
        self,
        inst: Instance,
        config: dict[str, Any],
        seed: int,
        out: Outcome,
        seconds: float,
        shared: str | None,
    ) -> CheckResult:
        if not isinstance(out, Outcome):
            raise TypeError(f"evaluate must return an ntkconv.Outcome; got {type(out).__name__}")
        t = out.tightness
        if not isinstance(t, Tightness):
            raise TypeError(f"Outcome.tightness must be an ntkconv.Tightness; got {t!r}")
        met = all(h.holds for h in out.hypotheses)
        holds = bool(out.conclusion_holds)
        if holds and t.kind is not None and not out.diverged:  # a void run may say anything
            floor = t.threshold - TIGHTNESS_RTOL * max(1.0, abs(t.threshold))
            if not t.value >= floor:  # type: ignore[operator]
                raise ValueError(
                    f"inconsistent outcome: the conclusion holds but its tightness is {t}, "
                    f"below {t.threshold:g} (compute both from the same numbers)"
                )
        if inst.sharpen is not None:
            if t.kind is None:
                raise ValueError(f"sharpen= needs a tightness with a kind; this one has none: {t}")
            if inst.sharpen <= t.threshold:
                raise ValueError(
                    f"sharpen={inst.sharpen:g} does not tighten a {t.kind} claim "
                    f"(it must exceed {t.threshold:g})"
                )
            holds = holds and t.reaches(inst.sharpen)
        return CheckResult(
            **self._identity(inst, config, seed, seconds),
            verdict=decide(met, holds, out.diverged),
            hypotheses_met=met,
            conclusion_holds=holds,
            predicted=out.predicted,
            measured=out.measured,
            tightness=t,
            details=dict(out.details),
            hypotheses=list(out.hypotheses),
            shares_evaluation_with=shared,
        )

    def _identity(
        self, inst: Instance, config: dict[str, Any], seed: int, seconds: float
    ) -> dict[str, Any]:
        """The fields of a record that say what was checked, whatever came out."""
        return {
            "id": self.id,
            "instance": inst.name,
            "role": inst.role,
            "breaks": inst.breaks,
            "sharpen": inst.sharpen,
            "declared": inst.expected,
            "config": config,
            "seed": seed,
            "wall_time_s": seconds,
        }

    def _error(
        self, inst: Instance, config: dict[str, Any], seed: int, exc: Exception, seconds: float
    ) -> CheckResult:
        trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return CheckResult(
            **self._identity(inst, config, seed, seconds),
            verdict=Verdict.ERROR,
            hypotheses_met=None,
            conclusion_holds=None,
            predicted=None,
            measured=None,
            tightness=None,
            details={"traceback": "".join(trace[-4:])},
            hypotheses=[],
            error=f"{type(exc).__name__}: {exc}",
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
