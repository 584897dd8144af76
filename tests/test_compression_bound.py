"""compression-bound: Algorithm 1's estimator against its closed-form moment; a noise-stable net
compressed an order below its parameter count with a non-vacuous bound; the same function
padded, and a GD-trained digits net, not compressible; planted faults in the estimator, the
cushion and the rounding."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, verdicts
from theorems import compression_bound as cb

RESULTS = quick_results("compression-bound")
V = nc.Verdict
THEOREM = nc.registry()["compression-bound"]


def test_algorithm_one_matches_its_second_moment() -> None:
    r = RESULTS["projection-moments"]
    assert r.verdict == V.HOLDS and r.measured["unbiased"] and r.measured["aligned_error"] == 0
    iv = r.measured["second_moment"]
    assert iv.lower <= r.predicted["second_moment"] <= iv.upper


def test_a_noise_stable_net_compresses_an_order_below_its_count() -> None:
    r = RESULTS["two-path-net"]
    m = r.measured
    assert r.verdict == V.HOLDS and all(h.holds for h in r.hypotheses)
    assert m["q"] <= m["p"] / 10 and m["compressed logit change"] <= m["gamma"] / 2
    assert m["training error of g"] == 0.0 and min(m["cushions"]) > 0.65
    # the output layer (2 × 768) is kept whole; the hidden layer (768 × 64) needs ≈ 10³ projections
    assert m["k"][1] == 1536 and m["k"][0] <= 1024
    assert m["compression bound"] < m["parameter-counting bound"] / 2
    assert m["test error g"] == m["test error f"] == 0.0
    assert RESULTS["two-path-net-sharpened"].verdict == V.VIOLATED


def test_padding_changes_the_cushions_not_the_function() -> None:
    cfg = {**cb.TWO_PATH, "n": 500, "n_test": 10}
    plain, (X, *_) = cb._two_path(cfg, 0)
    padded, (Xp, *_) = cb._two_path({**cfg, "padding": 10.0}, 0)
    assert torch.equal(X, Xp)
    f, g = cb.forward(plain, X), cb.forward(padded, X)
    assert float((f - g).abs().max()) <= 1e-10 * float(f.abs().max())
    r = RESULTS["padded"]
    assert r.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    assert max(r.measured["cushions"]) < 0.1 and r.measured["q"] >= r.measured["p"]


def test_the_trained_digits_net_is_not_noise_stable() -> None:
    r = RESULTS["digits"]
    assert r.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    assert max(r.measured["cushions"]) < 0.3 and r.measured["q"] >= r.measured["p"]
    assert r.measured["compression bound"] > 1 and r.measured["parameter-counting bound"] > 1


def test_bound_by_hand() -> None:
    got = cb._bound(0.1, 100, 2**16, 8, 0.05, 1000)
    assert got == pytest.approx(0.1 + math.sqrt((100 * math.log(2**16) + math.log(160)) / 2000))


def _squared_frobenius(original: Callable[..., Any]) -> Callable[..., Any]:
    """The cushion divided by ‖A‖_F once more (‖A‖_F² in the denominator)."""

    def faulty(A: torch.Tensor, inputs: torch.Tensor) -> float:
        return original(A, inputs) / float(A.norm())

    return faulty


def _gaussian(original: Callable[..., Any]) -> Callable[..., Any]:
    """Algorithm 1 with Gaussian helper matrices (unbiased too, another second moment)."""

    def faulty(A: torch.Tensor, k: int, seed: int, **kwargs: Any) -> Any:
        M = torch.randn(k, A.numel(), generator=nc.generator(seed), dtype=torch.float64)
        c = M @ A.reshape(-1)
        return (M.T @ c / k).reshape(A.shape), c

    return faulty


def test_planted_faults_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Gaussian helpers: the aligned row is no longer reproduced exactly
    with planted("matrix_project", _gaussian):
        assert verdicts(THEOREM, instances=["projection-moments"]) == {
            "projection-moments": V.VIOLATED
        }
    # a search that accepts too few projections (its own criterion ten times looser): the
    # change measured afresh exceeds γ/2 and g errs where f has margin
    original = cb.compress
    monkeypatch.setattr(
        cb, "compress", lambda mats, X, gamma, seed: original(mats, X, 10 * gamma, seed)
    )
    r = THEOREM.check("two-path-net", quick=True)
    assert r.verdict == V.VIOLATED and r.measured["compressed logit change"] > 0.5
    monkeypatch.undo()
    # Algorithm 1 averaged with 1/√k, or biased by 10 %: the moments refute it
    for fault in (
        lambda orig: lambda A, k, seed, **kw: (
            A + (orig(A, k, seed, **kw)[0] - A) * math.sqrt(k), orig(A, k, seed, **kw)[1]),
        lambda orig: lambda A, k, seed, **kw: (0.9 * orig(A, k, seed, **kw)[0], None),
    ):  # fmt: skip
        with planted("matrix_project", fault):
            got = verdicts(THEOREM, instances=["projection-moments"])
        assert got == {"projection-moments": V.VIOLATED}
    # a cushion with ‖A‖_F² in the denominator: the noise-stable net no longer looks it
    with planted("layer_cushion", _squared_frobenius):
        got = verdicts(THEOREM, instances=["two-path-net"])
    assert got == {"two-path-net": V.HELD_OUTSIDE_HYPOTHESES}
