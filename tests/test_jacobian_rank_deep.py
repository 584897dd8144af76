"""jacobian-rank-deep: the transition at m_(L−1)·m_L = N for L = 2 … 4, the slide's full-J form,
the controls, and the faults a user's layer Jacobian could carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, verdicts

RESULTS = quick_results("jacobian-rank-deep")
V = nc.Verdict
BASE = nc.DeepNet


def test_phase_transition_lands_exactly_at_last_layer_params_equal_n() -> None:
    rows = RESULTS["noisy-leaky-relu"].details["rows"]
    assert {r["depth"] for r in rows} == {2, 3, 4}
    for r in rows:
        assert r["rank"] == min(r["n"], r["widths"][-2] * r["widths"][-1])
    at_one = [r for r in rows if r["last_layer_params"] == r["n"]]
    assert at_one and all(r["rank"] == r["n"] for r in at_one)
    assert RESULTS["noisy-leaky-relu"].measured["min_decades_above_cutoff"] > 5


def test_full_jacobian_and_resnet_reach_rank_n_and_the_controls_do_not() -> None:
    assert all(r["rank"] == r["n"] for r in RESULTS["full-jacobian"].details["rows"])
    assert RESULTS["resnet"].verdict is V.HELD_OUTSIDE_HYPOTHESES
    by_depth = RESULTS["noiseless"].measured["deficient_fraction_by_depth"]
    assert by_depth["2"] > 0.5 and by_depth["3"] > 0.5
    assert RESULTS["relu-dead-units"].measured["rank_deficient_fraction"] > 0.9


def _faulty_layer_jacobian(
    method: Callable[..., torch.Tensor],
) -> Callable[[type], type]:
    def make(original: type) -> type:
        return type("Faulty", (original,), {"layer_jacobian": method})

    return make


def _wrong_layer(self: Any, params: dict, X: torch.Tensor, layer: int, **kw: Any) -> torch.Tensor:
    """Counts the layer below the last (an off-by-one in the layer index)."""
    return BASE.layer_jacobian(self, params, X, max(1, layer - 1), **kw)


def _noise_dropped(self: Any, params: dict, X: torch.Tensor, layer: int, **kw: Any) -> torch.Tensor:
    """The Jacobian of the noiseless net (the gates forgotten)."""
    return BASE.layer_jacobian(self, params, X, layer)


def _noise_forward_only(
    self: Any, params: dict, X: torch.Tensor, layer: int, *, gates: Any = None
) -> torch.Tensor:
    """The noise kept in the forward pass, dropped from the backward slopes of layer l."""
    J = BASE.layer_jacobian(self, params, X, layer, gates=gates)
    return J if gates is None else J / gates[layer - 1][:, :, None]


@pytest.mark.parametrize("fault", [_wrong_layer, _noise_dropped, _noise_forward_only])
def test_planted_layer_jacobian_faults_are_caught(fault: Callable[..., torch.Tensor]) -> None:
    theorem = nc.registry()["jacobian-rank-deep"]
    with planted("DeepNet", _faulty_layer_jacobian(fault)):
        got = verdicts(theorem, instances=["noisy-leaky-relu"])
    assert got == {"noisy-leaky-relu": V.VIOLATED}
