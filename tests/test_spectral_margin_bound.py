"""spectral-margin-bound: normalized margins separate true from random labels where raw margins
do not; the bound is vacuous and says so; the closed-form net pins the spectral complexity;
planted faults in the norms, the margins, the layer matrices and the random labels."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from _quick import quick_results

import ntkconv as nc
from ntkconv.testing import planted, verdicts
from theorems import spectral_margin_bound as smb

RESULTS = quick_results("spectral-margin-bound")
V = nc.Verdict
THEOREM = nc.registry()["spectral-margin-bound"]


def _held(r: nc.CheckResult) -> dict[str, bool]:
    return {h.name: h.holds for h in r.hypotheses}


def test_normalized_margins_separate_true_from_random_labels() -> None:
    r = RESULTS["digits"]
    assert r.verdict == V.HOLDS and all(_held(r).values())
    # quick, seed 0: medians 2.9× apart normalized, 1.1× raw (both nets at the same loss)
    assert 2.0 <= r.measured["median_ratio"] < 6.0
    assert r.measured["raw_median_ratio"] < 1.5
    assert r.measured["init_reference_ratio"] > r.measured["median_ratio"]
    # the random-label net needs a larger spectral complexity and generalizes at chance
    first, second = r.measured["spectral_complexity"]
    assert second > 2 * first
    assert r.measured["test_error"][0] < 0.15 and r.measured["test_error"][1] > 0.8
    assert RESULTS["digits-sharpened"].verdict == V.VIOLATED


def test_the_bound_holds_and_is_vacuous() -> None:
    r = RESULTS["digits"]
    # even before the union bound and at the best γ, four orders of magnitude above 1
    assert min(r.measured["bound"]) > 1e3 and min(r.measured["bound_init_reference"]) > 1e2
    assert r.measured["bound / test error (lower end)"] > 1e3


def test_bound_value_by_hand() -> None:
    margins = np.array([-1.0, 0.5, 2.0, 4.0])
    n, X2, W, R = 4, 3.0, 10, 5.0

    def at(gamma: float, below: float) -> float:
        return (below + 8 / n + 48 * math.log(n) * X2 * math.sqrt(math.log(2 * W**2)) * R
                / (gamma * n) + 3 * math.sqrt(math.log(2 / smb.DELTA) / (2 * n)))  # fmt: skip

    value, gamma = smb.bound_value(margins, n, X2, W, R)
    best = min((at(g, b), g) for g, b in ((0.5, 0.5), (2.0, 0.75), (4.0, 1.0)))
    assert (value, gamma) == pytest.approx(best, rel=1e-12)
    assert smb.bound_value(-margins[1:], n, X2, W, R)[0] == math.inf


def test_closed_form_net() -> None:
    r = RESULTS["closed-form"]
    assert r.verdict == V.HOLDS
    assert max(v for k, v in r.measured.items() if "rel. error" in k) < 1e-14


def test_controls_fail_with_their_hypothesis_broken() -> None:
    same = RESULTS["true-vs-true"]
    assert same.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    assert not _held(same)["second net's labels random"]
    assert 0.8 < same.measured["median_ratio"] < 1.25
    raw = RESULTS["raw-margins"]
    assert raw.verdict == V.FAILED_WITHOUT_HYPOTHESIS
    assert [k for k, v in _held(raw).items() if not v] == ["margins spectrally normalized"]


def _complexity(norm: Callable[[torch.Tensor], float], rows: bool = True) -> Callable[..., Any]:
    """A spectral complexity computed with another 'spectral' norm, or the (2,1) norm over
    the columns of A (the rows of Aᵀ) — the two easiest slips."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(matrices: Any, references: Any = None, lipschitz: Any = 1.0) -> Any:
            s = [norm(torch.as_tensor(a, dtype=torch.float64)) for a in matrices]
            b = [float(torch.as_tensor(a, dtype=torch.float64).norm(dim=1 if rows else 0).sum())
                 for a in matrices]  # fmt: skip
            lip = math.prod(s)
            corr = sum((bi / si) ** (2 / 3) for bi, si in zip(b, s, strict=True)) ** 1.5
            return nc.SpectralComplexity(lip * corr, lip, corr, tuple(s), tuple(b))

        return faulty

    return make


def _times(factor: float) -> Callable[..., Any]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(*args: Any, **kwargs: Any) -> Any:
            r = original(*args, **kwargs)
            return dataclasses.replace(r, value=r.value * factor, lipschitz=r.lipschitz * factor)

        return faulty

    return make


def test_planted_faults_in_the_norms_are_caught() -> None:
    spectral = lambda A: float(torch.linalg.matrix_norm(A, 2))  # noqa: E731
    frobenius = lambda A: float(A.norm())  # noqa: E731
    for fault in (_times(1.1), _times(0.9), _complexity(frobenius), _complexity(spectral, False)):
        with planted("spectral_complexity", fault):
            got = verdicts(THEOREM, instances=["closed-form"])
        assert got == {"closed-form": V.VIOLATED}
    # norms that agree on closed-form's flat spectrum (one entry per row): the NumPy
    # cross-check on the trained nets breaks instead
    smallest = lambda A: float(torch.linalg.matrix_norm(A, -2))  # noqa: E731
    columns = lambda A: float(A.norm(dim=0).max())  # noqa: E731
    for fault in (_complexity(smallest), _complexity(columns)):
        with planted("spectral_complexity", fault):
            r = THEOREM.check("digits", quick=True)
        assert r.verdict != V.HOLDS and not _held(r)["margins spectrally normalized"]
    # a uniform scale cancels in the ratio of medians: the separation cannot see it, the NumPy
    # cross-check of the normalizer does
    with planted("spectral_complexity", _times(1.1)):
        r = THEOREM.check("digits", quick=True)
    assert r.conclusion_holds and not _held(r)["margins spectrally normalized"]


def test_planted_faults_in_the_net_and_the_labels_are_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the bias column forgotten: A₂σ(Wx) is not the net
    original = nc.TwoLayerClassifier.layer_matrices

    def no_bias(self: Any, params: Any) -> Any:
        A1, A2 = original(self, params)
        return torch.cat([A1[:, :-1], torch.zeros_like(A1[:, -1:])], dim=1), A2

    monkeypatch.setattr(nc.TwoLayerClassifier, "layer_matrices", no_bias)
    r = THEOREM.check("digits", quick=True)
    assert r.verdict != V.HOLDS and not _held(r)["layer matrices reproduce the net"]
    monkeypatch.undo()

    # the "random" labels only half random: the separation hypothesis is broken
    def half(orig: Callable[..., Any]) -> Callable[..., Any]:
        return lambda y, ratio, classes, seed=0: orig(y, ratio / 2, classes, seed)

    # labels shifted class by class: as "random" as chance agreement, yet fully dependent
    def shifted(orig: Callable[..., Any]) -> Callable[..., Any]:
        return lambda y, ratio, classes, seed=0: (y + 1) % classes

    for fault in (half, shifted):
        with planted("corrupt_labels", fault):
            r = THEOREM.check("digits", quick=True)
        assert r.verdict != V.HOLDS and not _held(r)["second net's labels random"]

    # margins against every class, own included: nothing is ever classified
    def with_own(orig: Callable[..., Any]) -> Callable[..., Any]:
        return lambda F, y: F.gather(1, y[:, None])[:, 0] - F.max(dim=1).values

    with planted("multiclass_margins", with_own):
        r = THEOREM.check("digits", quick=True)
    assert r.verdict != V.HOLDS and not _held(r)["every net fitted"]
