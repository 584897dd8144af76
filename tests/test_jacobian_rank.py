"""jacobian-rank: the transition at d0·d1 = N, the corollaries, and what breaks without noise."""

from __future__ import annotations

import torch
from _quick import quick_results

import ntkconv as nc
from theorems import jacobian_rank as jr

RESULTS = quick_results("jacobian-rank")


def test_phase_transition_lands_exactly_at_d0_d1_equal_n() -> None:
    rows = RESULTS["noisy-leaky-relu"].details["rows"]
    assert {(r["n"], r["d0"]) for r in rows} == {(24, 3), (36, 4), (40, 8)}
    for r in rows:
        assert r["rank"] == min(r["n"], r["d0"] * r["d1"])
    at_one = [r for r in rows if r["d0"] * r["d1"] == r["n"]]
    assert at_one and all(r["rank"] == r["n"] for r in at_one)
    below = [r for r in rows if r["d0"] * r["d1"] == r["n"] - r["d0"]]  # one unit short
    assert all(r["rank"] == r["n"] - r["d0"] for r in below)


def test_rank_is_unambiguous_and_linear_case_follows_rank_x() -> None:
    assert RESULTS["noisy-leaky-relu"].measured["min_decades_above_cutoff"] > 5
    linear = RESULTS["linear-net"].details["rows"]
    assert sorted({r["rank_X"] for r in linear}) == [2, 5, 10]
    assert all(r["rank"] == r["rank_X"] for r in linear)


def test_without_noise_small_d0_loses_rank_and_relu_dead_units_too() -> None:
    by_d0 = RESULTS["noiseless-small-d0"].measured["deficient_fraction_by_d0"]
    assert by_d0["2"] > 0.5 and by_d0["2"] >= by_d0["12"]
    assert RESULTS["noiseless-small-d0"].measured["rank_deficient_fraction"] > 0


def test_noise_scales_the_engine_jacobian_blocks() -> None:
    net = nc.TwoLayerNet(3, 4, "leaky_relu(0.1)")
    params = net.init(0)
    X = torch.randn(5, 3, dtype=torch.float64)
    eps = torch.full((5, 4), 2.0, dtype=torch.float64)
    torch.testing.assert_close(jr.jacobian_W1(net, params, X, eps), 2 * nc.jacobian(net, params, X))
