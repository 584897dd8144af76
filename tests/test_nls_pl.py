"""nls-pl: the inequality, its tight case, the rate it implies, and its controls."""

from __future__ import annotations

from typing import Any

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, step_times, with_kwargs
from theorems import nls_pl

RESULTS = quick_results("nls-pl")


def test_tight_point_attains_equality_and_half_loss_is_off_by_two() -> None:
    assert RESULTS["tight-point"].measured["min_ratio"] == pytest.approx(1.0, abs=1e-9)
    assert RESULTS["half-loss"].measured["min_ratio"] == pytest.approx(0.5, abs=1e-9)


def test_narrow_width_is_rank_deficient_and_does_not_fit() -> None:
    r = RESULTS["narrow-width"]
    failed = {h.name for h in r.hypotheses if not h.holds}
    assert {"d0*d1 >= n", "rank J(w_k) = n along the run"} <= failed
    assert r.measured["final_loss_ratio"] > 0.1  # random labels are not fitted
    wide = RESULTS["gd-rate"]
    assert wide.measured["final_loss_ratio"] < wide.predicted["final_loss_ratio"]
    assert nc.registry()["nls-pl"] is nls_pl.THEOREM


def test_inequality_also_holds_along_the_gd_trajectory() -> None:
    assert RESULTS["gd-rate"].measured["min_inequality_ratio_along_run"] >= 1.0


def test_the_normalization_is_measured_not_read_from_the_config() -> None:
    (h,) = [h for h in RESULTS["half-loss"].hypotheses if h.name.startswith("L = ")]
    assert not h.holds and h.measured == pytest.approx(0.5)
    (h,) = [h for h in RESULTS["tight-point"].hypotheses if h.name.startswith("L = ")]
    assert h.holds and h.measured == pytest.approx(1.0)


def test_a_rate_of_one_is_no_contraction() -> None:
    """narrow-width's λ = 0 gives q = 1 (1.0000000000000002 by rounding): "L_k ≤ L_0" holds for
    any run that does not blow up, so the conclusion requires λ above the rank cutoff."""
    r = RESULTS["narrow-width"]
    assert r.predicted["rate"] >= 1.0 - 1e-12
    assert r.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS


def test_each_gd_step_decreases_the_loss_as_the_tangent_kernel_predicts() -> None:
    r = RESULTS["gd-rate"]
    # measured ≤ 1.8e-3 at m = 128 over seeds 0–3
    assert r.measured["worst_step_decrease_error"] < 0.2 * nls_pl.STEP_RTOL


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        step_times(0.9),
        step_times(1.1),
        # GD run on ½‖h − y‖² while the check's constants are for ‖h − y‖²
        with_kwargs(reduction=lambda _: "half_sum"),
    ],
)
def test_a_wrong_step_or_loss_breaks_the_gd_part(fault: Any) -> None:
    with planted("train", fault):
        r = nc.registry()["nls-pl"].check("gd-rate", quick=True)
    assert r.measured["worst_step_decrease_error"] > 0.05
    assert r.verdict is nc.Verdict.VIOLATED
