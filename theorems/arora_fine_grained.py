"""Fine-grained dynamics of wide two-layer ReLU nets: the residual in H^∞'s eigenbasis, and
why random labels train slower — Arora, Du, Hu, Li, Wang, "Fine-grained analysis of optimization
and generalization for overparameterized two-layer neural networks", ICML 2019
(arXiv:1901.08584), Theorems 4.1, 5.1 and 5.1's corollary; lecture 10, "Lazy training".

Statement (Theorem 4.1). Du et al.'s model with small initialization w_r(0) ~ N(0, κ²I), so
u(0) ≈ 0. With λ_0 > 0, κ = O(εδ/√n), m = Ω(n⁷/(λ_0⁴κ²δ⁴ε²)) and η = O(λ_0/n²), with probability
≥ 1 − δ, for all k:

    ‖y − u(k)‖ = sqrt(Σ_i (1 − ηλ_i)^{2k} (v_iᵀy)²) ± ε,

(λ_i, v_i) the eigenpairs of H^∞: the component of y along v_i decays at its own rate 1 − ηλ_i.
Labels aligned with the top eigenvectors are fitted fast; random labels spread over all of them
and are fitted slowly, and yᵀ(H^∞)⁻¹y is larger. The distance travelled satisfies
‖W(k) − W(0)‖_F ≤ sqrt(yᵀ(H^∞)⁻¹y) + (terms vanishing as κ → 0, m → ∞) (their Lemma 5.3), and the
population loss of the trained net is ≤ sqrt(2yᵀ(H^∞)⁻¹y/n) + O(sqrt(log(n/(λ_0δ))/n))
(Theorem 5.1).

What is checked. ``residual``: unit-norm Gaussian inputs; the deviation
max_k |‖y − u(k)‖ − sqrt(Σ(1 − ηλ_i)^{2k}(v_iᵀy)²)|/‖y‖ over a width grid must shrink with m
(bootstrap interval of its exponent below 0) and be ≤ ε at the largest width, for the
accuracy ε the instance asks for (the regular one: ε = κ√n/δ = 3.2, what κ = 0.04 buys with
constant 1); and the relative gap |‖W(K) − W(0)‖_F / sqrt(yᵀ(H^∞)⁻¹y) − 1| at the last step must
shrink with m too (the distance approaches Lemma 5.3's value). Hypotheses: "u(0) ≈ 0" is
κ ≤ εδ/√n, and ε < ‖y‖ (otherwise "± ε" says nothing). The control keeps ε and takes κ = 5:
the y-only formula then misses by about ‖u(0)‖ − 2‖y‖ ≫ ε already at k = 0. Per
eigen-direction, the steps until v_iᵀ(y − u(k)) shrinks 10× are measured against
log(0.1)/log|1 − ηλ_i|. The theorem's width for the same κ and ε is reported (order, constant
1). ``labels``:
two digit classes from scikit-learn, true labels vs uniformly random ±1 labels: yᵀ(H^∞)⁻¹y and
the number of steps to fit must both be larger for random labels. Practical step η = 1/λ_max(H^∞)
throughout (outside the theorem's η = O(λ_0/n²), as in du-gram-stability's practical regime).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc
from theorems import _lazy

# --- statement -------------------------------------------------------------------------------
i_, n_, k_, eta, eps, kappa, delta, lam0, m_ = sp.symbols(
    "i n k eta epsilon kappa delta lambda_0 m", positive=True
)
lam_i = sp.Function("lambda")(i_)
proj = sp.Function(r"p")(i_)  # p(i) = v_iᵀ y
r_k = sp.Symbol(r"\|y-u(k)\|", nonnegative=True)
PREDICTION = sp.sqrt(sp.Sum((1 - eta * lam_i) ** (2 * k_) * proj**2, (i_, 1, n_)))
WIDTH = n_**7 / (lam0**4 * kappa**2 * delta**4 * eps**2)
y_H_y = sp.Symbol(r"y^\top (H^\infty)^{-1} y", nonnegative=True)
GEN_BOUND = sp.sqrt(2 * y_H_y / n_)
STATEMENT = sp.Implies(
    sp.And(sp.Ge(m_, WIDTH), sp.Le(kappa, eps * delta / sp.sqrt(n_))),
    sp.Le(sp.Abs(r_k - PREDICTION), eps),
)
SYMBOLS = {
    "lambda(i)": "i-th eigenvalue of H^∞",
    "p(i)": "v_iᵀy, the label's component along the i-th eigenvector of H^∞",
    "kappa": "initialization scale, w_r(0) ~ N(0, κ²I)",
    "epsilon": "accuracy of the prediction",
    "delta": "failure probability",
    r"y^\top (H^\infty)^{-1} y": "data-dependent complexity; generalization bound "
    "sqrt(2yᵀ(H^∞)⁻¹y/n)",
}
width_needed = sp.lambdify((n_, lam0, kappa, delta, eps), WIDTH, "numpy")
theorem_step = sp.lambdify((n_, lam0), lam0 / n_**2, "numpy")
WIDTH_HYPOTHESIS = "width m >= n^7/(lambda_0^4 kappa^2 delta^4 epsilon^2)"
STEP_HYPOTHESIS = "step eta <= lambda_0/n^2"


def _theorem_conditions(
    n: int, lam_0: float, width: int, lr: float, kappa: float, delta: float, eps: float
) -> list[nc.Hypothesis]:
    """Thm 4.1's width and step conditions with constant 1: no runnable instance meets the
    width, and the practical step 1/λ_max(H^∞) is ~10⁴ times the theorem's."""
    return [
        nc.hypothesis(
            WIDTH_HYPOTHESIS,
            width,
            ">=",
            float(width_needed(n, lam_0, kappa, delta, eps)),
            note="n⁷/(λ_0⁴κ²δ⁴ε²) (Thm 4.1, constant 1)",
        ),
        nc.hypothesis(
            STEP_HYPOTHESIS, lr, "<=", float(theorem_step(n, lam_0)), note="λ_0/n² (Thm 4.1)"
        ),
    ]


gen_bound = sp.lambdify((y_H_y, n_), GEN_BOUND, "numpy")


def _prediction(
    evals: torch.Tensor, evecs: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> torch.Tensor:
    return torch.linalg.vector_norm(_lazy.linear_residuals(evals, evecs, y, lr, steps), dim=1)


def _distance_prediction(
    evals: torch.Tensor, evecs: torch.Tensor, y: torch.Tensor, lr: float, k: int
) -> float:
    """‖W(k) − W(0)‖_F of GD on the linearized model from u(0) = 0 with Gram H^∞:
    sqrt(Σ_i (v_iᵀy)²(1 − (1 − ηλ_i)^k)²/λ_i) → sqrt(yᵀ(H^∞)⁻¹y) as k → ∞."""
    p = evecs.T @ y
    return float(torch.sqrt((p**2 * (1 - (1 - lr * evals) ** k) ** 2 / evals).sum()))


def _runs(
    X: torch.Tensor, y: torch.Tensor, cfg: dict[str, Any], seed: int, lr: float
) -> Iterator[tuple[int, int, _lazy.Run]]:
    """(width index, seed index, run) over the instance's widths × seeds, outputs kept."""
    for i, width in enumerate(cfg["widths"]):
        for s in range(cfg["seeds"]):
            run = _lazy.train_run(
                X,
                y,
                width,
                nc.derive_seed(seed, "init", s),
                lr=lr,
                steps=cfg["steps"],
                init_scale=cfg["kappa"],
                keep_outputs=True,
            )
            yield i, s, run


# --- measurement -----------------------------------------------------------------------------
def _residual(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    n, widths, seeds, steps = cfg["n"], list(cfg["widths"]), cfg["seeds"], cfg["steps"]
    X = nc.sphere_inputs(n, cfg["d"], seed)
    y = _lazy.uniform_labels(n, nc.derive_seed(seed, "labels"))
    H_inf, evals, evecs = _lazy.kernel(X)
    lr = 1.0 / float(evals[-1])
    pred = _prediction(evals, evecs, y, lr, steps).numpy()
    y_norm = float(torch.linalg.vector_norm(y))
    dev = np.zeros((len(widths), seeds))
    w_dist = np.zeros((len(widths), seeds))
    u0_norm, diverged, trace = 0.0, False, {}
    for i, s, run in _runs(X, y, cfg, seed, lr):
        diverged |= run.diverged
        dev[i, s] = np.abs(run.residual - pred).max() / y_norm
        w_dist[i, s] = run.w_dist_fro[-1]
        u0_norm = max(u0_norm, float(torch.linalg.vector_norm(run.outputs[0])))
        if i == len(widths) - 1 and s == 0:
            proj = (evecs.T @ (y - run.outputs).T).abs().numpy()  # (n, K + 1)
            trace = {"k": run.k, "residual": run.residual, "proj": proj}
    grid = np.repeat(np.asarray(widths, float), seeds)
    fit = _lazy.power_law_record(grid, dev.ravel())
    # Lemma 5.3: ‖W(k) − W(0)‖_F → sqrt(yᵀ(H^∞)⁻¹y) once the residual is fitted; the relative
    # gap must shrink with m like the residual's deviation does
    y_H_y_ = float(y @ torch.linalg.solve(H_inf, y))
    dist_gap = np.abs(w_dist / math.sqrt(y_H_y_) - 1)
    dist_fit = _lazy.power_law_record(grid, dist_gap.ravel())
    # per eigen-direction: steps until |v_iᵀ(y − u(k))| first drops 10× below |v_iᵀy|,
    # against log(0.1)/log|1 − ηλ_i| (top two and bottom two eigenvectors)
    rates = {}
    for j in (n - 1, n - 2, 1, 0):
        below = np.flatnonzero(trace["proj"][j] <= 0.1 * trace["proj"][j, 0])
        factor = abs(1 - lr * float(evals[j]))
        rates[f"lambda_{j + 1}"] = {
            "eigenvalue": float(evals[j]),
            "steps_to_shrink_10x_predicted": math.ceil(math.log(0.1) / math.log(factor))
            if factor > 0
            else 1,
            "steps_to_shrink_10x_measured": int(below[0]) if below.size else math.inf,
        }
    # the accuracy ε asked for; Theorem 4.1 needs κ = O(εδ/√n) for it (constant 1)
    eps = cfg["epsilon"]
    lam_0 = float(evals[0])
    limit = _lazy.gram_limit(X, H_inf, nc.derive_seed(seed, "gram"))
    return nc.Outcome(
        hypotheses=[
            _lazy.unit_norm_hypothesis(X),
            _lazy.lambda0_hypothesis(evals),
            nc.hypothesis(
                "small initialization (u(0) ~ 0)",
                cfg["kappa"],
                "<=",
                eps * cfg["delta"] / math.sqrt(n),
                note="εδ/√n: the init scale Thm 4.1 allows for accuracy ε (constant 1)",
            ),
            nc.hypothesis(
                "accuracy below the label norm",
                eps,
                "<",
                y_norm,
                note="‖y‖ (else ± ε says nothing)",
            ),
            *_theorem_conditions(n, lam_0, widths[-1], lr, cfg["kappa"], cfg["delta"], eps),
        ],
        conclusion_holds=bool(
            fit["ci"][1] < 0
            and dist_fit["ci"][1] < 0
            and nc.leq(dev[-1].max() * y_norm, eps)
            and limit["holds"]
        ),
        predicted={
            "deviation_exponent": nc.Bound(0.0, "<"),
            "w_dist_gap_exponent": nc.Bound(0.0, "<"),
            "deviation_at_check_width": nc.Bound(eps / y_norm, "<="),
            "gram_gap_exponent": -0.5,
            "m_theorem": float(width_needed(n, lam_0, cfg["kappa"], cfg["delta"], eps)),
            "sqrt_yHy": math.sqrt(y_H_y_),
        },
        measured={
            "deviation_exponent": fit["exponent"],
            "deviation_exponent_ci": fit["ci"],
            "deviation_at_check_width": float(dev[-1].max()),
            "deviation_over_eps_at_check_width": float(dev[-1].max() * y_norm / eps),
            "max_u0_norm": u0_norm,
            "w_dist_at_check_width": float(w_dist[-1].mean()),
            "w_dist_relative_gap_by_width": dict(
                zip(widths, dist_gap.mean(axis=1).tolist(), strict=True)
            ),
            "w_dist_gap_exponent": dist_fit["exponent"],
            "w_dist_gap_exponent_ci": dist_fit["ci"],
            "w_dist_linear_prediction": _distance_prediction(evals, evecs, y, lr, steps),
            "direction_rates": rates,
            "check_width": widths[-1],
            "gram_gap_exponent": limit["fit"]["exponent"],
            "gram_gap_exponent_margin": limit["margin"],
        },
        tightness=nc.Tightness.of_upper_bound(
            dev[-1].max() * y_norm,
            eps,
            "ε / max_k |‖y − u(k)‖ − prediction| at the check width (the trend parts are "
            "exponent signs)",
        ),
        details={
            "part": "residual",
            "widths": widths,
            "deviation": dev,
            "w_dist": w_dist,
            "w_dist_gap": dist_gap,
            "dist_fit": dist_fit,
            "prediction": pred,
            "trace": trace,
            "lr": lr,
            "evals": evals.numpy(),
            "fit": fit,
            "gram_limit": limit,
        },
        diverged=diverged,
    )


#: The finite-width prediction: each component of the residual along an eigenvector v_j of the
#: net's own H(0) decays like (1 − ηλ_j(H(0)))^k, to max_{j,k} |v_jᵀ(r(k) − r_lin(k))| ≤
#: FINITE_TOL·‖r(0)‖. Measured at seed 0 (κ = 1) on the whole vector: 0.0053 at m = 2^12 and
#: 0.0018 at 2^14; with the step 10% too small or too large 0.050–0.065 at both widths.
FINITE_TOL = 0.01


def _finite_width(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """Per eigen-direction of the finite-width Gram H(0): the residual's components against
    (1 − ηλ_j)^k v_jᵀr(0), with u(0) kept (so κ = 1, where the net is lazy, is allowed)."""
    n, widths, seeds, steps = cfg["n"], list(cfg["widths"]), cfg["seeds"], cfg["steps"]
    X = nc.sphere_inputs(n, cfg["d"], seed)
    y = _lazy.uniform_labels(n, nc.derive_seed(seed, "labels"))
    H_inf, evals, _ = _lazy.kernel(X)
    lr = 1.0 / float(evals[-1])
    dev = np.zeros((len(widths), seeds))
    diverged, rates = False, {}
    for i, s, run in _runs(X, y, cfg, seed, lr):
        diverged |= run.diverged
        assert run.outputs is not None
        r = y[None, :] - run.outputs
        lam, V = torch.linalg.eigh(run.gram0)
        r_lin = _lazy.linear_residuals(lam, V, r[0], lr, steps)
        measured = r @ V  # components along H(0)'s eigenvectors, (K + 1, n)
        dev[i, s] = float(((r - r_lin) @ V).abs().max() / torch.linalg.vector_norm(r[0]))
        if i == len(widths) - 1 and s == 0:
            for j in (n - 2, n // 2, 1, 0):
                q = abs(1 - lr * float(lam[j]))
                below = np.flatnonzero(
                    measured[:, j].abs().numpy() <= 0.1 * abs(float(measured[0, j]))
                )
                rates[f"lambda_{j + 1}"] = {
                    "eigenvalue_H0": float(lam[j]),
                    "steps_to_shrink_10x_predicted": math.ceil(math.log(0.1) / math.log(q)),
                    "steps_to_shrink_10x_measured": int(below[0]) if below.size else None,
                }
    limit = _lazy.gram_limit(X, H_inf, nc.derive_seed(seed, "gram"))
    worst = float(dev[-1].max())
    return nc.Outcome(
        hypotheses=[
            _lazy.unit_norm_hypothesis(X),
            _lazy.lambda0_hypothesis(evals),
            *_theorem_conditions(
                n, float(evals[0]), widths[-1], lr, cfg["kappa"], cfg["delta"], cfg["epsilon"]
            ),
        ],
        conclusion_holds=bool(nc.leq(worst, FINITE_TOL)) and limit["holds"],
        predicted={"direction_deviation": nc.Bound(FINITE_TOL, "<="), "gram_gap_exponent": -0.5},
        measured={
            "direction_deviation": worst,
            "direction_deviation_by_width": dict(
                zip(widths, dev.max(axis=1).tolist(), strict=True)
            ),
            "gram_gap_exponent": limit["fit"]["exponent"],
            "gram_gap_exponent_margin": limit["margin"],
            "direction_rates": rates,
            "check_width": widths[-1],
        },
        tightness=nc.Tightness.of_upper_bound(
            worst,
            FINITE_TOL,
            "tolerance / max_{j,k} |v_jᵀ(r(k) − r_lin(k))|/‖r(0)‖ at the check width",
        ),
        details={"part": "finite-width", "widths": widths, "deviation": dev, "gram_limit": limit},
        diverged=diverged,
    )


def _labels(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    X, y_true = nc.digits_two_class(tuple(cfg["classes"]), n=cfg["n"], seed=seed)
    n = X.shape[0]
    gen = nc.generator(nc.derive_seed(seed, "random-labels"))
    y_rand = 2.0 * torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64) - 1
    H_inf, evals, evecs = _lazy.kernel(X)
    lr = 1.0 / float(evals[-1])
    rows, traces, diverged = {}, {}, False
    for name, y in (("true", y_true), ("random", y_rand)):
        run = _lazy.train_run(
            X,
            y,
            cfg["width"],
            nc.derive_seed(seed, "init", 0),
            lr=lr,
            steps=cfg["steps"],
            init_scale=cfg["kappa"],
        )
        diverged |= run.diverged
        pred = _prediction(evals, evecs, y, lr, cfg["steps"]).numpy()
        target = cfg["fit_to"] * float(torch.linalg.vector_norm(y))
        reached = np.flatnonzero(run.residual <= target)
        reached_pred = np.flatnonzero(pred <= target)
        complexity = float(y @ torch.linalg.solve(H_inf, y))
        rows[name] = {
            "yHy": complexity,
            "generalization_bound": float(gen_bound(complexity, n)),
            "steps_to_fit": int(reached[0]) if reached.size else math.inf,
            "steps_to_fit_predicted": int(reached_pred[0]) if reached_pred.size else math.inf,
            "w_dist_end": float(run.w_dist_fro[-1]),
            "w_dist_linear_prediction": _distance_prediction(evals, evecs, y, lr, cfg["steps"]),
            "sqrt_yHy": math.sqrt(complexity),
            "top10_energy": float(((evecs[:, -10:].T @ y) ** 2).sum() / (y @ y)),
        }
        traces[name] = {"k": run.k, "residual": run.residual, "prediction": pred}
    slower = rows["random"]["steps_to_fit"] > rows["true"]["steps_to_fit"]
    harder = rows["random"]["yHy"] > rows["true"]["yHy"]
    # yᵀ(H^∞)⁻¹y is only about this net if H^∞ is its Gram's limit
    limit = _lazy.gram_limit(X, H_inf, nc.derive_seed(seed, "gram"))
    ratios = {
        "yHy_random_over_true": rows["random"]["yHy"] / rows["true"]["yHy"],
        "steps_random_over_true": rows["random"]["steps_to_fit"]
        / max(rows["true"]["steps_to_fit"], 1),
    }
    eps = cfg["kappa"] * math.sqrt(n) / cfg["delta"]
    return nc.Outcome(
        hypotheses=[
            _lazy.unit_norm_hypothesis(X),
            _lazy.lambda0_hypothesis(evals),
            *_theorem_conditions(
                n, float(evals[0]), cfg["width"], lr, cfg["kappa"], cfg["delta"], eps
            ),
        ],
        conclusion_holds=bool(slower and harder and limit["holds"]),
        predicted={k: nc.Bound(1.0, ">") for k in ratios},
        measured={
            "yHy_true": rows["true"]["yHy"],
            "yHy_random": rows["random"]["yHy"],
            "steps_to_fit_true": rows["true"]["steps_to_fit"],
            "steps_to_fit_random": rows["random"]["steps_to_fit"],
            "generalization_bound_true": rows["true"]["generalization_bound"],
            "generalization_bound_random": rows["random"]["generalization_bound"],
            "gram_gap_exponent": limit["fit"]["exponent"],
            "gram_gap_exponent_margin": limit["margin"],
            **ratios,
        },
        tightness=nc.Tightness.ratio(
            min(ratios.values()),
            "the smaller of yᵀH⁻¹y and steps-to-fit, random over true labels (claimed > 1)",
        ),
        details={
            "part": "labels",
            "rows": rows,
            "traces": traces,
            "n": n,
            "lr": lr,
            "gram_limit": limit,
        },
        diverged=diverged,
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    parts = {"residual": _residual, "finite-width": _finite_width, "labels": _labels}
    return parts[cfg["part"]](cfg, seed)


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(axes: Any, r: nc.CheckResult) -> None:
        ax = axes if r.details["part"] != "residual" else axes[0]
        d = r.details
        if d["part"] == "finite-width":
            nc.plot_scaling(
                ax, d["widths"], d["deviation"], "max_{j,k} |v_jᵀ(r(k) − r_lin(k))|/‖r(0)‖"
            )
            ax.axhline(FINITE_TOL, color="k", ls="--", lw=1, label="tolerance")
        elif d["part"] == "labels":
            for name, t in d["traces"].items():
                line = ax.semilogy(t["k"], t["residual"], label=f"{name} labels")[0]
                ax.semilogy(
                    t["k"],
                    t["prediction"],
                    "--",
                    color=line.get_color(),
                    lw=1,
                    label=f"{name}: H^∞ prediction",
                )
            ax.set_xlabel("step k")
            ax.set_ylabel("‖y − u(k)‖", fontsize=7)
            rows = d["rows"]
            ax.text(
                0.97,
                0.96,
                f"yᵀ(H^∞)⁻¹y: true {rows['true']['yHy']:.3g}, random {rows['random']['yHy']:.3g}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=7,
            )
        else:
            nc.plot_scaling(
                ax,
                d["widths"],
                d["deviation"],
                "max_k |‖y − u(k)‖ − prediction|/‖y‖",
                fit=d["fit"],
                guide=-0.5,
            )
            nc.plot_scaling(
                ax,
                d["widths"],
                d["w_dist_gap"],
                "|‖W(K) − W(0)‖_F / sqrt(yᵀ(H^∞)⁻¹y) − 1|",
                fit=d["dist_fit"],
                marker="s",
            )
        ax.legend(fontsize=6)
        if d["part"] == "residual":
            _eigen_directions(axes[1], d)

    return nc.record_figures(
        results,
        draw,
        "arora-fine-grained: residual in the eigenbasis of H^∞; true vs random labels",
        panels=lambda r: ("", "eigen-directions") if r.details["part"] == "residual" else ("",),
    )


def _eigen_directions(ax: Any, d: dict[str, Any]) -> None:
    """|v_jᵀ(y − u(k))| for the top, middle and bottom eigen-directions of H^∞, with the
    linear prediction (1 − ηλ_j)^k."""
    t = d["trace"]
    evals, lr, proj = d["evals"], d["lr"], np.asarray(t["proj"])
    k = np.asarray(t["k"])
    n = len(evals)
    # float64 cannot resolve a component more than ~16 decades below the largest one (the
    # top direction's prediction is exactly 0 at η = 1/λ_max)
    floor = 1e-16 * float(proj[:, 0].max())
    for j in (n - 1, n // 2, 0):
        line = ax.semilogy(k, nc.log_floor(proj[j], floor), label=f"|v_{j + 1}ᵀ(y − u)|")[0]
        ax.semilogy(
            k,
            nc.log_floor(proj[j, 0] * np.abs(1 - lr * evals[j]) ** k, floor),
            ":",
            color=line.get_color(),
            lw=1,
        )
    ax.set_ylim(bottom=floor / 2)
    ax.set_xlabel("step k (dotted: (1 − ηλ_i)^k)")
    ax.legend(fontsize=6)


#: κ = 0.04 and the accuracy it buys, ε = κ√n/δ = 3.2 (constant 1): ε stays below ‖y‖ ≈ 4.6 at
#: every seed (‖y‖ < 3.2 would be 4.6σ below its mean; with κ = 0.05, ε = 4.0 is 2.2σ away).
BASE_RESIDUAL = {
    "part": "residual",
    **_lazy.SETUP,
    "widths": tuple(2**p for p in range(8, 15)),
    "seeds": 2,
    "kappa": 0.04,
    "delta": 0.1,
    "epsilon": 0.04 * math.sqrt(_lazy.SETUP["n"]) / 0.1,
}
INSTANCES = (
    nc.Instance(
        "residual",
        BASE_RESIDUAL,
        "κ = 0.04: the residual approaches the H^∞ eigen-formula as m grows, within ε = 3.2",
        quick={"widths": tuple(2**p for p in range(8, 13))},
        # Thm 4.1's width (~10²⁰ here) and step η = O(λ_0/n²) are out of reach: an empirical
        # finding, not a verification
        expect="held-outside-hypotheses",
    ),
    nc.Instance(
        "digits-true-vs-random",
        {
            "part": "labels",
            "classes": (3, 5),
            "n": 100,
            "width": 4096,
            "steps": 1500,
            "kappa": 0.05,
            "delta": 0.1,
            "fit_to": 0.1,
        },
        "digits 3 vs 5: random labels have larger yᵀ(H^∞)⁻¹y and take longer to fit",
        quick={"n": 60, "width": 1024, "steps": 800},
        expect="held-outside-hypotheses",
    ),
    nc.Instance(
        "finite-width-gram",
        {**BASE_RESIDUAL, "part": "finite-width", "kappa": 1.0, "widths": (2**12, 2**14)},
        "κ = 1 (lazy): each residual component along an eigenvector of the net's own H(0) "
        "decays like (1 − ηλ_j)^k, within 0.01‖r(0)‖",
        quick={"widths": (2**12,)},
        expect="held-outside-hypotheses",  # Thm 4.1's width and step are out of reach
    ),
    nc.Instance(
        "large-init",
        {**BASE_RESIDUAL, "kappa": 5.0},
        "κ = 5 for the same accuracy ε = 3.2: ‖u(0)‖ ≈ 28, so at k = 0 the y-only formula "
        "already misses by ‖u(0)‖ − 2‖y‖ ≫ ε, at every width",
        breaks="small initialization (u(0) ~ 0)",
        quick={"widths": tuple(2**p for p in range(8, 13))},
    ),
)

THEOREM = nc.Theorem(
    id="arora-fine-grained",
    title="Fine-grained GD dynamics in H^∞'s eigenbasis; random labels train slower",
    citation="Arora, Du, Hu, Li, Wang, ICML 2019 (arXiv:1901.08584), Thms 4.1, 5.1, Lemma 5.3",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
