"""Small ReLU nets memorize: Yun, Sra, Jadbabaie, "Small ReLU networks are powerful memorizers: a
tight analysis of memorization capacity", NeurIPS 2019 (arXiv:1810.07770), Theorem 3.1 and its
matching lower bound; lecture 10, "A curious observation on fitting the data".

Statement (Theorem 3.1, as stated in the issue we encode; scalar labels, d_y = 1). For any N
points with distinct x_i and labels y_i ∈ [−1, 1], a 3-layer fully connected ReLU network with
hidden widths d1, d2 memorizes them (f(x_i) = y_i) when 4⌊d1/4⌋⌊d2/4⌋ ≥ N: Θ(√N) hidden units,
Θ(N) parameters. Conversely a 2-hidden-layer scalar-output net with 2·d1·d2 + d2 + 2 < N
cannot memorize some dataset, so the count is tight up to a constant.

What is checked. ``ntkconv.yun_memorizer`` writes the weights down (our construction for the
same width condition, described step by step in ``ntkconv.constructions``: the paper's proof
text was not available to us) at the smallest square widths meeting the condition, and the
forward pass in float64 must reproduce the labels to max_i |f(x_i) − y_i| ≤ 1e-8·max|y|. The
classification variant (labels ±1) needs only the sign: every |f(x_i) − y_i| < 1/2. Recorded
per instance: N, d1, d2, the parameter count next to the condition and the lower bound, the error,
the error of the same weights in float32, max |weight|, and the construction time.
Hypotheses: distinct inputs, labels in [−1, 1], the width condition, and that the weights are the
construction's (the GD control replaces them by gradient descent on the same architecture).

Classification variant (labels in K classes, one-hot outputs f(x_i) = e_(y_i), a third hidden
layer): the condition read from the paper's ImageNet example, 4⌊d1/4⌋⌊d2/4⌋ ≥ N and d3 ≥ 4K.
``ntkconv.yun_classifier`` memorizes the class index with the first two layers and decodes it
with K units; recorded next to its weight count is the count of the three-layer route that
memorizes the one-hot vectors as K real outputs, and the conclusion also requires the returned
net to have the requested widths and K outputs. Below d3 = K no weights can memorize (the outputs
span rank ≤ d3 < K = the labels' rank, measured): the constructor's refusal there is forced.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
N_, d1_, d2_ = sp.symbols("N d_1 d_2", positive=True, integer=True)
CAPACITY = 4 * sp.floor(d1_ / 4) * sp.floor(d2_ / 4)
LOWER = 2 * d1_ * d2_ + d2_ + 2
x_i, y_i = sp.symbols("x_i y_i")
# for some θ and every i = 1..N
MEMORIZES = sp.Eq(sp.Function("f_theta")(x_i), y_i)
STATEMENT = sp.Implies(sp.Ge(CAPACITY, N_), MEMORIZES)
SYMBOLS = {
    "N": "number of points (distinct x_i, labels in [−1, 1])",
    "d_1": "first hidden width",
    "d_2": "second hidden width",
    "K": "number of classes (classification variant: f(x_i) = e_(y_i), a third hidden layer)",
    "d_3": "third hidden width (classification variant)",
}
#: The classification variant (labels in K = d_y classes, one-hot outputs, a third hidden
#: layer): 4⌊d1/4⌋⌊d2/4⌋ ≥ N and d3 ≥ 4K, with the constants of the paper's own example (ImageNet,
#: N = 10⁶, K = 10³: hidden widths 2000-2000-4000).
K_, d3_ = sp.symbols("K d_3", positive=True, integer=True)
CLASSIFIER_WIDTH = 4 * K_
capacity = sp.lambdify((d1_, d2_), CAPACITY, "math")
lower_bound_params = sp.lambdify((d1_, d2_), LOWER, "math")
Weights = dict[str, torch.Tensor]
TOL = 1e-8  # max|f(x_i) − y_i| / max|y| for regression labels


def minimal_width(n: int) -> int:
    """The smallest d1 = d2 with 4⌊d1/4⌋² ≥ N (a multiple of 4)."""
    return 4 * math.ceil(math.sqrt(n) / 2)


def _residuals(net: nc.ThreeLayerNet, params: Weights, X: torch.Tensor, y: torch.Tensor) -> dict:
    """|f(x_i) − y_i| (float64 labels) for the weights and inputs in float64 and in float32."""
    return {
        str(dtype).removeprefix("torch."): nc.abs_residuals(
            net, {k: v.to(dtype) for k, v in params.items()}, X.to(dtype), y
        )
        for dtype in (torch.float64, torch.float32)
    }


def _gd_weights(
    net: nc.ThreeLayerNet, X: torch.Tensor, y: torch.Tensor, cfg: dict[str, Any], seed: int
) -> Weights:
    """The same architecture trained by full-batch GD on all weights from a scaled init."""
    trained = nc.ThreeLayerNet(
        net.d, net.width1, net.width2, "relu", trainable=("W1", "b1", "W2", "b2", "a"), bias=True
    )
    params = trained.init(seed, scale=1.0 / math.sqrt(X.shape[1]))
    traj = nc.train(
        trained,
        params,
        X,
        y,
        lr=cfg["gd_lr"],
        steps=cfg["gd_steps"],
        reduction="half_mean",
        progress=False,
    )
    return traj.params


# --- measurement -----------------------------------------------------------------------------
def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    if "classes" in cfg:
        return evaluate_classifier(cfg, seed)
    X, y = nc.memorization_data(cfg["data"], cfg["n"], cfg["d"], seed)
    n = X.shape[0]
    width = minimal_width(n) if cfg["width"] == "minimal" else int(cfg["width"])
    net = nc.ThreeLayerNet(X.shape[1], width, width, "relu", bias=True)
    classes = cfg["data"] == "classes"
    distinct = int(torch.unique(X, dim=0).shape[0])
    refused, seconds, params = None, math.nan, None
    if cfg["weights"] == "construction":
        start = time.perf_counter()
        try:
            net, params = nc.yun_memorizer(X, y, width, width, seed=seed, rtol=None)
        except ValueError as err:
            refused = str(err)
        seconds = time.perf_counter() - start
    else:
        params = _gd_weights(net, X, y, cfg, seed)
    residuals = _residuals(net, params, X, y) if params is not None else {}
    errors = {k: float(r.max() / y.abs().max()) for k, r in residuals.items()}
    err64 = errors.get("float64", math.inf)
    tol = 0.5 if classes else TOL
    n_params = net.n_params(("W1", "b1", "W2", "b2", "a"))
    # the construction's projection (a GD net has none: the one it would have chosen; a refused
    # one the first axis)
    if params is None:
        u = torch.eye(X.shape[1], dtype=torch.float64)[0]
    else:
        u = params["W1"][0] if cfg["weights"] == "construction" else nc.projection(X, seed)
    proj = X @ u
    order = torch.argsort(proj)
    zr = proj[order]
    gap = float((zr[1:] - zr[:-1]).min())
    span = float(zr[-1] - zr[0])
    floor = nc.rounding_floor(X, y, u)
    cap = capacity(width, width)
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis("distinct inputs", distinct, "==", n, note="rows of X"),
            nc.hypothesis("labels in [-1, 1]", float(y.abs().max()), "<=", 1.0, note="max|y|"),
            nc.hypothesis("width condition 4⌊d1/4⌋⌊d2/4⌋ ≥ N", cap, ">=", n, note="N"),
            nc.float64_hypothesis(floor, tol),
            nc.Hypothesis(
                "weights written down by the construction",
                cfg["weights"] == "construction",
                cfg["weights"],
                "ntkconv.yun_memorizer",
            ),
        ],
        conclusion_holds=bool(refused is None and err64 <= tol),
        predicted={"relative_error_float64": nc.Bound(tol, "<=")},
        measured={
            "N": n,
            "d1": width,
            "d2": width,
            "n_params": n_params,
            "capacity_4_floor_d1_4_floor_d2_4": cap,
            "lower_bound_2_d1_d2_plus_d2_plus_2": lower_bound_params(width, width),
            "params_per_point": n_params / n,
            "relative_error_float64": err64,
            "relative_error_float32": errors.get("float32", math.inf),
            "max_abs_weight": max(float(v.abs().max()) for v in params.values())
            if params is not None
            else math.nan,
            "construction_seconds": seconds,
            "smallest_gap_over_span": gap / span if span > 0 else math.nan,
            "float64_floor_estimate": floor,
            "refused": refused is not None,
        },
        tightness=nc.Tightness.of_upper_bound(
            err64,
            tol,
            "tolerance / max_i |f(x_i) − y_i| / max|y| in float64"
            + (" (classification: the sign, |error| < 1/2)" if classes else ""),
        ),
        details={
            "refusal": refused,
            "residual": residuals["float64"].numpy() if residuals and n <= 5000 else None,
            "order": order.numpy() if n <= 5000 else None,
            "tol": tol,
        },
    )


def one_hot_route_params(n: int, d: int, k: int) -> int:
    """Weights of the three-layer alternative: the one-hot vectors as K real outputs, at the
    smallest square width with 4⌊w/4⌋⌊w/(4K)⌋ ≥ N (Theorem 3.1 with d_y = K)."""
    w = 4 * k
    while nc.yun_capacity(w, w, out_dim=k) < n:
        w += 4
    return d * w + w + w * w + w + k * w


def evaluate_classifier(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    """The classification variant: ``nc.yun_classifier`` at the square widths of Theorem 3.1
    and a third width ``cfg["width3"]`` (an int, or "paper" for 4K)."""
    X, _ = nc.memorization_data("gaussian", cfg["n"], cfg["d"], seed)
    n, d, k = X.shape[0], X.shape[1], int(cfg["classes"])
    used = int(cfg.get("used_classes", k))  # fewer: classes k − used … k − 1 never occur
    labels = torch.randint(0, used, (n,), generator=nc.generator(seed + 1))
    width = minimal_width(n)
    width3 = 4 * k if cfg["width3"] == "paper" else int(cfg["width3"])
    net = nc.DeepNet(d, (width, width, width3), out_dim=k, bias=True, c_sigma=1.0)
    onehot = torch.nn.functional.one_hot(labels, k).double()
    refused, params = None, None
    start = time.perf_counter()
    try:
        net, params = nc.yun_classifier(X, labels, width, width, width3, classes=k, seed=seed)
    except ValueError as err:
        refused = str(err)
    seconds = time.perf_counter() - start
    errors = {}
    for dtype in (torch.float64, torch.float32) if params is not None else ():
        out = net({k_: v.to(dtype) for k_, v in params.items()}, X.to(dtype))
        # a net with the wrong number of outputs misses the labels entirely
        errors[str(dtype).removeprefix("torch.")] = (
            float((out - onehot).abs().max()) if out.shape == onehot.shape else math.inf
        )
    err64 = errors.get("float64", math.inf)
    u = params["W1"][0] if params is not None else nc.projection(X, seed)
    # f(x_i) = A h3(x_i)/√d3 lies in A's column space: exact one-hot outputs need d3 ≥ rank
    label_rank = int(torch.linalg.matrix_rank(onehot))
    n_params = net.n_params(net.param_shapes())
    alternative = one_hot_route_params(n, d, k)
    as_requested = net.widths == (width, width, width3) and net.out_dim == k
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis("distinct inputs", int(torch.unique(X, dim=0).shape[0]), "==", n),
            nc.hypothesis("labels in K ≥ 2 classes", k, ">=", 2, note="K"),
            nc.hypothesis("width condition 4⌊d1/4⌋⌊d2/4⌋ ≥ N", capacity(width, width), ">=", n),
            nc.hypothesis("third width d3 ≥ 4K", width3, ">=", 4 * k, note="4K"),
            nc.float64_hypothesis(nc.rounding_floor(X, labels.double(), u), TOL),
        ],
        conclusion_holds=bool(refused is None and as_requested and err64 <= TOL),
        predicted={"max_error_float64": nc.Bound(TOL, "<=")},
        measured={
            "N": n,
            "K": k,
            "classes_present": int(torch.unique(labels).numel()),
            "architecture_as_requested": as_requested,
            "d1": width,
            "d2": width,
            "d3": width3,
            "rank_of_one_hot_labels": label_rank,
            "n_params": n_params,
            "n_params_one_hot_as_outputs": alternative,
            "params_ratio_outputs_over_classifier": alternative / n_params,
            "max_error_float64": err64,
            "max_error_float32": errors.get("float32", math.inf),
            "construction_seconds": seconds,
            "refused": refused is not None,
        },
        tightness=nc.Tightness.of_upper_bound(
            err64, TOL, "tolerance / max_i |f(x_i) − e_(y_i)| in float64"
        ),
        details={"refusal": refused},
    )


# --- figure ----------------------------------------------------------------------------------
def gadget_demo(seed: int = 0) -> dict[str, np.ndarray]:
    """A 12-point example in 2-D for the figure: the constructed f along the projection."""
    X, y = nc.memorization_data("gaussian", 12, 2, seed)
    net, params = nc.yun_memorizer(X, y, 8, 12, seed=seed)
    u = params["W1"][0]
    z = X @ u
    grid = torch.linspace(float(z.min()) - 0.3, float(z.max()) + 0.3, 800, dtype=torch.float64)
    G = grid[:, None] * u[None, :]  # points along u: the net sees only uᵀx
    _, Z2 = net.preactivations(params, G)
    return {
        "grid": grid.numpy(),
        "f": net(params, G).numpy(),
        "z": z.numpy(),
        "y": y.numpy(),
        "layer1_kinks": -params["b1"][params["W1"].abs().sum(1) > 0].numpy(),
        "units": (torch.relu(Z2) * params["a"] / math.sqrt(net.width2)).numpy(),
    }


def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        d = r.details
        res = np.asarray(d["residual"])[np.asarray(d["order"])]
        ax.semilogy(np.arange(res.size), nc.log_floor(res, 1e-18), ".", ms=2)
        ax.axhline(d["tol"], color="k", ls="--", lw=1, label="tolerance")
        ax.set_xlabel("points sorted by projection")
        ax.set_ylabel("|f(x_i) − y_i|", fontsize=7)
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "yun-memorization: explicit 3-layer memorizers at the width condition",
        summaries=[("12 points in 2-D: f along the projection", _gadget)],
        select=lambda r: r.details.get("residual") is not None,
    )


def _gadget(ax: Any, results: Sequence[nc.CheckResult]) -> None:
    """The construction on 12 points in 2-D: every unit and their sum f along the projection."""
    demo = gadget_demo()
    for col in demo["units"].T:
        if np.abs(col).max() > 0:
            ax.plot(demo["grid"], col, lw=0.6, alpha=0.5)
    ax.plot(demo["grid"], demo["f"], "k", lw=1.5, label="f(z)")
    ax.plot(demo["z"], demo["y"], "o", color="C3", label="(z_i, y_i)")
    for k in demo["layer1_kinks"]:
        ax.axvline(k, color="gray", lw=0.5, ls=":")
    ax.set_ylim(-3, 3)
    ax.set_xlabel("z = uᵀx (dotted: α_a, β_a; thin: units)", fontsize=8)
    ax.legend(fontsize=6)


#: N = 200: the largest round N whose float64 floor stays 3× inside the margin at every one of
#: 300 seeds (Gaussian: max floor 2.8e-11; N = 500 exceeds 1e-10 at 18 % of seeds).
BASE = {"data": "gaussian", "n": 200, "d": 10, "width": "minimal", "weights": "construction"}
CLASSES = {"classes": 10, "n": 200, "d": 10, "width3": "paper"}
INSTANCES = (
    nc.Instance("gaussian", BASE, "N = 200 Gaussian points in R^10, labels U[−1, 1]"),
    nc.Instance(
        "manifold",
        {**BASE, "data": "manifold"},
        "N = 200 points spread along a closed curve in R^10 (1-D data, 10-D inputs)",
    ),
    nc.Instance(
        "random-classes-1e5",
        {**BASE, "data": "classes", "n": 100_000},
        "classification variant at scale: N = 10^5 Gaussian points in R^10, random ±1 labels",
        quick={"n": 20_000},
    ),
    nc.Instance(
        "classes-10",
        {**CLASSES},
        "classification variant: N = 200 points in R^10, K = 10 classes, one-hot outputs, "
        "d3 = 4K = 40",
    ),
    nc.Instance(
        "classes-absent",
        {**CLASSES, "used_classes": 7},
        "K = 10 outputs, labels drawn from the first 7 classes only: the net must still have 10",
    ),
    nc.Instance(
        "classes-decoder-k",
        {**CLASSES, "width3": 10},
        "d3 = K = 10 < 4K: our decoder needs one unit per class, the rank bound's minimum",
        expect="held-outside-hypotheses",
    ),
    nc.Instance(
        "classes-rank-deficient",
        {**CLASSES, "width3": 9},
        "d3 = 9 < K = 10: outputs A·h3 have rank ≤ 9 < rank of the 10 one-hot labels, so no "
        "weights memorize them",
        breaks="third width d3 ≥ 4K",
    ),
    nc.Instance(
        "below-width-condition",
        {**BASE, "width": 28},
        "d1 = d2 = 28: 4·7·7 = 196 < N = 200, the constructor refuses",
        breaks="width condition 4⌊d1/4⌋⌊d2/4⌋ ≥ N",
    ),
    nc.Instance(
        "gradient-descent",
        {**BASE, "weights": "gd", "gd_lr": 1.0, "gd_steps": 3000},
        "the same 32 × 32 architecture trained by GD (all weights) instead of constructed",
        breaks="weights written down by the construction",
        quick={"gd_steps": 1500},
    ),
    nc.Instance(
        "near-duplicates",
        {**BASE, "data": "near-duplicates", "n": 400},
        "200 pairs 1e-6 apart with independent labels: exact in real arithmetic, but the steps "
        "across those gaps amplify float64 rounding past 1e-8",
        breaks="float64 resolves the projections",
    ),
    nc.Instance(
        "duplicate-conflict",
        {**BASE, "data": "duplicate-conflict"},
        "x_1 = x_0 with y_1 ≠ y_0: no function memorizes it; the constructor names the rows",
        breaks="distinct inputs",
    ),
)

THEOREM = nc.Theorem(
    id="yun-memorization",
    title="3-layer ReLU nets with Θ(√N) hidden units memorize N points",
    citation="Yun, Sra, Jadbabaie, NeurIPS 2019 (arXiv:1810.07770), Thm 3.1 and lower bound; "
    "lecture 10, 'A curious observation on fitting the data'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
