"""GD from zero finds the minimum-norm interpolant — Zhang, Bengio, Hardt, Recht, Vinyals,
ICLR 2017 (arXiv:1611.03530), §5 "implicit regularization: an appeal to linear models"; the
companion lecture "Learning, memorization and generalization" (kernel machine = minimum-norm
solution).

Statement. Least squares L(w) = ½‖Xw − y‖² with n < d and X of full row rank has infinitely
many interpolants; every gradient, Xᵀ(Xw − y), lies in the row space of X. So GD and SGD
started at w_0 ∈ row(X) (e.g. w_0 = 0) never leave it, and the only interpolant there is
w* = X⁺y = Xᵀ(XXᵀ)⁻¹y, the one of minimum ℓ2 norm: the "kernel trick" predictor
f(x) = Σ_i α_i⟨x_i, x⟩ with α = (XXᵀ)⁻¹y is the same function. For GD with η ≤ 1/λ_max(XXᵀ)
each row-space direction contracts by 1 − ηλ_i, so
    ‖w_k − w*‖ ≤ (1 − ηλ_min(XXᵀ))^k ‖w_0 − w*‖.
From w_0 ∉ row(X) the null-space part of w_0 never moves: the limit is the projection
solution w* + (I − X⁺X)w_0, not w*.

What is checked. GD: the distance to w* at every recorded step against the bound (run until
the bound reaches 1e-8, so float64 rounding stays far below it), the null-space component
‖(I − X⁺X)w_k‖ at every step (≤ 1e-10·‖w*‖: rounding only), and the kernel predictor
against Xw on fresh test points. SGD (minibatches, same loss): row space kept, and the final
iterate satisfies ‖w_T − w*‖ ≤ ‖Xw_T − y‖/σ_min(X) — true of every row-space vector, false for
one with a null-space part — once the training set is fitted (SGD stops at ‖Xw_T − y‖ ≤
1e-6‖y‖, far above the float64 floor where w* itself carries ~1e-14 of rounding). The control
starts GD at w_0 ~ N(0, I/d), breaking "w_0 ∈ row(X)".
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
k_, eta, lam_min = sp.symbols(r"k \eta \lambda_{\min}", nonnegative=True)
dist0 = sp.Symbol(r"\|w_0 - X^{+}y\|", nonnegative=True)
RATE = 1 - eta * lam_min
BOUND = RATE**k_ * dist0
STATEMENT = sp.Le(sp.Symbol(r"\|w_k - X^{+}y\|"), BOUND)
SYMBOLS = {
    "k": "GD step",
    r"\eta": "step size, ≤ 1/λ_max(XXᵀ)",
    r"\lambda_{\min}": "λ_min(XXᵀ) > 0 (n < d, full row rank)",
    r"\|w_0 - X^{+}y\|": "initial distance to the minimum-norm interpolant X⁺y",
}
bound_fn = sp.lambdify((k_, eta, lam_min, dist0), BOUND, "numpy")
ROW_TOL = 1e-10  # null-space component allowed, relative to ‖w*‖ (float64 rounding)
FIT_TOL = 1e-6  # "fitted": ‖Xw_T − y‖ ≤ FIT_TOL·‖y‖ (SGD)
TARGET = 1e-8  # GD runs until the bound reaches TARGET·‖w_0 − w*‖


def _problem(n: int, d: int, seed: int) -> tuple[torch.Tensor, ...]:
    gen = nc.generator(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) / math.sqrt(d)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    X_test = torch.randn(50, d, generator=gen, dtype=torch.float64) / math.sqrt(d)
    w0 = torch.randn(d, generator=gen, dtype=torch.float64) / math.sqrt(d)
    return X, y, X_test, w0


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    X, y, X_test, w_rand = _problem(cfg["n"], cfg["d"], seed)
    n, d = X.shape
    w_star = nc.min_norm_lstsq(X, y)
    null_proj = torch.eye(d, dtype=torch.float64) - torch.linalg.pinv(X) @ X
    gram = X @ X.T
    ev = nc.eigvalsh(gram)
    lam_lo, lam_hi = float(ev[0]), float(ev[-1])
    w0 = w_rand if cfg["init"] == "random" else torch.zeros(d, dtype=torch.float64)
    eta = cfg["lr_times_lambda_max"] / lam_hi
    rate = 1 - eta * lam_lo
    d0 = float((w0 - w_star).norm())
    if cfg["batch_size"] is None:
        steps = math.ceil(math.log(TARGET) / math.log(rate))
    else:
        steps = cfg["sgd_steps"]
    model = nc.LinearModel(d)
    traj = nc.train(
        model,
        {"w": w0},
        X,
        y,
        lr=eta if cfg["batch_size"] is None else eta * cfg["batch_size"] / n,
        steps=steps,
        batch_size=cfg["batch_size"],
        seed=seed,
        record_every=max(1, steps // 200),
        # SGD stops once fitted, far above the float64 floor where w* itself carries rounding
        target_loss=None if cfg["batch_size"] is None else 0.5 * (FIT_TOL * float(y.norm())) ** 2,
        callbacks={
            "dist_to_min_norm": lambda p: float((p["w"] - w_star).norm()),
            "null_component": lambda p: float((null_proj @ p["w"]).norm()),
        },
        progress=False,
    )
    w_T = traj.params["w"]
    dist = traj.extras["dist_to_min_norm"]
    null = traj.extras["null_component"]
    residual = float((X @ w_T - y).norm())
    sigma_min = math.sqrt(lam_lo)
    alpha = torch.linalg.solve(gram, y)  # the kernel trick: f(x) = Σ α_i ⟨x_i, x⟩
    kernel_gap = float((X_test @ X.T @ alpha - X_test @ w_star).abs().max())
    in_row_space = float(null_proj.mv(w0).norm()) <= ROW_TOL * float(w_star.norm())
    stays = float(null.max()) <= ROW_TOL * float(w_star.norm())
    if cfg["batch_size"] is None:
        bound = bound_fn(traj.step, eta, lam_lo, d0)
        ok = bool(nc.leq(dist, bound).all())
        tightness = nc.Tightness.of_rate(
            dist / d0, bound / d0, "largest e with ‖w_k − X⁺y‖ ≤ (1 − ηλ_min)^{e·k}‖w_0 − X⁺y‖"
        )
        predicted = {"rate": rate, "dist_at_T": nc.Bound(float(bound[-1]), "<=")}
    else:
        bound = np.full_like(dist, math.nan)
        ok = bool(nc.leq(dist[-1], residual / sigma_min)) and residual <= FIT_TOL * float(y.norm())
        tightness = nc.Tightness.of_upper_bound(
            dist[-1], residual / sigma_min, "‖Xw_T − y‖/σ_min(X) / ‖w_T − X⁺y‖"
        )
        predicted = {"dist_at_T": nc.Bound(residual / sigma_min, "<=")}  # ‖Xw_T − y‖/σ_min
    projection_solution = w_star + null_proj @ w0
    return nc.Outcome(
        hypotheses=[
            nc.Hypothesis(
                "n < d, full row rank",
                n < d and lam_lo > 0,
                lam_lo,
                nc.Bound(0.0, ">"),
                f"λ_min(XXᵀ), with n = {n} < d = {d}",
            ),
            nc.hypothesis("η ≤ 1/λ_max(XXᵀ)", eta * lam_hi, "<=", 1.0, note="ηλ_max"),
            nc.Hypothesis(
                "w_0 ∈ row(X)",
                in_row_space,
                float(null_proj.mv(w0).norm()),
                nc.Bound(ROW_TOL * float(w_star.norm()), "<="),
                f"‖(I − X⁺X)w_0‖ against {ROW_TOL:g}·‖X⁺y‖",
            ),
        ],
        conclusion_holds=ok and stays,
        predicted=predicted,
        measured={
            "steps": int(traj.step[-1]),
            "dist_at_T": float(dist[-1]),
            "max_null_component": float(null.max()),
            "train_residual": residual,
            "norm_w_T": float(w_T.norm()),
            "norm_min_norm": float(w_star.norm()),
            "dist_to_projection_solution": float((w_T - projection_solution).norm()),
            "kernel_trick_max_gap": kernel_gap,
        },
        tightness=tightness,
        details={"step": traj.step, "dist": dist, "bound": bound, "null": null},
        diverged=traj.diverged,
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        det = r.details
        ax.semilogy(det["step"], det["dist"], label="‖w_k − X⁺y‖")
        if np.isfinite(det["bound"]).any():
            ax.semilogy(det["step"], det["bound"], "k--", label="(1 − ηλ_min)^k ‖w_0 − X⁺y‖")
        ax.semilogy(det["step"], nc.log_floor(det["null"], 1e-18), label="‖(I − X⁺X)w_k‖")
        ax.set_xlabel("step")
        ax.legend(fontsize=7)

    return nc.record_figures(results, draw, "min-norm-interpolation: ½‖Xw − y‖², n < d")


BASE = {"n": 40, "d": 200, "init": "zero", "lr_times_lambda_max": 1.0, "batch_size": None}
GD_FROM_ZERO = nc.Instance("gd-from-zero", BASE, "GD, η = 1/λ_max(XXᵀ), w_0 = 0, n = 40, d = 200")
INSTANCES = (
    GD_FROM_ZERO,
    # the slowest row-space direction contracts by exactly 1 − ηλ_min per step, so the rate is
    # tight up to the start-up (exponent ~1.1): a rate (1 − ηλ_min)^{1.5k} must fail
    GD_FROM_ZERO.sharpened(1.5, "the distance claimed to contract like (1 − ηλ_min)^{1.5k}"),
    nc.Instance(
        "sgd-from-zero",
        {**BASE, "lr_times_lambda_max": 0.5, "batch_size": 4, "sgd_steps": 6000},
        "SGD, batches of 4, w_0 = 0",
    ),
    nc.Instance(
        "gd-from-random",
        {**BASE, "init": "random"},
        "GD from w_0 ~ N(0, I/d): converges to the projection solution, not X⁺y",
        breaks="w_0 ∈ row(X)",
    ),
)

THEOREM = nc.Theorem(
    id="min-norm-interpolation",
    title="GD/SGD from zero converge to the minimum-norm interpolant X⁺y",
    citation="Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017 (arXiv:1611.03530), §5",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
