"""Planted faults at the engine's public API that the generalization and memorization checks
must see: each changes a verdict (issue 20). Slow: every fault re-runs a check."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import torch

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times
from theorems import (
    coherent_gradients,
    depth_separation,
    distance_from_init,
    double_descent,
    rademacher,
    random_labels,
    telgarsky_depth,
    uniform_stability,
    yun_lower_bound,
    yun_memorization,
)

V = nc.Verdict
pytestmark = pytest.mark.slow


def test_distance_from_init_sees_an_ntk_ten_percent_off() -> None:
    # the kernel sets both the step and d_lin: the extrapolated dist/d_lin moves to 1.048
    with planted("empirical_ntk", scaled(1.1)):
        r = distance_from_init.THEOREM.check("random-labels", quick=True, seed=0)
    assert r.verdict is V.VIOLATED
    assert r.measured["dist_over_d_lin_limit"].lower > 1.0


def test_random_labels_sees_a_corruption_that_ignores_p() -> None:
    def ignores_p(original: Any) -> Any:
        return lambda labels, ratio, classes, seed: original(labels, 0.0, classes, seed)

    with planted("corrupt_labels", ignores_p):
        r = random_labels.THEOREM.check("digits-wide", quick=True, seed=0)
    # every "corrupted" run is the clean one: no slowdown, and test accuracy stays high
    assert r.verdict is V.VIOLATED
    assert r.measured["min_slowdown"] == 1.0


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_uniform_stability_pins_the_step_from_both_sides(factor: float) -> None:
    # too large: the recursion's inequality fails; too small: the first pick's equality does
    with planted("gradient_descent", step_times(factor)):
        r = uniform_stability.THEOREM.check("logistic-regression", quick=True, seed=0)
    assert r.verdict is V.VIOLATED
    assert r.measured["growth_recursion_excess"] == pytest.approx(0.1, rel=1e-6)


def test_rademacher_halfspaces_see_an_underestimated_supremum() -> None:
    """An upper bound cannot be violated by a lower estimate (the old logistic fits; a "fit"
    returning w = 0): the sharpened control, which the exact sup refutes, is what sees it."""

    def halved(original: Any) -> Any:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            sup, margin = original(*args, **kwargs)
            return sup / 2, margin

        return faulty

    name = "halfspaces-low-dim-sharpened"
    assert rademacher.THEOREM.check(name, quick=True, seed=0).verdict is V.VIOLATED
    with planted("max_halfspace_correlation", halved):
        r = rademacher.THEOREM.check(name, quick=True, seed=0)
    assert r.verdict is V.HOLDS  # not as declared: the control's verdict moved


def test_double_descent_sees_a_non_minimum_norm_interpolant() -> None:
    """The solver adds a null-space part of 10% of the coefficients' norm: still an interpolant
    (train MSE unchanged), no longer the minimum-norm one the statement is about."""

    def plus_null(original: Any) -> Any:
        def faulty(Phi: torch.Tensor, y: torch.Tensor, **kwargs: Any) -> torch.Tensor:
            a = original(Phi, y, **kwargs)
            if Phi.shape[1] <= Phi.shape[0]:
                return a
            z = torch.ones_like(a)
            z = z - Phi.T @ torch.linalg.lstsq(Phi.T, z[:, None]).solution[:, 0]
            return a + 0.1 * a.norm() * z / z.norm()

        return faulty

    assert double_descent.THEOREM.check("relu-features", quick=True).verdict is V.HOLDS
    with planted("min_norm_lstsq", plus_null):
        r = double_descent.THEOREM.check("relu-features", quick=True)
    assert r.verdict is V.HELD_OUTSIDE_HYPOTHESES  # the curve still descends
    assert not r.hypotheses[-1].holds and r.hypotheses[-1].measured > 0.05


@pytest.mark.parametrize("off_by", [1, -1])
def test_yun_lower_bound_sees_a_piece_count_off_by_one(off_by: int) -> None:
    """The extremal net attains (d1 + 1)(d2 + 1) exactly: a counter one too high breaks the
    bound, one too low breaks the equality."""

    class Miscounted(nc.PiecewiseLinear):
        def pieces(self) -> int:
            return super().pieces() + off_by

    def make(original: Any) -> Any:
        return Miscounted

    with planted("PiecewiseLinear", make):
        r = yun_lower_bound.THEOREM.check("alternating-line", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and r.measured["pieces_extremal"] == 25 + off_by


def test_yun_lower_bound_sees_a_constructor_that_ignores_its_width_condition() -> None:
    def ignores(original: Any) -> Any:
        def faulty(X: Any, y: Any, width1: int, width2: int | None = None, **kw: Any) -> Any:
            net = nc.ThreeLayerNet(X.shape[1], width1, width2, bias=True)
            return net, yun_lower_bound.extremal(net)

        return faulty

    with planted("yun_memorizer", ignores):
        r = yun_lower_bound.THEOREM.check("alternating-line", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and not r.measured["constructor_refuses"]


def test_yun_lower_bound_sees_a_forward_pass_ten_percent_off() -> None:
    class Scaled(nc.ThreeLayerNet):
        def __call__(self, params: Any, X: torch.Tensor) -> torch.Tensor:
            return 1.1 * super().__call__(params, X)

    with planted("ThreeLayerNet", lambda original: Scaled):
        r = yun_lower_bound.THEOREM.check("alternating-line", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and r.measured["forward_gap"] > 0.05


@pytest.mark.parametrize(("factor", "instance"), [(0.5, "sawtooth"), (2.0, "sawtooth-sharpened")])
def test_depth_separation_sees_an_integrator_twice_off(factor: float, instance: str) -> None:
    """The certified approximant sits 1.29× above the floor at w = 2 (k = 4): an integral
    halved falls below the floor; one doubled lets the doubled floor hold."""

    class Misintegrated(nc.PiecewiseLinear):
        def l1_distance(self, other: nc.PiecewiseLinear) -> Fraction:
            return super().l1_distance(other) * Fraction(factor)

    with planted("PiecewiseLinear", lambda original: Misintegrated):
        r = depth_separation.THEOREM.check(instance, quick=True, seed=0)
    assert r.verdict is (V.VIOLATED if factor < 1 else V.HOLDS)


def test_telgarsky_depth_sees_an_integrator_ten_percent_low() -> None:
    """The certified net in C_2 is within 1.06× of the floor (k = 2, K = 8): an L1 integral
    10% low puts it below."""

    class Low(nc.PiecewiseLinear):
        def l1_distance(self, other: nc.PiecewiseLinear) -> Fraction:
            return super().l1_distance(other) * Fraction(9, 10)

    with planted("PiecewiseLinear", lambda original: Low):
        r = telgarsky_depth.THEOREM.check("deep-vs-shallow", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and r.measured["l1_best_in_C_k"] < r.measured["floor"]


def test_telgarsky_depth_sees_a_piece_counter_one_short() -> None:
    class Short(nc.PiecewiseLinear):
        def pieces(self) -> int:
            return super().pieces() - 1

    with planted("PiecewiseLinear", lambda original: Short):
        r = telgarsky_depth.THEOREM.check("deep-vs-shallow", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and r.measured["pieces_t^K"] == 2**8 - 1


def _clip_nothing(original: Any) -> Any:
    return lambda grads, c: original(grads, 0.0)


def _mean_per_example(original: Any) -> Any:
    """Every example's gradient replaced by the batch mean: no per-example information."""

    def faulty(*args: Any, **kwargs: Any) -> Any:
        g = original(*args, **kwargs)
        return {k: v.mean(dim=0, keepdim=True).expand_as(v) for k, v in g.items()}

    return faulty


@pytest.mark.parametrize(
    ("name", "make"), [("winsorize", _clip_nothing), ("per_example_grads", _mean_per_example)]
)
def test_coherent_gradients_sees_winsorizing_that_does_nothing(name: str, make: Any) -> None:
    # both faults leave plain GD: the two slowdowns are 1 and the conservative ρ falls below 1
    with planted(name, make):
        r = coherent_gradients.THEOREM.check("winsorized", quick=True, seed=0)
    assert r.verdict is V.VIOLATED and r.measured["min_rho"] < 1


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("W3", lambda w: w.index_put((torch.tensor([0]), torch.tensor([0])), w[0, 0] + 1e-6)),
        ("A", lambda w: w / 1.1),  # a decoder divided by √d3 twice over, in part
        ("b2", lambda w: w * (1 + 1e-6)),
    ],
)
def test_yun_classifier_sees_one_weight_perturbed(name: str, change: Any) -> None:
    def perturbed(original: Any) -> Any:
        def build(*args: Any, **kwargs: Any) -> Any:
            net, params = original(*args, **kwargs)
            return net, {**params, name: change(params[name])}

        return build

    with planted("yun_classifier", perturbed):
        r = yun_memorization.THEOREM.check("classes-10", quick=True, seed=0)
    assert r.verdict is V.VIOLATED
    assert r.measured["max_error_float64"] > 1e-8


@pytest.mark.parametrize(
    ("instance", "drop"),
    [("classes-absent", "classes"), ("classes-10", "width3")],
)
def test_yun_classifier_sees_an_argument_ignored(instance: str, drop: str) -> None:
    """A constructor that infers K from the labels (7 of 10 classes present) or builds d3 = K
    whatever was asked is exact on the data; the architecture check is what sees it."""

    def ignores(original: Any) -> Any:
        def build(X: Any, labels: Any, w1: Any, w2: Any = None, w3: Any = None, **kw: Any) -> Any:
            kw.pop("classes", None) if drop == "classes" else None
            return original(X, labels, w1, w2, None if drop == "width3" else w3, **kw)

        return build

    with planted("yun_classifier", ignores):
        r = yun_memorization.THEOREM.check(instance, quick=True, seed=0)
    assert r.verdict is V.VIOLATED
    assert r.measured["architecture_as_requested"] is False
