"""Exact arithmetic on continuous piecewise-linear functions of one variable.

A ReLU network on an interval of R is continuous and piecewise linear; counting its linear
pieces, composing such maps, and integrating |f − g| are exact with rational numbers (every
float64 is a rational, ``Fraction(float)`` is exact), so depth-separation counts (Telgarsky,
COLT 2016) are counted, not estimated from a grid.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

Number = Fraction | int | float


def _q(x: Number) -> Fraction:
    """``x`` as an exact rational; NaN, inf, strings and other objects are refused."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"knots and values must be real numbers; got {x!r}")
    if isinstance(x, numbers.Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    if not math.isfinite(x):
        raise ValueError(f"knots and values must be finite; got {x!r}")
    return Fraction(float(x))


@dataclass(frozen=True)
class PiecewiseLinear:
    """f on [xs[0], xs[-1]], linear between consecutive knots ``xs`` with values ``ys``."""

    xs: tuple[Fraction, ...]
    ys: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "xs", tuple(_q(x) for x in self.xs))
        object.__setattr__(self, "ys", tuple(_q(y) for y in self.ys))
        if len(self.xs) < 2 or len(self.xs) != len(self.ys):
            raise ValueError("need at least two knots and one value per knot")
        if any(b <= a for a, b in pairwise(self.xs)):
            raise ValueError("knots must be strictly increasing")

    @classmethod
    def relu_units(
        cls,
        w: Sequence[Number],
        b: Sequence[Number],
        a: Sequence[Number],
        c: Number = 0,
        interval: tuple[Number, Number] = (0, 1),
    ) -> PiecewiseLinear:
        """g(x) = c + Σ_j a_j relu(w_j x + b_j) on ``interval``: one hidden layer of width
        len(w), kinks at −b_j/w_j."""
        if not len(w) == len(b) == len(a):
            raise ValueError(f"w, b, a must have equal lengths; got {len(w)}, {len(b)}, {len(a)}")
        lo, hi = _q(interval[0]), _q(interval[1])
        if not lo < hi:
            raise ValueError(f"interval must have lo < hi; got {interval}")
        units = [(_q(wj), _q(bj), _q(aj)) for wj, bj, aj in zip(w, b, a, strict=True)]
        kinks = {-b / w for w, b, _ in units if w != 0}
        xs = sorted({lo, hi} | {k for k in kinks if lo < k < hi})
        ys = [_q(c) + sum((a * max(w * x + b, 0) for w, b, a in units), Fraction(0)) for x in xs]
        return cls(tuple(xs), tuple(ys))

    def __call__(self, x: Number) -> Fraction:
        x = _q(x)
        if not self.xs[0] <= x <= self.xs[-1]:
            raise ValueError(f"x = {x} lies outside [{self.xs[0]}, {self.xs[-1]}]")
        i = min(max(bisect.bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        x0, x1, y0, y1 = self.xs[i], self.xs[i + 1], self.ys[i], self.ys[i + 1]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def compose(self, inner: PiecewiseLinear) -> PiecewiseLinear:
        """self ∘ inner; inner's range must lie in self's domain."""
        lo, hi = self.xs[0], self.xs[-1]
        if min(inner.ys) < lo or max(inner.ys) > hi:
            raise ValueError(f"inner's range leaves the outer domain [{lo}, {hi}]")
        xs = [inner.xs[0]]
        for x0, x1, v0, v1 in zip(inner.xs, inner.xs[1:], inner.ys, inner.ys[1:], strict=False):
            # knots of the outer map crossed inside this piece, in the order x meets them
            inside = [k for k in self.xs if min(v0, v1) < k < max(v0, v1)]
            xs += [x0 + (k - v0) / (v1 - v0) * (x1 - x0) for k in sorted(inside, reverse=v1 < v0)]
            xs.append(x1)
        return PiecewiseLinear(tuple(xs), tuple(self(inner(x)) for x in xs))

    def slopes(self) -> list[Fraction]:
        """The slope between each pair of consecutive knots."""
        knots = zip(self.xs, self.ys, strict=True)
        return [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in pairwise(knots)]

    def pieces(self) -> int:
        """Number of maximal linear pieces (collinear neighbours merged)."""
        return 1 + sum(s != t for s, t in pairwise(self.slopes()))

    def _common(self, other: PiecewiseLinear) -> list[tuple[Fraction, Fraction, Fraction]]:
        if (self.xs[0], self.xs[-1]) != (other.xs[0], other.xs[-1]):
            raise ValueError("the two functions must share their domain")
        xs = sorted(set(self.xs) | set(other.xs))
        return [(x, self(x), other(x)) for x in xs]

    def l1_distance(self, other: PiecewiseLinear) -> Fraction:
        """∫|self − other| over the common domain, exactly."""
        pts = self._common(other)
        total = Fraction(0)
        for (x0, f0, g0), (x1, f1, g1) in pairwise(pts):
            d0, d1, h = f0 - g0, f1 - g1, x1 - x0
            if d0 * d1 >= 0:
                total += h * (abs(d0) + abs(d1)) / 2
            else:  # the difference crosses zero inside: two triangles
                total += h * (d0 * d0 + d1 * d1) / (2 * (abs(d0) + abs(d1)))
        return total

    def sup_distance(self, other: PiecewiseLinear) -> Fraction:
        """max|self − other| (attained at a knot of one of them)."""
        return max(abs(f - g) for _, f, g in self._common(other))

    def to_dict(self) -> dict[str, Any]:
        return {"knots": [float(x) for x in self.xs], "values": [float(y) for y in self.ys]}
