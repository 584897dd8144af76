"""Depth against size: Telgarsky, "Benefits of depth in neural networks", COLT 2016
(arXiv:1602.04485), Theorem 1.1; the companion lecture "Expressivity, optimization and
generalization" (a deep net that no shallow net of sub-exponential size approximates).

Statement (Thm 1.1, ReLU case). For every k ≥ 1 a ReLU net f with 2k³ + 8 layers and 3k³ + 12
nodes has ∫_[0,1] |f − g| ≥ 1/64 for every ReLU net g with ≤ k layers and ≤ 2^k nodes; the
paper's piece bound is (2m/l)^l along a line for l layers and m nodes (its Lemma 3.3 and
appendix). The check runs the same argument with sharper constants, each verified exactly here:

* the deep net is the sawtooth t^K (K layers of width 2, 2^K pieces);
* the class C_k: ReLU nets with ≤ k hidden layers and ≤ 2^k hidden nodes. Layer i multiplies
  the number of pieces on R by at most m_i + 1, because each unit's ReLU adds ≤ 1 kink per
  piece. So every g in C_k has at most P_k = max Π_i (m_i + 1) pieces, the maximum over widths
  m_1 + … + m_l ≤ 2^k with l ≤ k (≤ (2^k/l + 1)^l ≤ 2^{k²} for k ≥ 2);
* the tent count (as in depth-separation): g with P pieces has P − 1 kinks, and each tent of
  t^K free of kinks costs ≥ h/4, so ∫₀¹|t^K − g| ≥ (2^{K−1} − P + 1)·2^{−K−1};
* so depth K = k² + 2 already separates, with error ≥ 1/8 for every g in C_k (against the
  paper's 2k³ + 8 layers and 1/64, from its looser piece bound and L1 lemma).

What is checked, exactly (``ntkconv.PiecewiseLinear``, rational arithmetic): the deep net's
pieces through ``relu_mlp`` (2^K on [0, 1]) and its error 0; random nets of every depth l ≤ k
with balanced widths summing to 2^k, whose pieces on R must stay ≤ Π(m_i + 1) ≤ P_k and whose
exact L1 errors must stay ≥ the floor; and certified approximants from C_k: the shallow net with
2^k units that matches the leading tents exactly and stays at ½ beyond, and the depth-k sawtooth
t^k (2k nodes). Their exact errors sandwich the best error in C_k: floor ≤ optimum ≤ certified.
The tightness is certified/floor (within 5% at k = 3). Controls: K = k, where t^k itself lies
in C_k (error 0, failed-without-hypothesis), and the floor doubled (violated).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

import ntkconv as nc

from ._sawtooth import certified_shallow, deep_layers, exact, sawtooth

# --- statement -------------------------------------------------------------------------------
k_, K_, P_ = sp.symbols("k K P_k", positive=True, integer=True)
FLOOR = (2 ** (K_ - 1) - P_ + 1) / 2 ** (K_ + 1)
pieces = sp.Function(r"\mathrm{pieces}")
g_k, t_K = sp.Symbol("g"), sp.Symbol("t^{K}")
STATEMENT = sp.And(
    sp.Eq(pieces(t_K), 2**K_),
    sp.Le(pieces(g_k), P_),
    sp.Ge(sp.Symbol(r"\int_0^1 |t^{K} - g|\,dx"), FLOOR),
)
SYMBOLS = {
    "k": "the shallow class C_k: ≤ k hidden layers, ≤ 2^k hidden nodes",
    "K": "depth of the sawtooth t^K (width 2)",
    "P_k": "max over C_k of Π(m_i + 1): the most pieces a net in C_k has on R",
    "g": "any ReLU net in C_k",
}


def floor_of(K: int, P: int) -> Fraction:
    """The floor (2^(K−1) − P + 1)/2^(K+1), exactly, from the statement."""
    return exact(FLOOR, {K_: K, P_: P})


def balanced(total: int, layers: int) -> list[int]:
    """``layers`` widths as equal as possible, summing to ``total`` (maximizes Π(m_i + 1))."""
    q, r = divmod(total, layers)
    return [q + 1] * r + [q] * (layers - r)


def max_pieces(k: int) -> int:
    """P_k: the most pieces on R of a ReLU net with ≤ k hidden layers and ≤ 2^k nodes."""
    return max(math.prod(m + 1 for m in balanced(2**k, lay)) for lay in range(1, min(k, 2**k) + 1))


def random_net(widths: Sequence[int], rng: np.random.Generator) -> list[tuple[Any, Any]]:
    """Gaussian weights, biases spread so kinks fall in [0, 1] (inputs scaled like t^K's)."""
    sizes = (1, *widths, 1)
    return [
        (rng.normal(size=(o, i)), rng.normal(size=o) * (0.5 if j == 0 else 1.0))
        for j, (i, o) in enumerate(itertools.pairwise(sizes))
    ]


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    k, K = cfg["k"], cfg["depth"]
    target = sawtooth(K)
    deep = nc.PiecewiseLinear.relu_mlp(deep_layers(K), interval=(0, 1))
    P = max_pieces(k)
    floor = floor_of(K, P)
    rng = np.random.default_rng(seed)
    nets = []
    for layers in range(1, k + 1):
        widths = balanced(2**k, layers)
        for _ in range(cfg["random_nets"]):
            spec = random_net(widths, rng)
            on_line = nc.PiecewiseLinear.relu_mlp(spec)
            on_unit = nc.PiecewiseLinear.relu_mlp(spec, interval=(0, 1))
            nets.append(
                {
                    "net": f"random {widths}",
                    "pieces": on_line.pieces(),
                    "bound": math.prod(m + 1 for m in widths),
                    "l1": target.l1_distance(on_unit),
                }
            )
    certified = {
        f"shallow, {2**k} units": certified_shallow(K, 2**k, cfg["grid"]),
        f"t^{k} ({k} layers × 2)": sawtooth(k),
    }
    rows = [
        {"net": name, "pieces": g.pieces(), "bound": P, "l1": target.l1_distance(g), "curve": g}
        for name, g in certified.items()
    ]
    best = min(rows, key=lambda r: r["l1"])
    counted = all(r["pieces"] <= r["bound"] <= P for r in nets + rows)
    above = all(r["l1"] >= floor for r in nets + rows)
    exact_deep = deep.pieces() == 2**K and deep.l1_distance(target) == 0
    positive = floor > 0
    curves = {r["net"]: r.pop("curve").to_dict() for r in rows}
    for r in nets + rows:
        r["l1"] = float(r["l1"])
    worst_random = max((r["pieces"] / r["bound"] for r in nets), default=0.0)
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis("P_k − 1 < 2^(K−1)", P - 1, "<", 2 ** (K - 1), note="a positive floor")
        ],
        conclusion_holds=exact_deep and counted and above and positive,
        predicted={
            "pieces_t^K": 2**K,
            "max_pieces_C_k": nc.Bound(P, "<="),
            "l1_best_in_C_k": nc.Bound(float(floor), ">="),
        },
        measured={
            "pieces_t^K": deep.pieces(),
            "deep_l1_error": float(deep.l1_distance(target)),
            "max_pieces_C_k": max(r["pieces"] for r in nets + rows),
            "l1_best_in_C_k": best["l1"],
            "best_certified": best["net"],
            "floor": float(floor),
            "random_pieces_over_bound": worst_random,
            "min_random_l1": min((r["l1"] for r in nets), default=math.inf),
        },
        tightness=(
            nc.Tightness.of_lower_bound(
                best["l1"],
                float(floor),
                "best certified error in C_k / the floor (the optimum lies between)",
            )
            if positive
            else nc.Tightness.none("the floor is not positive: t^K has too few tents for C_k")
        ),
        details={"rows": rows, "random": nets, "curves": curves, "target": target.to_dict()},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        t = r.details["target"]
        ax.plot(t["knots"], t["values"], "k", lw=0.6, label=f"t^{r.config['depth']}")
        for name, c in r.details["curves"].items():
            err = next(x["l1"] for x in r.details["rows"] if x["net"] == name)
            ax.plot(c["knots"], c["values"], lw=1.2, label=f"{name}: L1 {err:.4f}")
        ax.set_title(f"floor {r.measured['floor']:.4f}", fontsize=7, loc="right")
        if r.config["depth"] >= 6:  # 2^(K−1) tents: show the first quarter of [0, 1]
            ax.set_xlim(0, 0.25)
            ax.set_xlabel("x (first quarter of [0, 1])", fontsize=7)
        ax.legend(fontsize=6)

    return nc.record_figures(
        results, draw, "telgarsky-depth: t^K against certified nets with ≤ k layers, ≤ 2^k nodes"
    )


BASE = {"k": 3, "depth": 11, "random_nets": 10, "grid": 8193}
SEPARATED = nc.Instance(
    "deep-vs-shallow",
    BASE,
    "t^11 (2048 pieces) against nets with ≤ 3 layers and ≤ 8 nodes (≤ 48 pieces)",
    quick={"k": 2, "depth": 8, "grid": 2049},
)
INSTANCES = (
    SEPARATED,
    SEPARATED.sharpened(2.0, "the floor doubled: the certified nets sit within 1.05× of it"),
    nc.Instance(
        "depth-k",
        {**BASE, "depth": 3},
        "K = k: t^k itself is in C_k (3 layers × 2 nodes), error 0",
        breaks="P_k − 1 < 2^(K−1)",
        quick={"k": 2, "depth": 2, "grid": 1025},
    ),
)

THEOREM = nc.Theorem(
    id="telgarsky-depth",
    title="A depth-K sawtooth, K = k² + 2, is 1/8 away in L1 from every net with ≤ k layers and "
    "≤ 2^k nodes",
    citation="Telgarsky, COLT 2016 (arXiv:1602.04485), Thm 1.1 and §3; companion lecture "
    "'Expressivity, optimization and generalization'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
