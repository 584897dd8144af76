"""min_nuclear_norm against independent references (an LP for commuting measurements, exact
low-rank recovery) and its argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

import ntkconv as nc


def test_commuting_psd_measurements_reduce_to_the_linear_program() -> None:
    # A_i = V diag(a_i) Vᵀ: on the PSD cone the problem is min Σx s.t. Ãx = y, x ≥ 0 in V's basis
    rng = np.random.default_rng(0)
    n, p = 6, 3
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    weights = rng.uniform(0.2, 1.0, (p, n))
    A = np.einsum("ij,aj,kj->aik", V, weights, V)
    y = weights @ rng.uniform(0, 1, n)
    X = nc.min_nuclear_norm(A, y, psd=True).numpy()
    lp = linprog(np.ones(n), A_eq=weights, b_eq=y, bounds=(0, None), method="highs")
    assert abs(np.trace(X) - lp.fun) < 1e-6 * lp.fun
    np.testing.assert_allclose(np.diag(V.T @ X @ V), lp.x, atol=1e-6)
    np.testing.assert_allclose(np.einsum("aij,ij->a", A, X), y, rtol=1e-7)


def test_enough_gaussian_measurements_recover_a_low_rank_matrix() -> None:
    # Recht, Fazel & Parrilo: p ≳ r(n1 + n2) generic measurements make the rank-r matrix the
    # unique nuclear-norm minimizer
    rng = np.random.default_rng(1)
    truth = np.outer(rng.standard_normal(5), rng.standard_normal(4))
    A = rng.standard_normal((30, 5, 4))
    X = nc.min_nuclear_norm(torch.from_numpy(A), torch.from_numpy(np.einsum("aij,ij->a", A, truth)))
    np.testing.assert_allclose(X.numpy(), truth, atol=1e-6)


def test_dtype_and_device_follow_the_measurements() -> None:
    A = torch.zeros(2, 2, 2)
    A[0, 0, 0] = A[1, 1, 1] = 1.0
    X = nc.min_nuclear_norm(A, torch.tensor([1.0, 2.0]), psd=True)
    assert X.dtype == torch.float32 and X.device == A.device
    torch.testing.assert_close(X, torch.diag(torch.tensor([1.0, 2.0])), atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("A", "y", "kwargs", "error", "match"),
    [
        (np.ones((2, 2)), np.ones(2), {}, ValueError, r"shape \(p, n1, n2\)"),
        (np.ones((2, 2, 2)), np.ones(3), {}, ValueError, "y"),
        (np.full((1, 2, 2), np.nan), np.ones(1), {}, ValueError, "NaN"),
        (np.ones((1, 2, 3)), np.ones(1), {"psd": True}, ValueError, "square"),
        (np.eye(2)[None], -np.ones(1), {"psd": True}, ValueError, "positive semidefinite"),
        (np.ones((1, 2, 2), dtype=np.int64), np.ones(1), {}, TypeError, "float32 or float64"),
    ],
)
def test_bad_arguments_are_named(
    A: object, y: object, kwargs: dict[str, bool], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        nc.min_nuclear_norm(A, y, **kwargs)
