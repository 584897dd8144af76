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
by composition; the deep net's float64 forward pass against it on the dyadic knots; then, for
each width w < 2^(k−1), a certified shallow approximant, i.e. a real width-w net whose L1 error
to t^k is integrated exactly, so it is an upper bound on the best error any width-w net can
reach: floor ≤ optimum ≤ certified. Its units are spent where the counting argument says they
pay: ⌊(w − 2)/2⌋ leading tents matched exactly (a kink at every peak and valley), then one kink
where the next rise reaches ½ and the constant ½ beyond; output weights by least absolute
deviations (an LP, HiGHS). Its pieces (≤ w + 1) and its error (≥ the floor) are checked, and the
tightness is min_w error/floor: the sharpened control doubles the floor and must fail (at
w = 2 the certified net is 1.125× the floor for k = 5). The control takes w = 2^k units, kinks
at j/2^k: the exact construction reaches error 0, because the hypothesis w < 2^(k−1) behind the
floor is broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise
from typing import Any

import sympy as sp
import torch

import ntkconv as nc

from ._sawtooth import certified_shallow, deep_forward, exact, kinks_used, sawtooth

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


def floor_of(k: int, w: int) -> Fraction:
    """The floor (2^(k−1) − w)/2^(k+1), exactly, from the statement."""
    return exact(FLOOR, {k_: k, w_: w})


def construction(k: int) -> nc.PiecewiseLinear:
    """t^k exactly with 2^k units: kinks at j/2^k, output weights the slope changes."""
    slopes = sawtooth(k).slopes()
    changes = [slopes[0]] + [s - r for r, s in pairwise(slopes)]
    return nc.PiecewiseLinear.relu_units(
        [1] * len(changes), [-x for x in sawtooth(k).xs[:-1]], changes
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    k = cfg["k"]
    target = sawtooth(k)
    knots = torch.tensor([float(x) for x in target.xs], dtype=torch.float64)
    deep_err = float(
        (deep_forward(knots, k) - torch.tensor([float(v) for v in target.ys])).abs().max()
    )
    rows = []
    for w in cfg["widths"]:
        g = construction(k) if w >= 2**k else certified_shallow(k, w, cfg["grid"])
        units = 2**k if w >= 2**k else kinks_used(k, w)
        l1 = target.l1_distance(g)
        rows.append(
            {
                "width": w,
                "pieces": g.pieces(),
                "l1_error": float(l1),
                "floor": float(floor_of(k, w)),
                "sup_error": float(target.sup_distance(g)),
                "units": units,
                "ok": g.pieces() <= w + 1 and l1 >= floor_of(k, w) and units <= w,
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
        if not rows:
            continue
        w = [x["width"] for x in rows]
        if r.sharpen is not None:  # the same nets as its instance: only its claimed floor is new
            floor = [r.sharpen * x["floor"] for x in rows]
            ax.plot(w, floor, "k:", label=f"{r.instance}: floor ×{r.sharpen:g}")
            continue
        ax.plot(w, [x["l1_error"] for x in rows], "o-", label=f"{r.instance}: measured")
        ax.plot(w, [x["floor"] for x in rows], "k--", label="floor (2^(k−1) − w)/2^(k+1)")
    ax.set_xlabel("width w")
    ax.set_ylabel("∫|t^k − g|")
    ax.legend(fontsize=6)


BASE = {"k": 5, "widths": (2, 4, 8, 12), "grid": 1025}
SAWTOOTH = nc.Instance(
    "sawtooth",
    BASE,
    "t^5 (32 pieces) against certified shallow approximants of widths 2 … 12",
    quick={"k": 4, "widths": (2, 4, 6)},
)
INSTANCES = (
    SAWTOOTH,
    SAWTOOTH.sharpened(2.0, "the floor doubled: the certified width-2 net is 1.1× the floor"),
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
