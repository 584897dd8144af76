"""Training only the last layer is convex; random-feature Grams are full rank — lecture 10,
slides "What if we only trained the last layer?" and "Is Q full rank?"; Du, Zhai, Póczos, Singh,
ICLR 2019, Theorem 3.1 (H^∞ ≻ 0 when no two inputs are parallel).

Statement. Freeze the first layer of f(x) = aᵀσ(Wx)/√m at its random initialization. With the
feature matrix Q = σ(XWᵀ)/√m (n × m), L(a) = ½‖Qa − y‖² is a convex quadratic, β-smooth with
β = λ_max(QᵀQ). GD with step 1/β satisfies

    L(a_k) − L* ≤ β‖a_0 − a*‖²/(2k)        (Garrigos & Gower, arXiv:2301.11235, Thm 3.4)

with a* = a_0 + Q⁺(y − Qa_0), the minimizer nearest a_0 (the one GD converges to, since its
steps stay in the row space of Q). If rank Q = n then L* = 0 — the net fits any labels — and L
is PL with μ = λ_min(QQᵀ), so L(a_k) − L* ≤ (1 − μ/β)^{2k}(L(a_0) − L*). rank Q = n needs
m ≥ n but is not generic: step features at small d have few distinct activation patterns
(n = 30, d = 2, m = 30: rank 14–18), so rank Q is measured, a hypothesis. On a quadratic the
whole trajectory is known, L(a_k) − L* = ½Σ_i (1 − λ_i/β)^{2k} c_i² (:func:`excess_trajectory`),
and is checked step by step — the 1/k bound alone is loose by ≥ 2e on every quadratic at step
1/β (sup_t t(1 − t)^{2k} ≤ 1/(2ek)), too loose to see a wrong step or a wrong layer.

As m → ∞, QQᵀ → K^∞ with K^∞_ij = E_w[σ(wᵀx_i)σ(wᵀx_j)]; for step features (the lecture's
σ = 1{z ≥ 0}) K^∞_ij = (π − θ_ij)/(2π), positive definite when no two inputs are parallel (same
argument as Du et al.'s Theorem 3.1). Each entry of K^m is a mean of m i.i.d. terms in [0, 1],
so by Hoeffding and a union bound, with probability ≥ 1 − δ,
max_ij |K^m_ij − K^∞_ij| ≤ sqrt(log(2n²/δ)/(2m)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

import ntkconv as nc
from theorems import _last_layer as ll

# --- statement -------------------------------------------------------------------------------
m_, n_, delta = sp.symbols("m n delta", nonnegative=True)
lam_inf = sp.Symbol(r"\lambda_{\min}(K^{\infty})", real=True)
gap = sp.Symbol(r"\|K^{m}-K^{\infty}\|_{\max}", nonnegative=True)
HOEFFDING = sp.sqrt(sp.log(2 * n_**2 / delta) / (2 * m_))
STATEMENT = sp.And(*ll.RATES, sp.Gt(lam_inf, 0), sp.Le(gap, HOEFFDING))
SYMBOLS = {
    **ll.SYMBOLS,
    r"\lambda_{\min}(K^{\infty})": "smallest eigenvalue of the step-feature Gram at m = ∞",
    r"\|K^{m}-K^{\infty}\|_{\max}": "largest entry gap between the width-m and m = ∞ Grams",
    "delta": "failure probability of the Hoeffding bound",
}
hoeffding = sp.lambdify((n_, m_, delta), HOEFFDING, "numpy")


# --- measurement -----------------------------------------------------------------------------
def _kernel(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """λ_min > 0 for the three infinite-width kernels (step features, ReLU features, Du et al.'s
    H^∞), and the max-entry gap of the step-feature K^m within Hoeffding's bound."""
    X, _ = ll.inputs(cfg, seed)
    n = X.shape[0]
    K_inf = nc.arccos_kernel(X, degree=0)
    kernels = {
        "step": K_inf,
        "relu": nc.arccos_kernel(X, degree=1),
        "du_H_inf": nc.relu_ntk_infinite(X),
    }
    lams, cutoffs = {}, {}
    for name, K in kernels.items():
        ev = nc.eigvalsh(K)
        lams[name] = float(ev[0])
        cutoffs[name] = nc.rank_cutoff(float(ev[-1]), (n, n))
    full_rank = all(lams[name] > cutoffs[name] for name in kernels)
    lam, cutoff = lams["step"], cutoffs["step"]
    gaps, bounds = [], []
    for width in cfg["widths"]:
        per_seed = []
        for s in range(cfg["seeds"]):
            W = nc.TwoLayerNet(cfg["d"], width).init(nc.derive_seed(seed, "features", s))["W"]
            per_seed.append(float((nc.random_feature_gram(X, W, "step") - K_inf).abs().max()))
        gaps.append(per_seed)
        bounds.append(float(hoeffding(n, width, cfg["delta"])))
    gaps_a, bounds_a = np.array(gaps), np.array(bounds)
    slope = float(np.polyfit(np.log(cfg["widths"]), np.log(gaps_a.mean(axis=1)), 1)[0])
    angle = ll.min_angle(X)
    return nc.Outcome(
        hypotheses=[nc.hypothesis("no two inputs parallel", angle, ">", 0.0, note="min angle")],
        conclusion_holds=full_rank and bool(nc.leq(gaps_a, bounds_a[:, None]).all()),
        predicted={"lambda_min_Kinf": nc.Bound(cutoff, ">"), "gap_slope": -0.5},
        measured={
            "lambda_min_Kinf": lam,
            "lambda_min_relu_kernel": lams["relu"],
            "lambda_min_du_H_inf": lams["du_H_inf"],
            "gap_slope": slope,
            "max_gap_over_bound": float((gaps_a / bounds_a[:, None]).max()),
        },
        tightness=nc.Tightness.of_upper_bound(
            gaps_a, bounds_a[:, None], "min over widths and seeds of Hoeffding's bound / max gap"
        ),
        details={
            "widths": list(cfg["widths"]),
            "gaps": gaps_a,
            "hoeffding": bounds_a,
            "lambda_cutoff": cutoff,
            "min_angle": angle,
        },
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    return {**ll.PARTS, "kernel": _kernel}[cfg["part"]](cfg, seed)


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        d = r.details
        if not ll.draw(ax, r):  # the kernel panel
            widths = np.asarray(d["widths"])
            gaps = np.asarray(d["gaps"])
            ax.loglog(widths, gaps.mean(axis=1), "o-", label="max |K^m − K^∞| (mean)")
            ax.loglog(widths, np.asarray(d["hoeffding"]), "k--", label="Hoeffding bound")
            ax.loglog(
                widths,
                gaps.mean(axis=1)[0] * (widths / widths[0]) ** -0.5,
                ":",
                color="gray",
                label="m^-1/2",
            )
            ax.set_xlabel("width m")
            ax.legend(fontsize=7)
            ax.text(
                0.03,
                0.04,
                f"λ_min(K^∞) = {r.measured['lambda_min_Kinf']:.3g}",
                transform=ax.transAxes,
                fontsize=8,
            )

    return nc.record_figures(
        results, draw, "last-layer-convex: last-layer GD, rank of Q, and K^m → K^∞"
    )


BASE_GD = {
    "part": "gd",
    "n": 30,
    "d": 10,
    "width": 120,
    "activation": "relu",
    "steps": 6000,
    "record_every": 10,
    "lr_factor": 1.0,
}
BASE_KERNEL = {
    "part": "kernel",
    "n": 30,
    "d": 5,
    "widths": (64, 256, 1024, 4096, 16384),
    "seeds": 5,
    "delta": 1e-3,
    "parallel": False,
}
GD_LSTSQ = nc.Instance(
    "gd-lstsq", BASE_GD, "relu features, m = 4n: GD follows its exact trajectory to L* = 0"
)
INSTANCES = (
    GD_LSTSQ,
    # the slowest direction contracts by exactly 1 − μ/β: measured exponent 1.10–1.38 (31 seeds)
    GD_LSTSQ.sharpened(1.5, "the excess claimed to contract like (1 − μ/β)^{3k}"),
    nc.Instance(
        "rank-vs-width",
        {
            "part": "rank",
            "n": 30,
            "d": 5,
            "activation": "relu",
            "widths": (8, 15, 29, 30, 31, 60, 120),
        },
        "rank σ(XWᵀ) = min(n, m) across widths",
    ),
    nc.Instance(
        "kernel-limit",
        BASE_KERNEL,
        "step-feature K^∞ ≻ 0; K^m within Hoeffding of it",
        quick={"widths": (64, 256, 1024, 4096), "seeds": 3},
    ),
    nc.Instance(
        "parallel-inputs",
        {**BASE_KERNEL, "parallel": True},
        "x_1 = 2·x_0: two rows of K^∞ coincide, λ_min(K^∞) = 0",
        breaks="no two inputs parallel",
        quick={"widths": (64, 256, 1024), "seeds": 3},
    ),
    nc.Instance(
        "narrow-width",
        {**BASE_GD, "width": 20},
        "m = 20 < n = 30: rank Q < n, random labels leave L* > 0",
        breaks="rank Q = n (so L* = 0)",
    ),
    nc.Instance(
        "step-above-2/beta",
        {**BASE_GD, "lr_factor": 2.5},
        "step 2.5/β",
        breaks="step <= 1/beta",
        expect="diverged",
    ),
)

THEOREM = nc.Theorem(
    id="last-layer-convex",
    title="Last-layer training is convex; random-feature Grams are full rank",
    citation="Lecture 10 ('What if we only trained the last layer?'); Du et al., ICLR 2019, "
    "Thm 3.1; Garrigos & Gower 2023, Thm 3.4",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
