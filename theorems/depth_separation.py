"""Depth separation by the sawtooth — Telgarsky, "Benefits of depth in neural networks",
COLT 2016 (arXiv:1602.04485), §2–3; the companion lecture "Expressivity, optimization and
generalization" (efficient oscillations with composition).

Statement. The triangle map t(x) = 2relu(x) − 4relu(x − ½) sends [0, 1] onto itself with 2
linear pieces; composing it k times — a ReLU net of depth k and width 2 — gives the sawtooth
t^k with exactly 2^k pieces (2^{k−1} tents of width 2^{1−k}). A one-hidden-layer ReLU net of
width w is linear between its ≤ w kinks, so it has at most w + 1 pieces; matching t^k exactly
therefore needs w ≥ 2^k − 1. Quantitatively (the counting argument of Telgarsky's §3, with our
constant): on a tent that contains no kink of g, g is affine, and the best affine L1
approximation of a tent of width h is the constant ½ (by symmetry and convexity), with error h/4;
w kinks spoil at most w of the 2^{k−1} tents, so
    ∫₀¹ |t^k − g| ≥ (2^{k−1} − w)·2^{−k−1}   for every width-w one-hidden-layer net g.

What is checked, exactly (rational arithmetic, ``ntkconv.PiecewiseLinear``): the pieces of t^k
by composition; the deep net's float64 forward pass against it on the dyadic knots; then shallow
ReLU nets of widths w < 2^{k−1} fitted to t^k (kinks spread evenly, output weights by least
squares, then GD on all weights) — their pieces counted from the trained float weights (each a
rational), and their L1 error to t^k integrated exactly and compared with the floor. The
control takes w = 2^k units, kinks at j/2^k: the exact construction reaches error 0, because
the hypothesis w < 2^{k−1} behind the floor is broken.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
k_, w_ = sp.symbols("k w", positive=True, integer=True)
pieces = sp.Function(r"\mathrm{pieces}")
t_k, g_w = sp.Symbol("t^{k}"), sp.Symbol("g_{w}")
FLOOR = (2 ** (k_ - 1) - w_) / 2 ** (k_ + 1)
STATEMENT = sp.And(
    sp.Eq(pieces(t_k), 2**k_),
    sp.Le(pieces(g_w), w_ + 1),
    sp.Ge(sp.Symbol(r"\int_0^1 |t^{k} - g_{w}|\,dx"), FLOOR),
)
SYMBOLS = {
    "k": "compositions of the triangle map (depth k, width 2)",
    "w": "width of the one-hidden-layer ReLU net g_w",
    "t^{k}": "the sawtooth t∘…∘t",
    "g_{w}": "any one-hidden-layer ReLU net of width w on [0, 1]",
}
floor_fn = sp.lambdify((k_, w_), FLOOR)
TRIANGLE = nc.PiecewiseLinear.relu_units([1, 1], [0, Fraction(-1, 2)], [2, -4])


def sawtooth(k: int) -> nc.PiecewiseLinear:
    f = TRIANGLE
    for _ in range(k - 1):
        f = TRIANGLE.compose(f)
    return f


def deep_forward(x: torch.Tensor, k: int) -> torch.Tensor:
    """The depth-k, width-2 ReLU net computing t^k, in floating point."""
    for _ in range(k):
        x = 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)
    return x


def exact(net: nc.TwoLayerNet, params: nc.Params) -> nc.PiecewiseLinear:
    """The trained net as an exact piecewise-linear function (every float64 is rational)."""
    scale = math.sqrt(net.width)
    return nc.PiecewiseLinear.relu_units(
        params["W"][:, 0].tolist(),
        params["b"].tolist(),
        [Fraction(v) / Fraction(scale) for v in params["a"].tolist()],
    )


def fit_shallow(width: int, k: int, cfg: dict[str, Any], seed: int) -> nc.PiecewiseLinear:
    """A width-``width`` net fitted to t^k: kinks evenly spread, output weights by least
    squares, then GD on W, b, a (mean squared loss on a dyadic grid)."""
    x = torch.linspace(0, 1, cfg["grid"], dtype=torch.float64)[:, None]
    y = deep_forward(x[:, 0], k)
    net = nc.TwoLayerNet(1, width, trainable=("W", "b", "a"), bias=True)
    gen = nc.generator(seed)
    kinks = (torch.arange(width, dtype=torch.float64) + torch.rand(width, generator=gen)) / width
    features = torch.relu(x - kinks) / math.sqrt(width)
    params = {
        "W": torch.ones(width, 1, dtype=torch.float64),
        "b": -kinks,
        "a": nc.min_norm_lstsq(features, y),
    }
    traj = nc.train(
        net,
        params,
        x,
        y,
        lr=cfg["lr"],
        steps=cfg["steps"],
        reduction="mean",
        track_activations=False,
        progress=False,
    )
    return exact(net, traj.params)


def construction(k: int) -> nc.PiecewiseLinear:
    """t^k exactly with 2^k units: kinks at j/2^k, output weights the slope changes."""
    f = sawtooth(k)
    slopes = [
        (y1 - y0) / (x1 - x0)
        for x0, x1, y0, y1 in zip(f.xs, f.xs[1:], f.ys, f.ys[1:], strict=False)
    ]
    changes = [slopes[0]] + [s - r for r, s in itertools.pairwise(slopes)]
    return nc.PiecewiseLinear.relu_units([1] * len(changes), [-x for x in f.xs[:-1]], changes)


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    k = cfg["k"]
    target = sawtooth(k)
    knots = torch.tensor([float(x) for x in target.xs], dtype=torch.float64)
    deep_err = float(
        (deep_forward(knots, k) - torch.tensor([float(v) for v in target.ys])).abs().max()
    )
    rows = []
    for w in cfg["widths"]:
        g = construction(k) if w >= 2**k else fit_shallow(w, k, cfg, seed)
        l1 = target.l1_distance(g)
        rows.append(
            {
                "width": w,
                "pieces": g.pieces(),
                "l1_error": float(l1),
                "floor": float(floor_fn(k, w)),
                "sup_error": float(target.sup_distance(g)),
                "ok": g.pieces() <= w + 1 and l1 >= Fraction(2 ** (k - 1) - w, 2 ** (k + 1)),
                "separated": 2 ** (k - 1) - w > 0,
                "curve": g.to_dict(),
            }
        )
    floored = [r for r in rows if r["floor"] > 0]
    tightness = (
        nc.Tightness.of_lower_bound(
            [r["l1_error"] for r in floored],
            [r["floor"] for r in floored],
            "min over widths of ∫|t^k − g_w| / the floor (2^(k−1) − w)/2^(k+1); the piece "
            "counts are equalities",
        )
        if floored
        else nc.Tightness.none("no width below 2^(k−1): no floor to compare with")
    )
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "w < 2^(k−1)", max(cfg["widths"]), "<", 2 ** (k - 1), note="2^(k−1), every width"
            )
        ],
        conclusion_holds=target.pieces() == 2**k
        and all(r["ok"] and r["l1_error"] > 0 for r in rows),
        predicted={
            "pieces_t^k": 2**k,
            **{f"l1_w={r['width']}": nc.Bound(r["floor"], ">=") for r in rows},
            **{f"pieces_w={r['width']}": nc.Bound(r["width"] + 1, "<=") for r in rows},
        },
        measured={
            "pieces_t^k": target.pieces(),
            "deep_net_float64_error": deep_err,
            **{f"l1_w={r['width']}": r["l1_error"] for r in rows},
            **{f"pieces_w={r['width']}": r["pieces"] for r in rows},
        },
        tightness=tightness,
        details={"target": target.to_dict(), "rows": rows},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        t = r.details["target"]
        ax.plot(t["knots"], t["values"], "k", lw=1.5, label=f"t^{r.config['k']}")
        for row in r.details["rows"]:
            ax.plot(
                row["curve"]["knots"], row["curve"]["values"], lw=1, label=f"w = {row['width']}"
            )
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "depth-separation: the sawtooth t^k against one-hidden-layer nets",
        summaries=[("L1 error vs floor", _errors)],
    )


def _errors(ax: Any, results: Sequence[nc.CheckResult]) -> None:
    for r in results:
        rows = [x for x in r.details["rows"] if x["floor"] > 0]
        if rows:
            w = [x["width"] for x in rows]
            ax.plot(w, [x["l1_error"] for x in rows], "o-", label=f"{r.instance}: measured")
            ax.plot(w, [x["floor"] for x in rows], "k--", label="floor (2^(k−1) − w)/2^(k+1)")
    ax.set_xlabel("width w")
    ax.set_ylabel("∫|t^k − g|")
    ax.legend(fontsize=6)


BASE = {"k": 5, "widths": (2, 4, 8, 12), "grid": 4097, "lr": 0.01, "steps": 1500}
INSTANCES = (
    nc.Instance(
        "sawtooth",
        BASE,
        "t^5 (32 pieces) against shallow widths 2 … 12",
        quick={"k": 4, "widths": (2, 4, 6)},
    ),
    nc.Instance(
        "enough-units",
        {**BASE, "widths": (32,)},
        "w = 2^k units with kinks at j/2^k represent t^k exactly: no floor",
        breaks="w < 2^(k−1)",
        quick={"k": 4, "widths": (16,)},
    ),
)

THEOREM = nc.Theorem(
    id="depth-separation",
    title="The sawtooth t^k has 2^k pieces; width-w shallow nets stay ≥ (2^(k−1) − w)/2^(k+1) away",
    citation="Telgarsky, COLT 2016 (arXiv:1602.04485), §2–3",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
