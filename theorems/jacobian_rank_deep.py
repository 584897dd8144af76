"""Full-rank Jacobians of deep nets — Soudry & Carmon, "No bad local minima: data independent
training error guarantees for multilayer neural networks" (arXiv:1605.08361, 2016), the
multilayer extension of their one-hidden-layer result; lecture 10, slide "No bad local minima
almost always?": "for L-hidden-layer nets rank J(w) = n a.s. if params. of last layer ≥ n".

Statement. Take a bias-free MLP with L hidden leaky-ReLU layers (slopes 1 and s ≠ 0) whose every
hidden unit's output is multiplied by the paper's dropout-like noise ε_l,h⁽ⁿ⁾ (drawn from a
continuous law, independently per example and unit). "The last layer" whose parameters count is
the last *hidden* weight matrix W_L (m_L × m_(L−1); the paper's W_(L−1), of size
d_(L−1) × d_(L−2)): its Jacobian is the Khatri–Rao product of the backward signals δ_L and the
layer's inputs h_(L−1), G = (δ_L ∗ h_(L−1))ᵀ, and

    rank G = min(N, m_(L−1)·m_L)   for almost every dataset X and noise 𝓔,

so when m_(L−1)·m_L ≥ N the full Jacobian J (which contains G's columns) has rank N and every
differentiable local minimum of the squared loss fits the data. L = 1 is the one-hidden-layer
theorem (m_0 = d, checked as ``jacobian-rank``).

Measured: G from :meth:`ntkconv.DeepNet.layer_jacobian` with the noise in both passes
(``gates``), its numerical rank with the margins of :func:`ntkconv.rank_margins`; for the
"full" claim, J stacked from every hidden layer's G.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
rank_G, N, m_prev, m_L = sp.symbols(
    r"\operatorname{rank}{G} N m_{L-1} m_L", positive=True, integer=True
)
STATEMENT = sp.Eq(rank_G, sp.Min(N, m_prev * m_L))
SYMBOLS = {
    r"\operatorname{rank}{G}": "numerical rank of ∂f(X)/∂W_L (N × m_(L−1)m_L), the last hidden "
    "layer's weights",
    "N": "number of data points",
    "m_{L-1}": "width of the second-to-last hidden layer (the input dimension d when L = 1)",
    "m_L": "width of the last hidden layer",
}
predicted_rank = sp.lambdify((N, m_prev, m_L), sp.Min(N, m_prev * m_L), "numpy")

DIM = 5  # input dimension: below every m_(L−1) of the controls, so noiseless pieces are flat


def _draw(
    n: int, widths: tuple[int, ...], cfg: dict[str, Any], gen: torch.Generator
) -> tuple[nc.DeepNet, dict, torch.Tensor, list[torch.Tensor] | None]:
    """Gaussian inputs, a Du et al.-initialized net and, when ``noise`` > 0, gates
    ε ~ Uniform[1 − η, 1 + η] on every hidden unit of every example."""
    X = torch.randn(n, DIM, generator=gen, dtype=torch.float64)
    net = nc.DeepNet(DIM, widths, activation=cfg["activation"], residual=cfg["residual"])
    params = net.init(int(torch.randint(2**31, (1,), generator=gen)))
    gates = None
    if cfg["noise"] > 0:
        gates = [
            1 + cfg["noise"] * (2 * torch.rand(n, m, generator=gen, dtype=torch.float64) - 1)
            for m in widths
        ]
    return net, params, X, gates


# --- measurement -----------------------------------------------------------------------------
def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    gen = nc.generator(seed)
    rows = []
    min_slope = np.inf
    for n, widths in cfg["configs"]:
        for _ in range(cfg["draws"]):
            net, params, X, gates = _draw(n, widths, cfg, gen)
            layers = range(1, net.depth + 1) if cfg["claim"] == "full" else (net.depth,)
            J = torch.cat(
                [net.layer_jacobian(params, X, k, gates=gates).reshape(n, -1) for k in layers],
                dim=1,
            )
            min_slope = min(
                min_slope,
                min(
                    float(net.activation.deriv(z).abs().min())
                    for z in net.preactivations(params, X)
                ),
            )
            margins = nc.rank_margins(J)
            r = margins.pop("rank")
            last = widths[-2] * widths[-1]
            expected = (
                n if cfg["claim"] == "full" else int(predicted_rank(n, widths[-2], widths[-1]))
            )
            rows.append(
                {
                    "n": n,
                    "depth": len(widths),
                    "widths": list(widths),
                    "last_layer_params": last,
                    "ratio": last / n,
                    "rank": r,
                    "expected": expected,
                    **margins,
                }
            )
    deficient = [r for r in rows if r["rank"] != r["expected"]]
    hyps = [
        nc.hypothesis(
            "activation slope bounded away from 0 (|sigma'| >= rho > 0)",
            min_slope,
            ">",
            0.0,
            note="min |σ'| over every hidden unit, input and draw",
        ),
        nc.hypothesis(
            "dropout-like noise on every hidden unit (continuous law)",
            cfg["noise"],
            ">",
            0.0,
            note="η, the half-width of ε's uniform law",
        ),
        nc.hypothesis(
            "plain feed-forward layers (no skip connections)",
            int(cfg["residual"]),
            "==",
            0,
            note="1 for Du et al.'s ResNet, not the paper's model",
        ),
    ]
    if cfg["claim"] == "full":
        hyps.append(
            nc.hypothesis(
                "last-layer params >= N",
                min(r["last_layer_params"] - r["n"] for r in rows),
                ">=",
                0,
                note="min over configs of m_(L−1)·m_L − N",
            )
        )
    by_depth = {}
    for L in sorted({r["depth"] for r in rows}):
        mine = [r for r in rows if r["depth"] == L]
        by_depth[str(L)] = sum(r["rank"] != r["expected"] for r in mine) / len(mine)
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=not deficient,
        predicted={"rank_deficient_fraction": 0.0},
        measured={
            "rank_deficient_fraction": len(deficient) / len(rows),
            "draws": len(rows),
            "deficient_fraction_by_depth": by_depth,
            "min_decades_above_cutoff": float(np.nanmin([r["decades_above_cutoff"] for r in rows])),
            "min_decades_below_cutoff": float(
                np.nanmin([r["decades_below_cutoff"] for r in rows] + [np.inf])
            ),
        },
        tightness=nc.Tightness.none(
            "an equality (the rank); min_decades_above/below_cutoff say how unambiguous it is"
        ),
        details={"rows": rows, "claim": cfg["claim"]},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        rows = r.details["rows"]
        groups = sorted({(row["n"], row["depth"], row["widths"][-2]) for row in rows})
        for n, L, prev in groups:
            mine = [
                row for row in rows if (row["n"], row["depth"], row["widths"][-2]) == (n, L, prev)
            ]
            ax.plot(
                [row["ratio"] for row in mine],
                [row["rank"] / n for row in mine],
                "o",
                alpha=0.6,
                label=f"N={n}, L={L}, m_(L−1)={prev}",
            )
        grid = np.linspace(0, max(row["ratio"] for row in rows), 200)
        if r.details["claim"] == "full":
            ax.axhline(1, color="k", ls="--", lw=1, label="rank J = N")
        else:
            ax.plot(grid, np.minimum(grid, 1), "k--", lw=1, label="min(1, m_(L−1)·m_L/N)")
        ax.axvline(1, color="gray", lw=0.5)
        ax.set_xlabel("last-layer params m_(L−1)·m_L / N")
        ax.set_ylabel("rank / N")
        ax.legend(fontsize=6)

    return nc.record_figures(results, draw, "jacobian-rank-deep: rank of ∂f(X)/∂W_L for deep nets")


RATIOS = (0.25, 0.5, 0.9, 1.0, 1.1, 2.0)


def _sweep(groups: Sequence[tuple[int, tuple[int, ...]]], ratios: Sequence[float]) -> tuple:
    """(N, widths) with m_L chosen so m_(L−1)·m_L/N runs through ``ratios``; ``groups`` gives N
    and the widths before the last layer."""
    return tuple(
        (n, (*front, max(1, round(q * n / front[-1])))) for n, front in groups for q in ratios
    )


NOISY = {"activation": "leaky_relu(0.1)", "noise": 0.5, "residual": False}
#: m_(L−1)·m_L ≥ N, tight, with m_(L−1) ≥ DIM: 65–100 % of 20 noiseless draws rank-deficient
#: (L = 2), 100 % (L = 3); with the noise 0 % (seed 0)
TIGHT = tuple((48, (*front, -(-48 // front[-1]))) for front in ((6,), (12,), (7, 6), (7, 12)))
#: square G (m_(L−1)·m_L = N ≤ 16) where plain ReLU leaves some unit dead on too many points:
#: 97–100 % of 30 draws deficient, leaky-ReLU 0 %
SMALL_SQUARE = ((6, (5, 2, 3)), (9, (5, 3, 3)), (12, (5, 3, 4)), (16, (5, 4, 4)))
INSTANCES = (
    nc.Instance(
        "noisy-leaky-relu",
        {
            **NOISY,
            "claim": "khatri-rao",
            "draws": 3,
            "configs": _sweep(((24, (3,)), (36, (7, 4)), (40, (7, 7, 8))), RATIOS),
        },
        "L = 2, 3, 4 with the paper's noise on every layer: the transition at m_(L−1)·m_L = N",
        quick={"draws": 2},
    ),
    nc.Instance(
        "full-jacobian",
        {
            **NOISY,
            "claim": "full",
            "draws": 3,
            "configs": ((40, (7, 8, 5)), (40, (9, 4, 10)), (30, (6, 6, 6, 5))),
        },
        "the slide's form: every hidden layer's Jacobian together has rank N once m_(L−1)·m_L ≥ N",
    ),
    nc.Instance(
        "resnet",
        {
            **NOISY,
            "residual": True,
            "claim": "khatri-rao",
            "draws": 3,
            "configs": tuple((36, (m, m, m)) for m in (4, 5, 6, 7)),
        },
        "Du et al.'s ResNet (skip connections, outside the paper's model), noisy: rank min(N, m²)",
        expect="held-outside-hypotheses",
    ),
    nc.Instance(
        "noiseless",
        {**NOISY, "noise": 0.0, "claim": "khatri-rao", "draws": 20, "configs": TIGHT},
        "no noise, bias-free, d = 5 < m_(L−1), m_(L−1)·m_L ≥ N = 48: the last layer's inputs "
        "lie on flat d-dimensional pieces and the rank drops",
        breaks="dropout-like noise on every hidden unit (continuous law)",
        quick={"draws": 8},
    ),
    nc.Instance(
        "relu-dead-units",
        {
            **NOISY,
            "activation": "relu",
            "claim": "khatri-rao",
            "draws": 10,
            "configs": SMALL_SQUARE,
        },
        "plain ReLU (slope 0), noisy, square G with N ≤ 16: dead units zero whole blocks",
        breaks="activation slope bounded away from 0 (|sigma'| >= rho > 0)",
        quick={"draws": 5},
    ),
)

THEOREM = nc.Theorem(
    id="jacobian-rank-deep",
    title="Deep-net Jacobians have rank min(N, last-layer params)",
    citation="Soudry & Carmon 2016 (arXiv:1605.08361), multilayer extension; lecture 10, "
    "'No bad local minima almost always?'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
