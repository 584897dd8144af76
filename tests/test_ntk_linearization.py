"""ntk-linearization: the smooth instance inside Lee et al.'s hypotheses, the ReLU extrapolation,
the analytic NTK by quadrature, the two-sided rule, and planted NTK and step faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled
from theorems import ntk_linearization as lin

RESULTS = quick_results("ntk-linearization")
LEE = "smooth activation, all layers trained (Lee et al. Thm 2.1)"


def test_the_relu_instance_is_labelled_an_extrapolation() -> None:
    smooth, relu = RESULTS["smooth-both-layers"], RESULTS["ntk-scaling"]
    assert smooth.verdict is nc.Verdict.HOLDS and all(h.holds for h in smooth.hypotheses)
    assert relu.verdict is nc.Verdict.HELD_OUTSIDE_HYPOTHESES
    assert [h.name for h in relu.hypotheses if not h.holds] == [LEE]
    # Lee et al.'s step condition is measured on the limit kernel, η(λ_min + λ_max)/2 < 1
    step = next(h for h in smooth.hypotheses if h.name.startswith("step < 2/"))
    lo, hi = smooth.details["limit_eigenvalues"]
    assert step.measured == pytest.approx(max(smooth.details["lr"]) * (lo + hi) / 2)


def test_margins_make_the_tightness_and_the_rule_is_two_sided_for_the_kernel() -> None:
    for name in ("smooth-both-layers", "ntk-scaling"):
        r = RESULTS[name]
        margins = r.details["margins"]
        assert r.tightness.kind == "margin"
        assert r.tightness.value == pytest.approx(min(margins.values()))
        lo, hi = r.measured["gap_exponent_inf_ci"]
        assert margins["inf_distance"] == pytest.approx(lin.DISTANCE - max(abs(lo + 0.5), hi + 0.5))
    # for tanh the linearization gap decays faster than the theorem's m^{-1/2}
    assert RESULTS["smooth-both-layers"].measured["gap_exponent_lin"] < -0.6
    sharp = RESULTS["smooth-both-layers-sharpened"]
    assert sharp.verdict is nc.Verdict.VIOLATED
    assert 0 < sharp.tightness.value < sharp.sharpen


def test_analytic_ntk_matches_a_wide_network() -> None:
    X = nc.sphere_inputs(6, 4, seed=3)
    theta = lin.smooth_ntk_infinite(X, "tanh")
    net = nc.TwoLayerNet(4, 2**16, "tanh", trainable=("W", "a"))
    empirical = nc.empirical_ntk(net, net.init(0), X)
    # O(m^{-1/2}) fluctuation: ~4e-3 relative at m = 2^16
    assert torch.allclose(empirical, theta, rtol=0, atol=0.03 * float(theta.diagonal().min()))
    assert torch.allclose(theta, theta.T)
    # ρ = 1 on the diagonal: E[tanh(u)²] + E[tanh'(u)²] by 1-D quadrature
    z, w = (torch.as_tensor(v) for v in np.polynomial.hermite_e.hermegauss(64))
    t = torch.tanh(z)
    one = float((w * (t**2 + (1 - t**2) ** 2)).sum() / (2 * torch.pi) ** 0.5)
    assert float(theta[0, 0]) == pytest.approx(one, rel=1e-10)


def _step_scaled(factor: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, lr: float, **kwargs: Any) -> Any:
            return original(*args, lr=factor * lr, **kwargs)

        return faulty

    return make


@pytest.mark.slow
def test_an_ntk_or_step_10_percent_off_is_violated() -> None:
    # H(0) 1.1× too large, or the network trained with 0.9× the step its linearization
    # assumes: either leaves an O(1) gap, the exponent near 0
    with planted("empirical_ntk", scaled(1.1)):
        ntk = lin.check("smooth-both-layers", quick=True)
    with planted("train", _step_scaled(0.9)):
        step = lin.check("smooth-both-layers", quick=True)
    for r in (ntk, step):
        assert r.verdict is nc.Verdict.VIOLATED
        assert r.measured["lin_upper_end"] > -0.3
