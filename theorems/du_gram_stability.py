"""Gram stability and the linear rate of GD for wide two-layer ReLU nets — Du, Zhai, Póczos,
Singh, "Gradient descent provably optimizes over-parameterized neural networks", ICLR 2019
(arXiv:1810.02054), Theorem 4.1 with Lemmas 3.1–3.2; lecture 10, slides "Lazy training for
large overparameterization".

Statement (Theorem 4.1). Let ‖x_i‖ = 1, |y_i| ≤ C, no two inputs parallel, so that
λ_0 = λ_min(H^∞) > 0 (their Theorem 3.1). Initialize w_r ~ N(0, I), a_r ~ Unif{±1} (fixed) and
run GD on W for ½‖y − u‖² with step η = O(λ_0/n²). If m = Ω(n⁶/(λ_0⁴δ³)), then with
probability ≥ 1 − δ, for every k:

    ‖y − u(k)‖² ≤ (1 − ηλ_0/2)^k ‖y − u(0)‖²,
    ‖w_r(k) − w_r(0)‖ ≤ R' = 4√n‖y − u(0)‖/(√m λ_0)        (the proof's Condition 4.1),
    λ_min(H(k)) ≥ λ_0/2  (Lemma 3.2, since ‖H(k) − H(0)‖₂ < λ_0/4),
    λ_min(H(0)) ≥ 3λ_0/4 (Lemma 3.1, which needs only m = Ω(n² log(n/δ)/λ_0²)).

The theorem states the width only up to a constant; we report it with constant 1 (the order
n⁶/(λ_0⁴δ³)) and, alongside, with the constants its proof uses as we read them: Lemma 3.2 bounds
Σ_ij |H_ij − H_ij(0)| by 4n²R/(√(2π)δ) (Markov), which is < λ_0/4 for R = √(2π)δλ_0/(16n²); R' < R
with ‖y − u(0)‖² ≤ (‖y‖² + n/2)/δ (Markov; E u_i(0)² = ½) gives
m > 4096 n⁵(‖y‖² + n/2)/(2π δ³ λ_0⁴). Lemma 3.1 by Hoeffding (entries in [−1, 1]) and a union
bound: m ≥ 32 n² log(2n²/δ)/λ_0². Each event is taken at level δ (not split three ways).

What is checked. Over a width grid and seeds, every conclusion at every step. The verdict
reads the grid's largest width (all seeds); the smallest grid width from which each conclusion
holds is reported next to the theorem's sufficient width — that ratio is the headline. Two step
regimes: the theorem's η = λ_0/n², and η = 1/λ_max(H^∞), which the theorem does not cover but
which is what works in practice. Neither grid width meets the theorem's width condition, so a
``holds`` here says the conclusions are already true far below it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc
from theorems import _lazy

# --- statement -------------------------------------------------------------------------------
m_, n_, k_, eta, delta, lam0 = sp.symbols("m n k eta delta lambda_0", positive=True)
r_k, r_0, y_sq = sp.symbols(r"\|y-u(k)\| \|y-u(0)\| \|y\|^2", nonnegative=True)
w_move = sp.Symbol(r"\|w_{r}(k)-w_{r}(0)\|", nonnegative=True)
lam_k = sp.Symbol(r"\lambda_{\min}(H(k))", real=True)
lam_0k = sp.Symbol(r"\lambda_{\min}(H(0))", real=True)
gap0 = sp.Symbol(r"\|H(0)-H^{\infty}\|_2", nonnegative=True)
drift = sp.Symbol(r"\|H(k)-H(0)\|_2", nonnegative=True)
WIDTH_ORDER = n_**6 / (lam0**4 * delta**3)
WIDTH_PROOF = 4096 * n_**5 * (y_sq + n_ / 2) / (2 * sp.pi * delta**3 * lam0**4)
WIDTH_LEMMA31 = 32 * n_**2 * sp.log(2 * n_**2 / delta) / lam0**2
THEOREM_STEP = lam0 / n_**2
RATE = 1 - eta * lam0 / 2
R_PRIME = 4 * sp.sqrt(n_) * r_0 / (sp.sqrt(m_) * lam0)
STATEMENT = sp.Implies(
    sp.And(sp.Ge(m_, WIDTH_ORDER), sp.Le(eta, THEOREM_STEP)),
    sp.And(
        sp.Le(r_k**2, RATE**k_ * r_0**2),
        sp.Le(w_move, R_PRIME),
        sp.Lt(drift, lam0 / 4),
        sp.Ge(lam_k, lam0 / 2),
        sp.Le(gap0, lam0 / 4),
        sp.Ge(lam_0k, 3 * lam0 / 4),
    ),
)
SYMBOLS = {
    "m": "hidden width",
    "n": "number of training points (unit norm, no two parallel)",
    "eta": "GD step size",
    "delta": "failure probability",
    "lambda_0": "λ_min(H^∞), H^∞_ij = x_iᵀx_j (π − θ_ij)/(2π)",
    r"\|y-u(k)\|": "training residual at step k",
    r"\|w_{r}(k)-w_{r}(0)\|": "distance travelled by hidden unit r",
    r"\lambda_{\min}(H(k))": "smallest eigenvalue of the Gram of W at step k",
    r"\|H(k)-H(0)\|_2": "drift of the Gram from its initial value (Lemma 3.2)",
    r"\|H(0)-H^{\infty}\|_2": "gap of the initial Gram to its m → ∞ limit (Lemma 3.1)",
}
width_order = sp.lambdify((n_, lam0, delta), WIDTH_ORDER, "numpy")
width_proof = sp.lambdify((n_, lam0, delta, y_sq), WIDTH_PROOF, "numpy")
width_lemma31 = sp.lambdify((n_, lam0, delta), WIDTH_LEMMA31, "numpy")
theorem_step = sp.lambdify((n_, lam0), THEOREM_STEP, "numpy")
rate = sp.lambdify((eta, lam0), RATE, "numpy")
r_prime = sp.lambdify((n_, m_, lam0, r_0), R_PRIME, "numpy")

#: The theorem's conclusions: Lemma 3.1 (both), Lemma 3.2 (both), Condition 4.1, the rate.
THEOREM_CONCLUSIONS = (
    "init_gap",
    "init_gram",
    "drift",
    "gram_along_run",
    "unit_movement",
    "linear_rate",
)
#: The sharper measured prediction: the residual follows GD on the model linearized at
#: w(0), r_lin(k) = (I − ηH(0))^k r(0) (the proof's eq. (10) with H(k) frozen at H(0)), to
#: max_k ‖r(k) − r_lin(k)‖ ≤ LINEAR_TOL·‖r(0)‖. The theorem's rate is loose by an exponent
#: ≥ 4, so it cannot see a 10% step error; this can. Measured at seed 0 (practical step):
#: 0.017, 0.011, 0.0047, 0.0017 at m = 256, 1024, 4096, 16384; with the step 10% too small
#: 0.028–0.036 at every width.
LINEAR_TOL = 0.01
CONCLUSIONS = (*THEOREM_CONCLUSIONS, "linearized")
WIDTH_HYPOTHESIS = "width m >= n^6/(lambda_0^4 delta^3)"


# --- measurement -----------------------------------------------------------------------------
def _one(
    run: _lazy.Run, y: torch.Tensor, H_inf: Any, lam_0: float, lr: float, atol: float
) -> tuple[dict[str, float], dict[str, bool], dict[str, float]]:
    """Summary numbers of one run, which conclusions hold, and by what factor each bound could
    be tightened (eigenvalues compared up to ``atol``, the rank cutoff of the Gram: with λ_0 at
    that scale the eigenvalue claims are vacuous, their factor +inf, and the rate is no
    contraction). ``lr`` is the step the prediction assumes; ``run.lr`` the one trained with."""
    n = len(y)
    res_sq = run.residual**2
    bound = rate(lr, lam_0) ** run.k * res_sq[0]
    contracts = lam_0 > atol
    # with λ_0 at the rank cutoff (or rounded below 0) R' ∝ 1/λ_0 is unbounded: vacuous
    Rp = float(r_prime(n, run.width, lam_0, run.residual[0])) if contracts else math.inf
    assert run.outputs is not None
    r = y[None, :] - run.outputs
    e0, V0 = torch.linalg.eigh(run.gram0)
    r_lin = _lazy.linear_residuals(e0, V0, r[0], lr, len(run.k) - 1)
    init_row, init_ok, init_factor = _lemma_3_1(run.gram0, H_inf, lam_0, atol)
    row = {
        **init_row,
        "drift_max": float(run.drift.max()),
        "lambda_min_run": float(run.lambda_min.min()),
        "w_dist_max": float(run.w_dist_max.max()),
        "R_prime": Rp,
        "flips_max": float(run.flips.max()),
        "loss_ratio_end": float(res_sq[-1] / res_sq[0]),
        "bound_ratio_end": float(bound[-1] / res_sq[0]),
        "linear_deviation": float(
            torch.linalg.vector_norm(r - r_lin, dim=1).max() / torch.linalg.vector_norm(r[0])
        ),
    }
    quarter = 0.25 * lam_0
    ok = {
        **init_ok,
        "drift": contracts and row["drift_max"] < quarter,
        "gram_along_run": bool(nc.leq(0.5 * lam_0, row["lambda_min_run"], atol=atol)),
        "unit_movement": bool(nc.leq(row["w_dist_max"], Rp)),
        # the conclusion is a linear *contraction*: with λ_0 at the rank cutoff the rate is 1
        "linear_rate": contracts and bool(nc.leq(res_sq, bound).all()),
        "linearized": bool(nc.leq(row["linear_deviation"], LINEAR_TOL)),
    }

    def eig_factor(measured: float, c: float) -> float:
        return (measured + atol) / (c * lam_0) if contracts else math.inf

    def upper(measured: Any, bound_: Any) -> float:
        return nc.Tightness.of_upper_bound(measured, bound_, "").value if contracts else -math.inf

    factor = {
        **init_factor,
        "drift": upper(row["drift_max"], quarter),
        "gram_along_run": eig_factor(row["lambda_min_run"], 0.5),
        "unit_movement": upper(row["w_dist_max"], Rp),
        "linear_rate": nc.Tightness.of_rate(res_sq[1:] / res_sq[0], bound[1:] / res_sq[0], "").value
        if contracts
        else -math.inf,
        "linearized": LINEAR_TOL / row["linear_deviation"],
    }
    return row, ok, factor


INIT_CONCLUSIONS = ("init_gap", "init_gram")


def _lemma_3_1(
    H0: torch.Tensor, H_inf: torch.Tensor, lam_0: float, atol: float
) -> tuple[dict[str, float], dict[str, bool], dict[str, float]]:
    """Lemma 3.1 on one initial Gram H(0): ‖H(0) − H^∞‖₂ ≤ λ_0/4 and λ_min(H(0)) ≥ 3λ_0/4, the
    numbers, whether each holds and its tightening factor. With λ_0 at the rank cutoff the gap
    claim fails and the eigenvalue one is vacuous (factor +inf)."""
    H0 = H0.double()
    row = {
        "H0_gap": float(nc.eigvalsh(H0 - H_inf).abs().max()),
        "lambda_min_H0": float(nc.eigvalsh(H0)[0]),
    }
    if lam_0 <= atol:
        return (
            row,
            {"init_gap": False, "init_gram": True},
            {"init_gap": -math.inf, "init_gram": math.inf},
        )
    ok = {
        "init_gap": bool(nc.leq(row["H0_gap"], lam_0 / 4)),
        "init_gram": bool(nc.leq(0.75 * lam_0, row["lambda_min_H0"], atol=atol)),
    }
    factor = {
        "init_gap": nc.Tightness.of_upper_bound(row["H0_gap"], lam_0 / 4, "").value,
        "init_gram": (row["lambda_min_H0"] + atol) / (0.75 * lam_0),
    }
    return row, ok, factor


def _initial_gram(X: torch.Tensor, width: int, seed: int) -> torch.Tensor:
    """H(0) of a fresh width-m net, at no training cost (Lemma 3.1 is about w(0) alone)."""
    net = nc.TwoLayerNet(X.shape[1], width, "relu")
    return net.structured_ntk(net.init(seed), X)


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    n, widths, seeds = cfg["n"], list(cfg["widths"]), cfg["seeds"]
    X = nc.sphere_inputs(n, cfg["d"], seed)
    if cfg["parallel"]:
        X = _lazy.with_parallel_pair(X)
    y = _lazy.uniform_labels(n, nc.derive_seed(seed, "labels"))
    H_inf, evals, _ = _lazy.kernel(X)
    lam_0, lam_max = float(evals[0]), float(evals[-1])
    step_max = float(theorem_step(n, lam_0))
    lr = cfg["lr_factor"] * (step_max if cfg["regime"] == "theorem" else 1 / lam_max)
    # Thm 4.1's η = O(λ_0/n²) with constant 1; the practical regime η = 1/λ_max(H^∞) lies
    # outside it, and the record says so
    step_hyp = nc.hypothesis("step size", lr, "<=", step_max, note="λ_0/n² (Thm 4.1)")
    atol = nc.rank_cutoff(lam_max, (n, n))
    rows: list[list[dict[str, float]]] = []
    oks = {c: np.zeros((len(widths), seeds), bool) for c in CONCLUSIONS}
    margins: dict[str, list[float]] = {c: [] for c in CONCLUSIONS}
    traces: dict[int, dict[str, np.ndarray]] = {}
    diverged = False
    for i, width in enumerate(widths):
        rows.append([])
        for s in range(seeds):
            run = _lazy.train_run(
                X,
                y,
                width,
                nc.derive_seed(seed, "init", s),
                lr=lr,
                steps=cfg["steps"],
                keep_outputs=True,
            )
            diverged |= run.diverged
            row, ok, margin = _one(run, y, H_inf, lam_0, lr, atol)
            rows[-1].append(row)
            for c in CONCLUSIONS:
                oks[c][i, s] = ok[c]
                if i == len(widths) - 1:
                    margins[c].append(margin[c])
            if s == 0:
                traces[width] = {
                    "k": run.k,
                    "residual_sq": run.residual**2,
                    "lambda_min": run.lambda_min,
                    "drift": run.drift,
                }
    table = {key: np.array([[r[key] for r in row] for row in rows]) for key in rows[0][0]}
    # Lemma 3.1 is about w(0) alone: its grid goes on past the training grid, at no training
    # cost, and it is decided at its own largest width
    extra = [w for w in cfg["init_widths"] if w > widths[-1]]
    init_widths = widths + extra
    lemma = [
        [
            _lemma_3_1(_initial_gram(X, w, nc.derive_seed(seed, "init", s)), H_inf, lam_0, atol)
            for s in range(seeds)
        ]
        for w in extra
    ]
    init_table = {
        key: np.vstack(
            [table[key], np.reshape([[r[0][key] for r in row] for row in lemma], (-1, seeds))]
        )
        for key in ("H0_gap", "lambda_min_H0")
    }
    for c in INIT_CONCLUSIONS:
        oks[c] = np.vstack(
            [oks[c], np.reshape([[r[1][c] for r in row] for row in lemma], (-1, seeds))]
        ).astype(bool)
        if lemma:
            margins[c] = [r[2][c] for r in lemma[-1]]
    grid = np.repeat(np.asarray(widths, float), seeds)
    m_emp = {
        c: _lazy.smallest_width(init_widths if c in INIT_CONCLUSIONS else widths, oks[c])
        for c in CONCLUSIONS
    }
    # all conclusions hold from the largest of the per-conclusion widths on (None: one never)
    found = [m_emp[c] for c in THEOREM_CONCLUSIONS]
    m_all = None if None in found else max(found)  # type: ignore[type-var]
    # m_empirical is only as fine as the grid: at its smallest width it is an upper bound
    censored = {c: m == widths[0] for c, m in m_emp.items()}
    at_check = {c: bool(oks[c][-1].all()) for c in CONCLUSIONS}
    suff = {
        "order": float(width_order(n, lam_0, cfg["delta"])),
        "proof_constants": float(width_proof(n, lam_0, cfg["delta"], float((y**2).sum()))),
        "lemma_3_1": float(width_lemma31(n, lam_0, cfg["delta"])),
    }
    fits = {
        "drift": _lazy.power_law_record(grid, table["drift_max"].ravel()),
        "H0_gap": _lazy.power_law_record(
            np.repeat(np.asarray(init_widths, float), seeds), init_table["H0_gap"].ravel()
        ),
        "flips": _lazy.power_law_record(grid, table["flips_max"].ravel()),
        "w_dist": _lazy.power_law_record(grid, table["w_dist_max"].ravel()),
    }
    ratio = suff["order"] / m_all if m_all else math.nan
    return nc.Outcome(
        hypotheses=[
            _lazy.unit_norm_hypothesis(X),
            _lazy.lambda0_hypothesis(evals),
            step_hyp,
            nc.hypothesis(
                WIDTH_HYPOTHESIS,
                widths[-1],
                ">=",
                suff["order"],
                note="n⁶/(λ_0⁴δ³) at the check width (Thm 4.1, constant 1)",
            ),
        ],
        conclusion_holds=all(at_check.values()),
        predicted={
            "rate_per_step": float(rate(lr, lam_0)),
            "linear_deviation": nc.Bound(LINEAR_TOL, "<="),
            "max_drift_over_lambda0": nc.Bound(0.25, "<"),
            "max_H0_gap_over_lambda0": nc.Bound(0.25, "<="),
            "drift_exponent": nc.Bound(-0.5, "<="),
            "m_sufficient_order": suff["order"],
            "m_sufficient_proof_constants": suff["proof_constants"],
            "m_lemma_3_1": suff["lemma_3_1"],
        },
        measured={
            "m_empirical": m_all,
            "m_empirical_is_upper_bound": m_all == widths[0],
            "m_empirical_censored_by_conclusion": censored,
            "linear_deviation": float(table["linear_deviation"][-1].max()),
            "max_drift_over_lambda0": float(table["drift_max"][-1].max() / lam_0),
            "max_H0_gap_over_lambda0": float(init_table["H0_gap"][-1].max() / lam_0),
            "width_ratio_order": ratio,
            "width_ratio_proof_constants": suff["proof_constants"] / m_all if m_all else math.nan,
            "lemma_3_1_ratio": suff["lemma_3_1"] / m_emp["init_gram"]
            if m_emp["init_gram"]
            else math.nan,
            "m_empirical_by_conclusion": m_emp,
            "drift_exponent": fits["drift"]["exponent"],
            "drift_exponent_ci": fits["drift"]["ci"],
            "H0_gap_exponent": fits["H0_gap"]["exponent"],
            "flips_exponent": fits["flips"]["exponent"],
            "w_dist_exponent": fits["w_dist"]["exponent"],
            "check_width": widths[-1],
            "holds_at_check_width": at_check,
            "lemma_3_1_check_width": init_widths[-1],
            "max_w_dist_over_R_prime": float((table["w_dist_max"] / table["R_prime"])[-1].max()),
            "min_lambda_run_over_lambda0": float(table["lambda_min_run"][-1].min() / lam_0),
            "loss_ratio_end": float(table["loss_ratio_end"][-1].max()),
            "bound_ratio_end": float(table["bound_ratio_end"][-1].max()),
        },
        tightness=nc.Tightness.exponent(
            float(min(margins["linear_rate"])),
            "at the check width, over seeds: the largest e with ‖y − u(k)‖² ≤ "
            "(1 − ηλ_0/2)^{ek}‖y − u(0)‖² (the linearized model's slowest direction gives ≈ 4)",
        ),
        details={
            "regime": cfg["regime"],
            "lr": lr,
            "lambda_0": lam_0,
            "lambda_max_H_inf": lam_max,
            "widths": widths,
            "init_widths": init_widths,
            "table": table,
            "init_table": init_table,
            "holds": {c: oks[c] for c in CONCLUSIONS},
            "fits": fits,
            "sufficient_widths": suff,
            "traces": {str(w): t for w, t in traces.items()},
            "tightness_by_conclusion": {c: min(v) for c, v in margins.items()},
        },
        diverged=diverged,
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(axes: Sequence[Any], r: nc.CheckResult) -> None:
        ax_drift, ax_res = axes
        d = r.details
        widths = np.asarray(d["widths"], float)
        lam_0 = d["lambda_0"]
        nc.plot_scaling(
            ax_drift,
            widths,
            d["table"]["drift_max"],
            "max_k ‖H(k) − H(0)‖₂",
            fit=d["fits"]["drift"],
            guide=-0.5,
        )
        nc.plot_scaling(
            ax_drift,
            np.asarray(d["init_widths"], float),
            d["init_table"]["H0_gap"],
            "‖H(0) − H^∞‖₂",
            marker="s",
        )
        if lam_0 > 0:
            ax_drift.axhline(lam_0 / 4, color="k", ls="--", lw=1, label="λ_0/4")
            ax_drift.legend(fontsize=6)
        for key, trace in d["traces"].items():
            if key not in (str(int(widths[0])), str(int(widths[-1]))):
                continue
            k = np.asarray(trace["k"])
            res = np.asarray(trace["residual_sq"])
            ax_res.semilogy(k, nc.log_floor(res), label=f"m = {key}")
            if key == str(int(widths[-1])) and lam_0 > 0:
                bound = (1 - d["lr"] * lam_0 / 2) ** k * res[0]
                ax_res.semilogy(k, bound, "k--", lw=1, label="(1 − ηλ_0/2)^k ‖y − u(0)‖²")
        ax_res.set_xlabel(f"step k ({d['regime']} step η = {d['lr']:.3g})")
        ax_res.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "du-gram-stability: Gram drift vs width, and the residual against the linear rate",
        panels=("Gram drift", "residual"),
    )


BASE = {
    "regime": "practical",
    **_lazy.SETUP,
    "widths": tuple(2**p for p in range(6, 15)),
    "seeds": 4,
    "lr_factor": 1.0,
    "delta": 0.1,
    "parallel": False,
    # Lemma 3.1's gap ≤ λ_0/4 fails for a third of the draws at m = 2^14 (84 draws), 4% at 2^15
    "init_widths": (2**15, 2**16, 2**17),
}
QUICK = {"widths": tuple(2**p for p in range(6, 15, 2)), "seeds": 2}
PRACTICAL = nc.Instance(
    "practical-step",
    BASE,
    "η = 1/λ_max(H^∞), widths 2^6 … 2^14: every conclusion at the largest width",
    quick=QUICK,
    # no runnable width meets Thm 4.1's m = Ω(n⁶/(λ_0⁴δ³)), and this step is not its
    # η = O(λ_0/n²): the conclusions holding here is an empirical finding
    expect="held-outside-hypotheses",
)
INSTANCES = (
    PRACTICAL,
    # (1 − ηλ_0/2)^{6k} is faster than (1 − ηλ_0)^{2k}, the linearized model's slowest
    # direction (exponent ≈ 4.05): measured 4.3–4.8. Outside the width hypothesis, so the
    # tightened claim failing reads failed-without-hypothesis
    nc.Instance(
        "practical-step-sharpened",
        BASE,
        "the residual claimed to contract like (1 − ηλ_0/2)^{6k}",
        quick=QUICK,
        sharpen=6.0,
        expect="failed-without-hypothesis",
    ),
    nc.Instance(
        "theorem-step",
        {**BASE, "regime": "theorem"},
        "η = λ_0/n² (Theorem 4.1's regime): the same conclusions over the same 300 steps",
        quick=QUICK,
        expect="held-outside-hypotheses",  # the width condition is out of reach
    ),
    nc.Instance(
        "narrow-width",
        {**BASE, "widths": (4, 8), "init_widths": ()},
        "m ≤ 8: H(0) singular or nearly so, the Gram drifts by more than λ_0, the rate fails",
        # every instance is below the theorem's width condition; this one is also below the
        # width where the conclusions hold empirically, and they fail
        breaks=WIDTH_HYPOTHESIS,
        quick={"seeds": 2},
    ),
    nc.Instance(
        "parallel-inputs",
        {**BASE, "widths": (256, 1024), "init_widths": (), "parallel": True},
        "x_1 = x_0 with y_1 ≠ y_0: λ_0 = 0, the residual cannot vanish",
        breaks="no two inputs parallel (lambda_0 > 0)",
        # with λ_0 at the rank cutoff the rate 1 − ηλ_0/2 is no contraction, the Gram drift
        # cannot stay below λ_0/4 and the residual stalls: the conclusions fail
        quick={"seeds": 2},
    ),
    nc.Instance(
        "step-above-2/lambda_max",
        {**BASE, "widths": (1024,), "init_widths": (), "lr_factor": 2.5},
        "η = 2.5/λ_max(H^∞): the top eigen-direction of the residual grows",
        breaks="step size",
        quick={"seeds": 2},
    ),
)

THEOREM = nc.Theorem(
    id="du-gram-stability",
    title="Wide two-layer ReLU nets: the Gram stays put and GD converges linearly",
    citation="Du, Zhai, Póczos, Singh, ICLR 2019 (arXiv:1810.02054), Thm 4.1, Lemmas 3.1–3.2; "
    "lecture 10, 'Lazy training for large overparameterization'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
