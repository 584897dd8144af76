"""Nonlinear least squares is PL wherever the Jacobian has full rank — lecture 10 ("Guarantees
for fitting NNs with GD"), slides "PL in Nonlinear Least Squares"; see also Liu, Zhu, Belkin,
"Loss landscapes and optimization in over-parameterized non-linear systems and neural networks"
(ACHA 2022), §4 (PL* from the tangent kernel's smallest eigenvalue).

Statement. For L(w) = ‖h(X; w) − y‖² (the lecture's normalization: no ½, no 1/n) and the
prediction Jacobian J(w) = ∂h(X; w)/∂w (n × p), ∇L = 2J(w)ᵀ(h − y), hence at every w

    ‖∇L(w)‖² ≥ 4 λ_min(J(w)J(w)ᵀ) L(w).

Consequence: where λ_min(J(w_k)J(w_k)ᵀ) ≥ λ > 0 along a run, L satisfies Karimi et al.'s PL
inequality ½‖∇L‖² ≥ μ L with μ = 2λ (and L* = 0), so GD with step 1/β, β the smoothness of L
along the run, gives L(w_k) ≤ (1 − 2λ/β)^k L(w_0). When d0·d1 < n (one hidden layer, first layer
trained) J has fewer than n columns, λ_min(JJᵀ) = 0, and the bound says nothing.

The rate is loose (exponent tightness ≈ 20), so the GD part also checks a sharper measured
prediction: each step's loss decrease against the one the model linearized at w_k gives
(``STEP_RTOL``), which a step 10% off or the ½-normalized loss breaks.
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
grad_sq, lam_min, L, lam, beta, k, L0 = sp.symbols(
    r"\|\nabla{L}\|^2 lambda_min L lambda beta k L_0", nonnegative=True
)
INEQUALITY = sp.Ge(grad_sq, 4 * lam_min * L)
RATE = 1 - 2 * lam / beta
STATEMENT = sp.And(INEQUALITY, sp.Le(sp.Symbol("L_k", nonnegative=True), RATE**k * L0))
SYMBOLS = {
    r"\|\nabla{L}\|^2": "squared gradient norm of L(w) = ‖h(X; w) − y‖²",
    "lambda_min": "λ_min(J(w)J(w)ᵀ) at the same w",
    "lambda": "min over the run of λ_min(J(w_k)J(w_k)ᵀ)",
    "beta": "smoothness of L along the run; GD step 1/β",
    "L_0": "L(w_0)",
}
rate = sp.lambdify((lam, beta), RATE, "numpy")

#: Relative tolerance on each GD step's loss decrease 1 − L_{k+1}/L_k against the one the model
#: linearized at w_k predicts (:func:`ntkconv.linearized_loss_ratio`). Over seeds 0–3 the worst
#: step is off by ≤ 1.8e-3 at m = 128 and ≤ 1.0e-3 at m = 256; a step 10% off either way gives
#: 0.099–0.101.
STEP_RTOL = 0.02


def _data(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-norm Gaussian inputs and random labels (the hardest targets to fit)."""
    gen = nc.generator(seed)
    X = nc.sphere_inputs(n, d, gen)
    return X, torch.randn(n, generator=gen, dtype=torch.float64)


def _pl_point(
    net: nc.TwoLayerNet, params: dict, X: torch.Tensor, y: torch.Tensor, reduction: str
) -> dict[str, float]:
    """‖∇L‖², 4·λ_min(JJᵀ)·L and λ_min at ``params``, for L the squared loss in ``reduction``."""
    grads = torch.func.grad(lambda W: nc.squared_loss(net({**params, "W": W}, X), y, reduction))(
        params["W"]
    )
    out = net(params, X)
    loss = float(nc.squared_loss(out, y, reduction))
    lmin = nc.lambda_min(nc.empirical_ntk(net, params, X))
    return {
        "grad_sq": float((grads**2).sum()),
        "bound": 4 * lmin * loss,
        # the loss the gradient was taken of, over the lecture's ‖h − y‖² (1 when they agree)
        "normalization": loss / float(((out - y) ** 2).sum()),
        "lambda_min": lmin,
        "rank_J": nc.numerical_rank(nc.jacobian(net, params, X)),
    }


def _tight_labels(net: nc.TwoLayerNet, params: dict, X: torch.Tensor) -> torch.Tensor:
    """Labels making the residual h − y the bottom eigenvector of JJᵀ: there ‖∇L‖² equals
    4 λ_min L exactly (for L = ‖r‖²), so the inequality is tight."""
    _, vecs = torch.linalg.eigh(nc.empirical_ntk(net, params, X))
    return net(params, X) - vecs[:, 0]


# --- measurement -----------------------------------------------------------------------------
def _inequality(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """The inequality at initialization and at random weight draws, for each width; with
    ``tight`` the labels put the residual on the bottom eigenvector (equality case)."""
    X, y = _data(cfg["n"], cfg["d"], seed)
    rows = []
    for width in cfg["widths"]:
        net = nc.TwoLayerNet(cfg["d"], width, cfg["activation"])
        for draw in range(cfg["draws"]):
            params = net.init(
                nc.derive_seed(seed, "init", draw), scale=1.0 if draw == 0 else cfg["random_scale"]
            )
            labels = _tight_labels(net, params, X) if cfg["tight"] else y
            point = _pl_point(net, params, X, labels, cfg["reduction"])
            rows.append(
                {"width": width, "point": "init" if draw == 0 else f"random {draw}", **point}
            )
    lhs = np.array([r["grad_sq"] for r in rows])
    rhs = np.array([r["bound"] for r in rows])
    ratio = lhs / np.where(rhs > 0, rhs, np.nan)
    norms = np.array([r["normalization"] for r in rows])
    worst = float(norms[np.argmax(np.abs(norms - 1))])
    hyps = [
        nc.hypothesis(
            "L = ||h(X;w) - y||^2 (no 1/2)", worst, "==", 1.0, note="L(w) / ‖h(X; w) − y‖²"
        )
    ]
    finite = ratio[np.isfinite(ratio)]
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=bool(nc.leq(rhs, lhs).all()),
        predicted={"min_ratio": nc.Bound(1.0, ">=")},
        measured={
            "min_ratio": float(np.nanmin(ratio)),
            "points": len(rows),
            "full_rank_points": sum(r["rank_J"] == cfg["n"] for r in rows),
        },
        tightness=nc.Tightness.ratio(
            float(finite.min()) if finite.size else math.inf,
            "min over points of ‖∇L‖² / (4 λ_min(JJᵀ) L)",
        ),
        details={"rows": rows},
    )


def _gd_rate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """GD with step 1/β, β = margin·‖∇²L(w_0)‖ (the margin is the step-size choice, stated in the
    config); checks that β bounds the Hessian norm at every iterate (Lanczos), that
    λ = min_k λ_min(J_kJ_kᵀ) > 0, and L_k ≤ (1 − 2λ/β)^k L_0."""
    n, d, width = cfg["n"], cfg["d"], cfg["width"]
    X, y = _data(n, d, seed)
    net = nc.TwoLayerNet(d, width, cfg["activation"])
    params = net.init(seed)

    def loss(p: dict) -> torch.Tensor:
        return nc.squared_loss(net(p, X), y, "sum")

    beta_used = cfg["beta_margin"] * nc.smoothness(loss, params, "W", seed=seed)
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=1.0 / beta_used,
        steps=cfg["steps"],
        reduction="sum",
        callbacks={
            "lambda_min": lambda p: nc.lambda_min(nc.empirical_ntk(net, p, X)),
            "rank_J": lambda p: nc.numerical_rank(nc.jacobian(net, p, X)),
            "curvature": lambda p: nc.smoothness(loss, p, "W", seed=seed),
            "predicted_ratio": lambda p: nc.linearized_loss_ratio(
                nc.empirical_ntk(net, p, X), net(p, X) - y, 1.0 / beta_used, "sum"
            ),
        },
        progress=False,
    )
    curv = traj.extras["curvature"]
    lmins = traj.extras["lambda_min"]
    lam_run = float(lmins.min())
    # λ counts as positive only above the numerical-rank cutoff of JJᵀ (ntkconv.spectra).
    cutoff = nc.rank_cutoff(nc.lambda_max(nc.empirical_ntk(net, params, X)), (n, n))
    q = float(rate(lam_run, beta_used))
    bound = traj.loss[0] * q ** traj.step.astype(float)
    # The inequality itself at every iterate of the run (λ_min and ‖∇L‖² of the same w_k).
    along = 4 * lmins * traj.loss
    inequality_along_run = bool(nc.leq(along, traj.grad_norm_sq).all())
    # the conclusion is a linear *contraction*: with λ at the rank cutoff q rounds to 1 (or
    # just above) and "L_k ≤ q^k L_0" would hold for any run that does not blow up
    contracts = lam_run > cutoff
    # the sharper prediction: each step's decrease against the kernel J_kJ_kᵀ at w_k
    errors = nc.linearized_step_errors(traj.loss, traj.extras["predicted_ratio"])
    worst_step = float(np.nanmax(errors)) if not np.isnan(errors).all() else math.inf
    holds = (
        contracts
        and bool(nc.leq(traj.loss, bound).all())
        and inequality_along_run
        and worst_step <= STEP_RTOL
    )
    hyps = [
        nc.hypothesis("d0*d1 >= n", d * width, ">=", n, note="n"),
        nc.hypothesis(
            "rank J(w_k) = n along the run", int(traj.extras["rank_J"].min()), "==", n, note="n"
        ),
        nc.hypothesis(
            "lambda = min_k lambda_min(J_k J_k^T) > 0", lam_run, ">", cutoff, note="rank cutoff"
        ),
        nc.hypothesis(
            "beta bounds the curvature at every iterate (Lanczos)",
            float(curv.max()),
            "<=",
            beta_used,
            note="β",
        ),
    ]
    final_rel = float(traj.loss[-1] / traj.loss[0])
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=holds,
        predicted={
            "rate": q,
            "final_loss_ratio": float(q ** traj.step[-1]),
            "step_decrease_rtol": nc.Bound(STEP_RTOL, ">="),
        },
        measured={
            "final_loss_ratio": final_rel,
            "worst_step_decrease_error": worst_step,
            "min_inequality_ratio_along_run": float(
                np.min(traj.grad_norm_sq[along > 0] / along[along > 0])
            )
            if (along > 0).any()
            else math.nan,
            "asymptotic_rate": float(
                (traj.loss[-1] / traj.loss[len(traj.loss) // 2])
                ** (1 / max(traj.step[-1] - traj.step[len(traj.step) // 2], 1))
            ),
        },
        tightness=nc.Tightness.of_rate(
            traj.loss / traj.loss[0],
            q ** traj.step.astype(float),
            "largest e with L_k ≤ (1 − 2λ/β)^{e·k} L_0",
        )
        if contracts
        else nc.Tightness.exponent(-math.inf, "no contraction: λ at the rank cutoff"),
        details={
            "k": traj.step,
            "loss": traj.loss,
            "bound": bound,
            "lambda_min": lmins,
            "beta": beta_used,
            "curvature": curv,
            "lambda": lam_run,
        },
        diverged=traj.diverged,
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    return {"inequality": _inequality, "gd": _gd_rate}[cfg["part"]](cfg, seed)


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        d = r.details
        if "rows" in d:
            rows = d["rows"]
            widths = sorted({row["width"] for row in rows})
            for w in widths:
                pts = [row for row in rows if row["width"] == w]
                ax.loglog(
                    [p["bound"] for p in pts], [p["grad_sq"] for p in pts], "o", label=f"m = {w}"
                )
            lo = min(min(p["bound"] for p in rows if p["bound"] > 0), 1e-3)
            hi = max(p["grad_sq"] for p in rows)
            ax.loglog([lo, hi], [lo, hi], "k--", lw=1, label="equality")
            ax.set_xlabel("4 λ_min(JJᵀ) L")
            ax.set_ylabel("‖∇L‖²")
            ax.legend(fontsize=7)
        else:
            nc.plot_decay(
                ax,
                np.asarray(d["k"]),
                np.asarray(d["loss"]),
                np.asarray(d["bound"]),
                "L(w_k)",
                "(1 − 2λ/β)^k L(w_0)",
            )

    return nc.record_figures(
        results, draw, "nls-pl: ‖∇L‖² ≥ 4 λ_min(JJᵀ) L and the PL rate it implies"
    )


BASE_INEQUALITY = {
    "part": "inequality",
    "n": 24,
    "d": 4,
    "widths": (8, 32, 128),
    "activation": "relu",
    "draws": 4,
    "random_scale": 3.0,
    "tight": False,
    "reduction": "sum",
}
BASE_TIGHT = {
    **BASE_INEQUALITY,
    "widths": (32, 128),
    "activation": "leaky_relu(0.1)",
    "draws": 2,
    "tight": True,
}
BASE_GD = {
    "part": "gd",
    "n": 20,
    "d": 4,
    "width": 256,
    "activation": "tanh",
    "beta_margin": 1.5,
    "steps": 300,
}
TIGHT_POINT = nc.Instance(
    "tight-point",
    BASE_TIGHT,
    "residual on the bottom eigenvector of JJᵀ: equality, tightness ≈ 1",
    quick={"widths": (32,)},
)
INSTANCES = (
    nc.Instance(
        "inequality",
        BASE_INEQUALITY,
        "at initialization and at random weights (scale 3) for three widths",
        quick={"widths": (8, 32), "draws": 3},
    ),
    TIGHT_POINT,
    # an equality case: any factor > 1 must break it, however close to 1
    TIGHT_POINT.sharpened(1.01, "the inequality claimed with 4.04 λ_min instead of 4 λ_min"),
    nc.Instance(
        "half-loss",
        {**BASE_TIGHT, "reduction": "half_sum"},
        "L = ½‖h − y‖² with the constant 4 kept: off by 2 at the tight point",
        breaks="L = ||h(X;w) - y||^2 (no 1/2)",
        quick={"widths": (32,)},
    ),
    nc.Instance(
        "gd-rate",
        BASE_GD,
        "GD on random labels, step 1/β; L_k ≤ (1 − 2λ/β)^k L_0",
        quick={"width": 128, "steps": 120},
    ),
    nc.Instance(
        "narrow-width",
        {**BASE_GD, "width": 3},
        "d0·d1 = 12 < n = 20: λ_min(JJᵀ) = 0, random labels are not fitted",
        breaks="d0*d1 >= n",
        # λ = 0: the rate 1 − 2λ/β is no contraction, the conclusion fails
        quick={"steps": 120},
    ),
)

THEOREM = nc.Theorem(
    id="nls-pl",
    title="Nonlinear least squares is PL where λ_min(JJᵀ) > 0",
    citation="Lecture 10, 'PL in Nonlinear Least Squares'; Liu, Zhu, Belkin, ACHA 2022, §4",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
