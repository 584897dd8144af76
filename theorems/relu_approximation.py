"""Universal approximation in one dimension by ReLU rectangles — the companion lecture
"Expressivity, optimization and generalization" (its ``rect`` construction, after Conner
Davis's answer "Is a single layered ReLU network still a universal approximator?"); the
classical statement is Cybenko 1989 / Leshno, Lin, Pinkus, Schocken 1993.

Statement. Four ReLUs make an ε-sharp rectangle
    rect(x; a, b) = [relu(x − a) − relu(x − a − ε) − relu(x − b) + relu(x − b − ε)]/ε,
0 outside [a, b + ε], 1 on [a + ε, b], linear ramps between. Cut [0, 1] into K cells of width
1/K and stack one rectangle per cell with the height f(c_i) at the cell's midpoint c_i: a
one-hidden-layer net of 4K ReLUs. On a plateau every point is within 1/(2K) of c_i; on a ramp
the net is a convex combination of two neighbouring heights, the farther one within
1/(2K) + ε. Hence, with ω_f the modulus of continuity,
    sup_{[0,1]} |f − g_K| ≤ ω_f(1/(2K) + ε) ≤ ω_f(1/K)   (ε ≤ 1/(2K)),
and for an L-Lipschitz f, sup |f − g_K| ≤ L(1/(2K) + ε) → L/(2K) as ε → 0.

What is checked. ``ntkconv.rectangle_net`` builds the net as a ``TwoLayerNet(1, 4K)``; its
float64 forward pass is compared with f on a grid holding every kink, 200 points per plateau
and 64 per ramp (ε = 0.05/K), and the sup is certified between grid points: on a segment where
the net has slope s, |f − g| ≤ max of the endpoint errors + (L + |s|)·(segment length)/2.
That certified sup must sit below L(1/(2K) + ε) for every K. Hypothesis: f is L-Lipschitz for
the L the bound uses, measured as the largest difference quotient on the grid. The control, √x
with L = 1, breaks it (the quotient near 0 is unbounded) and its error exceeds L(1/(2K) + ε);
its grid sup against the ω-form √(1/(2K) + ε) is reported (the certificate assumes L, so it is
not a proof there).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
K_, L_, eps_ = sp.symbols(r"K L \varepsilon", positive=True)
BOUND = L_ * (1 / (2 * K_) + eps_)
STATEMENT = sp.Le(sp.Symbol(r"\sup_{[0,1]} |f - g_K|"), BOUND)
SYMBOLS = {
    "K": "rectangles (4K ReLUs)",
    "L": "Lipschitz constant of the target f",
    r"\varepsilon": "ramp width of each rectangle",
}
bound_fn = sp.lambdify((K_, L_, eps_), BOUND, "numpy")

#: target name -> (f, the Lipschitz constant the bound is given, modulus of continuity ω(δ))
TARGETS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], float, Callable[[float], float]]]
TARGETS = {
    "abs": (lambda x: (x - 0.5).abs(), 1.0, lambda t: t),
    "sine": (lambda x: torch.sin(2 * math.pi * x), 2 * math.pi, lambda t: 2 * math.pi * t),
    "sqrt": (torch.sqrt, 1.0, math.sqrt),  # ω(δ) = √δ: continuous, not Lipschitz
}


def approximate(f: Callable[[torch.Tensor], torch.Tensor], K: int, eps: float) -> tuple[Any, ...]:
    edges = torch.arange(K + 1, dtype=torch.float64) / K
    edges[0] = -eps  # the first ramp ends at 0, so g(0) is the first height
    centres = (torch.arange(K, dtype=torch.float64) + 0.5) / K
    net, params = nc.rectangle_net(edges, f(centres), eps)
    # the certificate adds (L + |slope|)·spacing/2: 200 points per plateau and 64 per ramp keep
    # it under a fifth of the bound's own ε-term for ε = 0.05/K (ramp slopes are ≤ L/(Kε))
    cells = [
        torch.linspace(max(float(a), 0.0) + eps, float(b), 200, dtype=torch.float64)
        for a, b in itertools.pairwise(edges)
    ]
    ramps = [torch.linspace(float(e), float(e) + eps, 64, dtype=torch.float64) for e in edges[1:-1]]
    x = torch.unique(torch.cat([torch.tensor([0.0, 1.0], dtype=torch.float64), *cells, *ramps]))
    x = x[(x >= 0) & (x <= 1)]
    return net, params, x


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    f, L, omega = TARGETS[cfg["target"]]
    rows = []
    lipschitz = 0.0
    for K in cfg["steps"]:
        eps = cfg["eps_times_K"] / K
        net, params, x = approximate(f, K, eps)
        g, fx = net(params, x[:, None]), f(x)
        err, dx = (fx - g).abs(), x[1:] - x[:-1]
        slope = (g[1:] - g[:-1]).abs() / dx
        certified = float((torch.maximum(err[1:], err[:-1]) + (L + slope) * dx / 2).max())
        lipschitz = max(lipschitz, float(((fx[1:] - fx[:-1]).abs() / dx).max()))
        rows.append(
            {
                "K": K,
                "relus": 4 * K,
                "eps": eps,
                "grid_sup": float(err.max()),
                "certified_sup": certified,
                "bound": float(bound_fn(K, L, eps)),
                "omega_bound": omega(1 / (2 * K) + eps),
            }
        )
    ok = all(bool(nc.leq(r["certified_sup"], r["bound"])) for r in rows)
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "f is L-Lipschitz", lipschitz, "<=", L, note="L (largest difference quotient)"
            )
        ],
        conclusion_holds=ok,
        predicted={f"K={r['K']}": nc.Bound(r["bound"], "<=") for r in rows},
        measured={
            **{f"K={r['K']}": r["certified_sup"] for r in rows},
            "omega_bound_holds": all(r["certified_sup"] <= r["omega_bound"] for r in rows),
        },
        tightness=nc.Tightness.of_upper_bound(
            [r["certified_sup"] for r in rows],
            [r["bound"] for r in rows],
            "min over K of L(1/(2K) + ε) / the certified sup |f − g_K|",
        ),
        details={"rows": rows},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        rows = r.details["rows"]
        K = [x["K"] for x in rows]
        ax.loglog(K, [x["certified_sup"] for x in rows], "o-", label="sup |f − g_K| (certified)")
        ax.loglog(K, [x["bound"] for x in rows], "k--", label="L(1/(2K) + ε)")
        ax.loglog(K, [x["omega_bound"] for x in rows], ":", label="ω(1/(2K) + ε)")
        ax.set_xlabel("K rectangles (4K ReLUs)")
        nc.label_x_values(ax, K)
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "relu-approximation: sums of 4-ReLU rectangles",
        summaries=[("K = 8 approximants", _approximants)],
    )


def _approximants(ax: Any, results: Sequence[nc.CheckResult]) -> None:
    # one curve per target: a sharpened control shares its instance's target
    first: dict[str, nc.CheckResult] = {}
    for r in results:
        first.setdefault(r.config["target"], r)
    for target, r in first.items():
        f = TARGETS[target][0]
        net, params, x = approximate(f, 8, r.config["eps_times_K"] / 8)
        ax.plot(x, f(x), "k", lw=0.8)
        ax.plot(x, net(params, x[:, None]).detach(), label=target)
    ax.legend(fontsize=7)


BASE = {"target": "abs", "steps": (4, 8, 16, 32, 64, 128), "eps_times_K": 0.05}
QUICK = {"steps": (4, 16, 64)}
ABS = nc.Instance("abs", BASE, "f(x) = |x − ½|, L = 1", quick=QUICK)
INSTANCES = (
    ABS,
    # |x − ½| meets the bound to within its certificate's overhead (tightness 1.048): a bound
    # 10% smaller than the rectangles achieve must fail
    ABS.sharpened(1.1, "|x − ½| against 0.91·L(1/(2K) + ε)"),
    nc.Instance("sine", {**BASE, "target": "sine"}, "f(x) = sin 2πx, L = 2π", quick=QUICK),
    nc.Instance(
        "sqrt-not-lipschitz",
        {**BASE, "target": "sqrt"},
        "f(x) = √x with L = 1: not Lipschitz near 0",
        breaks="f is L-Lipschitz",
        quick=QUICK,
    ),
)

THEOREM = nc.Theorem(
    id="relu-approximation",
    title="4K ReLUs approximate an L-Lipschitz f on [0, 1] within L(1/(2K) + ε)",
    citation="Companion lecture 'Expressivity, optimization and generalization' (rect); "
    "Leshno, Lin, Pinkus, Schocken, Neural Networks 6(6), 1993",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
