"""shortest-path: GD's distance against ‖J_0⁺r_0‖ and 4‖r_0‖/α, the linearized path exact for a
linear model, and planted step and Jacobian faults that change the verdict."""

from __future__ import annotations

from typing import Any

import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times
from theorems import _lazy, shortest_path

RESULTS = quick_results("shortest-path")
V = nc.Verdict


def test_gd_travels_the_linearized_shortest_path_far_inside_the_ball() -> None:
    m = RESULTS["wide"].measured
    assert m["linearized_dev_dist"] < shortest_path.LINEAR_TOL / 3
    assert m["linearized_dev_r"] < shortest_path.LINEAR_TOL / 3
    # not fully converged (‖r_K‖ ~ 1% of ‖r_0‖), so a little short of ‖J_0⁺r_0‖
    assert 0.9 < m["dist_over_jplus"] < 1.0
    assert m["path_length_over_dist"] < 1.5  # a near-direct route
    assert m["radius_over_dist"] > 4  # the published radius is loose
    assert m["min_interpolant_dist"] < m["dist_final"]


def test_the_controls_fail_for_the_stated_reasons() -> None:
    under = RESULTS["underparameterized"].measured
    assert under["alpha"] == 0 and under["residual_final_ratio"] > 0.3  # labels not fitted
    cat = RESULTS["catapult"].measured
    assert not cat["dist_holds"] and not cat["rate_holds"]
    # it fits anyway, but far from the shortest interpolant and outside the ball
    assert cat["residual_final_ratio"] < 1e-10
    assert cat["dist_over_jplus"] > 5 and cat["radius_over_dist"] < 1


def test_a_linear_model_follows_the_linearized_path_exactly_to_j_plus_r0() -> None:
    cfg = {**shortest_path.BASE, "n": 4, "d": 8, "activation": "identity", "steps": 3000}
    X = nc.sphere_inputs(4, 8, 0)
    y = _lazy.uniform_labels(4, 1)
    run = shortest_path._train(X, y, 16, cfg, seed=0)
    assert run.lip == 0  # J is constant
    assert max(run.dev_dist, run.dev_r, run.dev_w) < 1e-12
    assert run.residual[-1] < 1e-9 * run.residual[0]
    assert abs(run.lin_dist[-1] / run.jplus - 1) < 1e-9
    assert abs(run.dist[-1] / run.jplus - 1) < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("train", step_times(0.9)),
        ("train", step_times(1.1)),
        ("jacobian", scaled(1.1)),
        ("empirical_ntk", scaled(1.1)),
    ],
)
def test_planted_faults_change_the_verdict(name: str, make: Any) -> None:
    assert RESULTS["wide"].verdict is V.HOLDS
    with planted(name, make):
        faulty = shortest_path.check("wide", quick=True)
    # the published bounds still hold (they are loose); the linearized path does not
    assert faulty.measured["rate_holds"] and faulty.measured["dist_holds"]
    assert faulty.verdict is V.VIOLATED
