"""The excess risk splits into approximation, estimation and optimization error, each moved by
its own knob — Bottou & Bousquet, "The tradeoffs of large scale learning", NIPS 2008, §2.1–2.2;
the lecture "Expressivity, optimization & generalization" (Decomposition of the Error). The
estimation term's closed form is the inverse-Wishart mean of least squares with Gaussian design
(Anderson, "An Introduction to Multivariate Statistical Analysis", 3rd ed. 2003, §7.7; for
regression on a subset of the covariates, Breiman & Freedman, JASA 1983, eq. (2.3)).

Statement. Data (x, y) with x ~ N(0, Σ) in R^D and y = xᵀβ + ξ, E[ξ | x] = 0, Var ξ = σ², so
f*(x) = xᵀβ and E(f*) = σ² for the squared risk E(f) = E[(f(x) − y)²]. The class F_m (the
"width" m) is the linear functions of the first m coordinates; f_F = x₁ᵀw* its best member,
f_n = x₁ᵀŵ least squares on n points, f̃_n = x₁ᵀw_T gradient descent on the empirical risk
after T steps from 0 with step 1/λ_max(Ĉ), Ĉ = X₁ᵀX₁/n. Then

    E(f̃_n) − E(f*) = A(m) + S + O,
    A(m) = E(f_F) − E(f*) = β₂ᵀ(Σ₂₂ − Σ₂₁Σ₁₁⁻¹Σ₁₂)β₂                 (approximation: m)
    S = E(f_n) − E(f_F) = (ŵ − w*)ᵀΣ₁₁(ŵ − w*),
        E[S] = (σ² + A(m))·m/(n − m − 1)                           (estimation: n, m)
    O = E(f̃_n) − E(f_n), with ρ_T = L̂(w_T) − L̂(ŵ) = ½Σ_i λ_i(1 − λ_i/λ_max)^{2T}(v_iᵀŵ)²
        ≤ (1 − λ_min/λ_max)^{2T}·ρ_0                                (optimization: T)

(L̂ = (1/2n)‖X₁w − y‖²; λ_i, v_i the eigenpairs of Ĉ.) The decomposition is a telescoping sum;
what carries content is that each piece has a prediction: E[S] is exact when the residual
y − f_F(x) is independent of x₁ (Gaussian design and noise independent of x: the residual is then
Gaussian with variance σ² + A(m) whatever Σ), because ŵ − w* = (X₁ᵀX₁)⁻¹X₁ᵀr and
E tr(Σ₁₁(X₁ᵀX₁)⁻¹) = m/(n − m − 1). With n > m + 1 it is finite.

What is checked. β_j = 1/j (D = 32), σ = 1/2, widths m and sample sizes n on a grid, R seeds per
cell (the same data for every m at one n: the classes are nested); GD by
:func:`ntkconv.train_ensemble` on :class:`ntkconv.LinearModel`, all seeds as one ensemble.
Conclusions, for every cell, at α = :data:`ntkconv.STAT_ALPHA` split over the cells:
(estimation) the Student-t interval of the mean of S over the seeds contains (σ² + A)m/(n − m − 1);
(decomposition) the mean over seeds of D = [test MSE of f̃_n on fresh points − σ²] − [A + S + O]
has a t-interval containing 0 — a Monte-Carlo check of the population-risk formula behind the
three terms (the data generator, w* and A); it compares two measurements of the same weights,
so it cannot see a bug in GD, which the trajectory conclusion does; (optimization) GD's iterates
equal the closed-form trajectory to ``EXACT_RTOL`` at every step and seed, and ρ_T is within the
linear-rate bound where that bound is resolvable. Hypotheses: n ≥ m + 2
in every cell; the residual is independent of x₁ (a Pearson test of r² against ‖x₁‖² on a
fresh sample, p ≥ α). Tightness: min over cells of min(predicted/lower end, upper end/predicted)
— how far the prediction could be divided or multiplied before the data refute it.

Controls. ``heteroscedastic``: ξ = σ·x₁·g, the noise variance growing with the first feature: the
residual depends on x₁, and least squares' estimation error is (m + 2)/m times the formula's at
large n (the sandwich tr(C⁻¹E[x₁x₁ᵀr²])/n). ``isotropic-sharpened``: E[S] divided by 1.25.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
m_, n_, sigma_, A_ = sp.symbols("m n sigma A", positive=True)
S_, O_, total_ = sp.symbols(r"S O \mathcal{E}", real=True)
ESTIMATION = (sigma_**2 + A_) * m_ / (n_ - m_ - 1)
STATEMENT = sp.And(
    sp.Eq(total_, A_ + S_ + O_),
    sp.Eq(sp.Symbol(r"\mathbb{E}[S]", positive=True), ESTIMATION),
)
SYMBOLS = {
    r"\mathcal{E}": "excess risk E(f̃_n) − E(f*) of GD's output after T steps",
    "A": "approximation error E(f_F) − E(f*) of the class of width m",
    "S": "estimation error E(f_n) − E(f_F) of least squares on n points",
    "O": "optimization error E(f̃_n) − E(f_n)",
    r"\mathbb{E}[S]": "estimation error's mean over training sets",
    "sigma": "noise standard deviation",
    "m": "width: the number of features the class uses",
    "n": "training points",
}
estimation = sp.lambdify((sigma_, A_, m_, n_), ESTIMATION, "numpy")
#: max_T ‖w_T − w_T(closed form)‖/‖ŵ‖ allowed: float64 reproduces the iterates to 2e-15
#: (quick, seed 0); a step 1 % off moves w_1 alone by 1 % of its first step
EXACT_RTOL = 1e-8
#: the rate bound is checked at the steps where it is ≥ this × ρ_0: there ‖w_T − ŵ‖ ≥ 1e-6‖ŵ‖,
#: a million times GD's rounding (2e-15‖ŵ‖); below it a converged ρ_T is rounding, which rose
#: up to 2.5e-23·ρ_0 above the bound's value in seeds 0–39 (quick)
RESOLVED = 1e-12


# --- measurement -----------------------------------------------------------------------------
def _covariance(D: int, rho: float) -> torch.Tensor:
    """Σ_ij = ρ^|i−j| (ρ = 0: the identity)."""
    idx = torch.arange(D, dtype=torch.float64)
    return rho ** (idx[:, None] - idx[None, :]).abs()


def _sample(cfg: dict[str, Any], gen: torch.Generator, shape: tuple[int, ...], chol: torch.Tensor):
    """(X, y) with X rows ~ N(0, Σ), y = Xβ + ξ; heteroscedastic: ξ = σ·x₁·g."""
    D = chol.shape[0]
    X = torch.randn(*shape, D, generator=gen, dtype=torch.float64) @ chol.T
    g = torch.randn(*shape, generator=gen, dtype=torch.float64)
    scale = X[..., 0] if cfg["heteroscedastic"] else 1.0
    return X, X @ _beta(D) + cfg["sigma"] * scale * g


def _beta(D: int) -> torch.Tensor:
    return 1.0 / torch.arange(1, D + 1, dtype=torch.float64)


def best_in_class(Sigma: torch.Tensor, m: int) -> tuple[torch.Tensor, float]:
    """w* = β₁ + Σ₁₁⁻¹Σ₁₂β₂ and A(m) = β₂ᵀ(Σ₂₂ − Σ₂₁Σ₁₁⁻¹Σ₁₂)β₂ for the first m coordinates."""
    beta = _beta(Sigma.shape[0])
    S11, S12, S22 = Sigma[:m, :m], Sigma[:m, m:], Sigma[m:, m:]
    b1, b2 = beta[:m], beta[m:]
    w_star = b1 + torch.linalg.solve(S11, S12 @ b2)
    schur = S22 - S12.T @ torch.linalg.solve(S11, S12)
    return w_star, float(b2 @ schur @ b2)


def _gd_iterates(X1: torch.Tensor, y: torch.Tensor, lr: torch.Tensor, steps: int) -> torch.Tensor:
    """GD from 0 on L̂ = (1/2n)‖X₁w − y‖² for every seed at once: the iterates (T + 1, R, m)."""
    iterates: list[torch.Tensor] = []
    R, _, m = X1.shape
    nc.train_ensemble(
        nc.LinearModel(m),
        {"w": torch.zeros(R, m, dtype=X1.dtype)},
        X1,
        y,
        lr=lr,
        steps=steps,
        reduction="half_mean",
        observe=lambda k, p: iterates.append(p["w"].clone()),
        progress=False,
    )
    return torch.stack(iterates)


def _width(cfg: dict[str, Any], data: tuple[torch.Tensor, ...], Sigma: torch.Tensor, m: int):
    """One (m, n) cell: estimation, decomposition and trajectory numbers per seed."""
    X, y, X_test, y_test = data
    n, T = X.shape[1], cfg["steps"]
    w_star, approx = best_in_class(Sigma, m)
    X1 = X[..., :m]
    w_hat = torch.linalg.lstsq(X1, y.unsqueeze(-1)).solution.squeeze(-1)  # (R, m)
    C = X1.mT @ X1 / n
    evals, vecs = torch.linalg.eigh(C)
    W = _gd_iterates(X1, y, 1.0 / evals[:, -1], T)  # (T + 1, R, m)
    gap = W - w_hat
    rho = 0.5 * torch.einsum("trm,rmk,trk->tr", gap, C, gap)
    # the closed-form iterates: w_T = ŵ − V diag(1 − λ_i/λ_max)^T Vᵀŵ
    k = torch.arange(T + 1, dtype=torch.float64)[:, None, None]
    factor = (1 - evals / evals[:, -1:]).clamp(min=0.0) ** k  # (T + 1, R, m)
    coords = (vecs.mT @ w_hat.unsqueeze(-1)).squeeze(-1)  # (R, m)
    exact = w_hat - torch.einsum("rij,trj->tri", vecs, factor * coords)
    dev = (W - exact).norm(dim=-1) / w_hat.norm(dim=-1)  # (T + 1, R)
    rate = (1 - evals[:, 0] / evals[:, -1]) ** (2 * k[:, :, 0])
    resolved = (rate >= RESOLVED).numpy()
    # E(w) − E(f_F) = (w − w*)ᵀΣ₁₁(w − w*): estimation for ŵ, estimation + optimization for w_T
    e_hat, e_gd = w_hat - w_star, W - w_star
    est = torch.einsum("rm,mk,rk->r", e_hat, Sigma[:m, :m], e_hat)
    opt = torch.einsum("trm,mk,trk->tr", e_gd, Sigma[:m, :m], e_gd) - est  # (T + 1, R)
    test_mse = ((X_test[..., :m] @ W[-1].unsqueeze(-1)).squeeze(-1) - y_test).pow(2).mean(-1)
    return {
        "m": m,
        "n": n,
        "approximation": approx,
        "predicted": float(estimation(cfg["sigma"], approx, m, n)),
        "S": est.numpy(),
        "D": (test_mse - cfg["sigma"] ** 2 - (approx + est + opt[-1])).numpy(),
        "O_mean": opt.mean(-1).numpy(),
        "trajectory_deviation": float(dev.max()),
        "rate_holds": bool(nc.leq(rho.numpy()[resolved], (rate * rho[0]).numpy()[resolved]).all()),
        "rate_checked": float(resolved.mean()),
    }


def _cells(cfg: dict[str, Any], seed: int, n: int, chol: torch.Tensor) -> list[dict[str, Any]]:
    """Every width at one n, on the same R training and test sets (the classes are nested)."""
    gen = nc.generator(nc.derive_seed(seed, "train", n))
    R = cfg["seeds"]
    data = (*_sample(cfg, gen, (R, n), chol), *_sample(cfg, gen, (R, cfg["test_points"]), chol))
    return [_width(cfg, data, chol @ chol.T, m) for m in cfg["ms"]]


def _residual_pvalue(cfg: dict[str, Any], seed: int, chol: torch.Tensor) -> float:
    """Pearson test of r² against ‖x₁‖², r = y − x₁ᵀw* at the smallest width, on fresh points."""
    m = min(cfg["ms"])
    gen = nc.generator(nc.derive_seed(seed, "residual"))
    X, y = _sample(cfg, gen, (cfg["residual_points"],), chol)
    w_star, _ = best_in_class(chol @ chol.T, m)
    r2 = (y - X[:, :m] @ w_star).pow(2).numpy()
    return float(scipy.stats.pearsonr(r2, X[:, :m].pow(2).sum(-1).numpy()).pvalue)


def _two_sided(predicted: float, interval: nc.MeanInterval) -> float:
    """The factor by which the prediction could be divided or multiplied before leaving the
    interval (≥ 1 exactly when the interval contains it)."""
    low = predicted / interval.lower if interval.lower > 0 else math.inf
    return min(low, interval.upper / predicted)


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    chol = torch.linalg.cholesky(_covariance(cfg["D"], cfg["rho"]))
    cells = [c for n in cfg["ns"] for c in _cells(cfg, seed, n, chol)]
    alpha = nc.STAT_ALPHA / len(cells)  # one-sided level per cell and side
    for c in cells:
        c["S_interval"] = nc.t_interval(c["S"], alpha)
        c["D_interval"] = nc.t_interval(c["D"], alpha)
    estimation_holds = all(
        c["S_interval"].lower <= c["predicted"] <= c["S_interval"].upper for c in cells
    )
    gaps = [(c["D_interval"].lower, c["D_interval"].upper) for c in cells]
    decomposition_holds = all(lo <= 0.0 <= hi for lo, hi in gaps)
    deviation = max(c["trajectory_deviation"] for c in cells)
    optimization_holds = deviation <= EXACT_RTOL and all(c["rate_holds"] for c in cells)
    pvalue = _residual_pvalue(cfg, seed, chol)
    worst = max(cells, key=lambda c: abs(c["S_interval"].estimate / c["predicted"] - 1))
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "n >= m + 2 in every cell",
                min(c["n"] - c["m"] for c in cells),
                ">=",
                2,
                note="E[S] = (σ² + A)m/(n − m − 1) is finite only for n > m + 1",
            ),
            nc.hypothesis(
                "residual y - f_F(x) independent of the features",
                pvalue,
                ">=",
                nc.STAT_ALPHA,
                note=f"Pearson test of r² against ‖x₁‖² at m = {min(cfg['ms'])} on "
                f"{cfg['residual_points']} fresh points",
            ),
        ],
        conclusion_holds=estimation_holds and decomposition_holds and optimization_holds,
        predicted={
            "estimation_error_worst_cell": worst["predicted"],
            "decomposition_gap": 0.0,
            "trajectory_deviation": nc.Bound(EXACT_RTOL, "<="),
        },
        measured={
            "estimation_error_worst_cell": worst["S_interval"],
            "worst_cell_m_n": [worst["m"], worst["n"]],
            "decomposition_gap_interval_widest": max(gaps, key=lambda g: max(-g[0], g[1])),
            "trajectory_deviation": deviation,
            "rate_bound_holds": all(c["rate_holds"] for c in cells),
            "rate_bound_steps_checked": float(np.mean([c["rate_checked"] for c in cells])),
            "residual_pvalue": pvalue,
        },
        tightness=nc.Tightness.ratio(
            min(_two_sided(c["predicted"], c["S_interval"]) for c in cells),
            "min over cells of min(predicted E[S] / lower end, upper end / predicted E[S])",
        ),
        details={
            "cells": [
                {
                    "m": c["m"],
                    "n": c["n"],
                    "approximation": c["approximation"],
                    "predicted": c["predicted"],
                    "S_mean": c["S_interval"].estimate,
                    "S_interval": [c["S_interval"].lower, c["S_interval"].upper],
                    "D_interval": [c["D_interval"].lower, c["D_interval"].upper],
                    "O_mean": c["O_mean"],
                }
                for c in cells
            ],
            "sigma": cfg["sigma"],
            "steps": cfg["steps"],
        },
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        cells = r.details["cells"]
        ms = sorted({c["m"] for c in cells})
        for k, m in enumerate(ms):
            row = sorted((c for c in cells if c["m"] == m), key=lambda c: c["n"])
            ns = np.array([c["n"] for c in row], float)
            mean = np.array([c["S_mean"] for c in row])
            lo, hi = np.array([c["S_interval"] for c in row]).T
            colour = f"C{k}"
            ax.errorbar(ns, mean, yerr=[mean - lo, hi - mean], fmt="o", color=colour, ms=3,
                        capsize=2, label=f"estimation S, m = {m}")  # fmt: skip
            ax.plot(ns, [c["predicted"] for c in row], "--", color=colour, lw=1)
            ax.axhline(row[0]["approximation"], color=colour, lw=0.8, ls=":")
        ax.plot([], [], "k--", lw=1, label="(σ² + A)m/(n − m − 1)")
        ax.plot([], [], "k:", lw=0.8, label="approximation A(m)")
        ax.set(xscale="log", yscale="log", xlabel="n", ylabel="excess risk")
        ns = sorted({c["n"] for c in cells})
        nc.label_x_values(ax, ns)
        ax.legend(fontsize=6)

    def optimization(ax: Any, results: Sequence[nc.CheckResult]) -> None:
        r = results[0]
        cells = r.details["cells"]
        for k, c in enumerate(cells):
            steps = np.arange(len(c["O_mean"]))
            ax.plot(steps, np.abs(c["O_mean"]), color=f"C{k % 10}", lw=1,
                    label=f"|O|, m = {c['m']}, n = {c['n']}")  # fmt: skip
        # O < 0 where early stopping beats least squares: the kinks are sign changes
        ax.set(yscale="log", xlabel="GD steps T", ylabel="|O|, mean over seeds")
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "error-decomposition: estimation error against n, approximation per width",
        summaries=[("optimization error against steps (first instance)", optimization)],
    )


# --- instances -------------------------------------------------------------------------------
BASE = {
    "D": 32,
    "sigma": 0.5,
    "rho": 0.0,
    "heteroscedastic": False,
    "ms": [2, 4, 8, 16],
    "ns": [32, 64, 128, 256],
    "seeds": 2000,
    "steps": 64,
    "test_points": 128,
    "residual_points": 20_000,
}
QUICK = {"ms": [2, 8], "ns": [32, 128], "seeds": 1000, "steps": 32}
ISOTROPIC = nc.Instance(
    "isotropic",
    BASE,
    "x ~ N(0, I₃₂), β_j = 1/j: E[S] = (σ² + A)m/(n − m − 1) in every cell, the total measured on "
    "fresh points equal to A + S + O, GD on its closed-form trajectory",
    quick=QUICK,
)
INSTANCES = (
    ISOTROPIC,
    ISOTROPIC.sharpened(1.25, "the predicted estimation error divided by 1.25"),
    nc.Instance(
        "correlated",
        {**BASE, "rho": 0.5},
        "Σ_ij = 0.5^|i−j|: the best member is not β's first block and A(m) shrinks, the same "
        "law with A from the Schur complement",
        quick=QUICK,
    ),
    nc.Instance(
        "heteroscedastic",
        {**BASE, "heteroscedastic": True},
        "ξ = σ·x₁·g: noise grows with the first feature, least squares' error exceeds the formula",
        breaks="residual y - f_F(x) independent of the features",
        quick=QUICK,
    ),
)

THEOREM = nc.Theorem(
    id="error-decomposition",
    title="Approximation, estimation and optimization error, each with its own knob",
    citation="Bottou & Bousquet, NIPS 2008, §2; lecture 'Expressivity, optimization & "
    "generalization' (Decomposition of the Error); Anderson 2003 §7.7 (inverse-Wishart mean)",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
