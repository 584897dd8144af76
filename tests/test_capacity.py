"""ntkconv.max_halfspace_correlation against a certified brute force: every labeling of a small
sample tested for homogeneous linear separability by a linear program (scipy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

import ntkconv as nc


def _separable(X: np.ndarray, labels: np.ndarray) -> bool:
    """Some w has labels_i wᵀx_i ≥ 1 for all i (strict separation, scaled)."""
    res = linprog(
        np.zeros(X.shape[1]),
        A_ub=-(labels[:, None] * X),
        b_ub=-np.ones(len(X)),
        bounds=[(None, None)] * X.shape[1],
        method="highs",
    )
    return res.status == 0


@pytest.mark.parametrize(("n", "d"), [(9, 2), (10, 3), (8, 4)])
def test_the_vertex_enumeration_is_the_best_separable_labeling(n: int, d: int) -> None:
    X = nc.sphere_inputs(n, d, seed=n + d)
    dichotomies = np.array(
        [
            lab
            for lab in itertools.product((-1.0, 1.0), repeat=n)
            if _separable(X.numpy(), np.array(lab))
        ]
    )
    gen = torch.Generator().manual_seed(0)
    S = torch.where(torch.rand(40, n, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0)
    sup, margin = nc.max_halfspace_correlation(X, S, chunk=7)
    expected = (dichotomies @ S.numpy().T).max(axis=0) / n
    np.testing.assert_array_equal(sup.numpy(), expected)
    assert margin > 1e-6


def test_bad_inputs_are_named() -> None:
    X = nc.sphere_inputs(5, 3, seed=0)
    with pytest.raises(ValueError, match="signs must have shape"):
        nc.max_halfspace_correlation(X, torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="entries ±1"):
        nc.max_halfspace_correlation(X, torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="n ≥ d ≥ 2"):
        nc.max_halfspace_correlation(X[:2], torch.ones(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="MAX_SUBSETS"):
        nc.max_halfspace_correlation(
            nc.sphere_inputs(300, 4, seed=0), torch.ones(300, dtype=torch.float64)
        )
