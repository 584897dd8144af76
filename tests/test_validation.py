"""Bad input raises a clear ValueError/TypeError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ntkconv as nc

NET = nc.TwoLayerNet(3, 8)
PARAMS = NET.init(0)
X = torch.randn(5, 3, dtype=torch.float64)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nc.TwoLayerNet(3, 0), ValueError, "width must be an integer >= 1"),
        (lambda: nc.TwoLayerNet(0, 4), ValueError, "d must be"),
        (lambda: nc.ThreeLayerNet(3, 4, 0), ValueError, "width2"),
        (lambda: nc.TwoLayerNet(3, 4, "swish"), ValueError, "unknown activation 'swish'"),
        (lambda: nc.TwoLayerNet(3, 4, 7), TypeError, "activation must be"),
        (lambda: nc.TwoLayerNet(3, 4, "leaky_relu(1.5)"), ValueError, "slope"),
        (lambda: nc.TwoLayerNet(3, 4, trainable=("V",)), ValueError, "trainable names unknown"),
        (lambda: nc.TwoLayerNet(3, 4, trainable=()), ValueError, "trainable must name"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X[:, :2]), ValueError, r"X must have d = 3|shape"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X.reshape(-1)), ValueError, "X must be 2-D"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X[:0]), ValueError, "X is empty"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X.long()), TypeError, "X must have dtype float32"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X.float()), TypeError, "X has dtype"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X.tolist()), TypeError, "X must be a torch"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X * np.nan), ValueError, "X contains NaN"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X * np.inf), ValueError, "X contains NaN or inf"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X, X[:, :2]), ValueError, "X2 must have d = 3"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X, method="svd"), ValueError, "unknown method"),
        (lambda: nc.empirical_ntk(NET, PARAMS, X, wrt=("Q",)), ValueError, "wrt names unknown"),
        (lambda: nc.empirical_ntk(NET, {}, X), TypeError, "params must be a non-empty dict"),
        (lambda: nc.empirical_ntk(NET, {"W": PARAMS["W"]}, X), KeyError, "missing 'a'"),
        (
            lambda: nc.empirical_ntk(NET, {**PARAMS, "W": PARAMS["W"].T}, X),
            ValueError,
            r"params\['W'\] must have shape",
        ),
        (
            lambda: nc.empirical_ntk(NET, {**PARAMS, "a": PARAMS["a"] * np.nan}, X),
            ValueError,
            r"params\['a'\] contains NaN",
        ),
        (lambda: nc.empirical_ntk(lambda p, x: x, PARAMS, X), ValueError, "shape \\(n,\\)"),
        (lambda: nc.relu_ntk_infinite(X, trainable=("b",)), ValueError, "trainable"),
        (lambda: nc.relu_ntk_infinite(X, X[:, :1]), ValueError, "X2 must have d = 3"),
        (lambda: nc.arccos_kernel(X, degree=2), ValueError, "degree must be 0 or 1"),
        (
            lambda: nc.random_feature_gram(X, torch.randn(4, 2, dtype=torch.float64)),
            ValueError,
            "X must have d = 2",
        ),
        (lambda: nc.lambda_min(torch.randn(3, 4)), ValueError, "must be square"),
        (
            lambda: nc.lambda_min(torch.tensor([[1.0, 2.0], [0.0, 1.0]])),
            ValueError,
            "not symmetric",
        ),
        (
            lambda: nc.train(NET, PARAMS, X, torch.zeros(4, dtype=torch.float64), lr=0.1, steps=1),
            ValueError,
            r"y must have shape \(5,\)",
        ),
        (
            lambda: nc.train(
                NET, PARAMS, X, torch.zeros(5, dtype=torch.float64), lr=0.1, steps=1, reduction="l1"
            ),
            ValueError,
            "unknown reduction",
        ),
        (
            lambda: nc.train(
                NET, PARAMS, X, torch.zeros(5, dtype=torch.float64), lr=0.1, steps=1, batch_size=9
            ),
            ValueError,
            "batch_size must be <= n",
        ),
        (
            lambda: nc.hessian_eigenvalue(lambda p: p["W"].sum(), PARAMS, which="top"),
            ValueError,
            "unknown which",
        ),
        (lambda: nc.jvp(NET, PARAMS, X, {"W": torch.zeros(2)}), ValueError, "tangents"),
        (lambda: nc.vjp(NET, PARAMS, X, torch.zeros(3)), ValueError, "cotangent"),
    ],
)
def test_bad_input_raises_clear_error(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_numpy_inputs_are_accepted() -> None:
    G = nc.empirical_ntk(NET, PARAMS, X.numpy())
    torch.testing.assert_close(G, nc.empirical_ntk(NET, PARAMS, X))
