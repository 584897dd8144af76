"""pl-star: PL* on the ball, the per-step tangent-kernel prediction that gives the check its
power, the Hessian's width exponent, and planted faults."""

from __future__ import annotations

from typing import Any

import pytest
from _quick import quick_results

import ntkconv as nc
import theorems.pl_star as pls
from ntkconv.testing import planted, scaled, step_times

RESULTS = quick_results("pl-star")


def test_wide_net_is_inside_the_ball_with_the_tangent_kernel_rate() -> None:
    r = RESULTS["wide-tanh"]
    assert all(h.holds for h in r.hypotheses)
    # the per-step prediction is met with a wide margin (measured ≤ 5.3e-4 over seeds 0–7)
    assert r.measured["worst_step_decrease_error"] < 0.1 * pls.STEP_RTOL
    # the published radius is loose: GD travels a small fraction of R
    assert r.measured["R_over_distance"] > 10
    # PL* along the path with the measured constant: the residual ends on K's bottom direction
    assert r.measured["pl_ratio_min"] == pytest.approx(2.0, rel=0.1)
    # one step of the rate is ≈ 1 − 4ημ (loss decays like (1 − ηλ_min)^{2k}, μ = λ_min/2)
    assert 3.5 < r.tightness.value < 4.5
    assert RESULTS["wide-tanh-sharpened"].verdict is nc.Verdict.VIOLATED


def test_narrow_net_does_not_fit_random_labels() -> None:
    r = RESULTS["narrow-width"]
    assert r.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS
    assert r.measured["final_loss_ratio"] > 0.05


def test_hessian_decays_like_inverse_sqrt_width_unless_the_output_is_nonlinear() -> None:
    linear = RESULTS["hessian-vs-width"]
    assert linear.measured["exponent_init"] == pytest.approx(-0.5, abs=0.01)
    assert linear.measured["exponent_ball"] <= -0.5 + pls.EXPONENT_TOL
    squashed = RESULTS["nonlinear-output"]
    assert squashed.measured["exponent_init"] > -0.1
    assert squashed.verdict is nc.Verdict.FAILED_WITHOUT_HYPOTHESIS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("train", step_times(0.9)),
        ("train", step_times(1.1)),
        ("empirical_ntk", scaled(1.1)),
        ("empirical_ntk", scaled(0.9)),
    ],
)
def test_planted_faults_break_the_per_step_prediction(name: str, fault: Any) -> None:
    with planted(name, fault):
        r = nc.registry()["pl-star"].check("wide-tanh", quick=True)
    # clean: ≤ 5.3e-4; each fault moves the late decreases by ≈ 10%
    assert r.measured["worst_step_decrease_error"] > 0.05
    assert r.verdict is nc.Verdict.VIOLATED
