"""Scale invariance of normalized layers and the effective step size η/‖w‖² — lecture 001
(Ollion & Grisel), "Batch Normalization" and "Layer Normalizations" ("less dependent on
init"); Ioffe & Szegedy, ICML 2015; Ba, Kiros & Hinton 2016; van Laarhoven, "L2
regularization versus batch and weight normalization", 2017 (arXiv:1706.05350), §3; Arora, Li
& Lyu, "Theoretical analysis of auto rate-tuning by batch normalization", ICLR 2019
(arXiv:1812.03981), §2.

Statement. Let f(x) = (1/√m) Σ_r a_r σ(N(Wx)_r) with N a normalization of the pre-activations
and L(W) = ½‖f(X) − y‖². If N is BatchNorm (over the batch, per unit) with ε = 0, then for
every c_r > 0, scaling row r of W by c_r leaves L unchanged; for LayerNorm (over the units of
one input) the same holds for one common c > 0, and only without a bias before N. It follows
by differentiating L(cW) = L(W):

    ⟨∇_{w_r}L(W), w_r⟩ = 0   (BatchNorm: per unit; LayerNorm: ⟨∇L, W⟩ = 0),
    ∇L(cW) = ∇L(W)/c,

so gradient descent W_{k+1} = W_k − η∇L(W_k) only grows the weights,

    ‖W_{k+1}‖² = ‖W_k‖² + η²‖∇L(W_k)‖²                                   (per unit for BN),

and GD from cW_0 with step η is c times GD from W_0 with step η/c²: the direction W/‖W‖
moves with the effective step η/‖W‖². A BatchNorm net's training is "less dependent on init"
because the init's scale only sets that step.

What is checked. :class:`ntkconv.NormalizedNet` (ReLU, W trained, ``a`` fixed), n points on
S^{d−1}, labels U[−1, 1], GD for ``steps`` steps through :func:`ntkconv.train`. Each identity is
measured as a relative error and must be ≤ ``TOL`` = 1e-9 — float64 rounding leaves ≈ 1e-15, so
the tightness is the margin in decades, log10(TOL/error):

- ``invariance``: |f(C·W) − f(W)| over ``max|f(W)|``, C per-unit (``scaling="per-unit"``) or
  one factor (``"whole"``), for several draws of the scales;
- ``orthogonality``: |⟨g, w⟩|/(‖g‖‖w‖) at every step (per unit or whole, as the scaling);
- ``norm_growth``: |‖W_{k+1}‖² − ‖W_k‖² − η²‖∇L(W_k)‖²|/‖W_{k+1}‖² at every step;
- ``effective_step``: at every iterate W_k of the run and c ∈ ``scales``, one step of η from
  cW_k divided by c against one step of η/c² from W_k; by induction the whole trajectories
  agree. Compared whole (``trajectory_gap``, a measurement only) they drift apart by up to
  1e-8 in 100 steps for BatchNorm: the GD map expands some directions and the rounding
  differences grow step by step, while every single step agrees to 1e-15.

The record also reports the loss reached after the same number of steps from each init scale
at one step η: it falls more slowly the larger the scale — the effective step at work.

Hypotheses: a normalization before σ; ε negligible against the pre-activations' variance
(ε over the smallest per-unit or per-input variance ≤ 1e-12); no bias before a LayerNorm
(BatchNorm subtracts it exactly); the scaling the claim uses is one the normalization absorbs.
Each control breaks one and its identities fail by far more than rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sympy as sp
import torch
from torch.func import grad

import ntkconv as nc
from theorems import _lazy

# --- statement -------------------------------------------------------------------------------
c_, eta = sp.symbols("c eta", positive=True)
k_ = sp.Symbol("k", integer=True, nonnegative=True)
W, W0 = sp.symbols("W W_0")
L = sp.Function("L")
g_k = sp.Symbol(r"\|\nabla L(W_k)\|", nonnegative=True)
norm_k, norm_k1 = sp.symbols(r"\|W_k\| \|W_{k+1}\|", nonnegative=True)
inner = sp.Symbol(r"\langle\nabla L(W),W\rangle", real=True)
GD = sp.Function(r"\mathrm{GD}")
STATEMENT = sp.And(
    sp.Eq(L(c_ * W), L(W)),
    sp.Eq(inner, 0),
    sp.Eq(norm_k1**2, norm_k**2 + eta**2 * g_k**2),
    sp.Eq(GD(c_ * W0, eta, k_), c_ * GD(W0, eta / c_**2, k_)),
)
SYMBOLS = {
    "c": "a scale > 0 (per unit for BatchNorm, one for the layer for LayerNorm)",
    "eta": "GD step size",
    "k": "GD step",
    "W": "first-layer weights (the rows w_r feed the normalization)",
    "W_0": "the initialization",
    "L": "the loss ½‖f(X) − y‖²",
    r"\|\nabla L(W_k)\|": "gradient norm at step k",
    r"\|W_k\|": "weight norm at step k (per unit for BatchNorm)",
    r"\langle\nabla L(W),W\rangle": "inner product of the gradient with the weights",
    r"\mathrm{GD}": "GD(W_0, η, k): the k-th iterate of GD with step η from W_0",
}
#: every identity's relative error must be at most this; float64 leaves ≈ 1e-15
TOL = 1e-9
IDENTITIES = ("invariance", "orthogonality", "norm_growth", "effective_step")
NORM_HYPOTHESIS = "a normalization before the activation"
EPS_HYPOTHESIS = "eps negligible against the pre-activations' variance"
BIAS_HYPOTHESIS = "no bias before a LayerNorm"
SCALING_HYPOTHESIS = "the scaling is one the normalization absorbs"


def _decades(tol: float, error: float) -> float:
    """log10(tol/error): +inf for an exact 0, −inf for an infinite (diverged) or NaN error."""
    if error == 0:
        return math.inf
    return math.log10(tol / error) if math.isfinite(error) else -math.inf


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))


def _per_group(W: torch.Tensor, per_unit: bool) -> torch.Tensor:
    """Rows (per unit) or the whole matrix as one row."""
    return W if per_unit else W.reshape(1, -1)


def _gd(
    net: nc.NormalizedNet,
    params: nc.Params,
    X: torch.Tensor,
    y: torch.Tensor,
    lr: float,
    steps: int,
) -> tuple[list[nc.Params], nc.Trajectory]:
    """GD through ``nc.train``, every iterate's params kept."""
    iterates: list[nc.Params] = []
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=steps,
        track_activations=False,
        observe=lambda k, p: iterates.append({key: v.detach().clone() for key, v in p.items()}),
        progress=False,
    )
    return iterates, traj


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    n, d, m = cfg["n"], cfg["d"], cfg["width"]
    X = nc.sphere_inputs(n, d, seed=nc.derive_seed(seed, "inputs"))
    y = _lazy.uniform_labels(n, nc.derive_seed(seed, "labels"))
    net = nc.NormalizedNet(d, m, norm=cfg["norm"], bias=cfg["bias"], eps=cfg["eps"])
    params = net.init(nc.derive_seed(seed, "init"))
    per_unit = cfg["scaling"] == "per-unit"
    gen = nc.generator(nc.derive_seed(seed, "scales"))

    # invariance: f(C·W) against f(W), C drawn log-uniform in [0.1, 10]
    f0 = net(params, X)
    inv = 0.0
    for _ in range(cfg["scale_draws"]):
        C = torch.exp(
            math.log(10)
            * (2 * torch.rand(m if per_unit else 1, 1, generator=gen, dtype=torch.float64) - 1)
        )
        inv = max(
            inv, float((net({**params, "W": C * params["W"]}, X) - f0).abs().max() / f0.abs().max())
        )

    def loss(Wm: torch.Tensor, rest: nc.Params) -> torch.Tensor:
        return 0.5 * ((net({**rest, "W": Wm}, X) - y) ** 2).sum()

    # GD from W_0 with step η: orthogonality and the norm's growth at every step
    lr = cfg["lr"]
    iterates, traj = _gd(net, params, X, y, lr, cfg["steps"])
    # ∇L at every iterate, shared by the orthogonality, growth and effective-step checks
    grads = [grad(loss)(pk["W"], pk) for pk in iterates]
    ortho, growth = 0.0, 0.0
    for pk, pk1, g in zip(iterates[:-1], iterates[1:], grads[:-1], strict=True):
        G = _per_group(g, per_unit)
        Wg, Wg1 = _per_group(pk["W"], per_unit), _per_group(pk1["W"], per_unit)
        cos = (G * Wg).sum(1).abs() / (
            torch.linalg.vector_norm(G, dim=1) * torch.linalg.vector_norm(Wg, dim=1)
        )
        ortho = max(ortho, float(cos.max()))
        n1, n0 = (Wg1**2).sum(1), (Wg**2).sum(1)
        growth = max(growth, float(((n1 - n0 - lr**2 * (G**2).sum(1)).abs() / n1).max()))

    # effective step, one step at a time along the run: a step of η from c·W_k is c times a
    # step of η/c² from W_k (exact); whole trajectories are compared too, as a measurement only,
    # since the GD map expands some directions and rounding differences grow step by step
    eff, trajectory_gap = 0.0, 0.0
    final_loss = {}
    for c in cfg["scales"]:
        for pk, g in zip(iterates, grads, strict=True):
            big = c * pk["W"] - lr * grad(loss)(c * pk["W"], pk)
            small = pk["W"] - lr / c**2 * g
            eff = max(eff, _rel(big / c, small))
        start = {**params, "W": c * params["W"]}
        big_run, big_traj = _gd(net, start, X, y, lr, cfg["steps"])
        small_run, _ = _gd(net, params, X, y, lr / c**2, cfg["steps"])
        # a run that diverged stops early and cannot follow the other
        gaps = [_rel(b["W"], c * s["W"]) for b, s in zip(big_run, small_run, strict=False)]
        same_length = len(big_run) == len(small_run)
        trajectory_gap = max(trajectory_gap, max(gaps) if same_length else math.inf)
        final_loss[f"{c:g}"] = float(big_traj.loss[-1] / big_traj.loss[0])
    final_loss["1"] = float(traj.loss[-1] / traj.loss[0])

    errors = {
        "invariance": inv,
        "orthogonality": ortho,
        "norm_growth": growth,
        "effective_step": eff,
    }
    worst = max(errors.values())
    H = net.pre_activations(params, X)
    spread = (
        H.var(dim=0, unbiased=False).min()
        if cfg["norm"] == "batch"
        else H.var(dim=1, unbiased=False).min()
    )
    return nc.Outcome(
        hypotheses=[
            nc.Hypothesis(
                NORM_HYPOTHESIS, cfg["norm"] != "none", cfg["norm"], "BatchNorm or LayerNorm"
            ),
            nc.hypothesis(
                EPS_HYPOTHESIS,
                cfg["eps"] / float(spread),
                "<=",
                1e-12,
                note="ε over the smallest per-unit (BN) or per-input (LN) variance at init",
            ),
            nc.Hypothesis(
                BIAS_HYPOTHESIS,
                not (cfg["bias"] and cfg["norm"] == "layer"),
                "bias" if cfg["bias"] else "no bias",
                "BatchNorm subtracts a bias exactly; LayerNorm does not",
            ),
            nc.Hypothesis(
                SCALING_HYPOTHESIS,
                cfg["norm"] == "batch" or not per_unit,
                cfg["scaling"],
                "per-unit scales for BatchNorm, one scale for LayerNorm",
            ),
        ],
        conclusion_holds=worst <= TOL,
        predicted={key: nc.Bound(TOL, "<=") for key in IDENTITIES},
        measured={
            **errors,
            "trajectory_gap": trajectory_gap,
            "loss_ratio_after_steps_by_scale": final_loss,
        },
        tightness=nc.Tightness.margin(
            _decades(TOL, worst),
            "decades between the tolerance 1e-9 and the largest relative error of the four "
            "identities",
        ),
        details={
            "errors": errors,
            "final_loss": final_loss,
            "scales": list(cfg["scales"]),
            "lr": lr,
        },
        diverged=traj.diverged,
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(axes: Any, r: nc.CheckResult) -> None:
        ax_err, ax_loss = axes
        errors = r.details["errors"]
        ax_err.bar(range(len(IDENTITIES)), [max(errors[k], 1e-18) for k in IDENTITIES])
        ax_err.set_yscale("log")
        ax_err.axhline(TOL, color="k", ls="--", lw=1, label="tolerance 1e-9")
        ax_err.set_xticks(
            range(len(IDENTITIES)),
            ["invariance", "orthog.", "norm growth", "eff. step"],
            fontsize=7,
        )
        ax_err.set_ylabel("relative error", fontsize=7)
        ax_err.legend(fontsize=6)
        items = sorted(r.details["final_loss"].items(), key=lambda kv: float(kv[0]))
        scales = [float(k) for k, _ in items]
        ax_loss.loglog(scales, [v for _, v in items], "o-")
        nc.label_x_values(ax_loss, scales)
        ax_loss.set_xlabel("init scale c (same step η)")
        ax_loss.set_ylabel("loss after the run / initial loss", fontsize=7)

    return nc.record_figures(
        results,
        draw,
        "normalization-invariance: the four identities' errors, and what the init scale does",
        panels=("identities", "init scale"),
    )


# --- instances -------------------------------------------------------------------------------
BASE = {
    "n": 32,
    "d": 8,
    "width": 64,
    "norm": "batch",
    "bias": False,
    "eps": 0.0,
    "scaling": "per-unit",
    "scale_draws": 8,
    # not powers of two: those scale floats exactly, and the trajectories would agree bitwise
    "scales": (0.3, 3.0, 7.0),
    "lr": 1.0,
    "steps": 100,
}
QUICK = {"steps": 40, "scale_draws": 4}
INSTANCES = (
    nc.Instance(
        "batchnorm", BASE, "BatchNorm, ε = 0: per-unit scale invariance, exact", quick=QUICK
    ),
    nc.Instance(
        "layernorm",
        {**BASE, "norm": "layer", "scaling": "whole"},
        "LayerNorm, ε = 0, no bias: invariance to one scale for the whole layer",
        quick=QUICK,
    ),
    nc.Instance(
        "batchnorm-with-bias",
        {**BASE, "bias": True},
        "BatchNorm after Wx + b: the bias is subtracted with the mean, the identities still hold",
        quick=QUICK,
    ),
    nc.Instance(
        "layernorm-per-unit",
        {**BASE, "norm": "layer", "scaling": "per-unit"},
        "LayerNorm with the units scaled separately: the normalization mixes the scales",
        breaks=SCALING_HYPOTHESIS,
        quick=QUICK,
    ),
    nc.Instance(
        "layernorm-with-bias",
        {**BASE, "norm": "layer", "scaling": "whole", "bias": True},
        "LayerNorm after Wx + b: scaling W alone changes the output",
        breaks=BIAS_HYPOTHESIS,
        quick=QUICK,
    ),
    nc.Instance(
        "large-eps",
        {**BASE, "eps": 1.0},
        "BatchNorm with ε = 1, comparable to the pre-activations' variance: invariance lost",
        breaks=EPS_HYPOTHESIS,
        quick=QUICK,
    ),
    nc.Instance(
        "no-normalization",
        {**BASE, "norm": "none", "scaling": "whole"},
        "no normalization: a ReLU layer is 1-homogeneous, f(cW) = c·f(W), not invariant",
        breaks=NORM_HYPOTHESIS,
        quick=QUICK,
    ),
)

THEOREM = nc.Theorem(
    id="normalization-invariance",
    title="BatchNorm and LayerNorm make the loss scale-invariant; GD's effective step is η/‖w‖²",
    citation="lecture 001 (Batch/Layer Normalization); van Laarhoven 2017 (arXiv:1706.05350) "
    "§3; Arora, Li & Lyu, ICLR 2019 (arXiv:1812.03981) §2",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
