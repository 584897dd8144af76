"""Planted faults at the engine's public API that the generalization and memorization checks
must see: each changes a verdict (issue 20). Slow: every fault re-runs a check."""

from __future__ import annotations

import pytest

import ntkconv as nc
from ntkconv.testing import planted, scaled
from theorems import distance_from_init

V = nc.Verdict
pytestmark = pytest.mark.slow


def test_distance_from_init_sees_an_ntk_ten_percent_off() -> None:
    # the kernel sets both the step and d_lin: the extrapolated dist/d_lin moves to 1.048
    with planted("empirical_ntk", scaled(1.1)):
        r = distance_from_init.THEOREM.check("random-labels", quick=True, seed=0)
    assert r.verdict is V.VIOLATED
    assert r.measured["dist_over_d_lin_limit"].lower > 1.0
