"""The explicit memorizers on data the checks never use: they reproduce the labels to 1e-8 of
max|y| in float64, or refuse with a clear error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ntkconv as nc


def _data(kind: str, n: int, d: int, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    y = 2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1
    if kind == "gaussian":
        X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    elif kind == "clustered":  # five tight clusters
        centres = 10 * torch.randn(5, d, generator=gen, dtype=torch.float64)
        X = centres[torch.arange(n) % 5] + 0.01 * torch.randn(n, d, generator=gen).double()
    elif kind == "integer":  # many shared coordinates: forces a random direction
        X = torch.randint(0, 4, (n, d), generator=gen).double()
        X = torch.unique(X, dim=0)[:n]
        y = y[: X.shape[0]]
    else:
        raise AssertionError(kind)
    return X, y


def _max_error(net, params, X, y) -> float:
    return float((net(params, X) - y).abs().max() / y.abs().max())


@pytest.mark.parametrize(
    ("kind", "n", "d"),
    [("gaussian", 300, 3), ("gaussian", 400, 50), ("clustered", 300, 7), ("integer", 200, 6)],
)
def test_yun_memorizes_or_refuses(kind: str, n: int, d: int) -> None:
    X, y = _data(kind, n, d)
    width = 4 * math.ceil(math.sqrt(X.shape[0]) / 2)
    try:
        net, params = nc.yun_memorizer(X, y, width)
    except ValueError as err:
        assert "float64 cannot hold" in str(err)
        return
    assert isinstance(net, nc.ThreeLayerNet) and net.width1 == width
    assert _max_error(net, params, X, y) <= 1e-8
    assert nc.yun_capacity(width, width) >= X.shape[0]


@pytest.mark.parametrize(
    ("kind", "n", "d"), [("gaussian", 300, 3), ("clustered", 300, 7), ("integer", 200, 6)]
)
def test_zhang_memorizes_or_refuses(kind: str, n: int, d: int) -> None:
    X, y = _data(kind, n, d)
    try:
        net, params = nc.zhang_memorizer(X, y)
    except ValueError as err:
        assert "float64 cannot hold" in str(err)
        return
    assert net.width == X.shape[0]
    assert _max_error(net, params, X, y) <= 1e-8


def test_zhang_system_is_lower_triangular_with_positive_diagonal() -> None:
    X, y = _data("gaussian", 50, 4)
    _, params = nc.zhang_memorizer(X, y)
    A = nc.zhang_system(X, params)
    order = torch.argsort(X @ params["W"][0])
    A = A[order]
    assert torch.all(torch.triu(A, diagonal=1) == 0)
    assert torch.all(torch.diagonal(A) > 0)


def test_yun_refuses_widths_below_the_condition() -> None:
    X, y = _data("gaussian", 101, 5)
    with pytest.raises(ValueError, match=r"4⌊width1/4⌋⌊width2/4⌋ = 100 < N = 101"):
        nc.yun_memorizer(X, y, 20, 20)


@pytest.mark.parametrize("build", [nc.zhang_memorizer, lambda X, y: nc.yun_memorizer(X, y, 16)])
def test_duplicate_inputs_with_different_labels_name_the_rows(build) -> None:
    X, y = _data("gaussian", 40, 3)
    X[17] = X[5]
    y[17] = -y[5]
    with pytest.raises(ValueError, match=r"rows \(5, 17\)"):
        build(X, y)


def test_duplicates_with_equal_labels_are_memorized() -> None:
    X, y = _data("gaussian", 40, 3)
    X[17], y[17] = X[5], y[5]
    net, params = nc.yun_memorizer(X, y, 16)
    assert _max_error(net, params, X, y) <= 1e-8


def test_bad_inputs_get_clear_errors() -> None:
    X, y = _data("gaussian", 20, 3)
    with pytest.raises(ValueError, match="y must have shape"):
        nc.zhang_memorizer(X, y[:-1])
    X[2, 1] = float("nan")
    with pytest.raises(ValueError, match="X"):
        nc.yun_memorizer(X, y, 12)
    with pytest.raises(ValueError, match="width1"):
        nc.yun_capacity(0, 4)


def test_float32_inputs_give_float64_weights() -> None:
    X, y = _data("gaussian", 60, 4)
    net, params = nc.zhang_memorizer(X.float(), y.float())
    assert all(v.dtype == torch.float64 for v in params.values())
    assert _max_error(net, params, X.float().double(), y.float().double()) <= 1e-8


def test_yun_at_scale_classifies_1e5_points() -> None:
    """N = 10^5 in d = 10 with ±1 labels: float64 rounding (~1e-5 here) is far below the margin;
    1e-8 regression accuracy at this N is refused (see the theorem's near-duplicates control)."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(100_000, 10, generator=gen, dtype=torch.float64)
    y = torch.where(torch.rand(100_000, generator=gen) < 0.5, -1.0, 1.0).double()
    net, _params = nc.yun_memorizer(X, y, 636, rtol=0.5)
    assert net.n_params(("W1", "b1", "W2", "b2", "a")) < 5 * 100_000
    with pytest.raises(ValueError, match="float64 cannot hold"):
        nc.yun_memorizer(X[:20_000], 0.5 * y[:20_000] + 0.1 * X[:20_000, 0].tanh(), 284)


def test_projection_prefers_an_exact_coordinate_axis() -> None:
    X, _ = _data("gaussian", 100, 4)
    X[:, 2] = torch.arange(100.0)  # evenly spaced: no random direction separates 4× better
    u = nc.projection(X)
    assert np.isclose(float(u.abs().max()), 1.0) and int((u != 0).sum()) == 1


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("d", [1, 4])
def test_the_smallest_datasets_are_memorized(n: int, d: int) -> None:
    X, y = _data("gaussian", n, d, seed=n + d)
    for net, params in (nc.zhang_memorizer(X, y), nc.yun_memorizer(X, y, 4)):
        assert _max_error(net, params, X, y) <= 1e-8


@pytest.mark.parametrize("gap", [1e-3, 1e-7, 1e-12])
def test_tiny_gaps_are_memorized_or_refused_naming_float64(gap: float) -> None:
    """Two points ``gap`` apart among 50 uniform ones on a line in R^2: exact, or a refusal."""
    X, y = _data("gaussian", 50, 2, seed=7)
    X[1] = X[0] + gap
    for build in (lambda: nc.zhang_memorizer(X, y), lambda: nc.yun_memorizer(X, y, 16)):
        try:
            net, params = build()
        except ValueError as err:
            assert "float64 cannot hold" in str(err)
            continue
        assert _max_error(net, params, X, y) <= 1e-8


@pytest.mark.slow
def test_yun_at_a_million_points_refuses_naming_float64() -> None:
    """N = 10⁶ in R³: the smallest projected gap is 3.6e-13 of the span, and rounding flips
    about 9% of the signs. Even unchecked (rtol=None: the full check would be a 4·10¹²-flop
    forward pass), a sample of points catches it and the refusal names float64."""
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(1_000_000, 3, generator=gen, dtype=torch.float64)
    y = torch.where(torch.rand(1_000_000, generator=gen) < 0.5, -1.0, 1.0).double()
    with pytest.raises(ValueError, match="float64 cannot hold even the labels' signs"):
        nc.yun_memorizer(X, y, 2000, rtol=None)  # 4·500·500 = 10⁶


# --- the classification form ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "d", "k"), [(1, 3, 2), (2, 1, 2), (3, 2, 3), (150, 4, 7), (300, 3, 25)]
)
def test_yun_classifier_outputs_the_one_hot_labels(n: int, d: int, k: int) -> None:
    X = nc.sphere_inputs(n, d, seed=n) if d > 1 else torch.randn(n, 1, dtype=torch.float64)
    labels = torch.randint(0, k, (n,), generator=nc.generator(n))
    width = 4 * math.ceil(math.sqrt(n) / 2)
    net, params = nc.yun_classifier(X, labels, width, classes=k)
    assert net.widths == (width, width, k) and net.out_dim == k
    err = (net(params, X) - torch.nn.functional.one_hot(labels, k)).abs().max()
    assert float(err) <= 1e-8


def test_yun_classifier_keeps_the_memorizers_first_layers_and_counts_its_weights() -> None:
    X = nc.sphere_inputs(40, 3, seed=0)
    labels = torch.randint(0, 4, (40,), generator=nc.generator(2))
    net, params = nc.yun_classifier(X, labels, 16, 12, 20, seed=3)
    _, inner = nc.yun_memorizer(X, labels.double(), 16, 12, seed=3, rtol=None)
    for name in ("W1", "b1", "W2", "b2"):
        assert torch.equal(params[name], inner[name])
    # 16·3 + 16 + 12·16 + 12 + 20·12 + 20 + 4·20
    assert net.n_params(params) == 48 + 16 + 192 + 12 + 240 + 20 + 80
    assert torch.equal(params["b3"][:4], torch.tensor([1.0, 0, -1, -2], dtype=torch.float64))
    assert bool((params["W3"][4:] == 0).all() and (params["A"][:, 4:] == 0).all())  # spare units


def test_yun_classifier_validates_its_arguments() -> None:
    X = nc.sphere_inputs(10, 3, seed=0)
    labels = torch.arange(10) % 3
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        nc.yun_classifier(X, labels.double(), 8)
    with pytest.raises(ValueError, match=r"labels must hold classes in 0..1"):
        nc.yun_classifier(X, labels, 8, classes=2)
    with pytest.raises(ValueError, match="classes must be an integer >= 2"):
        nc.yun_classifier(X, labels * 0, 8, classes=1)
    with pytest.raises(ValueError, match="width3=2 < classes = 3: the outputs A·h3 span"):
        nc.yun_classifier(X, labels, 8, width3=2)
    with pytest.raises(ValueError, match=r"classes must be an integer >= 2; got 7\.0"):
        nc.yun_classifier(X, labels, 8, classes=7.0)
    with pytest.raises(ValueError, match="labels must hold classes >= 0; got a minimum of -1"):
        nc.yun_classifier(X, labels - 1, 8)
    with pytest.raises(ValueError, match=r"Theorem 3\.1's condition fails"):
        nc.yun_classifier(X, labels, 4)
    with pytest.raises(ValueError, match="identical rows with different labels"):
        nc.yun_classifier(torch.cat([X, X[:1]]), torch.cat([labels, (labels[:1] + 1) % 3]), 8)


def test_yun_classifier_takes_numpy_views_absent_classes_and_float32_inputs() -> None:
    X = nc.sphere_inputs(12, 3, seed=4).float()
    labels = np.arange(12)[::-1] % 4  # a reversed view: negative strides
    net, params = nc.yun_classifier(X, labels, 8, classes=6)
    assert net.out_dim == 6 and net.widths == (8, 8, 6)
    out = net(params, X.double())
    assert (
        float((out - torch.nn.functional.one_hot(torch.as_tensor(labels.copy()), 6)).abs().max())
        <= 1e-8
    )


def test_yun_classifier_at_scale_checks_the_argmax_or_refuses_naming_float64() -> None:
    X, _ = nc.memorization_data("gaussian", 20_000, 10, seed=0)
    labels = torch.randint(0, 10, (20_000,), generator=nc.generator(0))
    net, params = nc.yun_classifier(X, labels, 284, rtol=None)
    assert bool((net(params, X[:5000]).argmax(1) == labels[:5000]).all())
    with pytest.raises(ValueError, match="float64 cannot hold this classifier to rtol=1e-08"):
        nc.yun_classifier(X[:2000], labels[:2000], 92)
