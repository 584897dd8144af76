"""Double descent — Belkin, Hsu, Ma, Mandal, "Reconciling modern machine-learning practice and
the classical bias–variance trade-off", PNAS 116(32), 2019, Figs. 1–2 (random Fourier and ReLU
features, minimum-norm fits); the companion lecture "Learning, memorization and generalization"
(the double-descent risk curve).

Statement (empirical, checked as such). Fit n points with N random features φ_j(x) and the
minimum-norm least-squares coefficients a = Φ⁺y. As N grows the test risk first follows the
classical U, then peaks at the interpolation threshold N = n — where Φ is square and its
smallest singular value vanishes, so ‖Φ⁺y‖ and the variance explode — and descends again for
N > n, here to below the best under-parameterized risk. Ridge regularization (λ > 0) removes
the spike: the fit stops interpolating and the peak flattens.

What is checked. Teacher y = tanh(βᵀx) + 0.2·noise on the sphere S^{d−1}; features
relu(wᵀx)/√N or √2·cos(wᵀx + b)/√N with w ~ N(0, I), b ~ U[0, 2π); test risk = mean squared
error against the noiseless teacher on fresh points, averaged over feature draws. Hypothesis:
every fit with N ≥ n interpolates (train MSE ≤ 1e-8·mean y², i.e. ridge = 0). Conclusion: the
grid's risk peaks at N = n, and the risk at the largest N is below the minimum over N < n. The
control adds ridge λ = 0.1: it no longer interpolates, and its curve has no peak at n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
N_, n_ = sp.symbols("N n", positive=True, integer=True)
risk = sp.Function(r"R_{test}")
STATEMENT = sp.And(
    sp.Eq(sp.Symbol(r"\arg\max_N R_{test}(N)"), n_),
    sp.Lt(sp.Limit(risk(N_), N_, sp.oo), sp.Symbol(r"\min_{N < n} R_{test}(N)")),
)
SYMBOLS = {
    "N": "random features",
    "n": "training points (the interpolation threshold N = n)",
    r"R_{test}": "test mean squared error of the minimum-norm fit a = Φ⁺y",
}
INTERPOLATION_TOL = 1e-8
#: a minimum-norm solver leaves only rounding outside the row space (≤ 1.8e-12 measured, at
#: N = n); a null-space part of 1e-6 of the coefficients is already a different interpolant
MIN_NORM_TOL = 1e-8


def _features(kind: str, X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    Z = X @ W.T
    scale = math.sqrt(W.shape[0])
    if kind == "relu":
        return torch.relu(Z) / scale
    return math.sqrt(2) * torch.cos(Z + b) / scale


def curve(cfg: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    """Test risk and train MSE vs N (mean over ``reps`` feature draws)."""
    n, d = cfg["n"], cfg["d"]
    gen = nc.generator(seed)
    X = nc.sphere_inputs(n + cfg["n_test"], d, gen)
    teacher = torch.tanh(X @ torch.randn(d, generator=gen, dtype=torch.float64))
    y = teacher + cfg["noise"] * torch.randn(X.shape[0], generator=gen, dtype=torch.float64)
    Xtr, ytr, Xte, fte = X[:n], y[:n], X[n:], teacher[n:]
    test, train, norms, null = [], [], [], []
    for N in cfg["features"]:
        rows = []
        for r in range(cfg["reps"]):
            g = nc.generator(nc.derive_seed(seed, {"N": N, "rep": r}))
            W = torch.randn(N, d, generator=g, dtype=torch.float64)
            b = 2 * math.pi * torch.rand(N, generator=g, dtype=torch.float64)
            Phi = _features(cfg["kind"], Xtr, W, b)
            a = nc.min_norm_lstsq(Phi, ytr, ridge=cfg["ridge"])
            test_mse = float(((_features(cfg["kind"], Xte, W, b) @ a - fte) ** 2).mean())
            rows.append(
                (
                    test_mse,
                    float(((Phi @ a - ytr) ** 2).mean()),
                    float(a.norm()),
                    null_share(Phi, a),
                )
            )
        t, tr, nm, _ = np.mean(rows, axis=0)
        test.append(t)
        train.append(tr)
        norms.append(nm)
        null.append(max(r[3] for r in rows))
    return {
        "N": np.asarray(cfg["features"]),
        "test": np.asarray(test),
        "train": np.asarray(train),
        "norm": np.asarray(norms),
        "null_share": np.asarray(null),
        "y_power": float((ytr**2).mean()),
    }


def null_share(Phi: torch.Tensor, a: torch.Tensor) -> float:
    """‖a − P_row a‖/‖a‖: the share of the coefficients outside Φ's row space. The minimum-norm
    interpolant (and every ridge solution) is Φᵀc, so this is rounding for a minimum-norm
    solver and the size of the added null-space part for any other interpolant."""
    c = torch.linalg.lstsq(Phi.T, a[:, None], driver="gelsd").solution
    return float((a - (Phi.T @ c)[:, 0]).norm() / a.norm().clamp_min(1e-300))


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    c = curve(cfg, seed)
    n, N, test = cfg["n"], c["N"], c["test"]
    over = N >= n
    worst_train = float(c["train"][over].max() / c["y_power"])
    peak = int(N[np.argmax(test)])
    classical_min = float(test[N < n].min())
    ok = peak == n and bool(test[-1] < classical_min)
    at_n = float(test[N == n][0]) if (N == n).any() else math.nan
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "interpolating fits for N ≥ n (ridge = 0)",
                worst_train,
                "<=",
                INTERPOLATION_TOL,
                note="× mean y² (train MSE over the fits with N ≥ n)",
            ),
            nc.Hypothesis("grid contains N = n", bool((N == n).any()), n, "n in the feature grid"),
            nc.hypothesis(
                "minimum-norm fits (a in Φ's row space)",
                float(c["null_share"].max()),
                "<=",
                MIN_NORM_TOL,
                note="max ‖a − P_row a‖/‖a‖ over the fits",
            ),
        ],
        conclusion_holds=ok,
        predicted={"peak_N_over_n": 1.0, "risk_at_max_N": nc.Bound(classical_min, "<")},
        measured={
            "peak_N_over_n": peak / n,
            "risk_at_peak": float(test.max()),
            "risk_at_N=n": at_n,
            "min_risk_N<n": classical_min,
            "risk_at_max_N": float(test[-1]),
            "peak_over_final": at_n / float(test[-1]),
        },
        tightness=nc.Tightness.of_upper_bound(
            test[-1],
            classical_min,
            "min_{N<n} risk / risk at the largest N (the peak's position is an equality)",
        ),
        details={k: v for k, v in c.items() if k != "y_power"},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        det = r.details
        ax.loglog(det["N"], det["test"], "o-", label="test MSE")
        # train MSE is ~1e-28 once N ≥ n: drawn at the panel floor so the test curve keeps
        # the scale
        floor = float(np.min(det["test"])) / 3
        ax.loglog(det["N"], nc.log_floor(det["train"], floor), "s:", label="train MSE (floored)")
        ax.axvline(r.config["n"], color="k", ls="--", lw=1, label="N = n")
        ax.set_xlabel("random features N")
        ax.legend(fontsize=7)

    return nc.record_figures(
        results, draw, "double-descent: minimum-norm random-feature regression"
    )


GRID = (10, 20, 40, 60, 80, 90, 100, 110, 125, 150, 200, 300, 500, 1000, 2000, 5000)
BASE = {
    "kind": "relu",
    "n": 100,
    "d": 16,
    "n_test": 2000,
    "noise": 0.2,
    "features": GRID,
    "reps": 10,
    "ridge": 0.0,
}
QUICK = {"reps": 4, "n_test": 1000}
INSTANCES = (
    nc.Instance("relu-features", BASE, "n = 100, d = 16, ReLU features", quick=QUICK),
    nc.Instance(
        "fourier-features",
        {**BASE, "kind": "fourier"},
        "random Fourier features cos(wᵀx + b)",
        quick=QUICK,
    ),
    nc.Instance(
        "ridge",
        {**BASE, "ridge": 0.1},
        "ridge λ = 0.1: no interpolation, the peak at N = n flattens",
        breaks="interpolating fits for N ≥ n (ridge = 0)",
        quick=QUICK,
    ),
)

THEOREM = nc.Theorem(
    id="double-descent",
    title="Test risk of minimum-norm random-feature fits peaks at N = n and descends beyond",
    citation="Belkin, Hsu, Ma, Mandal, PNAS 116(32):15849, 2019, Figs. 1–2",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
