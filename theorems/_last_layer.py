"""What last-layer-convex and last-layer-convex-deep share: frozen random features Q = ∂f/∂a
of a two-layer or a depth-L net, GD with step η on L(a) = ½‖Qa − y‖² checked against its exact
trajectory and the convex and PL rates, and the rank of Q across widths.

The rates (Garrigos & Gower, arXiv:2301.11235, Thm 3.4 for the convex one; PL with
μ = λ_min(QQᵀ) when rank Q = n) do not care how Q was made: depth only changes the features.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import structural_rank

import ntkconv as nc

k, beta, R0, Lk, L0, Lstar, mu = sp.symbols("k beta R_0 L_k L_0 L^* mu", nonnegative=True)
CONVEX_RATE = beta * R0**2 / (2 * k)
LINEAR_RATE = (1 - mu / beta) ** (2 * k) * (L0 - Lstar)
RATES = (sp.Le(Lk - Lstar, CONVEX_RATE), sp.Le(Lk - Lstar, LINEAR_RATE))
SYMBOLS = {
    "k": "GD step (k ≥ 1)",
    "beta": "λ_max(QᵀQ); GD step 1/β",
    "R_0": "‖a_0 − a*‖, a* the minimizer nearest a_0",
    "L_0": "L(a_0)",
    "L^*": "min_a ½‖Qa − y‖² (lstsq)",
    "mu": "λ_min(QQᵀ), the PL constant when rank Q = n",
}
convex_rate = sp.lambdify((beta, R0, k), CONVEX_RATE, "numpy")
linear_rate = sp.lambdify((mu, beta, k, L0, Lstar), LINEAR_RATE, "numpy")

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


def inputs(cfg: dict[str, Any], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-norm Gaussian inputs, random labels; ``parallel`` makes x_1 = 2·x_0."""
    gen = nc.generator(seed)
    X = nc.sphere_inputs(cfg["n"], cfg["d"], gen)
    if cfg.get("parallel"):
        X[1] = 2 * X[0]
    return X, torch.randn(cfg["n"], generator=gen, dtype=torch.float64)


def min_angle(X: torch.Tensor) -> float:
    """Smallest angle between two distinct inputs (0: some pair is parallel). Read off the
    step-feature kernel, K^∞ = (π − θ)/(2π), whose angles are computed stably."""
    theta = math.pi - 2 * math.pi * nc.arccos_kernel(X, degree=0)
    theta.fill_diagonal_(math.inf)
    return float(theta.min())


def features_net(cfg: dict[str, Any], width: int) -> nc.TwoLayerNet | nc.DeepNet:
    """The frozen-feature net, only the output ``a`` trained: a two-layer net of this width, or
    with ``cfg["depth"]`` = L a :class:`ntkconv.DeepNet` whose last hidden layer has it (every
    layer for a ResNet; ``cfg["front"]`` gives the MLP's earlier widths)."""
    if "depth" not in cfg:
        return nc.TwoLayerNet(cfg["d"], width, cfg["activation"], trainable=("a",))
    hidden = (width,) * cfg["depth"] if cfg["residual"] else (*cfg["front"], width)
    return nc.DeepNet(
        cfg["d"], hidden, activation=cfg["activation"], residual=cfg["residual"], trainable=("a",)
    )


def gd_outcome(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    X, y = inputs(cfg, seed)
    n = X.shape[0]
    net = features_net(cfg, cfg["width"])
    params = net.init(seed)
    # ∂f/∂a, the feature matrix (σ(XWᵀ)/√m for two layers), whatever the net trains
    Q = nc.jacobian(net, params, X, wrt=("a",))
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
        nc.hypothesis("hidden layers frozen", frozen, "==", 0.0, note="max ‖W_K − W_0‖"),
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


def rank_outcome(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """rank Q equals its generic value across widths, with the singular-value gap that makes
    it unambiguous. A relu unit inactive on an input is an exact zero of Q, and the generic rank
    of a matrix with a given zero pattern is its term rank, the largest matching of rows to
    columns through nonzero entries (Edmonds 1967; ``scipy.sparse.csgraph.structural_rank``).
    For two-layer nets on spread inputs every unit is active on many points and that is
    min(n, m); behind hidden layers the inputs are correlated (all in the positive orthant), so
    some units are dead on every point or alive on only one, and the term rank is smaller."""
    X, _ = inputs(cfg, seed)
    rows = []
    for width in cfg["widths"]:
        net = features_net(cfg, width)
        Q = nc.jacobian(net, net.init(seed), X, wrt=("a",))
        dead = int((Q.abs().amax(dim=0) == 0).sum())
        expected = int(structural_rank(csr_matrix((Q != 0).cpu().numpy().astype(np.int8))))
        s = torch.linalg.svdvals(Q)
        rows.append(
            {
                "width": width,
                "dead_units": dead,
                "rank": nc.numerical_rank(Q),
                "expected": expected,
                "sigma_min_rel": float(s[max(expected, 1) - 1] / s[0]),
                "cutoff_rel": nc.rank_cutoff(1.0, tuple(Q.shape)),
            }
        )
    ok = all(r["rank"] == r["expected"] for r in rows)
    angle = min_angle(X)
    return nc.Outcome(
        hypotheses=[nc.hypothesis("no two inputs parallel", angle, ">", 0.0, note="min angle")],
        conclusion_holds=ok,
        predicted={"ranks": [r["expected"] for r in rows]},
        measured={
            "ranks": [r["rank"] for r in rows],
            "dead_units": [r["dead_units"] for r in rows],
            "min_sigma_gap": min(r["sigma_min_rel"] / r["cutoff_rel"] for r in rows),
        },
        tightness=nc.Tightness.none(
            "an equality (rank = the term rank of Q's zero pattern); min_sigma_gap says how "
            "unambiguous the rank is"
        ),
        details={"rows": rows},
    )


def _draw_gd(ax: Any, r: nc.CheckResult) -> None:
    """The excess against the 1/k and PL rates and the exact trajectory."""
    d = r.details
    k_ = np.asarray(d["k"])
    nc.plot_decay(
        ax,
        k_[1:],
        np.asarray(d["excess"])[1:],
        np.asarray(d["bound"])[1:],
        "L(a_k) − L*",
        "β‖a_0 − a*‖²/(2k)",
    )
    ax.semilogy(k_[1:], np.asarray(d["linear"])[1:], "-.", color="gray", label="(1 − μ/β)^{2k}")
    ax.semilogy(k_, np.asarray(d["exact"]), ":", color="C3", lw=2, label="exact trajectory")
    ax.legend(fontsize=7)


def _draw_rank(ax: Any, r: nc.CheckResult) -> None:
    """rank Q against min(n, m) across widths."""
    d = r.details
    rows = d["rows"]
    ax.plot([row["width"] for row in rows], [row["rank"] for row in rows], "o-", label="rank Q")
    ax.plot(
        [row["width"] for row in rows],
        [row["expected"] for row in rows],
        "k--",
        label="min(n, m)",
    )
    ax.set_xlabel("width m")
    ax.legend(fontsize=7)


#: the measurements both checks share, by ``cfg["part"]``
PARTS = {"gd": gd_outcome, "rank": rank_outcome}


def draw(ax: Any, r: nc.CheckResult) -> bool:
    """Draw a shared part's panel (GD or rank); False for any other record."""
    if "excess" in r.details:
        _draw_gd(ax, r)
    elif "rows" in r.details:
        _draw_rank(ax, r)
    else:
        return False
    return True
