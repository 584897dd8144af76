"""last-layer-convex: convex rate and lstsq limit, rank of Q, K^m → K^∞, and controls."""

from __future__ import annotations

from _quick import quick_results

import ntkconv as nc

RESULTS = quick_results("last-layer-convex")


def test_gd_reaches_the_lstsq_minimizer_nearest_init() -> None:
    r = RESULTS["gd-lstsq"]
    assert r.details["L_star"] < 1e-20  # rank Q = n: any labels are fitted
    assert r.measured["reached_L_star"]
    assert r.measured["dist_to_a_star"] < 1e-3 * r.details["R0"]


def test_controls_show_their_mechanism() -> None:
    narrow = RESULTS["narrow-width"]
    assert narrow.details["rank_Q"] == 20 and narrow.details["L_star"] > 1.0
    # still convex: GD approaches the (nonzero) minimum, slowly (small nonzero eigenvalues)
    assert narrow.measured["excess_at_end"] < 1e-4 * narrow.details["L_star"]
    parallel = RESULTS["parallel-inputs"]
    assert parallel.measured["lambda_min_Kinf"] <= parallel.details["lambda_cutoff"]
    for key in ("lambda_min_Kinf", "lambda_min_relu_kernel", "lambda_min_du_H_inf"):
        assert RESULTS["kernel-limit"].measured[key] > 1e-4
        assert abs(parallel.measured[key]) < 1e-12
    assert RESULTS["step-above-2/beta"].verdict is nc.Verdict.DIVERGED


def test_kernel_gap_decays_like_inverse_sqrt_width() -> None:
    slope = RESULTS["kernel-limit"].measured["gap_slope"]
    assert -0.75 < slope < -0.3
