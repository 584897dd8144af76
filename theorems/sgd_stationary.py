"""SGD reaches approximately stationary points of smooth nonconvex functions — lecture 10
("Guarantees for fitting NNs with GD"), slide "SGD/GD on general non convex functions"; the
standard argument of Ghadimi & Lan, "Stochastic first- and zeroth-order methods for nonconvex
stochastic programming" (SIAM J. Optim. 2013), Theorem 2.1 (with bounded second moments).

Statement. Let f = (1/n)Σᵢ fᵢ be β-smooth with f ≥ f*, let SGD draw i uniformly at each step,
and let E_i‖∇fᵢ(w)‖² ≤ L² along the run; R = f(w_0) − f*. With the constant step
γ = sqrt(R/(βL²T)), for T steps w_0, …, w_{T−1}:

    min_k E‖∇f(w_k)‖² ≤ (1/T) Σ_k E‖∇f(w_k)‖² ≤ (3/2)·sqrt(RβL²/T).

Derivation: the descent lemma gives E f(w_{k+1}) ≤ E f(w_k) − γE‖∇f(w_k)‖² + βγ²L²/2; summing,
(1/T)Σ E‖∇f(w_k)‖² ≤ R/(γT) + βγL²/2, which the step above minimizes. The slide states the
bound with constant 2 (implied) but writes the step as γ = R/(βL²T), for which the same sum gives
βL² + R/(2T) — no decay in T. This module uses the derivation's step and checks the 3/2 bound on
the average (what the proof bounds), reporting the minimum and the slide's 2·sqrt(RβL²/T) too.
Loss normalization for networks: f = (1/n)Σᵢ ½(uᵢ − yᵢ)² ("half_mean"), so fᵢ = ½(uᵢ − yᵢ)².
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
R, beta, L2, T, avg_grad = sp.symbols(r"R beta L^2 T \overline{E\|\nabla{f}\|^2}", positive=True)
STEP = sp.sqrt(R / (beta * L2 * T))
BOUND = sp.Rational(3, 2) * sp.sqrt(R * beta * L2 / T)
SLIDE_BOUND = 2 * sp.sqrt(R * beta * L2 / T)
STATEMENT = sp.Le(avg_grad, BOUND)
SYMBOLS = {
    r"\overline{E\|\nabla{f}\|^2}": "(1/T) Σ_{k<T} E‖∇f(w_k)‖², expectation over SGD's draws",
    "R": "f(w_0) − f* (f* replaced by a lower bound where unknown)",
    "beta": "smoothness of f along the run",
    "L^2": "sup along the run of E_i‖∇f_i(w)‖²",
    "T": "number of SGD steps",
}
step_fn = sp.lambdify((R, beta, L2, T), STEP, "numpy")
bound_fn = sp.lambdify((R, beta, L2, T), BOUND, "numpy")
slide_fn = sp.lambdify((R, beta, L2, T), SLIDE_BOUND, "numpy")


@dataclass
class FiniteSum:
    """f = (1/n)Σ f_i as torch functions of a params dict, with the quantities SGD needs."""

    n: int
    full: Callable[[dict], torch.Tensor]  # f(w)
    single: Callable[[dict, torch.Tensor], torch.Tensor]  # f_i(w) for index tensor i (shape (1,))
    per_sample_sq: Callable[[dict], float]  # E_i‖∇f_i(w)‖²
    w0: dict[str, torch.Tensor]
    f_star: float  # f* or a lower bound
    wrt: tuple[str, ...]
    beta: float | None  # exact, or None: estimated
    L2: float | None


def cosine_sum(cfg: dict[str, Any], seed: int) -> FiniteSum:
    """f_i(w) = Σ_j (1 − cos(w_j − c_ij)): nonconvex, ∇²f_i = diag(cos(·)) so β = 1 exactly,
    ‖∇f_i‖² = Σ_j sin²(·) ≤ d = L², and f* = Σ_j (1 − |(1/n)Σ_i e^{i c_ij}|) in closed form."""
    gen = nc.generator(seed)
    n, d = cfg["n"], cfg["d"]
    C = (torch.rand(n, d, generator=gen, dtype=torch.float64) - 0.5) * cfg["spread"]
    f_star = float((1 - torch.abs(torch.exp(1j * C.to(torch.complex128)).mean(0))).sum())

    def full(p: dict) -> torch.Tensor:
        return (1 - torch.cos(p["w"] - C)).sum(1).mean()

    def single(p: dict, i: torch.Tensor) -> torch.Tensor:
        return (1 - torch.cos(p["w"] - C[i])).sum()

    def per_sample_sq(p: dict) -> float:
        return float((torch.sin(p["w"] - C) ** 2).sum(1).mean())

    w0 = {"w": torch.full((d,), cfg["w0"], dtype=torch.float64)}
    return FiniteSum(n, full, single, per_sample_sq, w0, f_star, ("w",), 1.0, float(d))


def two_layer(cfg: dict[str, Any], seed: int) -> FiniteSum:
    """f = (1/n)Σ ½(u_i − y_i)² for a tanh TwoLayerNet (W trained): f* ≥ 0; ‖∇f_i‖² =
    r_i²‖∇u_i‖² = r_i² G_ii, read off the closed-form Gram's diagonal."""
    gen = nc.generator(seed)
    X = nc.sphere_inputs(cfg["n"], cfg["d"], gen)
    y = torch.randn(cfg["n"], generator=gen, dtype=torch.float64)
    net = nc.TwoLayerNet(cfg["d"], cfg["width"], cfg["activation"])

    def full(p: dict) -> torch.Tensor:
        return nc.squared_loss(net(p, X), y, "half_mean")

    def single(p: dict, i: torch.Tensor) -> torch.Tensor:
        return nc.squared_loss(net(p, X[i]), y[i], "half_sum")

    def per_sample_sq(p: dict) -> float:
        r = net(p, X) - y
        return float((r**2 * torch.diagonal(nc.empirical_ntk(net, p, X))).mean())

    return FiniteSum(cfg["n"], full, single, per_sample_sq, net.init(seed), 0.0, ("W",), None, None)


PROBLEMS = {"cosine-sum": cosine_sum, "two-layer": two_layer}


# --- measurement -----------------------------------------------------------------------------
def _sgd(
    prob: FiniteSum, gamma: float, steps: int, seed: int, probe_every: int | None
) -> dict[str, Any]:
    """One SGD run of ``steps`` steps, indices drawn from Generator(seed). Records ‖∇f(w_k)‖²
    and E_i‖∇f_i(w_k)‖² for k < steps and, if ``probe_every``, the Hessian norm (Lanczos) at
    every ``probe_every``-th iterate."""
    gen = nc.generator(seed)

    def grad_fn(k: int, p: dict) -> dict:
        i = torch.randint(prob.n, (1,), generator=gen)
        sub = {name: p[name] for name in prob.wrt}
        return torch.func.grad(lambda s: prob.single({**p, **s}, i))(sub)

    curv: list[float] = []

    def probe(k: int, p: dict) -> None:
        if probe_every and k % probe_every == 0:
            curv.append(nc.smoothness(prob.full, p, prob.wrt))

    traj = nc.gradient_descent(
        prob.full,
        prob.w0,
        lr=gamma,
        steps=steps,
        wrt=prob.wrt,
        grad_fn=grad_fn,
        callbacks={"L2": prob.per_sample_sq},
        observe=probe,
        progress=False,
    )
    return {
        "grad_sq": traj.grad_norm_sq[:steps],
        "L2": traj.extras["L2"][:steps],
        "diverged": traj.diverged,
        "curv": curv,
    }


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    prob = PROBLEMS[cfg["problem"]](cfg, seed)
    R_ = float(prob.full(prob.w0)) - prob.f_star
    margin = cfg["margin"]
    if prob.beta is None:  # estimated at w_0 with a stated margin, verified along the run below
        beta_ = margin * nc.smoothness(prob.full, prob.w0, prob.wrt)
        L2_ = margin * prob.per_sample_sq(prob.w0)
    else:
        beta_, L2_ = prob.beta, prob.L2
    L2_ *= cfg["L2_factor"]  # < 1 in the control that underestimates L²
    rows, curv_sup, L2_sup, diverged = [], 0.0, 0.0, False
    for T_ in cfg["Ts"]:
        gamma = cfg["lr_factor"] * float(step_fn(R_, beta_, L2_, T_))
        runs = [
            _sgd(
                prob,
                gamma,
                T_,
                nc.derive_seed(seed, "sgd", s),
                max(T_ // 4, 1) if prob.beta is None else None,
            )
            for s in range(cfg["seeds"])
        ]
        diverged |= any(r["diverged"] for r in runs)
        if any(len(r["grad_sq"]) < T_ for r in runs):
            break
        mean_grad = np.mean([r["grad_sq"] for r in runs], axis=0)  # E over SGD draws, per k
        # the claim bounds an expectation over SGD's draws: each seed's average over k is one
        # sample of it, decided at the lower confidence bound of their mean
        interval = nc.t_interval([float(np.mean(r["grad_sq"])) for r in runs])
        L2_sup = max(L2_sup, max(float(np.max(r["L2"])) for r in runs))
        curv_sup = max([curv_sup, *(c for r in runs for c in r["curv"])])
        rows.append(
            {
                "T": T_,
                "step": gamma,
                "bound": float(bound_fn(R_, beta_, L2_, T_)),
                "slide_bound": float(slide_fn(R_, beta_, L2_, T_)),
                "avg": float(mean_grad.mean()),
                "avg_lower": interval.lower,
                "interval": interval,
                "min": float(mean_grad.min()),
            }
        )
    Ts_done = np.array([r["T"] for r in rows], dtype=float)
    avg = np.array([r["avg"] for r in rows])
    lower = np.array([r["avg_lower"] for r in rows])
    bound = np.array([r["bound"] for r in rows])
    slope = float(np.polyfit(np.log(Ts_done), np.log(avg), 1)[0]) if len(rows) > 1 else math.nan
    hyps = [
        nc.hypothesis("E_i||grad f_i||^2 <= L^2 along the run", L2_sup, "<=", L2_, note="L²"),
        nc.hypothesis(
            "step = sqrt(R/(beta L^2 T))",
            cfg["lr_factor"],
            "==",
            1.0,
            note="× the prescribed step",
        ),
    ]
    if prob.beta is None:
        hyps.append(
            nc.hypothesis(
                "beta bounds the Hessian norm along the run (Lanczos)",
                curv_sup,
                "<=",
                beta_,
                note="β",
            )
        )
    holds = len(rows) == len(cfg["Ts"]) and bool(nc.leq(lower, bound).all())
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=holds,
        predicted={
            "avg_at_T_max": nc.Bound(float(bound[-1]) if len(rows) else math.nan, "<="),
            "slope": -0.5,
        },
        measured={
            "avg_at_T_max": rows[-1]["interval"] if rows else math.nan,
            "min_at_T_max": rows[-1]["min"] if rows else math.nan,
            "slope": slope,
        },
        tightness=nc.Tightness.of_upper_bound(
            lower if len(rows) else math.nan,
            bound if len(rows) else math.nan,
            "min over T of the bound / the lower confidence bound (Student t over seeds, "
            f"α = {nc.STAT_ALPHA:g}) on (1/T)Σ E‖∇f(w_k)‖²",
        ),
        details={
            "rows": rows,
            "R": R_,
            "beta": beta_,
            "L2": L2_,
            "f_star": prob.f_star,
            "seeds": cfg["seeds"],
        },
        diverged=diverged,
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        rows = r.details["rows"]
        Ts = [row["T"] for row in rows]
        ax.loglog(Ts, [row["avg"] for row in rows], "o-", label="avg_k E‖∇f(w_k)‖²")
        ax.loglog(Ts, [row["min"] for row in rows], "s-", label="min_k E‖∇f(w_k)‖²")
        ax.loglog(Ts, [row["bound"] for row in rows], "k--", label="(3/2)√(Rβ L²/T)")
        ax.loglog(
            Ts, [row["slide_bound"] for row in rows], ":", color="gray", label="slide: 2√(Rβ L²/T)"
        )
        ax.set_xlabel("T (SGD steps)")
        ax.set_xticks(Ts, [str(t) for t in Ts])
        ax.minorticks_off()
        ax.legend(fontsize=7)

    return nc.record_figures(
        results,
        draw,
        f"sgd-stationary: E‖∇f‖² along SGD vs the bound ({results[0].details['seeds']} seeds)"
        if results
        else "sgd-stationary",
    )


BASE_COSINE = {
    "problem": "cosine-sum",
    "n": 32,
    "d": 8,
    "spread": 3.0,
    "w0": 2.0,
    "margin": 1.0,
    "L2_factor": 1.0,
    "lr_factor": 1.0,
    "Ts": (16, 64, 256, 1024, 4096),
    "seeds": 8,
}
BASE_NET = {
    "problem": "two-layer",
    "n": 16,
    "d": 4,
    "width": 32,
    "activation": "tanh",
    "margin": 1.5,
    "L2_factor": 1.0,
    "lr_factor": 1.0,
    "Ts": (16, 64, 256, 1024),
    "seeds": 8,
}
QUICK = {"Ts": (16, 64, 256), "seeds": 8}
INSTANCES = (
    nc.Instance(
        "cosine-sum",
        BASE_COSINE,
        "f_i = Σ_j (1 − cos(w_j − c_ij)): β = 1, L² = d, f* exact",
        quick=QUICK,
    ),
    nc.Instance(
        "two-layer-tanh",
        BASE_NET,
        "½(u_i − y_i)² of a tanh net; β, L² estimated at w_0 × 1.5 and verified along the run",
        quick=QUICK,
    ),
    nc.Instance(
        "step-30x",
        {**BASE_COSINE, "lr_factor": 30.0},
        "step 30× the prescribed one",
        breaks="step = sqrt(R/(beta L^2 T))",
        quick=QUICK,
    ),
    nc.Instance(
        "L2-underestimated",
        {**BASE_NET, "L2_factor": 0.1},
        "L² taken as 0.1 × its estimate at w_0",
        breaks="E_i||grad f_i||^2 <= L^2 along the run",
        # weak: the bound still holds with L² a tenth too small (the proof's L² term is loose
        # here); the record says so, the fidelity work adds a control that fails
        expect="held-outside-hypotheses",
        quick=QUICK,
    ),
)

THEOREM = nc.Theorem(
    id="sgd-stationary",
    title="SGD finds approximately stationary points of smooth nonconvex functions",
    citation="Lecture 10 ('SGD/GD on general non convex functions'); Ghadimi & Lan, SIAM J. "
    "Optim. 2013, Thm 2.1",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
