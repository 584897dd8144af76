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

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
k, beta, R0, Lk, L0, Lstar, mu, m_, n_, delta = sp.symbols(
    "k beta R_0 L_k L_0 L^* mu m n delta", nonnegative=True
)
lam_inf = sp.Symbol(r"\lambda_{\min}(K^{\infty})", real=True)
gap = sp.Symbol(r"\|K^{m}-K^{\infty}\|_{\max}", nonnegative=True)
CONVEX_RATE = beta * R0**2 / (2 * k)
HOEFFDING = sp.sqrt(sp.log(2 * n_**2 / delta) / (2 * m_))
LINEAR_RATE = (1 - mu / beta) ** (2 * k) * (L0 - Lstar)
STATEMENT = sp.And(
    sp.Le(Lk - Lstar, CONVEX_RATE),
    sp.Le(Lk - Lstar, LINEAR_RATE),
    sp.Gt(lam_inf, 0),
    sp.Le(gap, HOEFFDING),
)
SYMBOLS = {
    "k": "GD step (k ≥ 1)",
    "beta": "λ_max(QᵀQ); GD step 1/β",
    "R_0": "‖a_0 − a*‖, a* the minimizer nearest a_0",
    "L_0": "L(a_0)",
    "L^*": "min_a ½‖Qa − y‖² (lstsq)",
    "mu": "λ_min(QQᵀ), the PL constant when rank Q = n",
    r"\lambda_{\min}(K^{\infty})": "smallest eigenvalue of the step-feature Gram at m = ∞",
    r"\|K^{m}-K^{\infty}\|_{\max}": "largest entry gap between the width-m and m = ∞ Grams",
    "delta": "failure probability of the Hoeffding bound",
}
convex_rate = sp.lambdify((beta, R0, k), CONVEX_RATE, "numpy")
linear_rate = sp.lambdify((mu, beta, k, L0, Lstar), LINEAR_RATE, "numpy")
hoeffding = sp.lambdify((n_, m_, delta), HOEFFDING, "numpy")
#: The measured excess must follow the closed-form trajectory: |measured − exact| ≤
#: TRAJECTORY_RTOL·exact + FLOOR_MARGIN·floor_k. The float64 floor of L(a_k) = ½‖r_k‖² is
#: floor_k = ε(n·L(a_k) + 2‖r_k‖·‖y‖): the rounding of a sum of n squares (L(a_k) − L* cancels
#: when L* > 0) plus that of the residual's entries, each ≈ ε|y_i| once Qa ≈ y. Over seeds
#: 0–20 the relative error stays ≤ 3.3·10⁻¹⁰ where the floor is negligible and the error
#: ≤ 0.01 of the allowance; a 10% step error is off by 10⁻¹ within a few steps.
TRAJECTORY_RTOL = 1e-8
#: L* = 0 when rank Q = n, up to rounding: L* ≤ ZERO·L(a_0).
ZERO = 1e-12
EPS = float(np.finfo(np.float64).eps)


def excess_trajectory(Q: torch.Tensor, r0: torch.Tensor, eta: float, k: np.ndarray) -> np.ndarray:
    """The exact GD trajectory of L(a) − L* on the quadratic ½‖Qa − y‖².

    The residual r = Qa − y obeys r_{k+1} − r* = (I − ηQQᵀ)(r_k − r*), and r_k − r* lies in
    the range of Q, orthogonal to r*, so with QQᵀ = Σ λ_i u_i u_iᵀ and c_i = u_iᵀ(r_0 − r*),

        L(a_k) − L* = ½ Σ_i (1 − ηλ_i)^{2k} c_i².

    Args:
        Q: the feature matrix (n, m), float64.
        r0: the initial residual minus the optimal one, r_0 − r* (n,).
        eta: the step.
        k: the steps (K,).

    Returns:
        The excess at each step, shape (K,).
    """
    lam, U = torch.linalg.eigh(Q @ Q.T)
    c2 = (U.T @ r0).double().cpu().numpy() ** 2
    q = np.abs(1 - eta * lam.double().cpu().numpy())
    return 0.5 * (q[None, :] ** (2 * np.asarray(k, float)[:, None]) * c2[None, :]).sum(axis=1)


def _inputs(cfg: dict[str, Any], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-norm Gaussian inputs, random labels; ``parallel`` makes x_1 = 2·x_0."""
    gen = nc.generator(seed)
    X = nc.sphere_inputs(cfg["n"], cfg["d"], gen)
    if cfg.get("parallel"):
        X[1] = 2 * X[0]
    return X, torch.randn(cfg["n"], generator=gen, dtype=torch.float64)


def _angles(X: torch.Tensor) -> float:
    """Smallest angle between two distinct inputs (0: some pair is parallel). Read off the
    step-feature kernel, K^∞ = (π − θ)/(2π), whose angles are computed stably."""
    theta = math.pi - 2 * math.pi * nc.arccos_kernel(X, degree=0)
    theta.fill_diagonal_(math.inf)
    return float(theta.min())


# --- measurement -----------------------------------------------------------------------------
def _gd(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    X, y = _inputs(cfg, seed)
    n = X.shape[0]
    net = nc.TwoLayerNet(cfg["d"], cfg["width"], cfg["activation"], trainable=("a",))
    params = net.init(seed)
    Q = nc.jacobian(net, params, X)  # ∂f/∂a = σ(XWᵀ)/√m: the feature matrix
    beta_ = nc.lambda_max(Q @ Q.T)
    a0 = params["a"]
    a_star = a0 + torch.linalg.pinv(Q) @ (y - Q @ a0)
    L_star = float(nc.squared_loss(Q @ a_star, y))
    rank = nc.numerical_rank(Q)
    eta = cfg["lr_factor"] / beta_
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=eta,
        steps=cfg["steps"],
        track_activations=False,
        record_every=cfg["record_every"],
        progress=False,
    )
    steps = traj.step[1:].astype(float)
    R = float(torch.linalg.vector_norm(a0 - a_star))
    bound = convex_rate(beta_, R, steps)
    excess = traj.loss[1:] - L_star
    # the sharp prediction: on a quadratic GD's whole trajectory is known in closed form
    exact = excess_trajectory(Q, Q @ (a0 - a_star), eta, traj.step)
    floor = EPS * (n * traj.loss + 2 * np.sqrt(2 * traj.loss) * float(torch.linalg.norm(y)))
    allowed = TRAJECTORY_RTOL * exact + nc.FLOOR_MARGIN * floor
    deviation = np.abs(traj.loss - L_star - exact) / allowed
    # the theorem's conclusion when rank Q = n: L* = 0, any labels are fitted
    fits_any_labels = L_star <= ZERO * float(traj.loss[0])
    follows = bool(nc.leq(deviation, 1.0).all())
    mu_ = max(nc.lambda_min(Q @ Q.T), 0.0)
    linear = linear_rate(mu_, beta_, traj.step.astype(float), float(traj.loss[0]), L_star)
    within = bool(nc.leq(excess, bound).all()) and bool(nc.leq(excess, linear[1:]).all())
    holds = within and follows and fits_any_labels
    moved = {
        name: float(torch.linalg.vector_norm(traj.params[name] - params[name])) for name in params
    }
    frozen = max(v for name, v in moved.items() if name != "a")
    hyps = [
        nc.hypothesis("step <= 1/beta", eta, "<=", 1 / beta_, note="1/β"),
        nc.hypothesis("rank Q = n (so L* = 0)", rank, "==", n, note="n"),
        nc.hypothesis("first layer frozen", frozen, "==", 0.0, note="max ‖W_K − W_0‖"),
    ]
    dist = float(torch.linalg.vector_norm(traj.params["a"] - a_star))
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=holds,
        predicted={
            "L_star_over_L0": nc.Bound(ZERO, "<="),
            "bound_at_end": float(bound[-1]) if len(bound) else math.nan,
            "excess_at_end": float(exact[-1]),
            "trajectory_error_over_allowed": nc.Bound(1.0, "<="),
        },
        measured={
            "excess_at_end": float(excess[-1]) if len(excess) else math.nan,
            "trajectory_error_over_allowed": float(deviation.max()),
            "dist_to_a_star": dist,
            "a_moved": moved["a"],
            # how loose the published 1/k bound is (≥ 2e on any quadratic at step 1/β)
            "convex_bound_ratio": nc.Tightness.of_upper_bound(
                excess, bound, "β‖a_0 − a*‖²/(2k) / (L(a_k) − L*)"
            ).value,
            "L_star_over_L0": L_star / float(traj.loss[0]),
        },
        tightness=nc.Tightness.of_rate(
            excess / (traj.loss[0] - L_star),
            linear[1:] / (traj.loss[0] - L_star),
            "largest e with L(a_k) − L* ≤ (1 − μ/β)^{2ek}(L(a_0) − L*)",
        ),
        details={
            "k": traj.step,
            "excess": np.concatenate([[traj.loss[0] - L_star], excess]),
            "exact": exact,
            "bound": np.concatenate([[np.inf], bound]),
            "linear": linear,
            "deviation": deviation,
            "beta": beta_,
            "rank_Q": rank,
            "L_star": L_star,
            "width": cfg["width"],
            "n": n,
            "R0": R,
            "kappa": nc.condition_number(Q @ Q.T) if rank == n else math.inf,
        },
        diverged=traj.diverged,
    )


def _rank(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """rank Q = min(n, m) across widths, with the singular-value gap that makes it unambiguous."""
    X, _ = _inputs(cfg, seed)
    n = X.shape[0]
    rows = []
    for width in cfg["widths"]:
        net = nc.TwoLayerNet(cfg["d"], width, cfg["activation"], trainable=("a",))
        Q = nc.jacobian(net, net.init(seed), X)
        s = torch.linalg.svdvals(Q)
        rows.append(
            {
                "width": width,
                "rank": nc.numerical_rank(Q),
                "expected": min(n, width),
                "sigma_min_rel": float(s[min(n, width) - 1] / s[0]),
                "cutoff_rel": nc.rank_cutoff(1.0, tuple(Q.shape)),
            }
        )
    ok = all(r["rank"] == r["expected"] for r in rows)
    angle = _angles(X)
    return nc.Outcome(
        hypotheses=[nc.hypothesis("no two inputs parallel", angle, ">", 0.0, note="min angle")],
        conclusion_holds=ok,
        predicted={"ranks": [r["expected"] for r in rows]},
        measured={
            "ranks": [r["rank"] for r in rows],
            "min_sigma_gap": min(r["sigma_min_rel"] / r["cutoff_rel"] for r in rows),
        },
        tightness=nc.Tightness.none(
            "an equality (rank = min(n, m)); min_sigma_gap says how unambiguous the rank is"
        ),
        details={"rows": rows},
    )


def _kernel(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """λ_min > 0 for the three infinite-width kernels (step features, ReLU features, Du et al.'s
    H^∞), and the max-entry gap of the step-feature K^m within Hoeffding's bound."""
    X, _ = _inputs(cfg, seed)
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
    angle = _angles(X)
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
    return {"gd": _gd, "rank": _rank, "kernel": _kernel}[cfg["part"]](cfg, seed)


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        d = r.details
        if "excess" in d:
            k_ = np.asarray(d["k"])
            nc.plot_decay(
                ax,
                k_[1:],
                np.asarray(d["excess"])[1:],
                np.asarray(d["bound"])[1:],
                "L(a_k) − L*",
                "β‖a_0 − a*‖²/(2k)",
            )
            ax.semilogy(
                k_[1:], np.asarray(d["linear"])[1:], "-.", color="gray", label="(1 − μ/β)^{2k}"
            )
            ax.semilogy(k_, np.asarray(d["exact"]), ":", color="C3", lw=2, label="exact trajectory")
            ax.legend(fontsize=7)
        elif "rows" in d:
            rows = d["rows"]
            ax.plot(
                [row["width"] for row in rows], [row["rank"] for row in rows], "o-", label="rank Q"
            )
            ax.plot(
                [row["width"] for row in rows],
                [row["expected"] for row in rows],
                "k--",
                label="min(n, m)",
            )
            ax.set_xlabel("width m")
            ax.legend(fontsize=7)
        else:
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
