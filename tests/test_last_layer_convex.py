"""last-layer-convex: convex rate and lstsq limit, rank of Q, K^m → K^∞, and controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from _quick import quick_results

import ntkconv as nc
import theorems._last_layer as ll
from ntkconv.testing import planted, step_times, with_kwargs

RESULTS = quick_results("last-layer-convex")


def test_gd_follows_its_exact_trajectory_to_the_minimizer_nearest_init() -> None:
    r = RESULTS["gd-lstsq"]
    assert r.details["L_star"] < 1e-20  # rank Q = n: any labels are fitted
    assert r.measured["trajectory_error_over_allowed"] < 0.1
    assert r.measured["dist_to_a_star"] < 1e-3 * r.details["R0"]
    # the published 1/k bound is loose by at least 2e on any quadratic at step 1/beta
    assert r.measured["convex_bound_ratio"] > 2 * np.e
    assert RESULTS["gd-lstsq-sharpened"].verdict is nc.Verdict.VIOLATED


def test_excess_trajectory_matches_a_step_by_step_simulation() -> None:
    gen = torch.Generator().manual_seed(3)
    Q = torch.randn(6, 9, generator=gen, dtype=torch.float64)
    y = torch.randn(6, generator=gen, dtype=torch.float64)
    a = a0 = torch.randn(9, generator=gen, dtype=torch.float64)
    eta = 0.7 / float(torch.linalg.eigvalsh(Q @ Q.T)[-1])
    excess = []
    for _ in range(40):
        excess.append(0.5 * float(((Q @ a - y) ** 2).sum()))
        a = a - eta * Q.T @ (Q @ a - y)
    # rank Q = 6 = n: r* = 0 and L* = 0
    exact = ll.excess_trajectory(Q, Q @ a0 - y, eta, np.arange(40))
    np.testing.assert_allclose(exact, excess, rtol=1e-10)


def _nudged(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Training starts from params with one weight of ``name`` moved by 1e-6."""

    def make(train: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(model: Any, params: dict, *a: Any, **kw: Any) -> Any:
            p = dict(params)
            p[name] = p[name].clone()
            p[name].view(-1)[0] += 1e-6
            return train(model, p, *a, **kw)

        return faulty

    return make


# each fault re-runs the check (about 10 s): slow, like the other planted-fault tests
@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "verdict"),
    [
        (step_times(0.9), nc.Verdict.VIOLATED),
        (step_times(1.01), nc.Verdict.VIOLATED),
        (_nudged("a"), nc.Verdict.VIOLATED),
        # the wrong layer trained: the first layer moves, and the loss leaves its trajectory
        (with_kwargs(wrt=lambda _: ("W",)), nc.Verdict.FAILED_WITHOUT_HYPOTHESIS),
        (_nudged("W"), nc.Verdict.FAILED_WITHOUT_HYPOTHESIS),
    ],
)
def test_planted_faults_leave_the_exact_trajectory(fault: Any, verdict: nc.Verdict) -> None:
    theorem = nc.registry()["last-layer-convex"]
    with planted("train", fault):
        r = theorem.check("gd-lstsq", quick=True)
    assert r.verdict is verdict
    assert r.measured["trajectory_error_over_allowed"] > 1


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
