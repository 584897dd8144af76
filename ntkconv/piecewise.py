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


def _rows(W: Any) -> list[list[Any]]:
    W = W.tolist() if hasattr(W, "tolist") else W
    return [list(r.tolist() if hasattr(r, "tolist") else r) for r in W]


def _layers(layers: Sequence[tuple[Any, Any]]) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    """(W, b) pairs as exact rationals, checked to chain from one input to one output."""
    if not layers:
        raise ValueError("relu_mlp needs at least one layer")
    mats: list[tuple[list[list[Fraction]], list[Fraction]]] = []
    for i, (W, b) in enumerate(layers):
        rows = [[_q(w) for w in r] for r in _rows(W)]
        bias = [_q(v) for v in (b.tolist() if hasattr(b, "tolist") else list(b))]
        fan_in = 1 if i == 0 else len(mats[-1][0])
        if not rows or any(len(r) != fan_in for r in rows) or len(bias) != len(rows):
            raise ValueError(
                f"layer {i}: W must have shape (out, {fan_in}) and b shape (out,); got rows of "
                f"lengths {sorted({len(r) for r in rows})} and {len(bias)} biases for "
                f"{len(rows)} rows"
            )
        mats.append((rows, bias))
    if len(mats[-1][0]) != 1:
        raise ValueError(f"the last layer must have one output; got {len(mats[-1][0])}")
    return mats


def _extend(
    xs: list[Fraction], ys: list[Fraction], left: Fraction, right: Fraction, at: list[Fraction]
) -> list[Fraction]:
    """Values at ``at`` of the function with knots xs, values ys and the given ray slopes."""
    out = []
    for x in at:
        if x <= xs[0]:
            out.append(ys[0] + left * (x - xs[0]))
        elif x >= xs[-1]:
            out.append(ys[-1] + right * (x - xs[-1]))
        else:
            i = bisect.bisect_right(xs, x) - 1
            x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
            out.append(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return out


@dataclass(frozen=True)
class PiecewiseLinear:
    """A continuous piecewise-linear f on [xs[0], xs[-1]], in exact rational arithmetic.

    f is linear between consecutive knots ``xs`` and takes the values ``ys`` there:

        f(x) = y_i + (y_(i+1) − y_i)·(x − x_i)/(x_(i+1) − x_i)   for x in [x_i, x_(i+1)].

    Knots and values are stored as ``Fraction`` (every float64 is a rational, so
    ``Fraction(float)`` is exact); piece counts, compositions and L1/sup distances are then
    exact, as depth-separation counts (Telgarsky, COLT 2016) need. Frozen (immutable).

    Attributes:
        xs: the knots, strictly increasing, at least two (ints, floats, Fractions or other
            real numbers; stored as a tuple of ``Fraction``).
        ys: the values at the knots, one per knot (stored as a tuple of ``Fraction``).

    Raises:
        TypeError: a knot or value is not a real number (bools and strings included).
        ValueError: a knot or value is NaN or inf, there are fewer than two knots or not one
            value per knot, or the knots are not strictly increasing.

    Examples:
        >>> from fractions import Fraction
        >>> f = PiecewiseLinear((0, 1, 2), (0, 1, 0))  # a hat on [0, 2]
        >>> f(0.5), f.pieces(), f.slopes()
        (Fraction(1, 2), 2, [Fraction(1, 1), Fraction(-1, 1)])
        >>> PiecewiseLinear((0, 0.5), (1, 2)).xs
        (Fraction(0, 1), Fraction(1, 2))
    """

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
        """A one-hidden-layer ReLU net of one variable as an exact piecewise-linear function.

            g(x) = c + Σ_j a_j relu(w_j x + b_j)   on ``interval``,

        width len(w), kinks at −b_j/w_j (those inside the interval become knots; units with
        w_j = 0 add the constant a_j relu(b_j)).

        Args:
            w: input weights w_j, one per hidden unit (real numbers; converted exactly).
            b: biases b_j, one per unit.
            a: output weights a_j, one per unit.
            c: output bias; default 0.
            interval: the domain (lo, hi), lo < hi; default (0, 1).

        Returns:
            g as a :class:`PiecewiseLinear` whose knots are lo, hi and the kinks in between.

        Raises:
            TypeError: a weight, bias or interval end is not a real number.
            ValueError: ``w``, ``b``, ``a`` differ in length, a number is NaN or inf, or
                lo >= hi.

        Examples:
            >>> tent = PiecewiseLinear.relu_units(w=[2, 4], b=[0, -2], a=[1, -1])
            >>> [str(x) for x in tent.xs], [str(y) for y in tent.ys]
            (['0', '1/2', '1'], ['0', '1', '0'])
        """
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

    @classmethod
    def relu_mlp(
        cls,
        layers: Sequence[tuple[Any, Any]],
        interval: tuple[Number, Number] | None = None,
        contains: Sequence[Number] = (),
    ) -> PiecewiseLinear:
        """A ReLU network of one variable, any depth, as an exact piecewise-linear function.

            h_0 = t,   h_l = relu(W_l h_(l−1) + b_l)  (l < L),   f(t) = W_L h_(L−1) + b_L,

        with scalar input and output (W_1 has one column, W_L one row). Layer by layer each
        unit's pre-activation is affine between the knots found so far and on the two rays
        beyond them; its zero crossings, on the rays too, become knots. So the result has every
        kink f has on the whole real line and, on the default interval, its pieces are f's
        pieces on R. To restrict a net on R^d to the line p + t·u, pass W_1 u as the first
        weights and W_1 p + b_1 as the first bias.

        Args:
            layers: (W, b) per layer, W of shape (out, in) and b of shape (out,), as nested
                sequences, NumPy arrays or tensors of real numbers (converted exactly).
            interval: the domain (lo, hi); default from 1 before the first kink to 1 after
                the last (counting t = 0 as a knot, so [−1, 1] when f is affine).
            contains: points the default domain must also contain (the data on the line, to
                evaluate f there); ignored when ``interval`` is given.

        Returns:
            f as a :class:`PiecewiseLinear` on ``interval``.

        Raises:
            TypeError: a weight is not a real number.
            ValueError: no layers, shapes that do not chain from one input to one output,
                a NaN or inf weight, or lo >= hi.

        Examples:
            >>> # relu(t) − relu(−t) + relu(t − 1) = t + relu(t − 1): one kink, at t = 1
            >>> f = PiecewiseLinear.relu_mlp([([[1], [-1], [1]], [0, 0, -1]), ([[1, -1, 1]], [0])])
            >>> [str(x) for x in f.xs], f.pieces()
            (['-1', '0', '1', '2'], 2)
        """
        mats = _layers(layers)
        # every unit: its values at the shared knots xs, and its slopes on the two rays
        xs = [Fraction(0)]
        vals, left, right = [[Fraction(0)]], [Fraction(1)], [Fraction(1)]
        for i, (rows, bias) in enumerate(mats):
            vals = [
                [sum((w * v[k] for w, v in zip(r, vals, strict=True)), c) for k in range(len(xs))]
                for r, c in zip(rows, bias, strict=True)
            ]
            left = [sum((w * s for w, s in zip(r, left, strict=True)), Fraction(0)) for r in rows]
            right = [sum((w * s for w, s in zip(r, right, strict=True)), Fraction(0)) for r in rows]
            if i == len(mats) - 1:
                break
            roots = set()
            for p, a, c in zip(vals, left, right, strict=True):
                roots.update(
                    x0 - v0 * (x1 - x0) / (v1 - v0)
                    for x0, x1, v0, v1 in zip(xs, xs[1:], p, p[1:], strict=False)
                    if v0 * v1 < 0
                )
                if a != 0 and p[0] / a > 0:  # a root on the left ray
                    roots.add(xs[0] - p[0] / a)
                if c != 0 and p[-1] / c < 0:  # a root on the right ray
                    roots.add(xs[-1] - p[-1] / c)
            grid = sorted(set(xs) | roots)
            vals = [_extend(xs, p, a, c, grid) for p, a, c in zip(vals, left, right, strict=True)]
            # beyond the outermost knot a unit keeps one sign: active iff it grows away from 0
            left = [
                a if p[0] > 0 or (p[0] == 0 and a < 0) else Fraction(0)
                for p, a in zip(vals, left, strict=True)
            ]
            right = [
                c if p[-1] > 0 or (p[-1] == 0 and c > 0) else Fraction(0)
                for p, c in zip(vals, right, strict=True)
            ]
            xs, vals = grid, [[max(v, Fraction(0)) for v in p] for p in vals]
        if interval is None:
            ends = [xs[0], xs[-1], *map(_q, contains)]
            lo, hi = min(ends) - 1, max(ends) + 1
        else:
            lo, hi = map(_q, interval)
        if not lo < hi:
            raise ValueError(f"interval must have lo < hi; got {interval}")
        knots = [lo, *(x for x in xs if lo < x < hi), hi]
        return cls(tuple(knots), tuple(_extend(xs, vals[0], left[0], right[0], knots)))

    def __call__(self, x: Number) -> Fraction:
        """f(x), exactly.

        Args:
            x: a point of the domain [xs[0], xs[-1]] (a real number; converted exactly).

        Returns:
            f(x) as a ``Fraction``.

        Raises:
            TypeError: ``x`` is not a real number.
            ValueError: ``x`` is NaN or inf, or lies outside the domain.

        Examples:
            >>> PiecewiseLinear((0, 1, 2), (0, 1, 0))(1.5)
            Fraction(1, 2)
        """
        x = _q(x)
        if not self.xs[0] <= x <= self.xs[-1]:
            raise ValueError(f"x = {x} lies outside [{self.xs[0]}, {self.xs[-1]}]")
        i = min(max(bisect.bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        x0, x1, y0, y1 = self.xs[i], self.xs[i + 1], self.ys[i], self.ys[i + 1]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def compose(self, inner: PiecewiseLinear) -> PiecewiseLinear:
        """The composition self ∘ inner, x ↦ self(inner(x)), exactly.

        The knots of the result are inner's knots plus every point where inner crosses one of
        self's knots, so piece counts of deep compositions (Telgarsky's tent map: 2^k pieces
        after k compositions) are exact.

        Args:
            inner: the function applied first; its range must lie in self's domain.

        Returns:
            self ∘ inner on inner's domain.

        Raises:
            ValueError: inner's range leaves self's domain.

        Examples:
            >>> tent = PiecewiseLinear((0, 0.5, 1), (0, 1, 0))
            >>> tent.compose(tent).compose(tent).pieces()
            8
        """
        lo, hi = self.xs[0], self.xs[-1]
        if min(inner.ys) < lo or max(inner.ys) > hi:
            raise ValueError(f"inner's range leaves the outer domain [{lo}, {hi}]")
        xs = [inner.xs[0]]
        for x0, x1, v0, v1 in zip(inner.xs, inner.xs[1:], inner.ys, inner.ys[1:], strict=False):
            # knots of the outer map crossed inside this piece, in the order x meets them
            inside = [k for k in self.xs if min(v0, v1) < k < max(v0, v1)]
            xs += [x0 + (k - v0) / (v1 - v0) * (x1 - x0) for k in sorted(inside, reverse=v1 < v0)]
            xs.append(x1)
        return type(self)(tuple(xs), tuple(self(inner(x)) for x in xs))

    def slopes(self) -> list[Fraction]:
        """The slope between each pair of consecutive knots.

        Returns:
            len(xs) − 1 slopes (y_(i+1) − y_i)/(x_(i+1) − x_i), as ``Fraction``.

        Examples:
            >>> [str(s) for s in PiecewiseLinear((0, 1, 3), (0, 2, 3)).slopes()]
            ['2', '1/2']
        """
        knots = zip(self.xs, self.ys, strict=True)
        return [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in pairwise(knots)]

    def pieces(self) -> int:
        """Number of maximal linear pieces (collinear neighbours merged).

        Returns:
            1 + the number of knots where the slope changes.

        Examples:
            >>> PiecewiseLinear((0, 1, 2), (0, 2, 4)).pieces()  # one line, three knots
            1
        """
        return 1 + sum(s != t for s, t in pairwise(self.slopes()))

    def _common(self, other: PiecewiseLinear) -> list[tuple[Fraction, Fraction, Fraction]]:
        if (self.xs[0], self.xs[-1]) != (other.xs[0], other.xs[-1]):
            raise ValueError("the two functions must share their domain")
        xs = sorted(set(self.xs) | set(other.xs))
        return [(x, self(x), other(x)) for x in xs]

    def l1_distance(self, other: PiecewiseLinear) -> Fraction:
        """The L1 distance ∫|self − other| over the common domain, exactly.

        On each piece of the common refinement the difference is linear: a trapezoid, or two
        triangles when it changes sign inside the piece.

        Args:
            other: a function on the same domain.

        Returns:
            The integral as a ``Fraction``.

        Raises:
            ValueError: the two functions do not share their domain.

        Examples:
            >>> hat = PiecewiseLinear((0, 1, 2), (0, 1, 0))
            >>> line = PiecewiseLinear((0, 2), (1, -1))
            >>> hat.l1_distance(PiecewiseLinear((0, 2), (0, 0))), hat.l1_distance(line)
            (Fraction(1, 1), Fraction(3, 2))
        """
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
        """The sup distance max|self − other| over the common domain, exactly.

        The maximum is attained at a knot of one of them, so only those are compared.

        Args:
            other: a function on the same domain.

        Returns:
            The maximum as a ``Fraction``.

        Raises:
            ValueError: the two functions do not share their domain.

        Examples:
            >>> hat = PiecewiseLinear((0, 1, 2), (0, 1, 0))
            >>> hat.sup_distance(PiecewiseLinear((0, 2), (1, -1)))
            Fraction(1, 1)
        """
        return max(abs(f - g) for _, f, g in self._common(other))

    def to_dict(self) -> dict[str, Any]:
        """The knots and values as floats, for JSON records.

        Returns:
            ``{"knots": [...], "values": [...]}``, float lists (rounded to the nearest
            float64).

        Examples:
            >>> PiecewiseLinear((0, 1), (0, Fraction(1, 3))).to_dict()
            {'knots': [0.0, 1.0], 'values': [0.0, 0.3333333333333333]}
        """
        return {"knots": [float(x) for x in self.xs], "values": [float(y) for y in self.ys]}
