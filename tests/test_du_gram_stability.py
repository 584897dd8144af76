"""du-gram-stability: every conclusion of Lemmas 3.1–3.2, Condition 4.1 and Theorem 4.1 in the
record, censoring stated, and planted faults (a 10% step error either way, H^∞ 10% too large)
that change the verdict."""

from __future__ import annotations

from typing import Any

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times
from theorems import du_gram_stability as du

RESULTS = quick_results("du-gram-stability")
V = nc.Verdict
#: one seed at the check width alone: the faults are decided there
SMALL = {"widths": (2**14,), "seeds": 1, "init_widths": (2**17,)}


def test_every_conclusion_is_recorded_and_holds_at_the_check_width() -> None:
    r = RESULTS["practical-step"]
    assert set(r.measured["holds_at_check_width"]) == set(du.CONCLUSIONS)
    assert all(r.measured["holds_at_check_width"].values())
    assert r.measured["max_drift_over_lambda0"] < 0.25  # Lemma 3.2: ‖H(k) − H(0)‖ < λ_0/4
    assert r.measured["max_H0_gap_over_lambda0"] <= 0.25  # Lemma 3.1 at 2^17
    assert r.measured["linear_deviation"] <= du.LINEAR_TOL
    # the drift conclusion needs m ≥ 2^12 on the quick grid, not its smallest width
    by = r.measured["m_empirical_by_conclusion"]
    assert by["drift"] > 2**6 and not r.measured["m_empirical_censored_by_conclusion"]["drift"]
    assert r.measured["m_empirical"] == max(by[c] for c in du.THEOREM_CONCLUSIONS)
    (width,) = [h for h in r.hypotheses if h.name == du.WIDTH_HYPOTHESIS]
    assert not width.holds  # listed, and out of reach


def test_controls_fail_their_conclusions() -> None:
    parallel = RESULTS["parallel-inputs"].measured["holds_at_check_width"]
    assert not parallel["linear_rate"] and not parallel["drift"]  # no contraction at λ_0 = 0
    assert RESULTS["practical-step-sharpened"].verdict is V.FAILED_WITHOUT_HYPOTHESIS
    assert RESULTS["practical-step"].tightness.value < 6.0


@pytest.mark.slow
def test_the_small_setting_is_clean() -> None:
    assert du.check("practical-step", quick=True, **SMALL).verdict is V.HELD_OUTSIDE_HYPOTHESES


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "broken"),
    [
        ("train", step_times(0.9), "linearized"),
        ("train", step_times(1.1), "linearized"),  # the rate bound alone would not notice
        ("relu_ntk_infinite", scaled(1.1), "init_gap"),
    ],
)
def test_planted_faults_change_the_verdict(name: str, make: Any, broken: str) -> None:
    # the clean verdict at these settings is in test_the_small_setting_is_clean
    with planted(name, make):
        faulty = du.check("practical-step", quick=True, **SMALL)
    assert faulty.verdict is V.FAILED_WITHOUT_HYPOTHESIS
    assert not faulty.measured["holds_at_check_width"][broken]
