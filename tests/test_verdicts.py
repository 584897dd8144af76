"""Every registered theorem: regular instances hold, negative controls do not (quick mode)."""

from __future__ import annotations

import pytest
from _quick import quick_results

import ntkconv as nc

UNMEASURED = {("pl-gd-rate", "lecture-convention"), ("du-gram-stability", "narrow-width")}
CASES = [(t.id, inst) for t in nc.registry().values() for inst in t.instances]


@pytest.mark.parametrize(
    ("theorem_id", "inst"), CASES, ids=[f"{tid}/{inst.name}" for tid, inst in CASES]
)
def test_quick_verdict(theorem_id: str, inst: nc.Instance) -> None:
    result = quick_results(theorem_id)[inst.name]
    if inst.control:
        assert result.verdict is not nc.Verdict.HOLDS, (inst.breaks, result.measured)
    else:
        assert result.verdict is nc.Verdict.HOLDS, (result.hypotheses, result.measured)


@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_every_theorem_ships_a_control_that_names_its_hypothesis(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    controls = [i for i in theorem.instances if i.control]
    assert controls and any(not i.control for i in theorem.instances)
    for inst in controls:
        names = {h.name for h in quick_results(theorem_id)[inst.name].hypotheses}
        # the broken hypothesis is one the check measures, except for controls judged by their
        # verdict alone: pl-gd-rate's lecture control breaks a convention, and du-gram-stability's
        # narrow width breaks a width condition that no feasible instance meets
        assert inst.breaks in names or (theorem_id, inst.name) in UNMEASURED
