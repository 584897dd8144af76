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
    """The six verdicts of a check, read off the verdict table of the module docstring.

    Four verdicts come from the two halves a check measures: whether the hypotheses were met
    on the instance and whether the conclusion held. ``diverged`` takes precedence over them
    (the run is void), and ``error`` records an evaluation that raised. The enum subclasses
    ``str``, so a verdict compares equal to its value and serializes as it.

    Attributes:
        HOLDS: ``"holds"``: hypotheses met and the conclusion holds.
        VIOLATED: ``"violated"``: hypotheses met, the conclusion fails (a bug or a finding;
            what a sharpened control must show).
        FAILED_WITHOUT_HYPOTHESIS: ``"failed-without-hypothesis"``: a hypothesis not met and
            the conclusion measured failing (what a strong control shows).
        HELD_OUTSIDE_HYPOTHESES: ``"held-outside-hypotheses"``: a hypothesis not met, the
            conclusion held anyway (an empirical finding, not a verification).
        DIVERGED: ``"diverged"``: training produced NaN/inf or blew up; the run is void.
        ERROR: ``"error"``: the evaluation raised; the message is in the record.

    Examples:
        >>> Verdict("holds") is Verdict.HOLDS, Verdict.FAILED_WITHOUT_HYPOTHESIS.value
        (True, 'failed-without-hypothesis')
        >>> Verdict.DIVERGED == "diverged"
        True
    """

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
    """Elementwise ``measured ≤ bound`` up to floating-point slack.

    The test is

        measured ≤ bound + rtol · max(|measured|, |bound|) + atol,

    a relative slack ``rtol`` of the larger magnitude plus an absolute ``atol`` (for quantities
    whose scale is known, such as an eigenvalue next to the rank cutoff of its matrix). The
    relative slack counts only where that magnitude is finite, so ``inf ≤ 1`` stays false
    (``inf ≤ inf`` holds); NaN never satisfies the relation.

    Args:
        measured: a real number or array-like of any shape (bool, int or float entries),
            compared in float64.
        bound: a real number or array-like that broadcasts against ``measured``.
        rtol: relative slack, ``≥ 0``; the default :data:`FLOAT_RTOL` (1e-9) allows rounding
            only.
        atol: absolute slack, ``≥ 0``; default 0 (none).

    Returns:
        A NumPy bool array of the broadcast shape of ``measured`` and ``bound`` (a NumPy bool
            scalar when both are scalars; wrap it in ``bool`` for a single answer).

    Raises:
        TypeError: ``measured`` or ``bound`` is not real (a string, a complex number, an
            object).
        ValueError: ``rtol`` or ``atol`` is negative or NaN, or the shapes do not broadcast.

    Examples:
        >>> bool(leq(1 + 5e-10, 1.0)), bool(leq(1 + 2e-9, 1.0)), bool(leq(float("inf"), 1.0))
        (True, False, False)
        >>> leq([0.5, 1.0, 1.5], 1.0).tolist(), bool(leq(1e-16, 0.0, atol=1e-15))
        ([True, True, False], True)
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
    """Elementwise ``measured <relation> bound``, with the slack of :func:`leq` where it is
    meaningful.

    ``<=``, ``>=`` and ``==`` allow the slack of :func:`leq` (``==`` is ``≤`` both ways); the
    strict ``<`` and ``>`` allow none (a strict claim with slack is no claim). NaN never
    satisfies a relation.

    Args:
        measured: a real number or array-like of any shape, compared in float64.
        relation: one of ``"<="``, ``"<"``, ``">="``, ``">"``, ``"=="``.
        bound: a real number or array-like that broadcasts against ``measured``.
        rtol: relative slack for ``<=``, ``>=`` and ``==`` (see :func:`leq`); default
            :data:`FLOAT_RTOL`. Ignored by ``<`` and ``>``.
        atol: absolute slack for ``<=``, ``>=`` and ``==``; default 0. Ignored by ``<`` and
            ``>``.

    Returns:
        A NumPy bool array of the broadcast shape (a NumPy bool scalar for two scalars).

    Raises:
        ValueError: ``relation`` is not one of the five; for the non-strict relations also
            a negative ``rtol``/``atol``; shapes that do not broadcast.
        TypeError: ``measured`` or ``bound`` is not real.

    Examples:
        >>> bool(compare(2.0, ">=", 2.0 * (1 + 5e-10))), bool(compare(1.0, "<", 1.0))
        (True, False)
        >>> compare([0.5, 1.0, float("nan")], "==", 1.0).tolist()
        [False, True, False]
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {list(RELATIONS)}; got {relation!r}")
    m, b = _reals(measured, "measured"), _reals(bound, "bound")
    if relation == "<=":
        return leq(m, b, rtol, atol)
    if relation == ">=":
        return leq(b, m, rtol, atol)
    if relation == "==":
        return leq(m, b, rtol, atol) & leq(b, m, rtol, atol)
    leq(m, b, rtol, atol)  # the same argument checks (shapes, tolerances) for strict relations
    return m < b if relation == "<" else m > b


@dataclass(frozen=True)
class Bound:
    """A number with the relation a value is claimed to satisfy.

    ``Bound(0.07, "<=")`` reads "≤ 0.07". Records hold predictions (and censored
    measurements) this way, never as text, so a record read back from JSON can still be
    compared (:meth:`CheckResult.to_dict` writes it as ``{"value", "relation"}``).

    Attributes:
        value: the bound, stored as a Python float.
        relation: how a value relates to it: ``"<="`` (the default), ``"<"``, ``">="``,
            ``">"`` or ``"=="``.

    Raises:
        ValueError: ``relation`` is not one of the five (or ``value`` is a string that is not
            a number).
        TypeError: ``value`` is not convertible to float.

    Examples:
        >>> b = Bound(0.07)
        >>> str(b), b.holds([0.05, 0.07]), b.holds(0.08)
        ('≤ 0.07', True, False)
        >>> str(Bound(1, ">"))
        '> 1'
    """

    value: float
    relation: str = "<="

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise ValueError(f"relation must be one of {list(RELATIONS)}; got {self.relation!r}")
        object.__setattr__(self, "value", float(self.value))

    def holds(self, measured: Any, rtol: float = FLOAT_RTOL) -> bool:
        """Whether every entry of ``measured`` satisfies the relation (see :func:`compare`).

        Args:
            measured: a real number or array-like of any shape.
            rtol: relative slack for the non-strict relations; default :data:`FLOAT_RTOL`.

        Returns:
            True when every entry satisfies ``<relation> value`` (True for an empty array).

        Raises:
            TypeError: ``measured`` is not real.
            ValueError: ``rtol`` is negative.
        """
        return bool(np.all(compare(measured, self.relation, self.value, rtol)))

    def __str__(self) -> str:
        return f"{RELATIONS[self.relation]} {self.value:.4g}"


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis checked on the instance: ``measured`` against ``required``.

    Build quantitative hypotheses with :func:`hypothesis`, which decides ``holds`` by
    :func:`compare`; construct one directly for a qualitative condition (``required`` as
    text). The record's ``hypotheses_met`` is the conjunction of every ``holds``.

    Attributes:
        name: what is assumed, e.g. ``"step <= 1/beta"``; a strong control's ``breaks=``
            names it.
        holds: whether it holds on the instance (stored as a Python bool).
        measured: the measured quantity (a number, an array or tensor of any shape, or a
            dict); shown in the report's hypotheses table.
        required: a :class:`Bound`, or text for a qualitative condition.
        note: what the bound is, e.g. ``"1/β"``; default empty.

    Examples:
        >>> h = Hypothesis("inputs on the sphere", True, "max | |x| - 1 | = 0", "unit norm")
        >>> h.holds, h.required
        (True, 'unit norm')
    """

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
    """A :class:`Hypothesis` decided by :func:`compare`.

    It holds when every entry of ``measured`` satisfies ``measured <relation> bound``, with
    the floating-point slack of :func:`leq` for the non-strict relations.

    Args:
        name: what is assumed, e.g. ``"step <= 1/beta"``.
        measured: a real number or array-like of any shape (every entry is compared).
        relation: ``"<="``, ``"<"``, ``">="``, ``">"`` or ``"=="``.
        bound: the scalar bound; stored as ``Bound(bound, relation)``.
        note: what the bound is, e.g. ``"1/β"``; default empty.
        rtol: relative slack (see :func:`leq`); default :data:`FLOAT_RTOL`.
        atol: absolute slack; default 0.

    Returns:
        The hypothesis, a :class:`Hypothesis` with ``required=Bound(bound, relation)``.

    Raises:
        ValueError: an unknown ``relation``, a negative ``rtol``/``atol``, or shapes that do
            not broadcast.
        TypeError: ``measured`` or ``bound`` is not real (or ``bound`` is not a scalar).

    Examples:
        >>> h = hypothesis("step <= 1/beta", 0.5, "<=", 1 / 1.8, note="1/β")
        >>> h.holds, str(h.required)
        (True, '≤ 0.5556')
        >>> hypothesis("width m >= n", [64, 8], ">=", 16).holds
        False
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
    Compute it from the same numbers as the conclusion: the protocol refuses an outcome whose
    conclusion holds while its tightness is below the threshold.

    Attributes:
        kind: ``"ratio"``, ``"exponent"``, ``"margin"`` (:attr:`KINDS`) or None.
        value: the largest tightening the measured values allow, as a float (may be ``inf``,
            ``-inf`` or NaN, which never reaches a level); None exactly when ``kind`` is None.
        about: what the value measures (shown on hover in the report); for ``kind=None``,
            why no tightening makes sense (required then).
        KINDS: the kinds with a value, ``("ratio", "exponent", "margin")``.

    Raises:
        ValueError: an unknown ``kind``; a kind without a value; ``kind=None`` with a value or
            without ``about``.

    Examples:
        >>> t = Tightness.of_upper_bound([1.0, 2.0], [4.0, 5.0], "bound / measured")
        >>> str(t), t.reaches(t.threshold), t.reaches(2.5), t.reaches(3.0)
        ('ratio 2.5', True, True, False)
        >>> none = Tightness.none("a rank is an equality")
        >>> str(none), none.reaches(0.0)
        ('—', False)
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
        """A ratio tightness: the largest c with measured ≤ bound/c (or measured ≥ c·bound).

        Args:
            value: c (threshold 1: the claim holds when c ≥ 1). A negative c means measured
                and bound have opposite signs (a lower bound on a decrease that came out an
                increase): the claim is broken outright, not by a constant factor.
            about: what the ratio measures, e.g. ``"bound / measured loss"``.

        Returns:
            ``Tightness("ratio", value, about)``.

        Examples:
            >>> str(Tightness.ratio(3, "bound / measured"))
            'ratio 3'
        """
        return cls("ratio", value, about)

    @classmethod
    def exponent(cls, value: float, about: str) -> Tightness:
        """An exponent tightness: the largest e with measured_k ≤ q^{e·k}·(start).

        Args:
            value: e (threshold 1: the claimed rate q^k itself).
            about: what the exponent measures.

        Returns:
            ``Tightness("exponent", value, about)``.
        """
        return cls("exponent", value, about)

    @classmethod
    def margin(cls, value: float, about: str) -> Tightness:
        """A margin tightness: the distance to a threshold, in the threshold's own units.

        Args:
            value: the signed distance (threshold 0: negative means the claim fails).
            about: what the margin measures, e.g. ``"0.5 − fitted exponent"``.

        Returns:
            ``Tightness("margin", value, about)``.

        Examples:
            >>> t = Tightness.margin(0.1, "tolerance − error")
            >>> t.threshold, t.reaches(0.0), t.reaches(0.2)
            (0.0, True, False)
        """
        return cls("margin", value, about)

    @classmethod
    def none(cls, reason: str) -> Tightness:
        """No tightening makes sense (an equality such as a rank, a qualitative trend).

        Args:
            reason: why not (non-empty); a planted-fault test stands in for the tightness.

        Returns:
            ``Tightness(None, None, reason)``.

        Raises:
            ValueError: ``reason`` is empty.
        """
        return cls(None, None, reason)

    @classmethod
    def of_upper_bound(cls, measured: Any, bound: Any, about: str) -> Tightness:
        """Ratio tightness of ``measured ≤ bound`` (elementwise): min bound/measured.

        An entry whose measured value is ≤ 0 under a positive bound puts no limit on the ratio
        (+inf); an entry with measured = bound gives exactly 1 (so ``inf ≤ inf`` holds, with
        no room); NaN in either gives NaN, which never reaches a level.

        Args:
            measured: measured values, a real number or array-like of any shape.
            bound: the positive upper bound(s), broadcasting against ``measured``.
            about: what the ratio measures.

        Returns:
            A ``ratio`` :class:`Tightness` (value +inf for empty input).

        Raises:
            ValueError: some ``bound`` entry is ≤ 0.

        Examples:
            >>> Tightness.of_upper_bound([0.5, 0.0], 1.0, "1 / loss").value
            2.0
        """
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
        """Ratio tightness of ``measured ≥ bound > 0`` (elementwise): min measured/bound.

        Args:
            measured: measured values, a real number or array-like of any shape.
            bound: the positive lower bound(s), broadcasting against ``measured``.
            about: what the ratio measures.

        Returns:
            A ``ratio`` :class:`Tightness` (value +inf for empty input; NaN propagates).

        Raises:
            ValueError: some ``bound`` entry is ≤ 0.

        Examples:
            >>> Tightness.of_lower_bound([3.0, 8.0], 2.0, "lambda_min / bound").value
            1.5
        """
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
        exactly) puts no limit on e; one that blew up (inf) gives −inf, and NaN gives NaN.

        Args:
            measured: measured ratios measured_k / start, one per step (flattened).
            predicted: predicted ratios predicted_k, the same length as ``measured``.
            about: what the exponent measures.

        Returns:
            An ``exponent`` :class:`Tightness` (value +inf when no step has 0 < predicted < 1).

        Examples:
            >>> Tightness.of_rate([1.0, 0.25, 0.0], [1.0, 0.5, 0.25], "q^k").value
            2.0
        """
        m = np.asarray(measured, float).ravel()
        p = np.asarray(predicted, float).ravel()
        keep = (p < 1) & (p > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.log(np.maximum(m[keep], 0.0)) / np.log(p[keep])
        e = np.where(np.isnan(m[keep]), np.nan, e)
        return cls.exponent(float(np.min(e)) if e.size else math.inf, about)

    @property
    def threshold(self) -> float:
        """The value at which the (unsharpened) claim just holds: 0 for margin, else 1."""
        return 0.0 if self.kind == "margin" else 1.0

    def reaches(self, level: float) -> bool:
        """Whether the claim, tightened to ``level``, still holds (NaN never does).

        Args:
            level: the tightening, e.g. a sharpened control's factor, or :attr:`threshold`.

        Returns:
            ``value >= level``; always False for ``kind=None``.
        """
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
    tightness says it does not; the record then has verdict ``error``).

    Attributes:
        hypotheses: the :class:`Hypothesis` checks on the instance; they are met when every
            one holds (an empty sequence is met).
        conclusion_holds: whether the theorem's conclusion held on the measured values.
        predicted: what the theorem predicts: a :class:`Bound`, a number, a dict of them, or
            a :class:`~ntkconv.stats.MeanInterval`.
        measured: what was measured, in the same form (numbers, arrays, tensors or dicts).
        tightness: a :class:`Tightness` computed from the same numbers as the conclusion.
        details: extra JSON-able numbers kept in the record (e.g. curves for the figure);
            default empty.
        diverged: training produced NaN/inf or blew up: the verdict is ``diverged`` whatever
            the rest says; default False.

    Examples:
        >>> out = Outcome([hypothesis("step <= 1/beta", 0.5, "<=", 1.0)], True, Bound(0.1),
        ...               0.05, Tightness.of_upper_bound(0.05, 0.1, "bound / loss"))
        >>> out.tightness.value, out.diverged
        (2.0, False)
    """

    hypotheses: Sequence[Hypothesis]
    conclusion_holds: bool
    predicted: Any
    measured: Any
    tightness: Tightness
    details: Mapping[str, Any] = field(default_factory=dict)
    diverged: bool = False


def decide(hypotheses_met: bool, conclusion_holds: bool, diverged: bool = False) -> Verdict:
    """The verdict table of the module docstring.

        ================  ===========================  ============================
                          conclusion holds             conclusion fails
        ================  ===========================  ============================
        hypotheses met    ``holds``                    ``violated``
        hypotheses not    ``held-outside-hypotheses``  ``failed-without-hypothesis``
        ================  ===========================  ============================

    ``diverged`` takes precedence: a run that blew up is void whatever it measured.

    Args:
        hypotheses_met: whether every hypothesis held on the instance.
        conclusion_holds: whether the conclusion held.
        diverged: whether training produced NaN/inf or blew up; default False.

    Returns:
        The verdict, a :class:`Verdict`.

    Raises:
        TypeError: a flag is not a bool (Python or NumPy), e.g. a 0/1 int or an array.

    Examples:
        >>> decide(True, True).value, decide(False, False).value
        ('holds', 'failed-without-hypothesis')
        >>> decide(True, False).value, decide(True, True, diverged=True).value
        ('violated', 'diverged')
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

    Its :attr:`role` follows from the fields: a regular ``instance``, a strong control
    (``breaks``) or a sharpened control (``sharpen``).

    Attributes:
        name: the instance's name within its theorem.
        config: the configuration passed to ``evaluate`` (str keys; JSON-able values keep
            the record printable).
        description: one line for tables and pages; default empty.
        breaks: a strong control: the name of the hypothesis it breaks (it must be among the
            record's hypotheses and fail); default None.
        quick: overrides of ``config`` for ``--quick`` runs; default none.
        sharpen: a sharpened control: the factor (ratio, exponent) or amount (margin) by which
            the theorem's bound is tightened beyond what it grants; decided from the tightness.
            Default None.
        expect: the declared verdict; by default ``holds``, ``failed-without-hypothesis`` for
            ``breaks`` and ``violated`` for ``sharpen``. A regular instance outside the
            theorem's sufficient conditions declares ``held-outside-hypotheses``; an instance
            encoding a false claim (a slide's misprint) declares ``violated``. Stored as a
            :class:`Verdict`.

    Raises:
        ValueError: an empty ``breaks``; both ``breaks`` and ``sharpen``; a ``sharpen`` that
            is not finite and > 0; an unknown ``expect``, or one its role cannot declare
            (a strong control cannot declare ``holds``/``violated``; a sharpened control only
            ``violated`` or ``failed-without-hypothesis``).

    Examples:
        >>> Instance("small", {"n": 8}).expected.value
        'holds'
        >>> control = Instance("big-step", {"n": 8, "step": 4.0}, breaks="step <= 1/beta")
        >>> control.role, control.expected.value, control.control
        ('breaks', 'failed-without-hypothesis', True)
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
        """The declared verdict, as a :class:`Verdict` (``expect`` after defaults)."""
        return self.expect  # type: ignore[return-value]

    @property
    def control(self) -> bool:
        """A control breaks a hypothesis, sharpens the bound, or is not expected to hold."""
        return _is_control(self.role, self.expected)

    def sharpened(self, factor: float, description: str = "", name: str = "") -> Instance:
        """This instance's configuration as a sharpened control.

        The control has the same ``config`` and ``quick`` overrides, so
        :func:`~ntkconv.run_checks` reuses this instance's evaluation and only re-decides it
        from the tightness.

        Args:
            factor: how far to tighten the bound (must exceed the tightness threshold: > 1
                for ratio and exponent, > 0 for margin; checked when the record is made).
            description: one line for tables; default "<name> with the bound tightened by f".
            name: the control's name; default ``<name>-sharpened``.

        Returns:
            A new :class:`Instance` with ``sharpen=factor``, declaring ``violated``.

        Raises:
            ValueError: ``factor`` is not finite and > 0.

        Examples:
            >>> s = Instance("small", {"n": 8}).sharpened(2.0)
            >>> s.name, s.role, s.expected.value
            ('small-sharpened', 'sharpen', 'violated')
        """
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
    measured verdict, both halves of the verdict table, the numbers behind them.

    Made by :meth:`Theorem.check`; a record read back by :meth:`from_dict` holds JSON values
    (lists, not tensors).

    Attributes:
        id: the theorem's id.
        instance: the instance's name.
        role: ``"instance"``, ``"breaks"`` or ``"sharpen"`` (see :attr:`Instance.role`).
        breaks: the hypothesis a strong control breaks, else None.
        sharpen: a sharpened control's factor, else None.
        declared: the verdict the instance declares.
        verdict: the verdict measured.
        hypotheses_met: whether every hypothesis held (None for ``error``).
        conclusion_holds: whether the conclusion held, after sharpening (None for ``error``).
        predicted: the outcome's prediction (None for ``error``).
        measured: the outcome's measurement (None for ``error``).
        tightness: the outcome's :class:`Tightness` (None for ``error``).
        config: the configuration evaluated (the instance's, with quick and explicit
            overrides applied).
        details: the outcome's details; for ``error``, the last lines of the traceback.
        hypotheses: the :class:`Hypothesis` checks (empty for ``error``).
        seed: the seed passed to ``evaluate``.
        wall_time_s: seconds spent (near 0 for an evaluation shared through the cache).
        error: ``"ExceptionType: message"`` when the evaluation raised, else None.
        shares_evaluation_with: the instance whose cached evaluation was reused, else None.

    Examples:
        >>> def evaluate(config, seed):
        ...     x = config["x"]
        ...     return Outcome(
        ...         [hypothesis("x >= 0", x, ">=", 0.0)], bool(leq(x, 1.0)), Bound(1.0), x,
        ...         Tightness.of_upper_bound(x, 1.0, "1 / x"))
        >>> toy = Theorem("toy", "x is at most 1", "none", sp.Le(sp.Symbol("x"), 1),
        ...               {"x": "the measured value"}, (Instance("half", {"x": 0.5}),), evaluate)
        >>> r = toy.check()
        >>> r.verdict.value, r.as_declared, r.tightness.value
        ('holds', True, 2.0)
        >>> d = r.to_dict()
        >>> d["predicted"], CheckResult.from_dict(d).predicted
        ({'value': 1.0, 'relation': '<='}, Bound(value=1.0, relation='<='))
    """

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
        """Whether the record is a control: it breaks a hypothesis, sharpens the bound, or is
        not declared to hold."""
        return _is_control(self.role, self.declared)

    @property
    def problems(self) -> list[str]:
        """Why the record is not as its instance declares (empty when it is).

        A record is not as declared when its verdict differs from the declared one, or (for a
        strong control that did not raise) when the hypothesis it claims to break is missing
        from the record or holds.

        Returns:
            One message per problem, e.g. ``"verdict holds, declared violated"``.
        """
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
        """Whether the record came out as its instance declares (no :attr:`problems`)."""
        return not self.problems

    def _repr_html_(self) -> str:
        # Jupyter shows a record as its row of the verdict table, numbers included
        from .report import results_table_html  # the report module imports this one

        return results_table_html([self], links=False)

    def to_frame(self) -> Any:
        """This record as a one-row pandas DataFrame (see :func:`ntkconv.results_frame`).

        Returns:
            A ``pandas.DataFrame`` with one row.
        """
        from .report import results_frame

        return results_frame([self])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: tensors and arrays become lists, NaN becomes null, ±inf the
        strings "inf"/"-inf" (JSON has no non-finite numbers), bounds {"value", "relation"}.

        Returns:
            Every field, plus ``"control"`` and ``"as_declared"``; verdicts as their values.
        """
        # not dataclasses.asdict: it deep-copies, which tensors carrying a graph refuse
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["control"] = self.control
        out["as_declared"] = self.as_declared
        return jsonable(out)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """A record back from :meth:`to_dict` (details and values stay JSON: lists, not
        tensors); enough to tabulate it.

        Args:
            d: a dict as :meth:`to_dict` writes it (``control`` and ``as_declared`` are
                recomputed, not read).

        Returns:
            The record, a :class:`CheckResult` with verdicts, bounds, confidence intervals,
                tightness and hypotheses rebuilt (null back to NaN, "inf"/"-inf" back to
                infinities).

        Raises:
            ValueError: an unknown verdict value, or a bound with an unknown relation.
            KeyError: a required key is missing.
        """
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
    """A theorem: statement (sympy), citation, instances and an ``evaluate(config, seed)``.

    Register one under the ``ntkconv.theorems`` entry-point group (the name must equal its
    ``id``) for :func:`registry`, ``ntkconv check`` and the documentation to find it.

    Attributes:
        id: the theorem's id, e.g. ``"pl-gd-rate"``.
        title: one line for headings.
        citation: where it is stated (paper, theorem/equation number).
        statement: the statement as a sympy expression (e.g. ``sp.Implies(hyp, concl)``); the
            report's MathML and the documentation are generated from it.
        symbols: a legend for readers of the module, symbol as written → what it means (not
            matched against the statement's symbols, so a key may be a display form such as
            ``"p(i)"``; the report and the docs render the statement, not this legend).
        instances: the :class:`Instance` configurations checked, in order (names unique).
        evaluate: ``evaluate(config, seed) -> Outcome``; it receives a copy of the merged
            config dict and the seed.
        figure: optional ``figure(records) -> Figure | list[Figure]`` drawn from the records
            that did not raise (headline first); default None.

    Raises:
        ValueError: two instances share a name.

    Examples:
        >>> def evaluate(config, seed):
        ...     x = config["x"]
        ...     return Outcome(
        ...         [hypothesis("x >= 0", x, ">=", 0.0)], bool(leq(x, 1.0)), Bound(1.0), x,
        ...         Tightness.of_upper_bound(x, 1.0, "1 / x"))
        >>> toy = Theorem("toy", "x is at most 1", "none", sp.Le(sp.Symbol("x"), 1),
        ...               {"x": "the measured value"}, (Instance("half", {"x": 0.5}),), evaluate)
        >>> print(toy.latex())
        x \\leq 1
        >>> toy.check(x=2.0).verdict.value
        'violated'
    """

    id: str
    title: str
    citation: str
    statement: sp.Basic
    symbols: Mapping[str, str]
    instances: tuple[Instance, ...]
    evaluate: Evaluate
    figure: FigureFn | None = None

    def __post_init__(self) -> None:
        if not self.instances:
            raise ValueError(f"theorem {self.id!r} has no instances; give at least one")
        names = [i.name for i in self.instances]
        if len(set(names)) != len(names):
            raise ValueError(f"theorem {self.id!r}: instance names repeat: {names}")

    def __str__(self) -> str:
        # print(theorem), and display(theorem) outside Jupyter
        roles = "\n".join(f"  {i.name}: {i.expected.value}" for i in self.instances)
        return f"{self.id}: {self.title}\n{self.citation}\n{self.statement}\n{roles}"

    def _repr_html_(self) -> str:
        # Jupyter shows a theorem as its statement in MathML, legend and instances
        from .report import theorem_html  # the report module imports this one

        return theorem_html(self)

    def latex(self) -> str:
        """The statement as LaTeX (``sympy.latex`` of :attr:`statement`)."""
        return sp.latex(self.statement)

    def instance(self, name: str) -> Instance:
        """The instance called ``name``.

        Args:
            name: an instance name.

        Returns:
            The instance, an :class:`Instance`.

        Raises:
            ValueError: no instance has that name (the message lists them).
        """
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
        one evaluation (a sharpened control re-decides its base instance's numbers). The
        protocol's own refusals — ``evaluate`` returning no :class:`Outcome`, a tightness
        inconsistent with the conclusion, a ``sharpen`` the tightness cannot apply — are
        ``error`` records too.

        Args:
            instance: the instance's name; default (None or empty) the first.
            quick: apply the instance's ``quick`` overrides (the ``--quick`` sizes).
            seed: the seed passed to ``evaluate``, in ``[0, 2^63)``; default 0.
            cache: a dict shared between the checks of one run; None evaluates afresh.
            **overrides: config entries to replace; each must be a key of the instance's
                config.

        Returns:
            The record, a :class:`CheckResult`.

        Raises:
            ValueError: an unknown instance or config key, or a seed out of range.
            TypeError: a seed that is not an integer.

        Examples:
        >>> def evaluate(config, seed):
        ...     x = config["x"]
        ...     return Outcome(
        ...         [hypothesis("x >= 0", x, ">=", 0.0)], bool(leq(x, 1.0)), Bound(1.0), x,
        ...         Tightness.of_upper_bound(x, 1.0, "1 / x"))
        >>> toy = Theorem("toy", "x is at most 1", "none", sp.Le(sp.Symbol("x"), 1),
        ...               {"x": "the measured value"}, (Instance("half", {"x": 0.5}),), evaluate)
        >>> toy.check("half", x=2.0).verdict.value
        'violated'
        >>> toy.check(x="two").error
        "TypeError: measured must be a real number or array of them; got 'two'"
        """
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
    """Every theorem registered under the ``ntkconv.theorems`` entry-point group, by id.

    The engine imports no theorem itself: ``pyproject.toml`` registers ntkconv's own, and any
    installed package can add more. Loading imports every registered module.

    Returns:
        Theorem id → :class:`Theorem`, sorted by id.

    Raises:
        TypeError: an entry point does not name a :class:`Theorem` whose ``id`` is the entry
            point's name.

    Examples:
        >>> theorems = registry()
        >>> "pl-gd-rate" in theorems, list(theorems) == sorted(theorems)
        (True, True)
    """
    found: dict[str, Theorem] = {}
    for ep in entry_points(group="ntkconv.theorems"):
        theorem = ep.load()
        if not isinstance(theorem, Theorem) or theorem.id != ep.name:
            raise TypeError(f"entry point {ep.name!r} must name a Theorem with id {ep.name!r}")
        found[theorem.id] = theorem
    return dict(sorted(found.items()))
