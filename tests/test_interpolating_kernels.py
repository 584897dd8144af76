"""interpolating-kernels: 1-NN fits noisy labels, its risk against Cover & Hart's bound and the
exact finite-n prediction, the covariate-shift control, planted faults and knn_predict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from _quick import quick_results
from sklearn.neighbors import KNeighborsClassifier

import ntkconv as nc
from ntkconv.testing import planted, verdicts, with_kwargs

RESULTS = quick_results("interpolating-kernels")
V = nc.Verdict


def test_one_nn_interpolates_and_its_risk_is_the_closed_form_limit() -> None:
    m = RESULTS["one-nn"].measured
    assert m["train_error"] == 0
    # R_n at n = 10⁴ is the n → ∞ limit ½ − A²/8 to 0.005; the Bayes risk is 0.297
    assert abs(m["risk_estimate"] - 0.375) < 0.005
    assert 1.2 < m["test_error_over_bayes"] < 1.35
    assert 1.05 < RESULTS["one-nn"].tightness.value < 1.15


def test_covariate_shift_breaks_the_bound_but_not_the_exact_prediction() -> None:
    m = RESULTS["covariate-shift"].measured
    assert m["risk_upper_confidence"] > 0.4179 and m["ks_pvalue"] < 1e-100
    assert (
        m["test_error_minus_risk"]
        <= RESULTS["covariate-shift"].predicted["test_error_minus_risk"].value
    )


def test_laplace_interpolant_fits_every_label_and_meets_the_bound_outside_the_theorem() -> None:
    r = RESULTS["laplace-kernel"]
    assert r.measured["train_error"] == 0 and r.measured["risk_upper_confidence"] < 0.4179
    assert [h.name for h in r.hypotheses if not h.holds] == ["the rule is 1-NN (Cover & Hart)"]


def _second_neighbour(original: Callable[..., Any]) -> Callable[..., Any]:
    """A user's rule that skips the nearest point (as if excluding each point itself)."""

    def faulty(X_train: Any, y_train: Any, X: Any, k: int = 1) -> Any:
        _, neighbors = original(X_train, y_train, X, k=2)
        return torch.as_tensor(y_train)[neighbors[:, 1]], neighbors[:, 1:]

    return faulty


def test_planted_rules_that_are_not_one_nn_are_caught() -> None:
    theorem = nc.registry()["interpolating-kernels"]
    with planted("knn_predict", with_kwargs(k=lambda _: 3)):
        assert verdicts(theorem, instances=["one-nn"]) == {"one-nn": V.VIOLATED}
    with planted("knn_predict", _second_neighbour):
        assert verdicts(theorem, instances=["one-nn"]) == {"one-nn": V.VIOLATED}


def test_knn_predict_agrees_with_scikit_learn_and_interpolates() -> None:
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(300, 3, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (300,), generator=gen)
    Q = torch.rand(200, 3, generator=gen, dtype=torch.float64)
    for k in (1, 5):
        ours, neighbors = nc.knn_predict(X, y, Q, k=k)
        ref = KNeighborsClassifier(n_neighbors=k).fit(X.numpy(), y.numpy())
        assert neighbors.shape == (200, k)
        np.testing.assert_array_equal(neighbors.numpy(), ref.kneighbors(Q.numpy())[1])
        if k == 1:
            np.testing.assert_array_equal(ours.numpy(), ref.predict(Q.numpy()))
    assert torch.equal(nc.knn_predict(X, y, X)[0], y)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: nc.knn_predict(torch.zeros(3, 2, dtype=torch.float64), [0, 1, 1], None),
            "y_train",
        ),
        (
            lambda: nc.knn_predict(
                torch.eye(3, dtype=torch.float64),
                torch.tensor([0, 1]),
                torch.eye(3, dtype=torch.float64),
            ),
            "y_train",
        ),
        (
            lambda: nc.knn_predict(
                torch.eye(3, dtype=torch.float64),
                torch.tensor([0, 1, 1]),
                torch.eye(3, dtype=torch.float64),
                k=4,
            ),
            "k",
        ),
        (
            lambda: nc.knn_predict(
                torch.eye(3, dtype=torch.float64),
                torch.tensor([0, 1, 1]),
                torch.zeros(2, 5, dtype=torch.float64),
            ),
            "X",
        ),
        (
            lambda: nc.knn_predict(
                torch.eye(3, dtype=torch.float64),
                torch.tensor([0.0, 1.0, 1.0]),
                torch.eye(3, dtype=torch.float64),
            ),
            "y_train",
        ),
    ],
)
def test_knn_predict_errors_name_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()
