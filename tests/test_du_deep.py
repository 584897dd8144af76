"""du-deep: the last layer's Gram along GD of deep MLPs and ResNets, the rate, the gap to the
linearized model, the depth contrast in λ_0, the controls, and planted faults."""

from __future__ import annotations

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times, verdicts, with_kwargs

RESULTS = quick_results("du-deep")
V = nc.Verdict


def test_conclusions_hold_below_the_width_order_and_the_record_says_so() -> None:
    for name in ("mlp", "resnet"):
        r = RESULTS[name]
        assert r.verdict is V.HELD_OUTSIDE_HYPOTHESES
        assert all(r.measured["holds_at_check_width"].values())
        failing = {h.name for h in r.hypotheses if not h.holds}
        assert failing == {
            "step eta <= eta_req(n, lambda_0, H)",
            "width m >= m_req(n, lambda_0, H)",
        }
        # the Gram of W_H loses about 1 % of λ_min, where the theorem allows one half
        assert 0.95 < r.measured["min_lambda_ratio"] < 1.0
        assert min(r.measured["m_required_order_by_depth"].values()) > 1e8


def test_depth_shrinks_lambda_0_exponentially_for_the_mlp_and_polynomially_for_the_resnet() -> None:
    mlp, res = RESULTS["mlp"].measured, RESULTS["resnet"].measured
    # MLP: L = 1 → 2 costs a factor ≈ 5 in λ̂_0/λ_max; ResNet L = 2 → 4 a factor ≈ 2² ≈ 5
    assert mlp["per_layer_factor"] < 0.35
    assert -3.0 < res["depth_power_exponent"] < -1.5
    # the proofs' own condition drift < λ̂_0/4 already fails at L = 2 for the MLP
    assert mlp["drift_over_lambda_0_by_depth"]["2"] > 0.25


def test_sharpened_gram_claim_is_violated_outside_the_hypotheses() -> None:
    r = RESULTS["mlp-sharpened"]
    assert r.verdict is V.FAILED_WITHOUT_HYPOTHESIS
    assert r.tightness.value < 2.0


def test_narrow_and_parallel_controls_fail_their_conclusions() -> None:
    narrow = RESULTS["narrow-width"].measured
    assert not narrow["holds_at_check_width"]["linearized"]
    par = RESULTS["parallel-inputs"]
    assert not par.measured["holds_at_check_width"]["linear_rate"]
    assert not next(h for h in par.hypotheses if "parallel" in h.name).holds
    # no output fits y_0 = −½ and y_1 = ½ at one input: ‖y − u‖² ≥ ½ at every step
    assert par.measured["smallest_final_residual_sq"] >= 0.5 - 1e-9


@pytest.mark.slow
def test_planted_faults_in_the_kernel_the_step_or_the_trained_group_are_caught() -> None:
    theorem = nc.registry()["du-deep"]
    only = ["mlp"]
    bad = {"mlp": V.FAILED_WITHOUT_HYPOTHESIS}
    # Du's bounds are loose (Gram by ≈ 2, rate by an exponent ≥ 10): only the linearized
    # trajectory, exact in Θ(0) and η, sees these
    with planted("empirical_ntk", scaled(1.1)):
        assert verdicts(theorem, instances=only) == bad
    with planted("train", step_times(0.9)):
        assert verdicts(theorem, instances=only) == bad
    with planted("train", with_kwargs(wrt=lambda _: ("W1",))):
        assert verdicts(theorem, instances=only) == bad
