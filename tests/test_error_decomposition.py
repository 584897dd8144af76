"""error-decomposition: the estimation error's closed form, the decomposition against a test-set
measurement, GD on its closed-form trajectory; the heteroscedastic and sharpened controls; planted
faults in the step, the initialization, the model and the formula."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, step_times, verdicts
from theorems import error_decomposition as ed

RESULTS = quick_results("error-decomposition")
V = nc.Verdict
REGULAR = ["isotropic", "correlated"]


def test_each_term_matches_its_prediction() -> None:
    for name in REGULAR:
        r = RESULTS[name]
        assert r.verdict == V.HOLDS
        assert 1.0 <= r.tightness.value < 1.25  # the sharpened control's factor
        assert r.measured["trajectory_deviation"] < 1e-13
        assert r.measured["rate_bound_holds"] and r.measured["rate_bound_steps_checked"] > 0.2
        for cell in r.details["cells"]:
            lo, hi = cell["S_interval"]
            assert lo <= cell["predicted"] <= hi
            assert cell["D_interval"][0] <= 0 <= cell["D_interval"][1]


def test_the_knobs_move_their_own_terms() -> None:
    cells = RESULTS["isotropic"].details["cells"]
    by = {(c["m"], c["n"]): c for c in cells}
    # approximation falls with m and does not depend on n; estimation falls with n, grows with m
    assert by[(8, 32)]["approximation"] < by[(2, 32)]["approximation"]
    assert by[(2, 32)]["approximation"] == by[(2, 128)]["approximation"]
    assert by[(2, 128)]["S_mean"] < by[(2, 32)]["S_mean"] < by[(8, 32)]["S_mean"]
    # optimization error: gone after the run's steps at every cell
    assert all(abs(c["O_mean"][-1]) < 1e-3 * abs(c["O_mean"][0]) for c in cells)


def test_best_in_class_matches_a_large_sample_least_squares() -> None:
    Sigma = ed._covariance(6, 0.5)
    w_star, approx = ed.best_in_class(Sigma, 3)
    chol = torch.linalg.cholesky(Sigma)
    X = torch.randn(400_000, 6, generator=nc.generator(0), dtype=torch.float64) @ chol.T
    y = X @ ed._beta(6)
    fitted = torch.linalg.lstsq(X[:, :3], y.unsqueeze(-1)).solution.squeeze(-1)
    assert torch.allclose(fitted, w_star, atol=5e-3)
    assert float((X[:, :3] @ w_star - y).pow(2).mean()) == pytest.approx(approx, rel=1e-2)


def test_controls() -> None:
    het = RESULTS["heteroscedastic"]
    assert het.verdict == V.FAILED_WITHOUT_HYPOTHESIS and het.tightness.value < 1
    assert het.measured["residual_pvalue"] < 1e-100
    assert RESULTS["isotropic-sharpened"].verdict == V.VIOLATED


def _perturbed_init(eps: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A user's GD started 1e-6 off in one weight."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(model: Any, params: dict, *args: Any, **kwargs: Any) -> Any:
            w = params["w"].clone()
            w[0, 0] += eps
            return original(model, {**params, "w": w}, *args, **kwargs)

        return faulty

    return make


def _output_scaled(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A user's linear model whose output carries a stray factor."""

    def make(original: Any) -> Callable[..., Any]:
        class Scaled(original):
            def __call__(self, params: dict, X: torch.Tensor) -> torch.Tensor:
                return factor * super().__call__(params, X)

        return Scaled

    return make


def test_planted_faults_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    theorem = nc.registry()["error-decomposition"]
    with planted("train_ensemble", step_times(0.99)):
        assert verdicts(theorem, instances=REGULAR) == dict.fromkeys(REGULAR, V.VIOLATED)
    with planted("train_ensemble", _perturbed_init(1e-6)):
        assert verdicts(theorem, instances=["isotropic"]) == {"isotropic": V.VIOLATED}
    with planted("LinearModel", _output_scaled(1.01)):
        assert verdicts(theorem, instances=["isotropic"]) == {"isotropic": V.VIOLATED}
    # the asymptotic m/n in place of the exact m/(n − m − 1): 1.39× too small at m = 8, n = 32
    monkeypatch.setattr(ed, "estimation", lambda s, a, m, n: (s**2 + a) * m / n)
    assert verdicts(theorem, instances=REGULAR) == dict.fromkeys(REGULAR, V.VIOLATED)
