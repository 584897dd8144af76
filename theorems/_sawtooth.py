"""The sawtooth shared by the depth checks (depth-separation, telgarsky-depth): Telgarsky,
"Benefits of depth in neural networks", COLT 2016 (arXiv:1602.04485), §2–3.

t(x) = 2relu(x) − 4relu(x − ½) maps [0, 1] onto itself with 2 pieces; t^k, its k-fold
composition, is a depth-k width-2 ReLU net with 2^k pieces (2^(k−1) tents of width 2^(1−k)).
Shallow approximants are certified: real nets whose L1 error to t^k is integrated exactly, so
each is an upper bound on the best error of its class.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import scipy.optimize
import scipy.sparse
import sympy as sp
import torch

import ntkconv as nc


def sawtooth(k: int) -> nc.PiecewiseLinear:
    """t^k by exact composition of the triangle map t(x) = 2relu(x) − 4relu(x − ½)."""
    triangle = nc.PiecewiseLinear.relu_units([1, 1], [0, Fraction(-1, 2)], [2, -4])
    f = triangle
    for _ in range(k - 1):
        f = triangle.compose(f)
    return f


def deep_forward(x: torch.Tensor, k: int) -> torch.Tensor:
    """The depth-k, width-2 ReLU net computing t^k, in floating point."""
    for _ in range(k):
        x = 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)
    return x


def block_kinks(k: int, width: int) -> list[Fraction]:
    """Kinks of the certified approximant with ``width`` units (all of the form relu(x − kink)).

    Spend the units on j = ⌊(width − 2)/2⌋ leading tents, matched exactly (a unit at 0 for the
    first rise, then one kink at every peak and valley), plus one kink where the next tent's
    rise reaches ½, after which g stays at ½ (the best affine fit of every remaining tent); an
    odd unit left over goes to the next peak. Output weights come from :func:`lad_weights`.
    """
    h = Fraction(2, 2**k)  # tent width 2^(1−k)
    j = max((width - 2) // 2, 0)
    kinks = [Fraction(0)] + [i * h / 2 for i in range(1, 2 * j + 1)]
    kinks.append(j * h + h / 4)
    if width - len(kinks) > 0 and j + 1 < 2 ** (k - 1):
        kinks.append(j * h + h / 2)
    return kinks[:width]


def lad_weights(kinks: Sequence[Fraction], target: nc.PiecewiseLinear, grid: int) -> list[float]:
    """Least-absolute-deviation output weights for units relu(x − kink) and a constant, by an
    LP (HiGHS) on a dyadic grid: min Σ_i e_i subject to |Φc − y|_i ≤ e_i."""
    x = np.linspace(0.0, 1.0, grid)
    Phi = np.column_stack([np.maximum(x - float(t), 0.0) for t in kinks] + [np.ones_like(x)])
    y = np.array([float(target(v)) for v in x])
    n, p = Phi.shape
    # sparse: a dense [[Φ, −I], [−Φ, −I]] is 2n × (n + p), 1 GB at the full grid of 8193 points
    eye = scipy.sparse.identity(n, format="csr")
    A = scipy.sparse.bmat([[Phi, -eye], [-Phi, -eye]], format="csr")
    res = scipy.optimize.linprog(
        np.r_[np.zeros(p), np.ones(n) / n],
        A_ub=A,
        b_ub=np.r_[y, -y],
        bounds=[(None, None)] * p + [(0, None)] * n,
        method="highs",
    )
    if not res.success:  # an LP this small has a solution; anything else is a bug to see
        raise RuntimeError(f"the L1 fit's LP failed: {res.message}")
    return res.x[:p].tolist()


def certified_shallow(k: int, width: int, grid: int) -> nc.PiecewiseLinear:
    """A width-``width`` net c + Σ_j a_j relu(x − kink_j) near the best L1 approximation of t^k;
    its error, integrated exactly, is an upper bound on the optimum over all width-w nets."""
    target = sawtooth(k)
    kinks = block_kinks(k, width)
    *a, c = lad_weights(kinks, target, grid)
    return nc.PiecewiseLinear.relu_units([1] * len(kinks), [-t for t in kinks], a, c=c)


def kinks_used(k: int, width: int) -> int:
    """Units the certified width-``width`` approximant of t^k actually uses (≤ width)."""
    return len(block_kinks(k, width))


def deep_layers(k: int) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    """t^k as (W, b) layers for :meth:`ntkconv.PiecewiseLinear.relu_mlp`: k hidden layers of
    width 2 computing relu(u), relu(u − ½) of the previous output u = 2h_1 − 4h_2."""
    half = Fraction(1, 2)
    first = ([[Fraction(1)], [Fraction(1)]], [Fraction(0), -half])
    inner = ([[Fraction(2), Fraction(-4)], [Fraction(2), Fraction(-4)]], [Fraction(0), -half])
    return [first] + [inner] * (k - 1) + [([[Fraction(2), Fraction(-4)]], [Fraction(0)])]


def exact(expr: sp.Expr, subs: dict[sp.Symbol, int]) -> Fraction:
    """A statement's rational expression (a floor) at integer values, as an exact Fraction."""
    return Fraction(str(sp.nsimplify(expr.subs(subs))))
