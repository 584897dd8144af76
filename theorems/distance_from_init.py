"""Distance from initialization shrinks with width — Neyshabur, Li, Bhojanapalli, LeCun, Srebro,
"The role of over-parametrization in generalization of neural networks", ICLR 2019, §2 and
Fig. 3; its lazy limit from the linearized dynamics (Du, Zhai, Póczos, Singh, ICLR 2019, §4;
Arora, Du, Hu, Li, Wang, ICML 2019, Lemma 5.3 for the small-initialization case); the
companion lecture "Learning, memorization and generalization" (norm-based complexity).

Statement (empirical, with a known limit). Train a two-layer ReLU net to a fixed training loss.
As the hidden width m grows, the first layer's distance from its initialization ‖W − W_0‖_F
decreases, while its norm ‖W‖_F grows (≈ √(md) at init): a capacity measure built on the
distance, not on the norm, can shrink with width. In the NTK parameterization the distance has
a finite limit, that of GD on the linearized model: with H = H(0) = J Jᵀ and r_0 = y − u(0),
the linearized iterate moves by J⁺(I − (I − ηH/n)^T) r_0, of norm
    d_lin(T)² = Σ_k (1 − (1 − ηλ_k/n)^T)² (v_kᵀr_0)²/λ_k  →  r_0ᵀH⁻¹r_0  (T → ∞),
and ‖W_T − W_0‖_F / d_lin(T) → 1 as m → ∞, with an O(m^{-1/2}) error (the lazy regime). Arora
et al.'s √(yᵀ(H^∞)⁻¹y) is this limit when u(0) → 0 (initialization scale κ → 0); here κ = 1,
u(0) is O(1) and the limit keeps it (m = 4096: 21.9 against r_0ᵀH⁻¹r_0's 22.3 and yᵀH⁻¹y's
20.5).

What is checked. ``TwoLayerNet`` f(x) = aᵀrelu(Wx)/√m with a fixed (Du et al. 2019), W
trained by GD with η = n/λ_max(H(0)) on the half-mean squared loss until it reaches the target
loss, on n points of S^{d−1} with random ±1 labels, ``reps`` seeds per width; d_lin is
evaluated at the step T at which the linearized loss first reaches the target. Hypothesis:
every run reaches the target loss within the step budget (else the distances are not
comparable). Conclusion: the fitted exponent of ‖W − W_0‖_F against m has its 95% bootstrap
interval below 0; the exponent of ‖W‖_F is positive; and the ratio ‖W_T − W_0‖_F / d_lin(T),
extrapolated to m^{-1/2} = 0 by weighted least squares over the widths m ≥ n (weights ∝ m: the
lazy error and its spread are O(m^{-1/2})), has a t-interval at α = 10⁻⁶ containing 1. An NTK
10% off moves that limit to 1.048 (interval half-widths 0.009–0.013). The control trains widths
2–8, too narrow to reach the target; a sharpened control claims the distance exponent below
−0.1.
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
m_, y_ = sp.symbols("m y", positive=True)
dist = sp.Function(r"\|W_{T} - W_{0}\|_{F}")
norm = sp.Function(r"\|W_{T}\|_{F}")
d_lin = sp.Function(r"d_{lin}")
STATEMENT = sp.And(
    sp.Lt(sp.Derivative(dist(m_), m_), 0),
    sp.Gt(sp.Derivative(norm(m_), m_), 0),
    sp.Eq(sp.Limit(dist(m_) / d_lin(m_), m_, sp.oo), 1),
)
SYMBOLS = {
    "m": "hidden width",
    r"\|W_{T} - W_{0}\|_{F}": "first-layer distance from init once the target loss is reached",
    r"\|W_{T}\|_{F}": "first-layer Frobenius norm at the same point",
    r"d_{lin}": "the distance GD on the model linearized at init moves W to the same loss",
}
#: the lazy extrapolation uses widths m ≥ LAZY_FROM·n (below, the O(m^{-1/2}) law is not yet
#: the leading term: at m = 32, n = 100 the ratio is 1.18–1.39)
LAZY_FROM = 1


def linearized_distance(
    H: torch.Tensor, r0: torch.Tensor, lr: float, target_loss: float, steps: int
) -> tuple[float, int]:
    """‖W_T − W_0‖_F of GD on the model linearized at init, stopped at the first T ≤ steps with
    half-mean loss ≤ target_loss: (d_lin(T), T). H = J Jᵀ (float64), r0 = y − u(0)."""
    n = r0.numel()
    lam, V = torch.linalg.eigh(H.double())
    c = V.T @ r0.double()
    q = 1 - lr * lam / n
    t = torch.arange(steps + 1, dtype=torch.float64)[:, None]
    losses = ((q[None, :] ** t * c[None, :]) ** 2).sum(dim=1) / (2 * n)
    reached = torch.nonzero(losses <= target_loss)
    T = int(reached[0]) if reached.numel() else steps
    keep = lam > 1e-12 * lam[-1]  # directions H does not see are never moved
    return math.sqrt(float((((1 - q[keep] ** T) * c[keep]) ** 2 / lam[keep]).sum())), T


def run(cfg: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """One record per (width, rep): steps, final loss, ‖W − W_0‖_F, ‖W‖_F."""
    n, d = cfg["n"], cfg["d"]
    gen = nc.generator(seed)
    X = nc.sphere_inputs(n, d, gen)
    y = 2.0 * (torch.rand(n, generator=gen, dtype=torch.float64) < 0.5).double() - 1.0
    records = []
    for m in cfg["widths"]:
        net = nc.TwoLayerNet(d, m)
        for rep in range(cfg["reps"]):
            params = net.init(nc.derive_seed(seed, {"m": m, "rep": rep}))
            H0 = nc.empirical_ntk(net, params, X)
            lr = n / nc.lambda_max(H0)
            traj = nc.train(
                net,
                params,
                X,
                y,
                lr=lr,
                steps=cfg["steps"],
                reduction="half_mean",
                target_loss=cfg["target_loss"],
                track_activations=False,
                progress=False,
            )
            W0, W = params["W"], traj.params["W"]
            d_lin, T_lin = linearized_distance(
                H0, y - net(params, X), lr, cfg["target_loss"], cfg["steps"]
            )
            dist = float((W - W0).norm())
            records.append(
                {
                    "m": m,
                    "rep": rep,
                    "steps": int(traj.step[-1]),
                    "loss": float(traj.loss[-1]),
                    "dist": dist,
                    "norm": float(W.norm()),
                    "d_lin": d_lin,
                    "T_lin": T_lin,
                    "ratio": dist / d_lin,
                    "diverged": traj.diverged,
                }
            )
    # Arora et al.'s small-initialization limit, shown for comparison only
    limit = math.sqrt(float(y @ torch.linalg.solve(nc.relu_ntk_infinite(X), y)))
    for r in records:
        r["arora_limit"] = limit
    return records


def lazy_limit(rec: list[dict[str, Any]], n: int) -> nc.MeanInterval | None:
    """dist/d_lin extrapolated to m^{-1/2} = 0 over widths m ≥ LAZY_FROM·n (None: too few)."""
    wide = [r for r in rec if r["m"] >= LAZY_FROM * n]
    if len({r["m"] for r in wide}) < 2 or len(wide) < 3:
        return None
    m = np.array([r["m"] for r in wide], dtype=float)
    return nc.intercept_interval(m**-0.5, [r["ratio"] for r in wide], weights=m)


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    rec = run(cfg, seed)
    m = np.array([r["m"] for r in rec], dtype=float)
    fit_dist = nc.fit_power_law(m, [r["dist"] for r in rec], seed=seed)
    fit_norm = nc.fit_power_law(m, [r["norm"] for r in rec], seed=seed)
    lazy = lazy_limit(rec, cfg["n"])
    lazy_holds = lazy is not None and lazy.lower <= 1.0 <= lazy.upper
    means = {str(w): float(np.mean([r["dist"] for r in rec if r["m"] == w])) for w in cfg["widths"]}
    ratios = {
        str(w): float(np.mean([r["ratio"] for r in rec if r["m"] == w])) for w in cfg["widths"]
    }
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "target loss reached at every width",
                max(r["loss"] for r in rec),
                "<=",
                cfg["target_loss"],
                note=f"the target loss, within {cfg['steps']} steps",
            )
        ],
        conclusion_holds=fit_dist.ci[1] < 0 and fit_norm.exponent > 0 and lazy_holds,
        predicted={
            "dist_exponent_ci_upper": nc.Bound(0.0, "<"),
            "norm_exponent": nc.Bound(0.0, ">"),
            "dist_over_d_lin_limit": 1.0,
        },
        measured={
            "dist_exponent": fit_dist.exponent,
            "dist_exponent_ci": list(fit_dist.ci),
            "dist_exponent_ci_upper": fit_dist.ci[1],
            "norm_exponent": fit_norm.exponent,
            "dist_by_width": means,
            "dist_over_d_lin_by_width": ratios,
            "dist_over_d_lin_limit": lazy if lazy is not None else math.nan,
            "small_init_limit": rec[0]["arora_limit"],
        },
        # the limit is an equality (a planted NTK fault tests it); the margin is the trends'
        tightness=nc.Tightness.margin(
            min(-fit_dist.ci[1], fit_norm.exponent),
            "the smaller of: how far the distance exponent's 95% interval lies below 0, and the "
            "norm exponent above 0",
        ),
        details={"records": rec},
        diverged=any(r["diverged"] for r in rec),
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        rec = r.details["records"]
        m = [x["m"] for x in rec]
        ax.loglog(m, [x["dist"] for x in rec], "o", label="‖W − W₀‖_F")
        ax.loglog(m, [x["norm"] for x in rec], "s", label="‖W‖_F")
        ax.loglog(m, [x["d_lin"] for x in rec], "k_", ms=12, label="linearized GD, same loss")
        ax.axhline(rec[0]["arora_limit"], color="0.5", ls=":", lw=1, label="√(yᵀ(H^∞)⁻¹y), κ → 0")
        ax.set_xlabel("width m")
        ax.legend(fontsize=7)

    return nc.record_figures(
        results, draw, "distance-from-init: two-layer ReLU net trained to a fixed loss"
    )


BASE = {
    "n": 100,
    "d": 16,
    # width 16 misses the target loss at some seeds (1 of 2 reps at seeds 1, 2, 10, 12 of 20:
    # a dead unit leaves points unfitted), so the record would depend on the seed; width 32
    # reached it in all 120 runs of 40 seeds
    "widths": (32, 64, 256, 1024, 4096, 16384),
    "reps": 3,
    "steps": 20000,
    "target_loss": 1e-3,
}
RANDOM_LABELS = nc.Instance(
    "random-labels",
    BASE,
    "n = 100 on S^15, random ±1 labels, widths 32 … 16384",
)
INSTANCES = (
    RANDOM_LABELS,
    # the distance falls slowly (exponent −0.05): a claimed m^{-0.1} must be refuted
    RANDOM_LABELS.sharpened(0.1, "the distance claimed to shrink at least as fast as m^{-0.1}"),
    nc.Instance(
        "too-narrow",
        {**BASE, "widths": (2, 4, 8), "steps": 3000},
        "widths 2–8 cannot reach the target loss on random labels",
        breaks="target loss reached at every width",
        quick={"reps": 2},
    ),
)

THEOREM = nc.Theorem(
    id="distance-from-init",
    title="‖W − W₀‖_F at a fixed train loss decreases with width while ‖W‖_F grows",
    citation="Neyshabur, Li, Bhojanapalli, LeCun, Srebro, ICLR 2019, Fig. 3; "
    "Arora, Du, Hu, Li, Wang, ICML 2019, Lemma 5.3",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
