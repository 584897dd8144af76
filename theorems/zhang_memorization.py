"""Finite-sample expressivity with 2n + d weights — Zhang, Bengio, Hardt, Recht, Vinyals,
"Understanding deep learning requires rethinking generalization", ICLR 2017 (arXiv:1611.03530),
Theorem 1; lecture 10 (companion), "Rethinking Generalization".

Statement. For n distinct points x_i ∈ R^d and any real labels y_i there is a two-layer ReLU
network c(x) = Σ_{j=1}^n w_j relu(aᵀx − b_j) — 2n + d weights (w, b, a) — with c(x_i) = y_i.
Proof: pick a with distinct z_i = aᵀx_i, sort, interleave b_1 < z_1 < b_2 < … < b_n < z_n; then
A_ij = relu(z_i − b_j) is lower triangular with positive diagonal, hence invertible, and w = A⁻¹y.

What is checked. ``ntkconv.zhang_memorizer`` builds the net (forward substitution in O(n)) and
its float64 forward pass must give max|c(x_i) − y_i| ≤ 1e-8·max|y|. Conditioning is measured,
not assumed: the record holds κ(A) for the biases the constructor uses (b_{j+1} an eighth of a
gap above z_j) and for midpoint and seven-eighths placements, with the error of the triangular
solve w = A⁻¹y in each. Where b_{j+1} sits decides the conditioning: the forward substitution
multiplies errors by (b_{j+1} − z_j)/(z_{j+1} − b_{j+1}) per point — 1/7, 1, 7 for the three.
Hypotheses: distinct inputs and "m ≥ n hidden units" (the control drops to n − 1 units, where
the best least-squares weights leave a residual).
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
n_, d_, p_ = sp.symbols("n d p", positive=True, integer=True)
x_i, y_i = sp.symbols("x_i y_i")
# for some w, b, a and every i = 1..n
MEMORIZES = sp.Eq(sp.Function("c")(x_i), y_i)
STATEMENT = sp.Implies(sp.Ge(p_, 2 * n_ + d_), MEMORIZES)
SYMBOLS = {
    "n": "number of distinct points",
    "d": "input dimension",
    "p": "weights of c(x) = Σ_j w_j relu(aᵀx − b_j): n outputs, n biases, one shared direction",
}
TOL = 1e-8
#: Bias placements compared: b_{j+1} = z_j + frac·(z_{j+1} − z_j).
PLACEMENTS = (nc.constructions.KINK, 0.5, 0.875)  # the first is the constructor's


def _system(z: np.ndarray, frac: float) -> torch.Tensor:
    """A_ij = relu(z_i − b_j) for sorted z and biases at ``frac`` of each gap."""
    b = nc.interleaved_biases(z, frac)
    return torch.relu(torch.as_tensor(z[:, None] - b[None, :]))


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    X, y = nc.memorization_data(cfg["data"], cfg["n"], cfg["d"], seed)
    n, d = X.shape
    distinct = int(torch.unique(X, dim=0).shape[0])
    units = n - cfg["fewer_units"]
    refused, err, conditioning, max_w, floor = None, math.inf, {}, math.nan, math.inf
    try:
        net, params = nc.zhang_memorizer(X, y, seed=seed, rtol=None)
    except ValueError as exc:
        refused = str(exc)
    if refused is None:
        u = params["W"][0]
        floor = nc.rounding_floor(X, y, u)
        order = torch.argsort(X @ u)
        z, ys = (X @ u)[order].numpy(), y[order]
        if units == n:
            err = float((net(params, X) - y).abs().max() / y.abs().max())
            max_w = max(float(v.abs().max()) for v in params.values())
        else:  # n − 1 units: the best the first n − 1 columns of A can do
            A = _system(z, PLACEMENTS[0])[:, :units]
            w = torch.linalg.lstsq(A, ys[:, None], driver="gelsd").solution
            err = float((A @ w - ys[:, None]).abs().max() / y.abs().max())
        for frac in PLACEMENTS:
            A = _system(z, frac)
            w = torch.linalg.solve_triangular(A, ys[:, None], upper=False)
            solve_err = float((A @ w - ys[:, None]).abs().max() / y.abs().max())
            conditioning[f"b at {frac:g} of the gap"] = {
                "condition_number": float(torch.linalg.cond(A)),
                # errors grow like 7^n at 7/8: the weights overflow and the residual is NaN
                "solve_relative_error": solve_err if math.isfinite(solve_err) else math.inf,
            }
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis("distinct inputs", distinct, "==", n, note="rows of X"),
            nc.hypothesis("m ≥ n hidden units", units, ">=", n, note="n"),
            nc.float64_hypothesis(floor, TOL),  # the error ran up to ~18× the floor
        ],
        conclusion_holds=bool(refused is None and err <= TOL),
        predicted={"relative_error": nc.Bound(TOL, "<="), "n_weights": 2 * n + d},
        measured={
            "n": n,
            "d": d,
            "hidden_units": units,
            "n_weights_shared_direction": 2 * units + d,
            "n_params_dense_TwoLayerNet": units * (d + 2),
            "relative_error": err,
            "max_abs_weight": max_w,
            "conditioning": conditioning,
            "float64_floor_estimate": floor,
            "refused": refused is not None,
        },
        tightness=nc.Tightness.of_upper_bound(
            err, TOL, "tolerance / max_i |c(x_i) − y_i| / max|y| in float64"
        ),
        details={"conditioning": conditioning, "refusal": refused},
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        cond = r.details["conditioning"]
        names = list(cond)
        x = np.arange(len(names))
        kappa = np.array([cond[k]["condition_number"] for k in names], dtype=float)
        error = np.array([cond[k]["solve_relative_error"] for k in names], dtype=float)
        # an overflowed solve (error = inf) cannot be drawn on a log axis: a hatched bar to
        # 100x the largest finite value, labelled, stands for it
        top = 100 * np.max(np.concatenate([kappa, error])[np.isfinite(np.r_[kappa, error])])
        for offset, values, label in ((-0.2, kappa, "κ(A)"), (0.2, error, "solve error")):
            finite = np.isfinite(values)
            bars = ax.bar(x + offset, np.where(finite, values, top), 0.4, label=label)
            for bar, ok in zip(bars, finite, strict=True):
                if not ok:
                    bar.set_hatch("//")
                    ax.annotate("inf", (bar.get_x() + 0.2, top), ha="center", fontsize=7)
        ax.set_yscale("log")
        ax.set_xticks(x, [k.removeprefix("b at ") for k in names], fontsize=7)
        ax.axhline(TOL, color="k", ls="--", lw=1, label="tolerance 1e-8")
        ax.legend(fontsize=6)

    return nc.record_figures(
        results,
        draw,
        "zhang-memorization: conditioning of A_ij = relu(z_i − b_j) by bias placement",
        select=lambda r: bool(r.details["conditioning"]),
    )


#: n = 200, as yun-memorization: the float64 floor stays 3× inside the margin at every one of
#: 300 seeds (n = 1000: errors up to 7e-9 against 1e-8, floors up to 6.5e-10).
BASE = {"data": "gaussian", "n": 200, "d": 10, "fewer_units": 0}
INSTANCES = (
    nc.Instance("gaussian", BASE, "n = 200 Gaussian points in R^10, labels U[−1, 1]"),
    nc.Instance(
        "manifold",
        {**BASE, "data": "manifold"},
        "n = 200 points spread along a closed curve in R^10",
    ),
    nc.Instance(
        "fewer-units",
        {**BASE, "fewer_units": 1},
        "n − 1 hidden units: the best least-squares weights leave a residual",
        breaks="m ≥ n hidden units",
    ),
    nc.Instance(
        "duplicate-conflict",
        {**BASE, "data": "duplicate-conflict"},
        "x_1 = x_0 with y_1 ≠ y_0: the constructor refuses and names the rows",
        breaks="distinct inputs",
    ),
)

THEOREM = nc.Theorem(
    id="zhang-memorization",
    title="Two-layer ReLU nets with 2n + d weights represent any labels on n points",
    citation="Zhang, Bengio, Hardt, Recht, Vinyals, ICLR 2017 (arXiv:1611.03530), Theorem 1",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
