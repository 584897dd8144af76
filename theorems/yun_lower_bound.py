"""The lower bound of Yun, Sra, Jadbabaie, "Small ReLU networks are powerful memorizers",
NeurIPS 2019 (arXiv:1810.07770), §3 (the converse of Theorem 3.1); lecture 10, "A curious
observation on fitting the data".

Statement. A fully connected ReLU net with two hidden layers of widths d1, d2 and a scalar
output cannot memorize every dataset of N points when 2·d1·d2 + d2 + 2 < N. GD failing to fit
proves nothing, so the check encodes a measurable invariant that proves it (the paper's proof
text was not available to us; this is the line-restriction argument, with our exact count):

* on any line x = t·u the net is continuous and piecewise linear in t. Layer 1 puts at most d1
  kinks on the line; every layer-2 pre-activation is then linear on each of the ≤ d1 + 1 pieces
  and its ReLU adds at most one kink per piece; so f has at most d1 + d2·(d1 + 1) kinks:
      pieces(f on the line) ≤ (d1 + 1)(d2 + 1);
* N points on the line with alternating labels ±1 force N − 1 sign changes of f, each inside a
  different linear piece (a linear piece that is not identically 0 has one root at most):
      pieces(f) ≥ N − 1 for any f with sign f(x_i) = y_i, let alone f(x_i) = y_i.
So (d1 + 1)(d2 + 1) < N − 1 rules memorization out; it is implied by the paper's condition
because (d1 + 1)(d2 + 1) + 1 ≤ 2·d1·d2 + d2 + 2 whenever d2 ≥ 1 (our count is sharper, and
exact: the extremal net below attains it).

What is checked, exactly (rational arithmetic, ``ntkconv.PiecewiseLinear.relu_mlp``: every
float64 weight is a rational, and every kink on the whole line becomes a knot). On the
alternating dataset on the first coordinate axis of R^d, the pieces of: an extremal net built to
attain (d1 + 1)(d2 + 1) (a zigzag with d1 kinks whose d1 + 1 monotone pieces all cross every
layer-2 unit's level, half the units flipped so every layer-1 kink survives), random nets, and
nets trained by GD on the dataset; their exact values at the data against the float64 forward
pass; their sign changes along the data; and ``ntkconv.yun_memorizer``, which must refuse. The
tightness is the bound over the largest piece count measured: exactly 1, since the extremal net
attains the count, so the sharpened control (the count halved) must come out violated.
Controls: widths meeting Thm 3.1's condition, where the constructor memorizes the same
alternating data exactly (failed-without-hypothesis); and N between the two counts, where the
paper's condition fails but the sharper count still excludes memorization
(held-outside-hypotheses, an empirical finding about the bound's constant, not a verification).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
N_, d1_, d2_ = sp.symbols("N d_1 d_2", positive=True, integer=True)
THRESHOLD = 2 * d1_ * d2_ + d2_ + 2
PIECES = (d1_ + 1) * (d2_ + 1)
pieces = sp.Function(r"\mathrm{pieces}")
f_line = sp.Symbol(r"f|_{\ell}")
STATEMENT = sp.And(
    sp.Implies(sp.Lt(THRESHOLD, N_), sp.Symbol(r"\text{some dataset is not memorized}")),
    sp.Le(pieces(f_line), PIECES),
    sp.Ge(sp.Symbol(r"\mathrm{pieces\ needed}(\pm 1\ \text{alternating})"), N_ - 1),
)
SYMBOLS = {
    "N": "number of points (on a line, labels alternating ±1)",
    "d_1": "first hidden width",
    "d_2": "second hidden width",
    r"f|_{\ell}": "the net restricted to the line through the data",
}
threshold_fn = sp.lambdify((d1_, d2_), THRESHOLD, "math")
pieces_fn = sp.lambdify((d1_, d2_), PIECES, "math")
#: exact values at the data must match the float64 forward pass to this relative error
FORWARD_RTOL = 1e-9
Layers = list[tuple[list[list[Fraction]], list[Fraction]]]


# --- data and nets ---------------------------------------------------------------------------
def alternating_line(n: int, d: int) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """N points t_i = i − (N − 1)/2 on the first coordinate axis of R^d, labels (−1)^i."""
    t = [i - (n - 1) / 2 for i in range(n)]  # exact in float64
    X = torch.zeros(n, d, dtype=torch.float64)
    X[:, 0] = torch.tensor(t, dtype=torch.float64)
    y = torch.tensor([(-1.0) ** i for i in range(n)], dtype=torch.float64)
    return X, y, t


def line_layers(net: nc.ThreeLayerNet, params: nc.Params) -> Layers:
    """The net on the line t·e_1 as exact (W, b) layers: W1 e_1, then W2/√d1, then a/√d2
    (the NTK scaling of ``ThreeLayerNet``, with √m taken as its float64 value, as the forward
    pass does)."""

    def q(v: torch.Tensor) -> list[Any]:
        return [Fraction(x) for x in v.tolist()]

    s1, s2 = Fraction(math.sqrt(net.width1)), Fraction(math.sqrt(net.width2))
    b1 = q(params["b1"]) if "b1" in params else [Fraction(0)] * net.width1
    b2 = q(params["b2"]) if "b2" in params else [Fraction(0)] * net.width2
    return [
        ([[w] for w in q(params["W1"][:, 0])], b1),
        ([[w / s1 for w in q(row)] for row in params["W2"]], b2),
        ([[w / s2 for w in q(params["a"])]], [Fraction(0)]),
    ]


def extremal(net: nc.ThreeLayerNet) -> nc.Params:
    """Weights whose restriction to t·e_1 has exactly (d1 + 1)(d2 + 1) pieces (d1 ≥ 3, d2 ≥ 2).

    Layer 1 builds a zigzag z(t) = c + Σ_j v_j relu(σ_j(t − t_j)) whose d1 + 1 pieces (the two
    rays included) run between the levels +1 and −1 with slopes 1, −1, 1, −2, 1, −1, …; units 2
    and 3 point left (σ = −1), which makes the left ray's slope 1 (= −(v_2 + v_3)). Layer-2 unit
    k is relu(z − c_k) for even k and relu(c_k − z) for odd k, with distinct levels c_k in
    (−1, 1): each crosses zero once on every piece (d1 + 1 new kinks), and the maxima (even
    units) and minima (odd units) keep every layer-1 kink alive.
    """
    d1, d2 = net.width1, net.width2
    slopes = [Fraction(v) for v in (1, -1, 1, -2)] + [Fraction((-1) ** i) for i in range(4, d1 + 1)]
    knots = [Fraction(0)]
    for s in slopes[1:d1]:
        knots.append(knots[-1] + 2 / abs(s))
    v = [slopes[j] - slopes[j - 1] for j in range(1, d1 + 1)]
    sigma = [1, -1, -1] + [1] * (d1 - 3)
    at_first = sum(
        vj * max(sj * (knots[0] - tj), 0) for vj, sj, tj in zip(v, sigma, knots, strict=True)
    )
    c0 = 1 - at_first  # the left ray rises to a maximum z = +1 at the first kink
    levels = [Fraction(2 * k - d2 + 1, d2 + 1) for k in range(d2)]
    sign = [1 if k % 2 == 0 else -1 for k in range(d2)]
    W1 = torch.zeros(d1, net.d, dtype=torch.float64)
    W1[:, 0] = torch.tensor([float(s) for s in sigma], dtype=torch.float64)
    rt1, rt2 = math.sqrt(d1), math.sqrt(d2)
    f64 = {"dtype": torch.float64}
    return {
        "W1": W1,
        "b1": torch.tensor([float(-s * t) for s, t in zip(sigma, knots, strict=True)], **f64),
        "W2": torch.tensor([[float(s * vj) * rt1 for vj in v] for s in sign], **f64),
        "b2": torch.tensor([float(s * (c0 - c)) for s, c in zip(sign, levels, strict=True)], **f64),
        "a": torch.full((d2,), rt2, dtype=torch.float64),
    }


def random_params(net: nc.ThreeLayerNet, seed: int, spread: float) -> nc.Params:
    """Standard-normal weights, biases scaled by ``spread`` so kinks fall among the data."""
    gen = nc.generator(seed)
    shapes = net.param_shapes()
    return {
        k: torch.randn(s, generator=gen, dtype=torch.float64) * (spread if k[0] == "b" else 1.0)
        for k, s in shapes.items()
    }


def measure(
    net: nc.ThreeLayerNet, params: nc.Params, X: torch.Tensor, t: Sequence[float]
) -> dict[str, Any]:
    """Exact pieces on the line, sign changes along the data, and the float64 forward gap."""
    f = nc.PiecewiseLinear.relu_mlp(line_layers(net, params), contains=(min(t), max(t)))
    exact = [f(ti) for ti in t]
    forward = net(params, X).tolist()
    scale = max(1.0, max(abs(v) for v in forward))
    return {
        "pieces": f.pieces(),
        "sign_changes": sum(a * b < 0 for a, b in pairwise(exact)),
        "forward_gap": max(abs(float(e) - v) for e, v in zip(exact, forward, strict=True)) / scale,
        "curve": f,
    }


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    n, d, d1, d2 = cfg["n"], cfg["d"], cfg["d1"], cfg["d2"]
    X, y, t = alternating_line(n, d)
    net = nc.ThreeLayerNet(d, d1, d2, bias=True, trainable=("W1", "b1", "W2", "b2", "a"))
    rows = [{"net": "extremal", **measure(net, extremal(net), X, t)}]
    for k in range(cfg["random_nets"]):
        rows.append(
            {
                "net": f"random {k}",
                **measure(net, random_params(net, seed * 10_000 + k, n / 4), X, t),
            }
        )
    for k in range(cfg["gd_nets"]):
        start = random_params(net, 10**6 + seed * 100 + k, n / 4)
        traj = nc.train(
            net,
            start,
            X,
            y,
            lr=cfg["lr"],
            steps=cfg["steps"],
            reduction="mean",
            track_activations=False,
            progress=False,
        )
        rows.append({"net": f"gd {k}", **measure(net, traj.params, X, t)})
    try:
        built = nc.yun_memorizer(X, y, d1, d2)
    except ValueError as err:
        constructor = {"refused": True, "reason": str(err).split(";")[0]}
    else:
        constructor = {"refused": False, **measure(*built, X, t), "net": "yun_memorizer"}
        rows.append(constructor)
    bound = pieces_fn(d1, d2)
    most = max(r["pieces"] for r in rows)
    fits = max(r["sign_changes"] for r in rows)
    gap = max(r["forward_gap"] for r in rows)
    # the extremal net attains the count exactly: an undercount fails it as an overcount does
    exact = rows[0]["pieces"] == bound
    refused = constructor["refused"]
    holds = exact and most <= bound < n - 1 and fits < n - 1 and refused and gap <= FORWARD_RTOL
    curves = {}  # drawn: the extremal net, one GD net and the constructor's
    for r in rows:
        curve = r.pop("curve")
        if r["net"] in ("extremal", "gd 0", "yun_memorizer"):
            curves[r["net"]] = curve.to_dict()
    return nc.Outcome(
        hypotheses=[nc.hypothesis("2·d1·d2 + d2 + 2 < N", threshold_fn(d1, d2), "<", n)],
        conclusion_holds=holds,
        predicted={
            "pieces": nc.Bound(bound, "<="),
            "pieces_extremal": bound,
            "pieces_needed": n - 1,
            "sign_changes": nc.Bound(n - 2, "<="),
            "forward_gap": nc.Bound(FORWARD_RTOL, "<="),
            "constructor_refuses": True,
        },
        measured={
            "pieces": most,
            "pieces_extremal": rows[0]["pieces"],
            "pieces_needed": n - 1,
            "sign_changes": fits,
            "forward_gap": gap,
            "constructor_refuses": refused,
            "paper_threshold": threshold_fn(d1, d2),
            "sharp_threshold": bound + 1,
        },
        tightness=nc.Tightness.of_upper_bound(
            most,
            bound,
            "(d1 + 1)(d2 + 1) / the most pieces measured (the extremal net attains "
            "the count: 1 means the count is exact)",
        ),
        details={
            "rows": rows,
            "constructor": constructor,
            "t": t,
            "y": y.tolist(),
            "curves": curves,
        },
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        for name, c in r.details["curves"].items():
            pieces_of = next(x["pieces"] for x in r.details["rows"] if x["net"] == name)
            values, label = c["values"], f"{name} ({pieces_of} pieces)"
            if name == "extremal":  # its values run to ~10²: drawn rescaled onto [−2, 2]
                lo, hi = min(values), max(values)
                values = [4 * (v - lo) / (hi - lo) - 2 for v in values]
                label += ", rescaled"
            ax.plot(c["knots"], values, lw=1, label=label)
        ax.plot(r.details["t"], r.details["y"], "ko", ms=3, label="data (±1 alternating)")
        lo, hi = min(r.details["t"]), max(r.details["t"])
        ax.set_xlim(lo - 0.15 * (hi - lo) - 1, hi + 0.15 * (hi - lo) + 1)
        ax.set_ylim(-3, 3)
        ax.set_xlabel("t (the line through the data)")
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "yun-lower-bound: pieces on the line vs the N − 1 an alternating dataset needs",
        summaries=[("pieces measured vs (d1+1)(d2+1) and N − 1", _pieces)],
    )


def _pieces(ax: Any, results: Sequence[nc.CheckResult]) -> None:
    names = [r.instance for r in results]
    x = np.arange(len(results))
    ax.bar(x - 0.2, [r.measured["pieces"] for r in results], 0.4, label="most pieces measured")
    ax.bar(x + 0.2, [r.measured["pieces_needed"] for r in results], 0.4, label="N − 1 needed")
    ax.plot(
        x, [r.measured["sharp_threshold"] - 1 for r in results], "k_", ms=20, label="(d1+1)(d2+1)"
    )
    ax.set_xticks(x, names, rotation=20, fontsize=7)
    ax.legend(fontsize=6)


BASE = {
    "n": 39,
    "d": 3,
    "d1": 4,
    "d2": 4,
    "random_nets": 200,
    "gd_nets": 3,
    "lr": 0.05,
    "steps": 3000,
}
BELOW = nc.Instance(
    "alternating-line",
    BASE,
    "d1 = d2 = 4: 2·16 + 4 + 2 = 38 < N = 39 alternating points; at most 25 pieces, 38 needed",
    quick={"random_nets": 50, "gd_nets": 1, "steps": 1000},
)
INSTANCES = (
    BELOW,
    BELOW.sharpened(2.0, "the piece count halved: the extremal net has (d1 + 1)(d2 + 1) pieces"),
    nc.Instance(
        "between-counts",
        {**BASE, "n": 27},
        "N = 27: the paper's condition fails (38 ≥ 27) but 25 pieces < 26 needed still excludes "
        "memorization",
        quick=BELOW.quick,
        expect="held-outside-hypotheses",
    ),
    nc.Instance(
        "enough-width",
        {**BASE, "d1": 16, "d2": 16, "random_nets": 20, "gd_nets": 0},
        "d1 = d2 = 16 meet Thm 3.1 (4·4·4 = 64 ≥ 39): yun_memorizer fits the same alternating data",
        breaks="2·d1·d2 + d2 + 2 < N",
        quick={"random_nets": 5},
    ),
)

THEOREM = nc.Theorem(
    id="yun-lower-bound",
    title="2-hidden-layer ReLU nets with 2·d1·d2 + d2 + 2 < N cannot memorize N alternating points",
    citation="Yun, Sra, Jadbabaie, NeurIPS 2019 (arXiv:1810.07770), §3, the converse of Thm 3.1; "
    "lecture 10, 'A curious observation on fitting the data'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
