"""pl-gd-rate: instances hold, controls do not, and the numbers behind the verdicts."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from _quick import quick_results

import ntkconv as nc
from theorems import pl_gd_rate as pl

RESULTS = quick_results("pl-gd-rate")


def test_every_instance_has_a_control_and_registry_finds_it() -> None:
    assert sum(i.control for i in pl.INSTANCES) >= 3
    assert nc.registry()["pl-gd-rate"] is pl.THEOREM


def test_linear_lsq_rate_matches_quadratic_theory() -> None:
    r = RESULTS["linear-lsq"]
    # For a quadratic the slowest mode contracts f by exactly (1 − μ/β)² per step; over the
    # finite second-half window the next mode still contributes ~1e-4 relative.
    assert r.measured["asymptotic_rate"] == pytest.approx(
        r.details["exact_quadratic_rate"], rel=1e-3
    )
    assert r.details["rate_exponent_ratio"] == pytest.approx(2.0, rel=0.01)
    assert r.details["beta_lanczos"] == pytest.approx(r.details["beta"], rel=1e-8)
    # the same fact seen by the record: the theorem's rate is loose by 2 in the exponent
    assert r.tightness.kind == "exponent"
    assert r.tightness.value == pytest.approx(2.0, rel=0.01)


def test_controls_fail_for_the_stated_reason() -> None:
    step = RESULTS["step-above-2/beta"]
    assert step.verdict is nc.Verdict.DIVERGED
    assert not next(h for h in step.hypotheses if h.name == "step <= 1/beta").holds
    quartic = RESULTS["non-pl-quartic"]
    assert quartic.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS
    assert not quartic.details["cumulative_holds"]  # applying the theorem anyway fails
    lecture = RESULTS["lecture-convention"]
    assert lecture.verdict is nc.Verdict.VIOLATED
    assert all(h.holds for h in lecture.hypotheses)  # its hypotheses hold; its claim does not
    assert lecture.measured["worst_step_ratio"] == pytest.approx(0.81, rel=1e-9)
    assert lecture.predicted["rate"] == pytest.approx(0.8)
    assert lecture.details["corrected_rate_holds"]


def test_two_layer_nls_uses_local_constants() -> None:
    r = RESULTS["two-layer-nls"]
    assert r.details["steps_run"] == r.config["steps"]
    assert 0 < r.predicted["rate"] < 1


def test_statement_is_sympy_and_deterministic() -> None:
    assert isinstance(pl.STATEMENT, sp.Le)
    assert "beta" in pl.THEOREM.latex() and "mu" in pl.THEOREM.latex()
    assert pl.rate(1.0, 4.0) == pytest.approx(0.75)
    again = pl.check("two-layer-nls", quick=True)
    assert again.measured == RESULTS["two-layer-nls"].measured
    with pytest.raises(ValueError, match="unknown instance"):
        pl.check("nope")
    with pytest.raises(ValueError, match="unknown config"):
        pl.check("linear-lsq", bogus=1)


def test_records_are_json_ready() -> None:
    d = RESULTS["step-above-2/beta"].to_dict()
    assert d["verdict"] == "diverged" and d["control"] is True
    assert isinstance(d["details"]["delta"], list)
    assert d["details"]["rate_exponent_ratio"] is None  # NaN (diverged run) becomes null
    assert not any(isinstance(v, float) and math.isnan(v) for v in d["measured"].values())
