"""Lazy-training checks against an independent NumPy implementation of Du et al.'s set-up, and
the engine pieces they rest on (Gram tracking, power-law fits, datasets)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ntkconv as nc
from theorems import _lazy, arora_fine_grained, du_gram_stability


# --- independent implementation --------------------------------------------------------------
def numpy_du_run(
    X: np.ndarray, y: np.ndarray, W0: np.ndarray, a: np.ndarray, lr: float, steps: int
):
    """GD on W for ½‖u − y‖² with f = aᵀrelu(Wx)/√m, written out by hand: gradient
    ∂L/∂w_r = (1/√m) Σ_i (u_i − y_i) a_r 1{w_rᵀx_i > 0} x_i,
    Gram H_ij = x_iᵀx_j Σ_r 1_ir 1_jr / m."""
    m = W0.shape[0]
    W = W0.copy()
    S0 = (X @ W0.T > 0).astype(float)
    H0 = (X @ X.T) * (S0 @ S0.T) / m
    out = {"residual": [], "lambda_min": [], "drift": [], "flips": [], "w_dist_max": []}
    for _ in range(steps + 1):
        S = (X @ W.T > 0).astype(float)
        u = np.maximum(X @ W.T, 0) @ a / math.sqrt(m)
        H = (X @ X.T) * (S @ S.T) / m
        out["residual"].append(np.linalg.norm(y - u))
        out["lambda_min"].append(np.linalg.eigvalsh(H)[0])
        out["drift"].append(np.abs(np.linalg.eigvalsh(H - H0)).max())
        out["flips"].append((S != S0).mean())
        out["w_dist_max"].append(np.linalg.norm(W - W0, axis=1).max())
        grad = ((u - y)[:, None] * S).T @ X * a[:, None] / math.sqrt(m)
        W = W - lr * grad
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("width", [8, 64, 512])
def test_tracked_run_matches_numpy(width: int) -> None:
    X = nc.sphere_inputs(12, 5, seed=3)
    y = _lazy.uniform_labels(12, seed=4)
    lr = 1.0 / nc.lambda_max(nc.relu_ntk_infinite(X))
    run = _lazy.train_run(X, y, width, seed=7, lr=lr, steps=40)
    p0 = nc.TwoLayerNet(5, width).init(7)
    ref = numpy_du_run(X.numpy(), y.numpy(), p0["W"].numpy(), p0["a"].numpy(), lr, 40)
    np.testing.assert_allclose(run.residual, ref["residual"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(run.lambda_min, ref["lambda_min"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.drift, ref["drift"], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(run.flips, ref["flips"])
    np.testing.assert_allclose(run.w_dist_max, ref["w_dist_max"], rtol=1e-10, atol=1e-14)


def test_du_record_matches_numpy() -> None:
    """The numbers in a du-gram-stability record, recomputed independently."""
    cfg = {**du_gram_stability.BASE, "n": 10, "d": 4, "widths": (16, 128), "seeds": 2, "steps": 30}
    result = du_gram_stability.check(
        "practical-step", seed=5, **{k: cfg[k] for k in ("n", "d", "widths", "seeds", "steps")}
    )
    X = nc.sphere_inputs(10, 4, 5).numpy()
    y = _lazy.uniform_labels(10, nc.derive_seed(5, "labels")).numpy()
    H_inf = np.array(
        [
            [xi @ xj * (math.pi - math.acos(np.clip(xi @ xj, -1, 1))) / (2 * math.pi) for xj in X]
            for xi in X
        ]
    )
    np.fill_diagonal(H_inf, 0.5)  # θ_ii = 0; acos(x·x) near 1 loses half the digits
    lam = np.linalg.eigvalsh(H_inf)
    assert result.details["lambda_0"] == pytest.approx(lam[0], rel=1e-10)
    lr = 1 / lam[-1]
    table = result.details["table"]
    for i, width in enumerate((16, 128)):
        for s in range(2):
            p0 = nc.TwoLayerNet(4, width).init(nc.derive_seed(5, "init", s))
            ref = numpy_du_run(X, y, p0["W"].numpy(), p0["a"].numpy(), lr, 30)
            assert table["drift_max"][i, s] == pytest.approx(ref["drift"].max(), rel=1e-9)
            assert table["lambda_min_run"][i, s] == pytest.approx(ref["lambda_min"].min(), rel=1e-9)
            assert table["flips_max"][i, s] == ref["flips"].max()
            r_prime = 4 * math.sqrt(10) * ref["residual"][0] / (math.sqrt(width) * lam[0])
            assert table["R_prime"][i, s] == pytest.approx(r_prime, rel=1e-10)
            ratio = ref["residual"][-1] ** 2 / ref["residual"][0] ** 2
            assert table["loss_ratio_end"][i, s] == pytest.approx(ratio, rel=1e-8)


def test_linear_residuals_match_the_recursion() -> None:
    X = nc.sphere_inputs(9, 3, 1)
    H, evals, evecs = _lazy.kernel(X)
    r0 = _lazy.uniform_labels(9, 2)
    lr = 0.7 / float(evals[-1])
    fast = _lazy.linear_residuals(evals, evecs, r0, lr, 25)
    r, Hn = r0.numpy(), H.numpy()
    for k in range(26):
        np.testing.assert_allclose(fast[k].numpy(), r, atol=1e-13)
        r = r - lr * Hn @ r
    # the distance of the linear model tends to sqrt(yᵀH⁻¹y)
    limit = math.sqrt(float(r0 @ torch.linalg.solve(H, r0)))
    far = arora_fine_grained._distance_prediction(evals, evecs, r0, lr, 10**7)
    assert far == pytest.approx(limit, rel=1e-9)


def test_smallest_width() -> None:
    ok = np.array([[False, True], [True, True], [False, True], [True, True]])
    assert _lazy.smallest_width([1, 2, 4, 8], ok) == 8
    assert _lazy.smallest_width([1, 2], np.array([[True], [True]])) == 1
    assert _lazy.smallest_width([1, 2], np.array([[True], [False]])) is None


# --- engine: Gram tracking -------------------------------------------------------------------
def test_train_track_gram_records() -> None:
    net = nc.TwoLayerNet(3, 30)
    X, y = nc.sphere_inputs(6, 3, 0), _lazy.uniform_labels(6, 1)
    p = net.init(0)
    traj = nc.train(net, p, X, y, lr=0.5, steps=5, track_gram=True, progress=False)
    G_end = net.structured_ntk(traj.params, X)
    assert traj.extras["gram_lambda_min"][-1] == pytest.approx(nc.lambda_min(G_end), abs=1e-13)
    drift = nc.eigvalsh(G_end - net.structured_ntk(p, X)).abs().max()
    assert traj.extras["gram_drift"][-1] == pytest.approx(float(drift), abs=1e-13)
    assert traj.extras["gram_drift"][0] == 0.0


# --- engine: power laws and data -------------------------------------------------------------
def test_fit_power_law_recovers_exponent() -> None:
    x = np.repeat([10.0, 100.0, 1000.0], 4)
    noise = np.exp(0.05 * np.random.default_rng(0).standard_normal(x.size))
    fit = nc.fit_power_law(x, 2.0 * x**-0.5 * noise)
    assert fit.method == "within-x"
    assert fit.exponent == pytest.approx(-0.5, abs=0.03)
    assert fit.ci[0] < fit.exponent < fit.ci[1]
    assert fit(100.0) == pytest.approx(0.2, rel=0.05)
    exact = nc.fit_power_law([1, 2, 4], [3, 12, 48])
    assert exact.exponent == pytest.approx(2.0) and exact.method == "pairs"


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1, 2], [1, 0], "y must be finite and > 0"),
        ([1, 2], [1, 2, 3], "same shape"),
        ([2, 2], [1, 3], "two distinct"),
        ([], [], "x is empty"),
        ([1, np.nan], [1, 2], "x must"),
    ],
)
def test_fit_power_law_rejects_bad_input(x, y, match) -> None:
    with pytest.raises(ValueError, match=match):
        nc.fit_power_law(x, y)


def test_datasets() -> None:
    X = nc.sphere_inputs(5, 3, 0, dtype=torch.float32)
    assert X.dtype == torch.float32
    torch.testing.assert_close(torch.linalg.vector_norm(X, dim=1), torch.ones(5))
    Xd, yd = nc.digits_two_class((3, 5), n=41, seed=1)
    assert Xd.shape == (41, 64) and int((yd == 1).sum()) == 21
    torch.testing.assert_close(torch.linalg.vector_norm(Xd, dim=1), torch.ones(41, dtype=Xd.dtype))
    with pytest.raises(ValueError, match="two distinct digits"):
        nc.digits_two_class((3, 3))
    with pytest.raises(ValueError, match="n must be"):
        nc.sphere_inputs(0, 3)
