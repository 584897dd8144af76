"""Every registered theorem's quick records (seed 0): as declared, both halves of the verdict
table recorded, tightness on every regular instance, a control for every theorem."""

from __future__ import annotations

import pytest
from _quick import quick_results

import ntkconv as nc

CASES = [(t.id, inst) for t in nc.registry().values() for inst in t.instances]
IDS = [f"{tid}/{inst.name}" for tid, inst in CASES]


@pytest.mark.parametrize(("theorem_id", "inst"), CASES, ids=IDS)
def test_quick_record_is_as_declared(theorem_id: str, inst: nc.Instance) -> None:
    r = quick_results(theorem_id)[inst.name]
    assert r.error is None, r.details.get("traceback")
    assert r.as_declared, (r.problems, r.hypotheses, r.measured)
    # the verdict is read off the record's two halves
    assert r.verdict is nc.decide(
        r.hypotheses_met, r.conclusion_holds, r.verdict is nc.Verdict.DIVERGED
    )
    assert r.hypotheses_met == all(h.holds for h in r.hypotheses)


@pytest.mark.parametrize(("theorem_id", "inst"), CASES, ids=IDS)
def test_quick_record_reports_tightness(theorem_id: str, inst: nc.Instance) -> None:
    t = quick_results(theorem_id)[inst.name].tightness
    assert isinstance(t, nc.Tightness) and t.about
    if t.kind is not None and not inst.control:
        assert t.value >= t.threshold * (1 - 1e-6)  # a regular instance's claim held


@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_every_theorem_ships_a_control(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    assert any(i.control for i in theorem.instances)
    assert any(not i.control for i in theorem.instances)


def _bounds_are_numbers(value: object, where: str) -> None:
    """No "≤ 0.07"-style strings: a bound is an nc.Bound (a value and a relation)."""
    if isinstance(value, str):
        assert not any(c in value for c in "≤≥<>="), f"{where}: {value!r} should be an nc.Bound"
    elif isinstance(value, dict):
        for k, v in value.items():
            _bounds_are_numbers(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            _bounds_are_numbers(v, where)


@pytest.mark.parametrize(("theorem_id", "inst"), CASES, ids=IDS)
def test_predictions_and_measurements_are_numbers(theorem_id: str, inst: nc.Instance) -> None:
    r = quick_results(theorem_id)[inst.name]
    _bounds_are_numbers(r.predicted, "predicted")
    _bounds_are_numbers(r.measured, "measured")


@pytest.mark.parametrize(("theorem_id", "inst"), CASES, ids=IDS)
def test_hypothesis_requirements_are_numbers(theorem_id: str, inst: nc.Instance) -> None:
    for h in quick_results(theorem_id)[inst.name].hypotheses:
        if isinstance(h.required, str):
            assert not any(c in h.required for c in "≤≥<>"), (h.name, h.required)
