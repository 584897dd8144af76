"""arora-fine-grained: the H^∞ the predictions use must be the limit of the net's own Gram, and
the residual must decay along each eigenvector of the finite-width H(0) as predicted — planted
faults in H^∞ and in the step change the verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times
from theorems import _lazy, arora_fine_grained

RESULTS = quick_results("arora-fine-grained")
V = nc.Verdict


def test_the_gram_approaches_h_infinity_at_the_monte_carlo_rate() -> None:
    for name in ("residual", "digits-true-vs-random", "finite-width-gram"):
        assert RESULTS[name].measured["gram_gap_exponent_margin"] > 0
    finite = RESULTS["finite-width-gram"]
    assert finite.measured["direction_deviation"] <= arora_fine_grained.FINITE_TOL


def test_gram_limit_rejects_a_kernel_that_is_not_the_limit() -> None:
    X = nc.sphere_inputs(16, 4, 0)
    H, _, _ = _lazy.kernel(X)
    assert _lazy.gram_limit(X, H, seed=1)["holds"]
    assert not _lazy.gram_limit(X, 1.1 * H, seed=1)["holds"]
    assert not _lazy.gram_limit(X, torch.eye(16, dtype=torch.float64) + X @ X.T, seed=1)["holds"]


def _i_plus_xxt(original: Callable[..., Any]) -> Callable[..., Any]:
    """Another positive-definite kernel in place of H^∞ (I + XXᵀ)."""

    def faulty(X: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        X = torch.as_tensor(X, dtype=torch.float64)
        return torch.eye(X.shape[0], dtype=torch.float64) + X @ X.T

    return faulty


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "instances"),
    [
        ("train", step_times(0.9), ["finite-width-gram"]),
        ("train", step_times(1.1), ["finite-width-gram"]),
        ("relu_ntk_infinite", scaled(1.1), ["residual", "finite-width-gram"]),
        ("relu_ntk_infinite", _i_plus_xxt, ["digits-true-vs-random"]),
    ],
)
def test_planted_faults_change_the_verdict(name: str, make: Any, instances: list[str]) -> None:
    for instance in instances:
        assert RESULTS[instance].verdict is V.HELD_OUTSIDE_HYPOTHESES
    with planted(name, make):
        for instance in instances:
            faulty = arora_fine_grained.check(instance, quick=True)
            assert faulty.verdict is V.FAILED_WITHOUT_HYPOTHESIS, instance
