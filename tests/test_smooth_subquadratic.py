"""smooth-subquadratic: m*(n) of the width-vs-n-smooth sweep against n^{3/2}, the lazy cells
against the linearization, and planted step and parameter-group faults that change the
verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, step_times, verdicts, with_kwargs
from theorems import smooth_subquadratic as ss

RESULTS = quick_results("smooth-subquadratic")
V = nc.Verdict


def test_gd_fits_far_below_n_three_halves_and_follows_the_linearization_when_wide() -> None:
    m = RESULTS["softplus"].measured
    assert m["censored_n"] == []
    assert m["m_star_over_n_three_halves"] < 0.1  # the sufficient width is loose ...
    assert max(m["params_per_point"]) < 3  # ... GD fits with a few weights per point
    lo, hi = m["exponent_interval"]
    assert lo <= m["exponent"] <= hi and lo > 0.5  # the sharpened claim's power
    assert m["lazy_steps_gap"] < ss.LAZY_TOL / 2
    assert ss.EXPONENT == 1.5


def test_the_linear_control_cannot_fit_beyond_d_points() -> None:
    r = RESULTS["linear"]
    assert r.measured["censored_n"] == [32]  # rank G ≤ d = 16 < n
    assert max(r.measured["lambda_min_G0_widest"][1:]) < 1e-12
    assert not r.conclusion_holds and math.isinf(r.measured["m_star_over_n_three_halves"])


def test_the_grid_bracket_bounds_the_slope() -> None:
    from experiments.width_vs_n import slope_bracket

    ns = np.array([16.0, 32.0, 64.0])
    lo, hi = slope_bracket(ns, np.array([1.0, 3.0, 5.0]), np.array([2.0, 4.0, 6.0]))
    assert lo == pytest.approx(math.log(5 / 2) / math.log(4))
    assert hi == pytest.approx(math.log(6 / 1) / math.log(4))
    assert slope_bracket(ns, ns, ns) == pytest.approx([1.0, 1.0])


@pytest.mark.slow
@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_a_ten_percent_step_error_is_violated(factor: float) -> None:
    # GD's steps at the lazy width move by ~1/factor against T_lin; m* barely moves
    with planted("train_ensemble", step_times(factor)):
        assert verdicts(ss.THEOREM, instances=["softplus"]) == {"softplus": V.VIOLATED}


@pytest.mark.slow
def test_training_the_first_layer_only_is_seen() -> None:
    fault = with_kwargs(trainable=lambda _: ("W",))
    with planted("TwoLayerNet", fault):
        result = ss.THEOREM.check("softplus", quick=True, seed=0)
    assert result.measured["lazy_steps_gap"] >= 0  # it ran
    assert result.verdict is not V.HOLDS
    assert not next(h for h in result.hypotheses if h.name == ss.BOTH_LAYERS_HYPOTHESIS).holds
