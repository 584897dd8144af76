"""Distance from initialization shrinks with width — Neyshabur, Li, Bhojanapalli, LeCun, Srebro,
"The role of over-parametrization in generalization of neural networks", ICLR 2019, §2 and
Fig. 3; limit value from Arora, Du, Hu, Li, Wang, ICML 2019, Lemma 5.3 (with Theorem 5.1);
the companion lecture "Learning, memorization and generalization" (norm-based complexity).

Statement (empirical, with a known limit). Train a two-layer ReLU net to a fixed training loss.
As the hidden width m grows, the first layer's distance from its initialization ‖W − W_0‖_F
decreases, while its norm ‖W‖_F grows (≈ √(md) at init): a capacity measure built on the
distance, not on the norm, can shrink with width. In the NTK parameterization the distance has
a finite limit: Arora et al. bound it by √(yᵀ(H^∞)⁻¹y) plus a term that vanishes as m → ∞.

What is checked. ``TwoLayerNet`` f(x) = aᵀrelu(Wx)/√m with a fixed (Du et al. 2019), W
trained by GD with η = n/λ_max(H(0)) on the half-mean squared loss until it reaches the target
loss, on n points of S^{d−1} with random ±1 labels, ``reps`` seeds per width. Hypothesis: every
run reaches the target loss within the step budget (else the distances are not comparable).
Conclusion: the fitted exponent of ‖W − W_0‖_F against m has its 95% bootstrap interval below
0, and the exponent of ‖W‖_F is positive. Reported beside them: the distance at the largest
width over √(yᵀ(H^∞)⁻¹y). The control trains widths 2–8, too narrow to reach the target.
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
H = sp.Symbol(r"H^{\infty}")
STATEMENT = sp.And(
    sp.Lt(sp.Derivative(dist(m_), m_), 0),
    sp.Gt(sp.Derivative(norm(m_), m_), 0),
    sp.Le(sp.Limit(dist(m_), m_, sp.oo), sp.sqrt(sp.Symbol(r"y^{T} (H^{\infty})^{-1} y"))),
)
SYMBOLS = {
    "m": "hidden width",
    r"\|W_{T} - W_{0}\|_{F}": "first-layer distance from init once the target loss is reached",
    r"\|W_{T}\|_{F}": "first-layer Frobenius norm at the same point",
    r"y^{T} (H^{\infty})^{-1} y": "Arora et al.'s (2019) limit of the squared distance",
}


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
            lr = n / nc.lambda_max(nc.empirical_ntk(net, params, X))
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
            records.append(
                {
                    "m": m,
                    "rep": rep,
                    "steps": int(traj.step[-1]),
                    "loss": float(traj.loss[-1]),
                    "dist": float((W - W0).norm()),
                    "norm": float(W.norm()),
                    "diverged": traj.diverged,
                }
            )
    limit = math.sqrt(float(y @ torch.linalg.solve(nc.relu_ntk_infinite(X), y)))
    for r in records:
        r["arora_limit"] = limit
    return records


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    rec = run(cfg, seed)
    m = np.array([r["m"] for r in rec], dtype=float)
    fit_dist = nc.fit_power_law(m, [r["dist"] for r in rec], seed=seed)
    fit_norm = nc.fit_power_law(m, [r["norm"] for r in rec], seed=seed)
    widest = [r["dist"] for r in rec if r["m"] == max(cfg["widths"])]
    limit = rec[0]["arora_limit"]
    means = {str(w): float(np.mean([r["dist"] for r in rec if r["m"] == w])) for w in cfg["widths"]}
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
        conclusion_holds=fit_dist.ci[1] < 0 and fit_norm.exponent > 0,
        predicted={
            "dist_exponent_ci_upper": nc.Bound(0.0, "<"),
            "norm_exponent": nc.Bound(0.0, ">"),
            "dist_limit": limit,
        },
        measured={
            "dist_exponent": fit_dist.exponent,
            "dist_exponent_ci": list(fit_dist.ci),
            "dist_exponent_ci_upper": fit_dist.ci[1],
            "norm_exponent": fit_norm.exponent,
            "dist_by_width": means,
            "widest_dist_over_limit": float(np.mean(widest)) / limit,
        },
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
        ax.axhline(rec[0]["arora_limit"], color="k", ls="--", lw=1, label="√(yᵀ(H^∞)⁻¹y)")
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
    "widths": (32, 64, 256, 1024, 4096),
    "reps": 3,
    "steps": 20000,
    "target_loss": 1e-3,
}
INSTANCES = (
    nc.Instance(
        "random-labels",
        BASE,
        "n = 100 on S^15, random ±1 labels, widths 32 … 4096",
        quick={"widths": (32, 64, 256, 1024), "reps": 2},
    ),
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
