"""pl-gd-rate: instances hold, controls do not, and the numbers behind the verdicts."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled
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


def test_two_layer_nls_measures_mu_and_beta_along_the_run() -> None:
    r = RESULTS["two-layer-nls"]
    d = r.details
    assert d["steps_run"] == r.config["steps"]
    # μ is the smallest λ_min(J_kJ_kᵀ) met, β the largest secant curvature: one constant each
    assert d["mu"] == pytest.approx(float(np.min(d["mu_k"])))
    assert d["beta"] == pytest.approx(float(np.max(d["beta_secant"])))
    # the secant is measured by autograd on the iterates, not by the Lanczos that sets the step
    assert d["beta"] < float(np.max(d["beta_lanczos"]))
    assert 0 < d["karimi_rate"] < 1
    assert 0 < r.predicted["rate"] < 1
    # PL with μ_k = λ_min(J_kJ_kᵀ) is a Rayleigh identity: recorded, not a hypothesis
    assert d["pl_ratio_min"] >= 1 - 1e-9
    assert not any(h.name.startswith("PL") for h in r.hypotheses)


def _step_scaled(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """gradient_descent whose every step is ``factor`` × the one asked for."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, lr: Any, **kwargs: Any) -> Any:
            if callable(lr):
                return original(*args, lr=lambda k, p, g: factor * lr(k, p, g), **kwargs)
            return original(*args, lr=factor * lr, **kwargs)

        return faulty

    return make


def test_a_step_10_percent_off_changes_verdicts() -> None:
    assert RESULTS["linear-lsq"].verdict is nc.Verdict.HOLDS
    assert RESULTS["nonconvex-1d"].verdict is nc.Verdict.HOLDS
    with planted("gradient_descent", _step_scaled(0.9)):
        short = pl.check("linear-lsq", quick=True)
    # the closed-form GD trajectory sees a shorter step; Karimi's bound alone would not
    assert short.verdict is nc.Verdict.VIOLATED
    assert short.measured["exact_gap_deviation"] > 1.0
    with planted("gradient_descent", _step_scaled(1.1)):
        long = {name: pl.check(name, quick=True) for name in ("linear-lsq", "nonconvex-1d")}
    # a longer step is read off the iterates: the step hypothesis fails
    for r in long.values():
        failed = [h.name for h in r.hypotheses if not h.holds]
        assert failed == ["step <= 1/beta"], failed
    assert long["nonconvex-1d"].verdict is nc.Verdict.HELD_OUTSIDE_HYPOTHESES
    assert long["linear-lsq"].verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS


def test_a_negative_predicted_rate_is_a_record_not_a_crash() -> None:
    # the lecture's μ = 2λ₂ = 1.8 > β = 1: the claimed rate 1 − μ/β = −0.8
    r = pl.check("lecture-convention", quick=True, lambdas=(1.0, 0.9))
    assert r.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS
    assert r.predicted["rate"] == pytest.approx(-0.8)
    assert [h.name for h in r.hypotheses if not h.holds] == [
        "mu <= beta (the constants are consistent)"
    ]
    assert r.tightness.value == -math.inf
    # on the network: an NTK 100× too large makes μ exceed the secant β
    with planted("empirical_ntk", scaled(100.0)):
        net = pl.check("two-layer-nls", quick=True)
    assert net.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS
    assert net.predicted["rate"] < 0
    assert json.dumps(net.to_dict(), allow_nan=False)


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


def test_a_smaller_step_is_held_to_its_own_rate() -> None:
    """η = 1/(2β): the theorem with β′ = 1/η promises 1 − ημ, not 1 − μ/β (which a half step
    does not reach: the check once called that `violated`, found by the PL notebook's knob)."""
    r = pl.check("linear-lsq", quick=True, lr_factor=0.5)
    assert r.verdict is nc.Verdict.HOLDS and r.tightness.value > 1.5
