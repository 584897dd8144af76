"""matrix-factorization-bias: GD on UUᵀ from αI against the minimum nuclear-norm fit (cvxpy),
the flow's entropic limit, Razin & Cohen's counterexample, and planted faults."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, scaled, step_times, verdicts, with_kwargs
from theorems import matrix_factorization_bias as mfb

RESULTS = quick_results("matrix-factorization-bias")
V = nc.Verdict
THEOREM = nc.registry()["matrix-factorization-bias"]


def test_commuting_limit_is_the_entropic_point_and_the_excess_shrinks_with_alpha() -> None:
    r = RESULTS["commuting"]
    assert r.verdict is V.HOLDS and r.hypotheses_met
    m = r.measured
    assert m["limit_gap"] <= 0.02  # 0.4–1.7 % over seeds 0–15; the tolerance is 5 %
    # the smaller the initialization, the closer to the minimum nuclear norm (Thm 1's limit)
    excess = [v - m["nuclear_norm_min"] for v in m["nuclear_norm_by_alpha"].values()]
    gaps = list(m["gap_to_min_by_alpha"].values())
    assert all(e > 0 for e in excess) and excess == sorted(excess, reverse=True)
    assert gaps == sorted(gaps, reverse=True)
    assert 1.0 < r.tightness.value < 10.0


def test_sharpened_bound_is_violated() -> None:
    assert RESULTS["commuting-sharpened"].verdict is V.VIOLATED


def test_razin_cohen_norm_grows_while_the_loss_falls() -> None:
    r = RESULTS["razin-cohen"]
    assert r.verdict is V.FAILED_WITHOUT_HYPOTHESIS
    assert r.measured["nuclear_norm_min"] == pytest.approx(2.0, abs=1e-6)
    row = r.details["rows"][0]
    loss, norm = np.asarray(row["trace_loss"]), np.asarray(row["trace_nuclear_norm"])
    assert norm[-1] > 3 * r.measured["nuclear_norm_min"]
    # past the first phase, every drop of the loss raises the norm
    assert np.all(np.diff(loss[1:]) < 0) and np.all(np.diff(norm[1:]) > 0)


def test_a_wrong_reference_or_unfinished_training_changes_the_verdict() -> None:
    only = ["commuting"]
    # a reference 10 % too large: GD's matrix would beat the "minimum" — the excess goes negative
    with planted("min_nuclear_norm", scaled(1.1)):
        assert verdicts(THEOREM, instances=only) == {"commuting": V.VIOLATED}
    # stopped after 100 steps (it needs 800–5600): no limit reached, the record says so
    with planted("train", with_kwargs(steps=lambda _: 100)):
        assert verdicts(THEOREM, instances=only) != {"commuting": V.HOLDS}

    # a loop that fits labels 3 % off: its own loss converges, but not to this check's y (the
    # limit moves by only 3 %, inside the limit tolerance — the fit is read from X itself)
    def labels_off(train: Any) -> Any:
        return lambda model, params, X, y, **kw: train(model, params, X, 1.03 * y, **kw)

    with planted("train", labels_off):
        assert verdicts(THEOREM, instances=only) != {"commuting": V.HOLDS}


def test_the_limit_does_not_depend_on_the_step() -> None:
    # the implicit bias is the flow's: a step 10 % short moves GD's limit by O(η), not the
    # verdict (this is a property of the theorem, not a blind spot of the check)
    with planted("train", step_times(0.9)):
        assert verdicts(THEOREM, instances=["commuting"]) == {"commuting": V.HOLDS}


def test_a_wrong_initialization_scale_is_caught_by_the_entropic_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # training from X(0) = α²I (U(0) = αI) while predicting for αI moves the limit 30–43 %
    exact = mfb._entropic_limit
    monkeypatch.setattr(mfb, "_entropic_limit", lambda data, a: exact(data, math.sqrt(a)))
    out = mfb.evaluate({**mfb.BASE, **mfb.QUICK}, 0)
    assert not out.conclusion_holds and out.measured["limit_gap"] > 0.2
