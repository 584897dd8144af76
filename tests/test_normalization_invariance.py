"""normalization-invariance: the four identities of a normalized layer to float64 precision,
the controls that break each condition, and planted faults."""

from __future__ import annotations

from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, step_times, verdicts, with_kwargs

RESULTS = quick_results("normalization-invariance")
V = nc.Verdict
THEOREM = nc.registry()["normalization-invariance"]
IDENTITIES = ("invariance", "orthogonality", "norm_growth", "effective_step")


def test_identities_hold_to_rounding_with_batch_and_layer_norm() -> None:
    for name in ("batchnorm", "layernorm", "batchnorm-with-bias"):
        r = RESULTS[name]
        assert r.verdict is V.HOLDS and r.hypotheses_met
        assert max(r.measured[k] for k in IDENTITIES) < 1e-13
        assert r.tightness.value > 4  # decades below the tolerance 1e-9


def test_a_larger_init_only_slows_training_down() -> None:
    # same η, larger scale c: effective step η/c², so less progress in the same steps
    for name in ("batchnorm", "layernorm"):
        ratio = RESULTS[name].measured["loss_ratio_after_steps_by_scale"]
        assert ratio["1"] < ratio["3"] < ratio["7"]


def test_each_broken_condition_breaks_the_identities_by_far_more_than_rounding() -> None:
    for name in ("layernorm-per-unit", "layernorm-with-bias", "large-eps", "no-normalization"):
        r = RESULTS[name]
        assert r.verdict is V.FAILED_WITHOUT_HYPOTHESIS
        assert r.measured["invariance"] > 0.1


def test_planted_faults_change_the_verdict() -> None:
    # a training loop whose step is 10 % short: ‖W_{k+1}‖² grows by 0.81η²‖g‖², not η²‖g‖²
    with planted("train", step_times(0.9)):
        assert verdicts(THEOREM, instances=["batchnorm"]) == {"batchnorm": V.VIOLATED}
    # torch's default ε = 1e-5 slipped into the model the record says has ε = 0
    with planted("NormalizedNet", with_kwargs(eps=lambda _: 1e-5)):
        assert verdicts(THEOREM, instances=["batchnorm"]) == {"batchnorm": V.VIOLATED}
    # a bias before the LayerNorm that the configuration does not declare
    with planted("NormalizedNet", with_kwargs(bias=lambda _: True)):
        assert verdicts(THEOREM, instances=["layernorm"]) == {"layernorm": V.VIOLATED}
