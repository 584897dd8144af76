"""unitwise-capacity: the per-draw closed form on orthonormal inputs, the bound's init term against
Szarek's constant, the trained nets' classes; the layer-wise and sharpened controls; planted faults
in the search radius, the estimate and the bound's formula."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, verdicts
from theorems import unitwise_capacity as uc

RESULTS = quick_results("unitwise-capacity")
V = nc.Verdict


def test_the_estimator_reproduces_the_closed_form_and_stays_below_the_bound() -> None:
    r = RESULTS["orthogonal-exact"]
    assert r.verdict == V.HOLDS
    assert r.measured["closed_form_error"] < 1e-12
    # E√max(N₊, N₋)/(2√n) at n = 16: the β term's looseness
    assert r.tightness.value == pytest.approx(8 / uc.expected_sqrt_majority(16), rel=1e-12)
    interval = r.measured["estimate_mean"]
    assert interval.lower <= r.measured["rademacher"] <= interval.upper
    for name in ("fixed-features", "digits-trained"):
        # the search never ends below the member at U⁰, and with β = 0 it is that member
        assert RESULTS[name].measured["search_shortfall"] <= 1e-12


def test_expected_sqrt_majority_by_enumeration() -> None:
    total = sum(math.comb(6, k) * math.sqrt(max(k, 6 - k)) for k in range(7)) / 2**6
    assert uc.expected_sqrt_majority(6) == pytest.approx(total, rel=1e-14)


def test_the_init_term_is_within_szareks_constant() -> None:
    """β = 0: R̂_S = (1/n)Σ_j α_j E|Σ_i σ_i a_ij| ≥ bound/√2 (Szarek), ≈ bound/√(π/2) here."""
    r = RESULTS["fixed-features"]
    assert r.verdict == V.HOLDS
    assert 1.0 < r.tightness.value < 1.5


def test_trained_classes_and_what_is_reported_beside_them() -> None:
    r = RESULTS["digits-trained"]
    assert r.verdict == V.HOLDS and 1.5 < r.tightness.value < 3.0
    for row in r.details["rows"]:
        assert row["lower"] <= row["bound"] <= row["paper_form"]
        # the Theorem 1 generalization bound is vacuous at n = 64, the nets are not
        assert row["generalization_bound"] > 1 and row["test_accuracy"] > 0.85
    assert RESULTS["digits-trained-sharpened"].verdict == V.VIOLATED


def test_a_layer_wise_class_escapes_the_unit_wise_bound() -> None:
    r = RESULTS["layer-wise-class"]
    assert r.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    assert r.hypotheses[0].measured > 10 and r.tightness.value < 0.5
    # the exact sup is ‖α‖‖β‖·E√max/n; the unit-wise bound only sees Σα_jβ_j
    assert r.measured["layerwise_term"] > 5 * r.measured["unitwise_term"]


def _radii_times(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A search that leaves each unit's ball: radii × factor."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(X: Any, centers: Any, radii: Any, signs: Any, **kwargs: Any) -> Any:
            return original(X, centers, radii * factor, signs, **kwargs)

        return faulty

    return make


def test_planted_faults_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    theorem = nc.registry()["unitwise-capacity"]
    with planted("unit_correlation", _radii_times(1.1)):
        assert verdicts(theorem, instances=["orthogonal-exact"]) == {"orthogonal-exact": V.VIOLATED}
    # the binomial sum √(n/2)-approximated: the draws' mean refutes it
    monkeypatch.setattr(uc, "expected_sqrt_majority", lambda n: math.sqrt(n / 2))
    assert verdicts(theorem, instances=["orthogonal-exact"]) == {"orthogonal-exact": V.VIOLATED}
    monkeypatch.undo()
    # a sup too large by 30% (e.g. a stray factor in the output weights)
    with planted("unit_correlation", scaled(1.3)):
        got = verdicts(theorem, instances=["orthogonal-exact", "fixed-features"])
        assert got == {"orthogonal-exact": V.VIOLATED, "fixed-features": V.VIOLATED}
    # a search that ends below where it starts (e.g. one sign of the sum only, or a value
    # dropped): the measurement fails, with no tightness read off it
    with planted("unit_correlation", scaled(0.9)):
        r = theorem.check("fixed-features", quick=True)
        assert r.verdict == V.VIOLATED and math.isnan(r.tightness.value)
        assert r.measured["search_shortfall"] == pytest.approx(0.1, rel=1e-6)
    # the trained classes' searched sup is ≥ 1.4× the member at U⁰ on every draw: a value
    # halved falls below it
    with planted("unit_correlation", scaled(0.5)):
        assert verdicts(theorem, instances=["digits-trained"]) == {"digits-trained": V.VIOLATED}
    original = uc.unitwise_bound
    # the init term forgotten
    monkeypatch.setattr(uc, "unitwise_bound", lambda X, U0, a, b: original(X, 0 * U0, a, b))
    assert verdicts(theorem, instances=["fixed-features"]) == {"fixed-features": V.VIOLATED}
    # the sample's root-mean-square norm in place of its Frobenius norm
    monkeypatch.setattr(
        uc, "unitwise_bound", lambda X, U0, a, b: original(X / math.sqrt(X.shape[0]), U0, a, b)
    )
    assert verdicts(theorem, instances=["orthogonal-exact"]) == {"orthogonal-exact": V.VIOLATED}


def test_radii_allocation_of_the_layer_wise_class() -> None:
    alpha = torch.tensor([3.0, 4.0], dtype=torch.float64)
    beta = torch.tensor([1.0, 0.0], dtype=torch.float64)
    rho = uc._radii(alpha, beta, "layer")
    torch.testing.assert_close(rho, torch.tensor([0.6, 0.8], dtype=torch.float64))
    assert uc._within_radius(rho, beta) == math.inf
    assert uc._within_radius(beta, beta) == 1.0
