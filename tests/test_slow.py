"""Full-size configurations (``pytest -m slow``; CI runs them after the default suite)."""

from __future__ import annotations

import pytest

import ntkconv as nc


@pytest.mark.slow
@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_full_configurations_come_out_as_expected(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    for inst in theorem.instances:
        result = theorem.check(inst.name, quick=False)
        assert result.passed, (inst.name, result.verdict, result.hypotheses)
