"""sharp-flat-minima: small-batch SGD ends flatter than full-batch GD at equal training loss; the
equal-batch and sharpened controls; planted faults in the training and the sharpness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, verdicts

RESULTS = quick_results("sharp-flat-minima")
V = nc.Verdict


def test_large_batches_end_sharper() -> None:
    r = RESULTS["digits"]
    assert r.verdict == V.HOLDS and 1.0 < r.tightness.value < 3.0
    # full-batch GD sits near its stability edge 2/η; SGD well below it
    eos = r.measured["edge_of_stability"]
    assert 0.6 * eos < r.measured["sharpness_large_batch"] < 1.3 * eos
    assert r.measured["sharpness_small_batch"] < 0.7 * eos
    assert RESULTS["digits-sharpened"].verdict == V.VIOLATED


def test_equal_batches_show_no_difference() -> None:
    r = RESULTS["equal-batches"]
    assert r.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    interval = r.measured["log_sharpness_ratio"]
    assert interval.lower < 0 < interval.upper


def _large_batch_only(make_batch: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Any]:
    """A fault in the full-batch arm only (batch_size None)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("batch_size") is None:
                kwargs = make_batch(kwargs)
            return original(*args, **kwargs)

        return faulty

    return make


def test_planted_faults_are_caught() -> None:
    theorem = nc.registry()["sharp-flat-minima"]
    # the "large batch" silently trained with the small batch: the difference disappears
    same = _large_batch_only(lambda kw: {**kw, "batch_size": 8, "seeds": list(range(20))})
    with planted("train_ensemble", same):
        assert verdicts(theorem, instances=["digits"]) == {"digits": V.VIOLATED}

    # the sharpness of the wrong parameter group (the output layer only): the ratio falls to 1
    def output_layer_only(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(loss: Any, params: Any, wrt: Any = None, which: str = "LM", **kw: Any) -> Any:
            return original(loss, params, ("a",), which, **kw)

        return faulty

    with planted("hessian_eigenvalue", output_layer_only):
        assert verdicts(theorem, instances=["digits"]) == {"digits": V.VIOLATED}
    # GD stopped at a 5× larger loss (flatter there): the end points are not at equal loss
    looser = _large_batch_only(lambda kw: {**kw, "target_loss": 5 * kw["target_loss"]})
    with planted("train_ensemble", looser):
        r = theorem.check("digits", quick=True)
        assert r.verdict == V.HELD_OUTSIDE_HYPOTHESES
        held = {h.name: h.holds for h in r.hypotheses}
        assert held == {"batch sizes differ": True, "pairs reached the target loss": True,
                        "compared runs at the target loss": False}  # fmt: skip
