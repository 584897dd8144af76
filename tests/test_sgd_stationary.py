"""sgd-stationary: the derivation's step and bound, the slope in T, intervals over seeds, the
second moment read off the oracle SGD uses, and the controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted
from theorems import sgd_stationary as sgd

RESULTS = quick_results("sgd-stationary")
MOMENT = "(1/T) sum_k E||g_k||^2 <= L^2 (drawn gradients)"


def test_records_carry_every_T_and_the_slope() -> None:
    r = RESULTS["cosine-sum"]
    rows = r.details["rows"]
    assert [row["T"] for row in rows] == list(sgd.QUICK["Ts"])
    for row in rows:
        assert row["min"] <= row["avg"] <= row["bound"] < row["slide_bound"]
    assert -0.75 < r.measured["slope"] < -0.25


def test_expectations_are_intervals_and_decided_by_them() -> None:
    r = RESULTS["cosine-sum"]
    for row in r.details["rows"]:
        iv, moment = row["interval"], row["second_moment"]
        assert isinstance(iv, nc.MeanInterval) and isinstance(moment, nc.MeanInterval)
        assert iv.samples == moment.samples == r.config["seeds"]
        assert iv.alpha == nc.STAT_ALPHA
        assert iv.lower < iv.estimate == row["avg"] < iv.upper
        # E‖g‖² ≥ (E‖g‖)²: the lecture's first moment understates what the proof needs
        assert moment.estimate >= row["first_moment_sq"]
    # the tightness is read at the lower confidence bound, not at the mean
    lower = min(row["bound"] / row["avg_lower"] for row in r.details["rows"])
    assert r.tightness.value == pytest.approx(lower)
    assert r.tightness.value > min(row["bound"] / row["avg"] for row in r.details["rows"])


def test_derivation_step_minimizes_the_summed_bound() -> None:
    # γ = sqrt(2R/(βL²T)) minimizes R/(γT) + βγL²/2, whose minimum is sqrt(2RβL²/T).
    R_, b, L2_, T_ = 2.0, 3.0, 5.0, 7.0

    def summed(g: float) -> float:
        return R_ / (g * T_) + b * g * L2_ / 2

    g = sgd.step_fn(R_, b, L2_, T_)
    assert summed(g) == pytest.approx(sgd.bound_fn(R_, b, L2_, T_))
    assert summed(g) < min(summed(0.99 * g), summed(1.01 * g))
    # the old claim γ = sqrt(R/(βL²T)) is not the minimizer: its sum is (3/2)·sqrt(RβL²/T)
    old = (R_ / (b * L2_ * T_)) ** 0.5
    assert summed(old) == pytest.approx(1.5 * (R_ * b * L2_ / T_) ** 0.5)
    assert summed(old) > summed(g)


def _doubled_oracle(original: Callable[..., Any]) -> Callable[..., Any]:
    """gradient_descent whose stochastic oracle returns 2∇f_i (a user's factor-2 bug)."""

    def faulty(*args: Any, grad_fn: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        def doubled(k: int, p: dict) -> dict:
            return {name: 2 * v for name, v in grad_fn(k, p).items()}

        return original(*args, grad_fn=None if grad_fn is None else doubled, **kwargs)

    return faulty


def test_a_doubled_oracle_is_seen_in_the_second_moment() -> None:
    assert RESULTS["cosine-sum"].verdict is nc.Verdict.HOLDS
    with planted("gradient_descent", _doubled_oracle):
        r = sgd.check("cosine-sum", quick=True)
    # L² is read off the steps SGD took, so the factor 2 shows as 4× the second moment
    assert r.verdict is nc.Verdict.HELD_OUTSIDE_HYPOTHESES
    assert [h.name for h in r.hypotheses if not h.holds] == [MOMENT]
    clean = RESULTS["cosine-sum"].measured["second_moment"].estimate
    assert r.measured["second_moment"].estimate == pytest.approx(4 * clean, rel=0.2)


def test_controls_fail_for_their_reason() -> None:
    big = RESULTS["step-30x"]
    # the bound breaks, established by the lower confidence bound over seeds
    assert big.measured["avg_at_T_max"].lower > big.predicted["avg_at_T_max"].value
    under = RESULTS["L2-underestimated"]
    failed = [h.name for h in under.hypotheses if not h.holds]
    assert failed[0] == "E_i||grad f_i(w_0)||^2 <= L^2 (exact, at w_0)"
    assert set(failed) <= {failed[0], MOMENT}
    sharp = RESULTS["cosine-sum-sharpened"]
    assert sharp.verdict is nc.Verdict.VIOLATED
    assert 1 < sharp.tightness.value < sharp.sharpen
