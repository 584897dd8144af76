"""sgd-stationary: the derivation's step and bound, the slope in T, and the controls."""

from __future__ import annotations

import pytest
from _quick import quick_results

from theorems import sgd_stationary as sgd

RESULTS = quick_results("sgd-stationary")


def test_records_carry_every_T_and_the_slope() -> None:
    r = RESULTS["cosine-sum"]
    rows = r.details["rows"]
    assert [row["T"] for row in rows] == list(sgd.QUICK["Ts"])
    for row in rows:
        assert row["min"] <= row["avg"] <= row["bound"] < row["slide_bound"]
    assert -0.75 < r.measured["slope"] < -0.25


def test_derivation_step_and_constants() -> None:
    # γ = sqrt(R/(βL²T)) balances R/(γT) and βγL²/2 into (1 + 1/2)·sqrt(RβL²/T).
    R_, b, L2_, T_ = 2.0, 3.0, 5.0, 7.0
    g = sgd.step_fn(R_, b, L2_, T_)
    assert R_ / (g * T_) + b * g * L2_ / 2 == pytest.approx(sgd.bound_fn(R_, b, L2_, T_))


def test_controls_fail_for_their_reason() -> None:
    big = RESULTS["step-30x"]
    # the bound breaks, established by the lower confidence bound over seeds
    assert big.measured["avg_at_T_max"].lower > big.predicted["avg_at_T_max"].value
    under = RESULTS["L2-underestimated"]
    failed = [h.name for h in under.hypotheses if not h.holds]
    assert failed == ["E_i||grad f_i||^2 <= L^2 along the run"]
