"""PL* in a ball around initialization, and the transition to linearity that gives it — Liu, Zhu,
Belkin, "Loss landscapes and optimization in over-parameterized non-linear systems and neural
networks" (ACHA 2022, arXiv:2003.00307), Definition 3 (PL*), Theorem 2 (uniform conditioning ⇒
PL*) and Theorem 6 (local PL* ⇒ a solution in the ball + linear convergence of GD); Liu, Zhu,
Belkin, "On the linearity of large non-linear models: when and why the tangent kernel is
constant" (NeurIPS 2020), Theorem 3.2 (‖H_f‖ = Õ(1/√m) in a ball). Lecture 10's reading list.
The abstracts' claims were confirmed; the theorem numbers and constants are from memory of the
arXiv versions (see the page).

Statement. For the system F(w) = (f(x_1; w), …, f(x_n; w)) and L(w) = ½‖F(w) − y‖², let
K(w) = DF(w)DF(w)ᵀ be the tangent kernel. If λ_min(K(w)) ≥ μ > 0 on a set S, then L is μ-PL* on
S: ½‖∇L(w)‖² ≥ μ L(w). If F is L_F-Lipschitz and β_F-smooth and L is μ-PL* on the ball
B(w_0, R) with

    R = 2 L_F ‖F(w_0) − y‖ / μ,

then GD with a step η ≤ 1/(L_F² + β_F‖F(w_0) − y‖) stays in B(w_0, R) and
L(w_k) ≤ (1 − ημ)^k L(w_0). Wide networks meet the hypothesis because they are nearly linear:
for f(x) = aᵀσ(Wx)/√m with smooth σ, sup over B(w_0, R) of ‖∇²_w f(x)‖₂ = O(m^{-1/2}), so K
barely moves in the ball — and a network with a nonlinear output layer, φ(aᵀσ(Wx)/√m), is
not: its Hessian keeps the rank-one term φ''·∇g∇gᵀ of size O(1).

What is measured. μ := λ_min(K(w_0))/2 (the margin wide nets have; any μ below λ_min over the
ball works). The ball hypothesis is measured on the iterates GD visits and on eight random points
of the sphere ‖w − w_0‖ = R — a sample, not a certificate. L_F² = max λ_max(K) and
β_F ≤ √n · max_i ‖∇²f(x_i)‖₂ (the closed form of ``TwoLayerNet.output_hessian_norm``) over the
same points. The theorem's rate is loose (its exponent is ≈ 4× the observed one), so a sharper
prediction is checked next to it: each step's loss decrease 1 − L_{k+1}/L_k against what the
tangent kernel at w_k predicts, 1 − ‖(I − ηK(w_k))r_k‖²/‖r_k‖², within ``STEP_RTOL`` — which a
step or kernel 10% off breaks.
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
L_k, L0, eta, mu, k, R, L_F, beta_F, r0 = sp.symbols(
    r"L_k L_0 eta mu k R L_F beta_F \|r_0\|", nonnegative=True
)
RADIUS = 2 * L_F * r0 / mu
STEP = 1 / (L_F**2 + beta_F * r0)
RATE = 1 - eta * mu
STATEMENT = sp.And(
    sp.Le(sp.Symbol(r"\|w_k - w_0\|", nonnegative=True), RADIUS),
    sp.Le(L_k, RATE**k * L0),
)
SYMBOLS = {
    r"\|w_k - w_0\|": "distance of the GD iterate from initialization",
    "L_k": "L(w_k) = ½‖F(w_k) − y‖²",
    "mu": "PL* constant: λ_min(K(w)) ≥ μ on B(w_0, R)",
    "L_F": "Lipschitz constant of F on the ball: max √λ_max(K(w))",
    "beta_F": "smoothness of F on the ball: ‖DF(w) − DF(v)‖ ≤ β_F‖w − v‖",
    r"\|r_0\|": "‖F(w_0) − y‖",
    "eta": "GD step, at most 1/(L_F² + β_F‖r_0‖)",
}
radius = sp.lambdify((L_F, r0, mu), RADIUS, "numpy")
max_step = sp.lambdify((L_F, beta_F, r0), STEP, "numpy")
rate = sp.lambdify((eta, mu), RATE, "numpy")

#: Relative tolerance on each step's loss decrease against the tangent-kernel prediction. Over
#: seeds 0–7 the worst step is off by ≤ 2e-3 at m = 256 and ≤ 4e-4 from m = 1024; a step 10% off
#: moves late decreases by ≈ 10%.
STEP_RTOL = 0.02
#: Random points of the sphere ‖w − w_0‖ = R at which the ball hypotheses are sampled.
BALL_POINTS = 8
#: The width exponent of ‖∇²f‖ at initialization must be within this distance of −1/2 (and at
#: most −1/2 + this on the ball, where a faster decay is allowed: the theorem bounds it above).
EXPONENT_TOL = 0.1


def _data(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = nc.generator(seed)
    return nc.sphere_inputs(n, d, gen), torch.randn(n, generator=gen, dtype=torch.float64)


def _ball_points(params: dict, radius_: float, seed: int) -> list[dict]:
    """BALL_POINTS points w_0 + R·u, u uniform on the unit sphere of all params."""
    gen = nc.generator(nc.derive_seed(seed, "ball"))
    points = []
    for _ in range(BALL_POINTS):
        u = {name: torch.randn(v.shape, generator=gen, dtype=v.dtype) for name, v in params.items()}
        norm = math.sqrt(sum(float((v**2).sum()) for v in u.values()))
        points.append({name: params[name] + radius_ * u[name] / norm for name in params})
    return points


def _geometry(net: nc.TwoLayerNet, p: dict, X: torch.Tensor) -> dict[str, float]:
    """λ_min, λ_max of K(w) and the β_F bound √n·max_i ‖∇²f(x_i)‖ at one point."""
    ev = nc.eigvalsh(nc.empirical_ntk(net, p, X))
    hess = float(net.output_hessian_norm(p, X).max())
    return {
        "lambda_min": float(ev[0]),
        "lambda_max": float(ev[-1]),
        "beta_F": math.sqrt(len(X)) * hess,
    }


def _geometry_recorders(net: nc.TwoLayerNet, X: torch.Tensor) -> dict[str, Any]:
    """Recorders of the three :func:`_geometry` values; they share one evaluation per step
    (the recorders of a step all receive the same params dict)."""
    cache: dict[str, Any] = {}

    def column(key: str) -> Any:
        def record(p: dict) -> float:
            if cache.get("params") is not p:
                cache.update(params=p, geometry=_geometry(net, p, X))
            return cache["geometry"][key]

        return record

    return {key: column(key) for key in ("lambda_min", "lambda_max", "beta_F")}


def _step_prediction(net: nc.TwoLayerNet, X: torch.Tensor, y: torch.Tensor, lr: float) -> Any:
    """The loss ratio L_{k+1}/L_k that GD on the model linearized at w_k would give."""

    def predict(p: dict) -> float:
        return nc.linearized_loss_ratio(nc.empirical_ntk(net, p, X), net(p, X) - y, lr)

    return predict


# --- measurement -----------------------------------------------------------------------------
def _gd(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    n, d, width = cfg["n"], cfg["d"], cfg["width"]
    X, y = _data(n, d, seed)
    net = nc.TwoLayerNet(d, width, cfg["activation"], trainable=("W", "a"))
    params = net.init(seed)
    r0_norm = float(torch.linalg.vector_norm(net(params, X) - y))
    start = _geometry(net, params, X)
    mu_ = cfg["mu_fraction"] * start["lambda_min"]
    R_ = float(radius(math.sqrt(start["lambda_max"]), r0_norm, mu_)) if mu_ > 0 else math.inf
    # the step is set from w_0; that it bounds the Hessian over the ball is a measured hypothesis
    lr = cfg["step_fraction"] / (start["lambda_max"] + start["beta_F"] * r0_norm)
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=cfg["steps"],
        callbacks={
            **_geometry_recorders(net, X),
            "predicted_ratio": _step_prediction(net, X, y, lr),
        },
        progress=False,
    )
    ball = (
        [_geometry(net, p, X) for p in _ball_points(params, R_, seed)] if math.isfinite(R_) else []
    )
    ex = traj.extras

    def sup(key: str, pick: Any) -> float:
        return float(pick(np.concatenate([ex[key], [g[key] for g in ball]])))

    lam_ball, lam_path = sup("lambda_min", np.min), float(ex["lambda_min"].min())
    LF, beta = math.sqrt(sup("lambda_max", np.max)), sup("beta_F", np.max)
    cutoff = nc.rank_cutoff(start["lambda_max"], (n, n))
    q = float(rate(lr, mu_))
    bound = traj.loss[0] * q ** traj.step.astype(float)
    contracts = mu_ > cutoff

    # the sharper prediction: each step's decrease against the tangent kernel at w_k
    errors = nc.linearized_step_errors(traj.loss, ex["predicted_ratio"])
    live = ~np.isnan(errors)  # the steps above the float64 floor
    step_err = errors[live]
    worst_step = float(step_err.max()) if step_err.size else math.inf
    measured_dec = 1 - traj.loss[1:] / traj.loss[:-1]

    in_ball = float(traj.dist_from_init.max()) <= R_
    # Theorem 6's proof is per step, L_{k+1} ≤ (1 − ημ)L_k, which gives the rate at every k
    per_step = bool(nc.leq(traj.loss[1:][live], q * traj.loss[:-1][live]).all())
    rate_ok = contracts and per_step and bool(nc.leq(traj.loss, bound).all())
    step_factor = (
        float(measured_dec[live].min() / (1 - q)) if contracts and live.any() else -math.inf
    )
    holds = in_ball and rate_ok and worst_step <= STEP_RTOL
    hyps = [
        nc.hypothesis("mu = lambda_min(K(w_0))/2 > 0", mu_, ">", cutoff, note="rank cutoff"),
        nc.hypothesis(
            "PL*: lambda_min(K) >= mu on B(w_0, R) (path + sampled sphere)",
            lam_ball,
            ">=",
            mu_,
            note="μ",
        ),
        nc.hypothesis(
            "eta <= 1/(L_F^2 + beta_F ||r_0||) on the ball",
            lr * (LF**2 + beta * r0_norm),
            "<=",
            1.0,
            note="η·(L_F² + β_F‖r_0‖)",
        ),
    ]
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=holds,
        predicted={
            "R": R_,
            "rate": q,
            "final_loss_ratio": nc.Bound(float(q ** traj.step[-1]), ">="),
            "step_decrease_rtol": nc.Bound(STEP_RTOL, ">="),
        },
        measured={
            "max_distance": float(traj.dist_from_init.max()),
            "R_over_distance": R_ / float(traj.dist_from_init.max()),
            "final_loss_ratio": float(traj.loss[-1] / traj.loss[0]),
            "worst_step_decrease_error": worst_step,
            "lambda_min_path_over_mu": lam_path / mu_ if mu_ > 0 else math.nan,
            "lambda_min_ball_over_mu": lam_ball / mu_ if mu_ > 0 else math.nan,
            "pl_ratio_min": float(
                np.min(traj.grad_norm_sq[:-1][live] / (2 * mu_ * traj.loss[:-1][live]))
            )
            if contracts and live.any()
            else math.nan,
        },
        tightness=nc.Tightness.ratio(
            step_factor, "largest c with L_{k+1} ≤ (1 − c·ημ) L_k at every step"
        ),
        details={
            "k": traj.step,
            "loss": traj.loss,
            "bound": bound,
            "distance": traj.dist_from_init,
            "R": R_,
            "lambda_min": ex["lambda_min"],
            "ball_lambda_min": [g["lambda_min"] for g in ball],
            "mu": mu_,
            "lr": lr,
            "step_error": step_err,
        },
        diverged=traj.diverged,
    )


def _hessian_scaling(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """sup ‖∇²f(x_i)‖ at w_0 and on the sphere ‖w − w_0‖ = R against the width. With
    ``output="tanh"`` the net is φ(g), g the two-layer net: ∇²f = φ''(g)∇g∇gᵀ + φ'(g)∇²g, whose
    norm is at least |φ''(g)|‖∇g‖² − |φ'(g)|‖∇²g‖ (‖∇g‖² = K_g(x, x)); that lower bound is what
    is fitted then."""
    n, d = cfg["n"], cfg["d"]
    X, y = _data(n, d, seed)
    squashed = cfg["output"] == "tanh"
    rows = []
    for width in cfg["widths"]:
        net = nc.TwoLayerNet(d, width, cfg["activation"], trainable=("W", "a"))
        params = net.init(nc.derive_seed(seed, "init", width))
        K0 = nc.empirical_ntk(net, params, X)
        ev = nc.eigvalsh(K0)
        r0_norm = float(torch.linalg.vector_norm(net(params, X) - y))
        R_ = float(radius(math.sqrt(float(ev[-1])), r0_norm, 0.5 * float(ev[0])))

        def norm_at(p: dict, net: nc.TwoLayerNet = net) -> float:
            h = net.output_hessian_norm(p, X)
            if not squashed:
                return float(h.max())
            g = net(p, X)
            grad_sq = torch.diagonal(nc.empirical_ntk(net, p, X))
            t = torch.tanh(g)
            lower = (2 * t * (1 - t**2)).abs() * grad_sq - (1 - t**2) * h
            return float(lower.max())

        rows.append(
            {
                "width": width,
                "init": norm_at(params),
                "ball": max(norm_at(p) for p in _ball_points(params, R_, seed)),
                "R": R_,
            }
        )
    widths = np.array([r["width"] for r in rows], float)
    fit_init = nc.fit_power_law(widths, np.array([r["init"] for r in rows]))
    fit_ball = nc.fit_power_law(widths, np.array([r["ball"] for r in rows]))
    margin_init = EXPONENT_TOL - abs(fit_init.exponent + 0.5)
    margin_ball = EXPONENT_TOL - (fit_ball.exponent + 0.5)
    # the output layer is linear in a exactly when f(X; 2a) = 2 f(X; a)
    net = nc.TwoLayerNet(d, cfg["widths"][0], cfg["activation"], trainable=("W", "a"))
    p = net.init(seed)

    def out(q: dict) -> torch.Tensor:
        g = net(q, X)
        return torch.tanh(g) if squashed else g

    nonlinearity = float((out({**p, "a": 2 * p["a"]}) - 2 * out(p)).abs().max())
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "output layer linear (f = a^T sigma(Wx)/sqrt(m))",
                nonlinearity,
                "<=",
                1e-12,
                note="max |f(X; 2a) − 2f(X; a)|",
            ),
            nc.hypothesis(
                "sigma twice differentiable", float(net.activation.smooth), "==", 1.0, note="C²"
            ),
        ],
        conclusion_holds=min(margin_init, margin_ball) >= 0,
        predicted={"exponent": -0.5, "exponent_tol": EXPONENT_TOL},
        measured={
            "exponent_init": fit_init.exponent,
            "exponent_ball": fit_ball.exponent,
            "sqrt_m_norm_init_widest": rows[-1]["init"] * math.sqrt(rows[-1]["width"]),
        },
        tightness=nc.Tightness.margin(
            min(margin_init, margin_ball),
            "tolerance left: 0.1 − |α_init + ½| and 0.1 − (α_ball + ½), α the width exponents",
        ),
        details={"rows": rows, "ci_init": fit_init.ci, "ci_ball": fit_ball.ci},
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    return {"gd": _gd, "hessian": _hessian_scaling}[cfg["part"]](cfg, seed)


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        d = r.details
        if "rows" in d:
            widths = [row["width"] for row in d["rows"]]
            for key, label in (("init", "at w_0"), ("ball", "max on ‖w − w_0‖ = R")):
                ax.loglog(widths, nc.log_floor([row[key] for row in d["rows"]]), "o-", label=label)
            ref = d["rows"][0]["init"] * (np.asarray(widths) / widths[0]) ** -0.5
            ax.loglog(widths, ref, "k--", lw=1, label="∝ m^{-1/2}")
            ax.set_xlabel("width m")
            ax.set_ylabel("‖∇²f(x)‖₂ (max over x_i)")
            ax.legend(fontsize=7)
        else:
            nc.plot_decay(
                ax,
                np.asarray(d["k"]),
                np.asarray(d["loss"]),
                np.asarray(d["bound"]),
                "L(w_k)",
                "(1 − ημ)^k L(w_0)",
            )

    return nc.record_figures(
        results, draw, "pl-star: PL* in B(w_0, R) and the transition to linearity"
    )


BASE_GD = {
    "part": "gd",
    "n": 8,
    "d": 16,
    "width": 4096,
    "activation": "tanh",
    "mu_fraction": 0.5,
    "step_fraction": 0.5,
    "steps": 300,
}
BASE_HESSIAN = {
    "part": "hessian",
    "n": 8,
    "d": 16,
    "widths": tuple(2**p for p in range(6, 15, 2)),
    "activation": "tanh",
    "output": "linear",
}
WIDE = nc.Instance(
    "wide-tanh",
    BASE_GD,
    "tanh net, both layers trained, random labels: GD stays in B(w_0, R) and contracts at 1 − ημ",
    quick={"width": 1024, "steps": 200},
)
INSTANCES = (
    WIDE,
    WIDE.sharpened(5.0, "each step claimed to contract the loss by 1 − 5ημ"),
    nc.Instance(
        "narrow-width",
        {**BASE_GD, "n": 40, "d": 4, "width": 4},
        "m(d + 1) = 20 parameters < n = 40: λ_min(K) = 0, random labels are not fitted",
        breaks="mu = lambda_min(K(w_0))/2 > 0",
        quick={"steps": 80},
    ),
    nc.Instance(
        "hessian-vs-width",
        BASE_HESSIAN,
        "‖∇²f‖ at w_0 and on the sphere of radius R, widths 2^6 … 2^14: ∝ m^{-1/2}",
        quick={"widths": tuple(2**p for p in range(6, 13, 2))},
    ),
    nc.Instance(
        "nonlinear-output",
        {**BASE_HESSIAN, "output": "tanh"},
        "f = tanh(aᵀσ(Wx)/√m): the Hessian keeps φ''·∇g∇gᵀ, of size O(1), at every width",
        breaks="output layer linear (f = a^T sigma(Wx)/sqrt(m))",
        quick={"widths": tuple(2**p for p in range(6, 13, 2))},
    ),
)

THEOREM = nc.Theorem(
    id="pl-star",
    title="PL* in a ball around w_0 gives a solution there and a linear rate",
    citation="Liu, Zhu, Belkin, ACHA 2022, Thms 2 and 6; Liu, Zhu, Belkin, NeurIPS 2020, Thm 3.2",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
