"""Full-rank Jacobians of one-hidden-layer nets — Soudry & Carmon, "No bad local minima: data
independent training error guarantees for multilayer neural networks" (arXiv:1605.08361, 2016),
one-hidden-layer result; lecture 10, slides "No bad local minima almost always?" and
"1-layer Neural Networks" (linear and general activations).

Statement. For f(x) = w₂ᵀ diag(a) W₁ x with leaky-ReLU slopes a_h ∈ {1, s} (s ≠ 0) multiplied
by the paper's dropout-like perturbation, a_h⁽ⁿ⁾ = ε_h⁽ⁿ⁾·(1 if (W₁x⁽ⁿ⁾)_h ≥ 0 else s), the
Jacobian of the N outputs in W₁ is the Khatri–Rao product G = (diag(w₂)A) ∗ X, and

    rank G = min(N, d₀·d₁)   for almost every dataset X and perturbation 𝓔,

so at a differentiable local minimum with d₀d₁ ≥ N the training error is zero. "Almost every"
is over a continuous law: ε is drawn i.i.d. Uniform[1 − η, 1 + η] (η = ``noise``, stated per
instance). Lecture corollaries checked alongside: for linear activations J = v ⊗ X, so
rank J = rank X; for activations with |σ'| ≥ ρ > 0, rank J = N when rank X = N.

Numerical rank: singular values of J above max(shape)·ε₆₄·σ_max (``ntkconv.numerical_rank``).
Each record shows how many decades the last kept singular value sits above that cutoff and the
first dropped one below it: a clean gap on both sides is what justifies the tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
rank_J, N, d0, d1 = sp.symbols(r"\operatorname{rank}{J} N d_0 d_1", positive=True, integer=True)
STATEMENT = sp.Eq(rank_J, sp.Min(N, d0 * d1))
SYMBOLS = {
    r"\operatorname{rank}{J}": "numerical rank of ∂f(X)/∂W₁ (N × d₀d₁)",
    "N": "number of data points",
    "d_0": "input dimension",
    "d_1": "hidden width",
}
predicted_rank = sp.lambdify((N, d0, d1), sp.Min(N, d0 * d1), "numpy")


def jacobian_W1(
    net: nc.TwoLayerNet, params: dict, X: torch.Tensor, eps: torch.Tensor | None
) -> torch.Tensor:
    """J = ∂f(X)/∂W₁ (N × d₁d₀), each unit's slope a_nh multiplied by ε_nh when given. The
    engine's per-unit blocks are J[n, h, :] = w₂_h σ'(z_nh) x_n/√d₁, so the perturbation scales
    them directly: the result is (diag(w₂)(ε ⊙ σ'(Z))ᵀ) ∗ Xᵀ, transposed."""
    blocks = nc.jacobian(net, params, X, flat=False)["W"]  # (N, d1, d0)
    if eps is not None:
        blocks = blocks * eps[:, :, None]
    return blocks.reshape(X.shape[0], -1)


def _data(n: int, dim: int, rank: int | None, gen: torch.Generator) -> torch.Tensor:
    """Gaussian inputs; with ``rank`` < min(n, dim) they lie in a random rank-dimensional
    subspace (rank-deficient X)."""
    if rank is None:
        return torch.randn(n, dim, generator=gen, dtype=torch.float64)
    basis = torch.randn(rank, dim, generator=gen, dtype=torch.float64)
    return torch.randn(n, rank, generator=gen, dtype=torch.float64) @ basis


# --- measurement -----------------------------------------------------------------------------
def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    gen = nc.generator(seed)
    rows = []
    min_slope = np.inf
    for n, dim, width, x_rank in cfg["configs"]:
        for _ in range(cfg["draws"]):
            X = _data(n, dim, x_rank, gen)
            net = nc.TwoLayerNet(dim, width, cfg["activation"])
            params = net.init(int(torch.randint(2**31, (1,), generator=gen)))
            eps = None
            if cfg["noise"] > 0:
                eps = 1 + cfg["noise"] * (
                    2 * torch.rand(n, width, generator=gen, dtype=torch.float64) - 1
                )
            J = jacobian_W1(net, params, X, eps)
            slopes = net.activation.deriv(X @ params["W"].T).abs()
            min_slope = min(min_slope, float(slopes.min()))
            margins = nc.rank_margins(J)
            r = margins.pop("rank")
            rank_X = nc.numerical_rank(X)
            expected = {
                "khatri-rao": int(predicted_rank(n, dim, width)),
                "linear": rank_X,  # J = v ⊗ X
                "full-rank-X": n,  # rank X = n and |σ'| ≥ ρ > 0
            }[cfg["claim"]]
            rows.append(
                {
                    "n": n,
                    "d0": dim,
                    "d1": width,
                    "ratio": dim * width / n,
                    "rank_X": rank_X,
                    "rank": r,
                    "expected": expected,
                    **margins,
                }
            )
    deficient = [r for r in rows if r["rank"] != r["expected"]]
    per_d0 = {}
    for d in sorted({r["d0"] for r in rows}):
        mine = [r for r in rows if r["d0"] == d]
        per_d0[str(d)] = sum(r["rank"] != r["expected"] for r in mine) / len(mine)
    hyps = [
        nc.hypothesis(
            "activation slope bounded away from 0 (|sigma'| >= rho > 0)",
            min_slope,
            ">",
            0.0,
            note="min |σ'| over the draws",
        ),
    ]
    if cfg["claim"] == "khatri-rao":
        hyps.append(
            nc.hypothesis(
                "dropout-like slope perturbation (continuous law)",
                cfg["noise"],
                ">",
                0.0,
                note="η, the half-width of ε's uniform law",
            )
        )
    if cfg["claim"] == "full-rank-X":
        hyps.append(
            nc.hypothesis(
                "rank X = N", min(r["rank_X"] - r["n"] for r in rows), "==", 0, note="rank X − N"
            )
        )
    above = [r["decades_above_cutoff"] for r in rows]
    return nc.Outcome(
        hypotheses=hyps,
        conclusion_holds=not deficient,
        predicted={"rank_deficient_fraction": 0.0},
        measured={
            "rank_deficient_fraction": len(deficient) / len(rows),
            "draws": len(rows),
            "deficient_fraction_by_d0": per_d0,
            "min_decades_above_cutoff": float(np.nanmin(above)),
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
        if r.details["claim"] == "khatri-rao":
            for n, d in sorted({(row["n"], row["d0"]) for row in rows}):
                mine = [row for row in rows if row["n"] == n and row["d0"] == d]
                ax.plot(
                    [row["ratio"] for row in mine],
                    [row["rank"] / n for row in mine],
                    "o",
                    alpha=0.6,
                    label=f"N={n}, d0={d}",
                )
            grid = np.linspace(0, max(row["ratio"] for row in rows), 200)
            ax.plot(grid, np.minimum(grid, 1), "k--", lw=1, label="min(1, d0·d1/N)")
            ax.axvline(1, color="gray", lw=0.5)
            ax.set_xlabel("d0·d1 / N")
            ax.set_ylabel("rank J / N")
        else:
            ax.plot([row["expected"] for row in rows], [row["rank"] for row in rows], "o")
            lim = max(row["expected"] for row in rows) + 1
            ax.plot([0, lim], [0, lim], "k--", lw=1, label="rank J = predicted")
            ax.set_xlabel("predicted rank")
            ax.set_ylabel("rank J")
        ax.legend(fontsize=6)

    return nc.record_figures(
        results, draw, "jacobian-rank: rank of ∂f(X)/∂W₁ for one-hidden-layer nets"
    )


def _sweep(pairs: Sequence[tuple[int, int]], ratios: Sequence[float]) -> tuple:
    """(N, d0, d1, None) with d1 chosen so d0·d1/N runs through ``ratios``."""
    return tuple((n, d, max(1, round(q * n / d)), None) for n, d in pairs for q in ratios)


RATIOS = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)
SMALL_D0 = tuple((48, d, -(-48 // d), None) for d in (2, 3, 4, 6, 8, 12))  # d0·d1 ≥ N, tight
#: square Jacobians (d0·d1 = N) small enough that some ReLU unit is active on fewer than d0
#: points in most draws (47–100 % of 30 draws deficient at each of 40 seeds, 0 % for leaky-ReLU)
SMALL_SQUARE = ((6, 2, 3, None), (8, 2, 4, None), (9, 3, 3, None))
INSTANCES = (
    nc.Instance(
        "noisy-leaky-relu",
        {
            "claim": "khatri-rao",
            "activation": "leaky_relu(0.1)",
            "noise": 0.5,
            "draws": 3,
            "configs": _sweep(((24, 3), (36, 4), (40, 8)), RATIOS),
        },
        "phase transition at d0·d1 = N with the paper's slope perturbation",
        quick={"draws": 2},
    ),
    nc.Instance(
        "linear-net",
        {
            "claim": "linear",
            "activation": "identity",
            "noise": 0.0,
            "draws": 3,
            "configs": ((20, 10, 8, 2), (20, 10, 8, 5), (20, 10, 8, None)),
        },
        "J = v ⊗ X: rank J = rank X, including rank-deficient X",
    ),
    nc.Instance(
        "full-rank-X",
        {
            "claim": "full-rank-X",
            "activation": "tanh",
            "noise": 0.0,
            "draws": 3,
            "configs": ((8, 10, 1, None), (8, 10, 4, None), (10, 10, 2, None)),
        },
        "|σ'| > 0 and rank X = N ⇒ rank J = N, even at width 1",
    ),
    nc.Instance(
        "noiseless-small-d0",
        {
            "claim": "khatri-rao",
            "activation": "leaky_relu(0.1)",
            "noise": 0.0,
            "draws": 20,
            "configs": SMALL_D0,
        },
        "no perturbation, bias-free, d0 = 2…12 at d0·d1 ≥ N = 48: repeated activation "
        "patterns lose rank",
        breaks="dropout-like slope perturbation (continuous law)",
        quick={"draws": 10},
    ),
    nc.Instance(
        "relu-dead-units",
        {
            "claim": "khatri-rao",
            "activation": "relu",
            "noise": 0.5,
            "draws": 10,
            "configs": SMALL_SQUARE,
        },
        "plain ReLU (slope 0), even with the perturbation, at d0·d1 = N ≤ 9: a unit active on "
        "fewer than d0 points zeroes part of its block and the rank drops (leaky-ReLU at these "
        "sizes: full rank in every draw)",
        breaks="activation slope bounded away from 0 (|sigma'| >= rho > 0)",
        quick={"draws": 5},
    ),
)

THEOREM = nc.Theorem(
    id="jacobian-rank",
    title="One-hidden-layer Jacobians have rank min(N, d0·d1)",
    citation="Soudry & Carmon 2016 (arXiv:1605.08361); lecture 10, 'No bad local minima "
    "almost always?'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
