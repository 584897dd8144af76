"""depth-lazy: NTK drift and the gap to the linearized model against width at several depths,
the mean-field and catapult controls, and planted faults."""

from __future__ import annotations

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times, verdicts, with_kwargs

RESULTS = quick_results("depth-lazy")
V = nc.Verdict


def test_drift_and_gap_decay_faster_than_the_theorem_grants_at_every_depth() -> None:
    for name in ("tanh-mlp", "tanh-resnet"):
        m = RESULTS[name].measured
        assert m["exponent_upper_end"] <= -0.5
        # the measured rate is about m^-1 (Dyer & Gur-Ari), not the theorem's m^-1/2
        assert all(-1.3 < e < -0.7 for e in m["drift_exponent_by_depth"].values())
        assert all(-1.3 < e < -0.7 for e in m["gap_exponent_by_depth"].values())
        assert RESULTS[name].hypotheses_met
    assert set(RESULTS["tanh-mlp"].measured["drift_exponent_by_depth"]) == {"1", "2"}


def test_controls_change_the_ntk_by_order_one_at_every_width() -> None:
    for name in ("mean-field", "catapult"):
        m = RESULTS[name].measured
        assert min(m["drift_at_widest_by_depth"].values()) > 0.3
        assert m["exponent_upper_end"] > -0.3
    # the catapult still trains (the loss falls 60-fold in 100 steps): it is the kernel, not
    # the loss, that tells it apart
    assert RESULTS["catapult"].measured["largest_final_loss_ratio"] < 0.05


@pytest.mark.slow
def test_planted_faults_in_the_kernel_the_step_or_the_trained_group_are_caught() -> None:
    theorem = nc.registry()["depth-lazy"]
    only = ["tanh-mlp"]
    # the linearized trajectory comes from Θ(0): a kernel or a step 10 % off leaves an O(1) gap
    with planted("empirical_ntk", scaled(1.1)):
        assert verdicts(theorem, instances=only) == {"tanh-mlp": V.VIOLATED}
    with planted("train", step_times(0.9)):
        assert verdicts(theorem, instances=only) == {"tanh-mlp": V.VIOLATED}
    # a user's loop that trains the first layer only, against the whole net's kernel
    with planted("train", with_kwargs(wrt=lambda _: ("W1",))):
        assert verdicts(theorem, instances=only) == {"tanh-mlp": V.VIOLATED}
