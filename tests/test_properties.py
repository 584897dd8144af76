"""Property-based tests (hypothesis) over the public API: random shapes, dtypes, activations
and trainable sets; exact-or-refuse memorizers; losses against NumPy; a fuzz of bad inputs.
The profile (conftest.py) derandomizes the search, so CI runs the same examples every time."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch.func import functional_call

import ntkconv as nc

ACTIVATIONS = ("relu", "tanh", "softplus", "identity", "leaky_relu(0.2)")
#: Agreement between NTK routes, relative to the Gram's scale (float64 round-off of p-term sums).
NTK_RTOL = 1e-12


def tensors(shape: tuple[int, ...], seed: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(shape, generator=nc.generator(seed), dtype=torch.float64).to(dtype)


@st.composite
def two_layer_cases(draw: st.DrawFn) -> tuple[nc.TwoLayerNet, dict, torch.Tensor, torch.Tensor]:
    d, width = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    bias = draw(st.booleans())
    names = ["W", "a", *(["b"] if bias else [])]
    trainable = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    net = nc.TwoLayerNet(d, width, draw(st.sampled_from(ACTIVATIONS)), trainable, bias)
    seed = draw(st.integers(0, 2**63 - 1))
    X = tensors((draw(st.integers(1, 6)), d), nc.derive_seed(seed, "X"), torch.float64)
    X2 = tensors((draw(st.integers(1, 5)), d), nc.derive_seed(seed, "X2"), torch.float64)
    return net, net.init(seed, scale=draw(st.sampled_from([0.5, 1.0, 3.0]))), X, X2


def assert_close_rel(a: torch.Tensor, b: torch.Tensor, rtol: float = NTK_RTOL) -> None:
    scale = max(1.0, float(a.abs().max()), float(b.abs().max()))
    assert float((a - b).abs().max()) <= rtol * scale


def assert_symmetric_psd(G: torch.Tensor) -> None:
    scale = max(1.0, float(G.abs().max()))
    assert float((G - G.T).abs().max()) <= NTK_RTOL * scale
    assert float(torch.linalg.eigvalsh((G + G.T) / 2)[0]) >= -NTK_RTOL * scale * G.shape[0]


@given(two_layer_cases())
def test_ntk_methods_agree_and_grams_are_symmetric_psd(case) -> None:
    net, params, X, X2 = case
    grams = {m: nc.empirical_ntk(net, params, X, method=m) for m in ("structured", "jacobian")}
    grams["ntvp"] = nc.empirical_ntk(net, params, X, method="ntvp", chunk_size=2)
    for m in ("jacobian", "ntvp"):
        assert_close_rel(grams[m], grams["structured"])
    assert_symmetric_psd(grams["structured"])
    cross = [nc.empirical_ntk(net, params, X, X2, method=m) for m in ("structured", "ntvp")]
    assert cross[0].shape == (X.shape[0], X2.shape[0])
    assert_close_rel(cross[0], cross[1])
    J = nc.jacobian(net, params, X)
    assert_close_rel(J @ J.T, grams["structured"])


@given(
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 5),
    st.sampled_from(ACTIVATIONS),
    st.sampled_from([torch.float32, torch.float64]),
    st.integers(0, 2**32),
)
def test_three_layer_and_module_ntks_agree_across_routes(d, m1, m2, act, dtype, seed) -> None:
    net = nc.ThreeLayerNet(d, m1, m2, act)
    params = net.init(seed, dtype=dtype)
    X = tensors((4, d), seed, dtype)
    rtol = NTK_RTOL if dtype == torch.float64 else 1e-5
    G = nc.empirical_ntk(net, params, X, method="jacobian")
    assert G.dtype == dtype
    assert_close_rel(G, nc.empirical_ntk(net, params, X, method="ntvp"), rtol)
    torch.manual_seed(seed % 2**31)
    mod = torch.nn.Sequential(torch.nn.Linear(d, m1), torch.nn.Tanh(), torch.nn.Linear(m1, 1))
    mod = mod.to(dtype)
    P = dict(mod.named_parameters())

    def fn(p: dict, X: torch.Tensor) -> torch.Tensor:
        return functional_call(mod, p, (X,))

    G_mod = nc.empirical_ntk(fn, P, X)
    assert_close_rel(G_mod, nc.empirical_ntk(fn, P, X, method="ntvp"), rtol)


@st.composite
def labelled_points(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    n, d = draw(st.integers(1, 24)), draw(st.integers(1, 3))
    coords = st.floats(-1, 1, allow_nan=False, allow_subnormal=False, width=64)
    X = np.array(draw(st.lists(coords, min_size=n * d, max_size=n * d))).reshape(n, d)
    if draw(st.booleans()):  # points that repeat, with their own labels or a copied one
        X[draw(st.integers(0, n - 1))] = X[0]
    y = np.array(draw(st.lists(coords, min_size=n, max_size=n)))
    return torch.from_numpy(X), torch.from_numpy(y)


def _exact_or_refused(make, X: torch.Tensor, y: torch.Tensor) -> None:
    try:
        net, params = make()
    except ValueError as err:  # refused: it must say why
        assert str(err)
        return
    with torch.no_grad():
        err = float((net(params, X) - y).abs().max())
    assert err <= 1e-8 * max(float(y.abs().max()), 1e-300) or err == 0.0


ONE_POINT = [
    (torch.full((1, d), 0.3, dtype=torch.float64), torch.tensor([0.7], dtype=torch.float64))
    for d in (1, 2, 3)
]


@given(labelled_points(), st.integers(0, 2**63 - 1))
@example(ONE_POINT[0], 0)
@example(ONE_POINT[1], 0)  # N = 1 with d > 1 once crashed in the projection
@example(ONE_POINT[2], 5)
def test_memorizers_are_exact_or_refuse(data, seed) -> None:
    X, y = data
    n = X.shape[0]
    _exact_or_refused(lambda: nc.zhang_memorizer(X, y, seed=seed), X, y)
    width = 4 * math.ceil(math.sqrt(n / 4))
    _exact_or_refused(lambda: nc.yun_memorizer(X, y, width, width, seed=seed), X, y)


def test_memorizers_refuse_conflicting_labels_and_fit_one_point() -> None:
    X = torch.tensor([[0.3, 0.1], [0.3, 0.1]], dtype=torch.float64)
    with pytest.raises(ValueError):
        nc.zhang_memorizer(X, torch.tensor([1.0, -1.0], dtype=torch.float64))
    one = X[:1], torch.tensor([0.7], dtype=torch.float64)
    net, params = nc.zhang_memorizer(*one)
    assert float(net(params, one[0])[0]) == pytest.approx(0.7, abs=1e-12)


REDUCE = {
    "half_sum": lambda v: v.sum() / 2,
    "sum": np.sum,
    "half_mean": lambda v: v.mean() / 2,
    "mean": np.mean,
}


@given(
    st.integers(1, 20),
    st.integers(2, 5),
    st.sampled_from(nc.REDUCTIONS),
    st.integers(0, 2**32),
    st.booleans(),
)
def test_losses_and_reductions_match_numpy(n, k, reduction, seed, column) -> None:
    u = tensors((n,), seed, torch.float64) * 3
    y = tensors((n,), seed + 1, torch.float64)
    signs = torch.where(y >= 0, 1.0, -1.0).to(torch.float64)
    logits = tensors((n, k), seed + 2, torch.float64) * 3
    classes = torch.randint(0, k, (n,), generator=nc.generator(seed))
    un, yn, sn, ln, cn = (t.numpy() for t in (u, y, signs, logits, classes))
    lse = np.log(np.exp(ln - ln.max(1, keepdims=True)).sum(1)) + ln.max(1)
    reference = {
        "squared": (u, y, (un - yn) ** 2),
        "logistic": (u, signs, np.log1p(np.exp(-sn * un))),
        "cross_entropy": (logits, classes, lse - ln[np.arange(n), cn]),
    }
    for loss, (out, target, per) in reference.items():
        if column and loss != "cross_entropy":
            out = out[:, None]  # (n, 1) outputs are squeezed
        got = nc.pointwise_loss(out, target, loss).numpy()
        np.testing.assert_allclose(got, per, rtol=1e-12, atol=1e-14)
        total = float(nc.risk(out, target, loss, reduction))
        assert total == pytest.approx(REDUCE[reduction](per), rel=1e-12, abs=1e-14)


# --- a fuzz of bad inputs: every one raises ValueError/TypeError naming its argument ----------

NET = nc.TwoLayerNet(3, 4)
P = NET.init(0)
GOOD_X = nc.sphere_inputs(5, 3, 0)
GOOD_Y = torch.linspace(-1, 1, 5, dtype=torch.float64)
BAD = {
    "X": [
        GOOD_X.tolist(),
        GOOD_X.long(),
        GOOD_X.half(),
        GOOD_X.float(),
        GOOD_X[:0],
        GOOD_X[:, :2],
        GOOD_X[0],
        GOOD_X[None],
        GOOD_X * math.nan,
        GOOD_X * math.inf,
        "X",
    ],
    "y": [
        GOOD_Y[:3],
        GOOD_Y[:, None].expand(5, 2),
        GOOD_Y * math.nan,
        GOOD_Y.float(),
        GOOD_Y.tolist(),
    ],
    "params": [{}, {"W": P["W"]}, {**P, "a": P["a"].float()}, {**P, "W": P["W"] * math.inf}, 3],
    "lr": [math.nan, -1.0, 0.0, math.inf, "0.1", None],
    "steps": [-1, 2.5, "3"],
    "seed": [-1, 1.5, "3", 2**64, True],
    "loss": ["squred", "", "mse"],
    "reduction": ["avg", "Sum"],
    "wrt": [(), ("Q",)],
}


def _call(arg: str, bad: object) -> None:
    kwargs: dict = {"X": GOOD_X, "y": GOOD_Y, "params": P}
    kwargs[arg] = bad
    if arg in ("X", "params", "wrt"):
        extra = {"wrt": bad} if arg == "wrt" else {}
        if arg == "wrt":
            nc.empirical_ntk(NET, P, GOOD_X, **extra)
        else:
            nc.empirical_ntk(NET, kwargs["params"], kwargs["X"])
        return
    options = {"lr": 0.1, "steps": 2, "batch_size": 2}
    if arg in options or arg in ("seed", "loss", "reduction"):
        options[arg] = bad
    nc.train(NET, P, GOOD_X, kwargs["y"], **options)


@given(st.sampled_from([(arg, i) for arg, values in BAD.items() for i in range(len(values))]))
def test_bad_inputs_raise_errors_that_name_the_argument(case) -> None:
    arg, i = case
    bad = BAD[arg][i]
    with pytest.raises((ValueError, TypeError, KeyError)) as exc:
        _call(arg, bad)
    message = str(exc.value)
    assert arg in message or (arg == "params" and "missing" in message), message
