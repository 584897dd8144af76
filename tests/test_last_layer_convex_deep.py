"""last-layer-convex-deep: deep random features, the last layer trained on its exact trajectory,
the rank with dead units counted, the depth-L NNGP's λ_min, and planted faults."""

from __future__ import annotations

from typing import Any

from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times, verdicts

RESULTS = quick_results("last-layer-convex-deep")
V = nc.Verdict
GD = ["gd-lstsq-mlp", "gd-lstsq-resnet"]


def test_last_layer_gd_follows_the_exact_trajectory_to_zero_loss_at_depth_three() -> None:
    for name in GD:
        r = RESULTS[name]
        assert r.verdict is V.HOLDS
        assert r.measured["trajectory_error_over_allowed"] < 0.01
        assert r.measured["L_star_over_L0"] < 1e-20
    assert RESULTS["narrow-width"].measured["L_star_over_L0"] > 0.1


def test_rank_is_the_term_rank_and_deep_features_do_have_dead_units() -> None:
    rows = RESULTS["rank-vs-width"].details["rows"]
    assert all(r["rank"] == r["expected"] <= min(30, r["width"] - r["dead_units"]) for r in rows)
    assert any(r["dead_units"] > 0 and r["width"] <= 30 for r in rows)


def test_deep_nngp_is_positive_definite_at_every_depth_and_singular_for_parallel_inputs() -> None:
    lam = RESULTS["kernel-depth"].measured["lambda_min_by_depth"]
    assert set(lam) == {"1", "2", "4", "8", "16", "32", "64"}
    assert min(lam.values()) > 1e-4 and lam["8"] > lam["1"] and lam["8"] > lam["64"]
    assert RESULTS["parallel-inputs"].measured["lambda_min_over_cutoff"] < 1


def _hidden_layers_trained(original: type) -> type:
    """A user's net that trains every hidden layer along with the output."""

    class Faulty(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("trainable", None)
            super().__init__(*args, **kwargs)
            self._set_trainable([*self.trainable, "a"])

    return Faulty


def test_planted_faults_in_the_step_the_features_or_the_trained_group_are_caught() -> None:
    theorem = nc.registry()["last-layer-convex-deep"]
    with planted("train", step_times(0.9)):
        assert verdicts(theorem, instances=GD) == dict.fromkeys(GD, V.VIOLATED)
    with planted("jacobian", scaled(1.1)):
        assert verdicts(theorem, instances=GD) == dict.fromkeys(GD, V.VIOLATED)
    with planted("DeepNet", _hidden_layers_trained):
        got = verdicts(theorem, instances=GD)
    assert got == dict.fromkeys(GD, V.FAILED_WITHOUT_HYPOTHESIS)
