"""guess-and-check: nets drawn until they fit recover at least half of GD's gain over chance, not
all of it; the shuffled-label control; planted faults in the sampler, the data and GD."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, verdicts
from theorems import guess_and_check as gc

RESULTS = quick_results("guess-and-check")
V = nc.Verdict
REGULAR = ["digits-3v5", "digits-3v5-n16", "digits-0v1"]


def test_guess_and_check_generalizes_but_below_gradient_descent() -> None:
    for name in REGULAR:
        r = RESULTS[name]
        assert r.verdict == V.HOLDS
        assert 1.0 <= r.tightness.value < 2.0  # half of GD's gain is established, parity is not
        m = r.measured
        assert 0.7 < m["guess_and_check_accuracy"] < m["gradient_descent_accuracy"]
        assert 0.5 < m["gain_recovered"] < 1.0
        assert 0 < m["acceptance_rate"] < 0.1
    assert RESULTS["digits-3v5-sharpened"].verdict == V.VIOLATED


def test_shuffled_labels_fall_to_chance() -> None:
    r = RESULTS["shuffled-labels"]
    assert r.verdict == V.FAILED_WITHOUT_HYPOTHESIS and r.tightness.value == 0
    assert abs(r.measured["guess_and_check_accuracy"] - 0.5) < 0.1


def test_largest_factor_is_where_the_lower_bound_crosses_zero() -> None:
    rng = np.random.default_rng(0)
    gd = 0.9 + 0.01 * rng.standard_normal(200)
    guess = 0.7 + 0.01 * rng.standard_normal(200)  # gain 0.2 of GD's 0.4: c ≈ 1 (ratio ½)
    c = gc._largest_factor(guess, gd)
    assert 0.9 < c < 1.0
    assert gc._recovered(guess, gd, c).lower > 0 >= gc._recovered(guess, gd, c * 1.001).lower
    assert gc._largest_factor(np.full(5, 0.4) + 0.01 * np.arange(5), gd[:5]) == 0.0


def _flip_labels(fraction: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A user's data loader that flips a fraction of the labels (the test labels too)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            X, y = original(*args, **kwargs)
            flip = torch.rand(y.shape, generator=nc.generator(7)) < fraction
            return X, torch.where(flip, -y, y)

        return faulty

    return make


def _no_training(original: Callable[..., Any]) -> Callable[..., Any]:
    """A GD that returns its initialization (the steps never applied)."""

    def faulty(model: Any, params: dict, X: Any, y: Any, **kwargs: Any) -> Any:
        return original(model, params, X, y, **{**kwargs, "steps": 0})

    return faulty


def test_planted_faults_are_caught() -> None:
    theorem = nc.registry()["guess-and-check"]
    # GD that never trains: no run fits, the comparison has nothing to compare
    with planted("train_ensemble", _no_training):
        got = verdicts(theorem, instances=["digits-3v5"])
    assert got == {"digits-3v5": V.FAILED_WITHOUT_HYPOTHESIS}
    # a third of the labels flipped: every classifier's test accuracy collapses towards chance
    with planted("digits_two_class", _flip_labels(0.35)):
        got = verdicts(theorem, instances=["digits-3v5"])
    assert got["digits-3v5"] in {V.VIOLATED, V.FAILED_WITHOUT_HYPOTHESIS}
