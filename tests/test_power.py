"""Planted faults change verdicts: the pattern every check follows (``ntkconv.testing``).

A fault is what a user's bug would do to an engine function the theorem relies on; the check
must notice it — some verdict of the theorem changes — or it could not have failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import ntkconv as nc
from ntkconv.testing import planted, scaled, verdicts

V = nc.Verdict


def test_ntk_scaled_by_1_1_is_caught_by_the_tight_point() -> None:
    """nls-pl's tight point is an equality ‖∇L‖² = 4λ_min(JJᵀ)L: an NTK 10% too large breaks
    it, while the loose inequality instance cannot tell."""
    theorem = nc.registry()["nls-pl"]
    clean = verdicts(theorem, instances=["tight-point", "inequality"])
    assert clean == {"tight-point": V.HOLDS, "inequality": V.HOLDS}
    with planted("empirical_ntk", scaled(1.1)):
        faulty = verdicts(theorem, instances=["tight-point", "inequality"])
    assert faulty == {"tight-point": V.VIOLATED, "inequality": V.HOLDS}


def _not_minimum_norm(original: Callable[..., Any]) -> Callable[..., Any]:
    """An interpolant that is not the minimum-norm one: X⁺y plus a null-space direction."""

    def faulty(A: torch.Tensor, y: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        w = original(A, y, **kwargs)
        v = torch.ones_like(w)
        null = v - torch.linalg.pinv(A) @ (A @ v)
        return w + 0.1 * null / null.norm() * w.norm()

    return faulty


def test_a_non_minimum_norm_solver_is_caught() -> None:
    theorem = nc.registry()["min-norm-interpolation"]
    names = ["gd-from-zero", "sgd-from-zero"]
    assert verdicts(theorem, instances=names) == dict.fromkeys(names, V.HOLDS)
    with planted("min_norm_lstsq", _not_minimum_norm):
        assert verdicts(theorem, instances=names) == dict.fromkeys(names, V.VIOLATED)


def test_planted_restores_and_validates() -> None:
    original = nc.empirical_ntk
    with pytest.raises(RuntimeError), planted("empirical_ntk", scaled(2.0)):
        assert nc.empirical_ntk is not original
        raise RuntimeError
    assert nc.empirical_ntk is original
    with pytest.raises(ValueError, match="not a public ntkconv name"), planted("nope", scaled(1)):
        pass
