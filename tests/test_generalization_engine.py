"""Engine pieces the generalization checks stand on: losses beyond squared, classifiers,
per-example gradients and winsorizing, minimum-norm solves, exact piecewise-linear arithmetic,
rectangle nets, the ten-class digits."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch.func import grad

import ntkconv as nc


def test_logistic_and_cross_entropy_risks() -> None:
    u, y = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64), torch.tensor([1.0, 1.0, -1.0])
    y = y.double()
    expected = [
        math.log1p(math.exp(-yi * ui)) for ui, yi in zip(u.tolist(), y.tolist(), strict=True)
    ]
    assert nc.pointwise_loss(u, y, "logistic").tolist() == pytest.approx(expected, rel=1e-14)
    assert float(nc.risk(u, y, "logistic", "mean")) == pytest.approx(sum(expected) / 3)
    logits = torch.tensor([[1.0, 2.0, 0.0]], dtype=torch.float64)
    ce = float(nc.risk(logits, torch.tensor([1]), "cross_entropy", "sum"))
    assert ce == pytest.approx(-2.0 + math.log(math.e + math.e**2 + 1))
    assert nc.accuracy(logits, torch.tensor([1])) == 1.0
    assert nc.accuracy(u, torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64)) == 2 / 3


def test_train_cross_entropy_with_until_and_label_errors() -> None:
    X, y, _, _ = nc.digits(100, 0)
    net = nc.TwoLayerClassifier(64, 64, 10)
    traj = nc.train(
        net,
        net.init(0),
        X,
        y,
        lr=5.0,
        steps=500,
        loss="cross_entropy",
        reduction="mean",
        record_every=5,
        until=lambda p: nc.accuracy(net(p, X), y) >= 0.5,
        progress=False,
    )
    assert nc.accuracy(net(traj.params, X), y) >= 0.5 and traj.step[-1] < 500
    assert traj.step[-1] % 5 == 0
    with pytest.raises(TypeError, match="integer tensor of class labels"):
        nc.train(net, net.init(0), X, y.double(), lr=1.0, steps=1, loss="cross_entropy")
    with pytest.raises(ValueError, match=r"classes in 0\.\.9"):
        nc.train(net, net.init(0), X, y + 1, lr=1.0, steps=1, loss="cross_entropy")
    lin = nc.LinearModel(64)
    with pytest.raises(ValueError, match="±1"):
        nc.train(lin, lin.init(0), X, y.double(), lr=1.0, steps=1, loss="logistic")
    with pytest.raises(ValueError, match="unknown loss"):
        nc.train(lin, lin.init(0), X, y.double(), lr=1.0, steps=1, loss="hinge")


def test_per_example_grads_match_a_loop_and_winsorize_matches_numpy() -> None:
    X, y, _, _ = nc.digits(40, 1)
    net = nc.TwoLayerClassifier(64, 16, 10)
    params = net.init(3)
    g = nc.per_example_grads(net, params, X, y, loss="cross_entropy")
    for i in (0, 17, 39):
        xi, yi = X[i : i + 1], y[i : i + 1]
        one = grad(lambda p, xi=xi, yi=yi: nc.risk(net(p, xi), yi, "cross_entropy", "sum"))(params)
        for name in params:
            torch.testing.assert_close(g[name][i], one[name], rtol=1e-12, atol=1e-14)
    clipped = nc.winsorize(g, 10)
    for name, v in g.items():
        a = v.numpy()
        ref = np.clip(a, np.percentile(a, 10, axis=0), np.percentile(a, 90, axis=0))
        np.testing.assert_allclose(clipped[name].numpy(), ref, rtol=1e-12, atol=1e-15)
    assert all(torch.equal(nc.winsorize(g, 0)[k], g[k]) for k in g)
    with pytest.raises(ValueError, match=r"percentile in \[0, 50\)"):
        nc.winsorize(g, 50)


def test_min_norm_lstsq_is_the_pseudoinverse_and_ridge() -> None:
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(8, 20, generator=gen, dtype=torch.float64)
    y = torch.randn(8, generator=gen, dtype=torch.float64)
    w = nc.min_norm_lstsq(A, y)
    torch.testing.assert_close(w, torch.linalg.pinv(A) @ y, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(w, A.T @ torch.linalg.solve(A @ A.T, y), rtol=1e-10, atol=1e-12)
    ridge = nc.min_norm_lstsq(A, y, ridge=0.3)
    direct = torch.linalg.solve(A.T @ A + 0.3 * torch.eye(20, dtype=torch.float64), A.T @ y)
    torch.testing.assert_close(ridge, direct, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="ridge must be a finite number > 0"):
        nc.min_norm_lstsq(A, y, ridge=-1.0)
    with pytest.raises(ValueError, match=r"y must have shape \(8,\)"):
        nc.min_norm_lstsq(A, y[:3])


def test_piecewise_linear_exact_counts_and_integrals() -> None:
    tri = nc.PiecewiseLinear.relu_units([1, 1], [0, Fraction(-1, 2)], [2, -4])
    f = tri
    for k in range(1, 7):
        assert f.pieces() == 2**k and f(Fraction(1, 2**k)) == 1
        f = tri.compose(f)
    half = nc.PiecewiseLinear.relu_units([1], [0], [0], c=Fraction(1, 2))
    assert tri.l1_distance(half) == Fraction(1, 4)  # h/4 for one tent of width h = 1
    assert tri.sup_distance(half) == Fraction(1, 2)
    gen = np.random.default_rng(0)
    for w in (1, 3, 10):
        g = nc.PiecewiseLinear.relu_units(
            gen.normal(size=w), gen.normal(size=w), gen.normal(size=w)
        )
        assert g.pieces() <= w + 1
    with pytest.raises(ValueError, match="strictly increasing"):
        nc.PiecewiseLinear((Fraction(0), Fraction(0)), (Fraction(0), Fraction(1)))
    with pytest.raises(ValueError, match="outer domain"):
        tri.compose(nc.PiecewiseLinear.relu_units([2], [0], [1]))


@pytest.mark.parametrize("widths", [(4, 4), (7, 3), (3, 5, 2)])
def test_relu_mlp_is_the_net_on_the_whole_line(widths: tuple[int, ...]) -> None:
    """Exact restriction of a ReLU MLP: the values at float points match a NumPy forward pass,
    no kink hides outside the domain (f is affine beyond its outer knots, on both rays), and
    two hidden layers never exceed (d1 + 1)(d2 + 1) pieces."""
    gen = np.random.default_rng(sum(widths))
    sizes = (1, *widths, 1)
    for _ in range(20):
        layers = [
            (gen.normal(size=(o, i)), gen.normal(size=o) * 3) for i, o in itertools.pairwise(sizes)
        ]
        f = nc.PiecewiseLinear.relu_mlp(layers, contains=(-5, 5))
        t = np.linspace(float(f.xs[0]) - 50, float(f.xs[-1]) + 50, 2001)
        h = t[None, :]
        for j, (W, b) in enumerate(layers):
            h = W @ h + b[:, None]
            h = np.maximum(h, 0) if j < len(layers) - 1 else h
        inside = (t > float(f.xs[0])) & (t < float(f.xs[-1]))
        assert (
            max(abs(float(f(x)) - v) for x, v in zip(t[inside], h[0][inside], strict=True)) < 1e-9
        )
        s = f.slopes()  # beyond the domain: the outer pieces continue
        left = h[0][~inside & (t < 0)]
        right = h[0][~inside & (t > 0)]
        assert np.allclose(np.diff(left) / np.diff(t[~inside & (t < 0)]), float(s[0]))
        assert np.allclose(np.diff(right) / np.diff(t[~inside & (t > 0)]), float(s[-1]))
        if len(widths) == 2:
            assert f.pieces() <= (widths[0] + 1) * (widths[1] + 1)


def test_relu_mlp_merges_cancelling_kinks_and_checks_shapes() -> None:
    f = nc.PiecewiseLinear.relu_mlp([([[1], [-1]], [0, 0]), ([[1, -1]], [0])])  # t, no kink
    assert f.pieces() == 1 and (f.xs[0], f.xs[-1]) == (-1, 1)
    assert nc.PiecewiseLinear.relu_mlp([([[2]], [1])], interval=(0, 3)).ys == (1, 7)
    with pytest.raises(ValueError, match=r"layer 1: W must have shape \(out, 2\)"):
        nc.PiecewiseLinear.relu_mlp([([[1], [1]], [0, 0]), ([[1, 1, 1]], [0])])
    with pytest.raises(ValueError, match="one output"):
        nc.PiecewiseLinear.relu_mlp([([[1], [1]], [0, 0])])
    with pytest.raises(ValueError, match="finite"):
        nc.PiecewiseLinear.relu_mlp([([[math.nan]], [0])])
    with pytest.raises(ValueError, match="at least one layer"):
        nc.PiecewiseLinear.relu_mlp([])


def test_rectangle_net_is_the_lectures_rect() -> None:
    relu = np.maximum
    x = np.linspace(-0.5, 2.5, 601)

    def rect(a: float, b: float, h: float, eps: float) -> np.ndarray:
        return (
            h
            / eps
            * (relu(x - a, 0) - relu(x - a - eps, 0) - relu(x - b, 0) + relu(x - b - eps, 0))
        )

    net, params = nc.rectangle_net([0.0, 1.0, 2.0], [1.3, 0.8], 1e-3)
    got = net(params, torch.from_numpy(x)[:, None]).numpy()
    np.testing.assert_allclose(got, rect(0, 1, 1.3, 1e-3) + rect(1, 2, 0.8, 1e-3), atol=1e-9)
    assert net.width == 8
    with pytest.raises(ValueError, match="eps must lie in"):
        nc.rectangle_net([0.0, 0.1, 1.0], [1.0, 1.0], 0.2)
    with pytest.raises(ValueError, match="strictly increasing"):
        nc.rectangle_net([0.0, 2.0, 1.0], [1.0, 1.0], 0.01)


def test_digits_split_and_label_corruption() -> None:
    Xtr, ytr, Xte, _yte = nc.digits(500, 0)
    assert Xtr.shape == (500, 64) and Xte.shape == (1297, 64) and ytr.dtype == torch.int64
    torch.testing.assert_close(Xtr.norm(dim=1), torch.ones(500, dtype=torch.float64))
    assert torch.bincount(ytr).min() >= 48  # stratified
    assert torch.equal(nc.corrupt_labels(ytr, 0.0, 10), ytr)
    changed = float((nc.corrupt_labels(ytr, 1.0, 10, seed=1) != ytr).double().mean())
    assert 0.85 < changed < 0.95  # a uniform class keeps the true one 1/10 of the time
    with pytest.raises(ValueError, match=r"ratio must be a number in \[0, 1\]"):
        nc.corrupt_labels(ytr, 1.5, 10)
    with pytest.raises(ValueError, match="n_train must lie in"):
        nc.digits(5)


def test_linear_model_and_classifier_shapes() -> None:
    lin = nc.LinearModel(3, bias=True)
    p = lin.init(0, scale=0.0)
    assert set(p) == {"w", "b"} and float(p["w"].abs().sum()) == 0
    assert lin(p, torch.ones(4, 3, dtype=torch.float64)).shape == (4,)
    clf = nc.TwoLayerClassifier(3, 5, 4)
    assert clf(clf.init(0), torch.ones(2, 3, dtype=torch.float64)).shape == (2, 4)
    with pytest.raises(ValueError, match="classes must be an integer >= 1"):
        nc.TwoLayerClassifier(3, 5, 0)


def test_classifier_dropout_mask_multiplies_the_hidden_units() -> None:
    net = nc.TwoLayerClassifier(64, 16, 10)
    X, _, _, _ = nc.digits(20, 0)
    params = net.init(1)
    mask = nc.dropout_mask((20, 16), 0.5, seed=2)
    hidden = torch.relu(X @ params["W"].T + params["b"]) * mask
    torch.testing.assert_close(net(params, X, mask=mask), hidden @ params["A"].T / 4.0)
    ones = torch.ones(20, 16, dtype=X.dtype)
    torch.testing.assert_close(net(params, X, mask=ones), net(params, X))
    with pytest.raises(ValueError, match=r"mask must have shape \(20, 16\)"):
        net(params, X, mask=mask[:, :8])
    with pytest.raises(TypeError, match=r"mask has dtype torch\.float32"):
        net(params, X, mask=mask.float())
    with pytest.raises(TypeError, match=r"mask must be a torch\.Tensor"):
        net(params, X, mask=mask.numpy())


def test_digits_translations_shift_the_raw_images_with_zero_fill() -> None:
    views = nc.digits_translations(50, seed=3, max_shift=2)
    X = nc.digits(50, seed=3)[0]
    assert tuple(views.shape) == (25, 50, 64)
    torch.testing.assert_close(views[12], X, rtol=0, atol=0)
    torch.testing.assert_close(views.norm(dim=2), torch.ones(25, 50, dtype=torch.float64))
    # undo the preprocessing with the unshifted training mean, then compare raw pixels
    from ntkconv.data import _digits_split

    raw = _digits_split(50, 3)[0]
    mean = raw.mean(axis=0)
    down_right = views[5 * 3 + 4].numpy()  # (dy, dx) = (1, 2)
    shifted = np.zeros((50, 8, 8))
    shifted[:, 1:, 2:] = raw.reshape(50, 8, 8)[:, :-1, :-2]
    expected = shifted.reshape(50, 64) - mean
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(down_right, expected, atol=1e-15)
    assert nc.digits_translations(20, 0, max_shift=0, dtype=torch.float32).shape == (1, 20, 64)
    with pytest.raises(ValueError, match=r"max_shift must be an int in 0\.\.7"):
        nc.digits_translations(20, 0, max_shift=8)
    with pytest.raises(ValueError, match="max_shift"):
        nc.digits_translations(20, 0, max_shift=-1)
    with pytest.raises(ValueError, match=r"n_train must lie in 10\.\."):
        nc.digits_translations(5, 0)


def test_paired_binary_interval_is_exact_and_covers() -> None:
    rng = np.random.default_rng(0)
    # true E[a − b] = p10 − p01 = 0.03; coverage of each one-sided bound at α = 0.1
    p = [0.8, 0.05, 0.02, 0.13]  # P(both right), P(a only), P(b only), P(neither)
    misses_low = misses_high = 0
    for _ in range(400):
        cell = rng.choice(4, size=300, p=p)
        a, b = np.isin(cell, (0, 1)).astype(float), np.isin(cell, (0, 2)).astype(float)
        iv = nc.paired_binary_interval(a, b, alpha=0.1)
        assert iv.lower <= iv.estimate <= iv.upper
        misses_low += iv.lower > 0.03
        misses_high += iv.upper < 0.03
    assert misses_low <= 40 and misses_high <= 40  # ≤ α (conservative: Bonferroni)
    same = nc.paired_binary_interval(torch.ones(50), torch.ones(50), alpha=0.05)
    assert same.estimate == 0.0 and same.lower < 0 < same.upper
    with pytest.raises(ValueError, match="0/1 outcomes"):
        nc.paired_binary_interval([0.5, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        nc.paired_binary_interval([0, 1], [1])


def test_binary_interval_is_clopper_pearson_and_names_bad_input() -> None:
    from scipy.stats import binomtest

    iv = nc.binary_interval([1] * 7 + [0] * 93, alpha=0.01)
    ci = binomtest(7, 100).proportion_ci(0.98, method="exact")
    assert (iv.lower, iv.upper, iv.estimate) == (ci.low, ci.high, 0.07)
    assert nc.binary_interval(torch.zeros(50)).lower == 0.0
    # a comparison's bools, as a tensor or an array
    assert nc.binary_interval(torch.arange(10) < 3).estimate == 0.3
    assert nc.binary_interval(np.arange(10) < 3).estimate == 0.3
    with pytest.raises(ValueError, match="0/1"):
        nc.binary_interval([0, 2])
    with pytest.raises(ValueError, match="empty"):
        nc.binary_interval([])
