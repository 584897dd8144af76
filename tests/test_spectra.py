"""float64 spectra, rank tolerance, and Lanczos over HVPs against dense Hessians."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ntkconv as nc


def test_eigen_quantities_are_float64() -> None:
    G = torch.diag(torch.tensor([4.0, 1.0, 0.5], dtype=torch.float32))
    ev = nc.eigvalsh(G)
    assert ev.dtype == torch.float64
    assert nc.lambda_min(G) == 0.5 and nc.lambda_max(G) == 4.0
    assert nc.condition_number(G) == 8.0
    assert nc.condition_number(torch.diag(torch.tensor([1.0, 0.0]))) == math.inf


def test_numerical_rank_tolerance() -> None:
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    M = A @ torch.randn(3, 8, generator=gen, dtype=torch.float64)
    assert nc.numerical_rank(M) == 3
    assert nc.numerical_rank(torch.diag(torch.tensor([1.0, 1e-6], dtype=torch.float64))) == 2
    assert (
        nc.numerical_rank(torch.diag(torch.tensor([1.0, 1e-6], dtype=torch.float64)), rtol=1e-3)
        == 1
    )


@pytest.mark.parametrize(("width", "which"), [(2, "LM"), (40, "LM"), (40, "LA"), (40, "SA")])
def test_hessian_eigenvalue_matches_dense_hessian(width: int, which: str) -> None:
    net = nc.TwoLayerNet(3, width, "tanh", trainable=("W", "a"))
    params = net.init(0)
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(10, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(10, generator=gen, dtype=torch.float64)

    def loss(p: dict) -> torch.Tensor:
        return nc.squared_loss(net(p, X), y)

    flat = nc.ravel(params, ("W", "a"))
    H = torch.autograd.functional.hessian(
        lambda v: loss(nc.unravel(v, {k: params[k] for k in ("W", "a")})), flat
    )
    ev = np.linalg.eigvalsh(H.numpy())
    expected = {"LA": ev[-1], "SA": ev[0], "LM": max(ev[0], ev[-1], key=abs)}[which]
    got = nc.hessian_eigenvalue(loss, params, ("W", "a"), which)
    assert abs(got - expected) <= 1e-8 * abs(ev).max()
    assert nc.smoothness(loss, params, ("W", "a")) == pytest.approx(abs(ev).max(), rel=1e-8)


@pytest.mark.parametrize("which", ["LM", "LA", "SA"])
def test_hessian_eigenvalue_of_a_vanishing_hessian_is_zero(which: str) -> None:
    """A ReLU net with every unit off has a zero Hessian: 0, not ARPACK's "starting vector is
    zero" (found on SGD runs whose net died)."""
    net = nc.TwoLayerNet(3, 40, trainable=("W", "a"))
    params = net.init(0)
    X = nc.sphere_inputs(10, 3, seed=1)
    dead = {**params, "W": -params["W"].abs(), "a": params["a"]}
    X = X.abs()  # every pre-activation ≤ 0

    def loss(p: dict) -> torch.Tensor:
        return nc.squared_loss(net(p, X), torch.ones(10, dtype=torch.float64))

    assert nc.hessian_eigenvalue(loss, dead, ("W", "a"), which) == 0.0


def test_hvp_matches_autograd() -> None:
    params = {"w": torch.tensor([0.3, -1.2], dtype=torch.float64)}

    def loss(p: dict) -> torch.Tensor:
        return (p["w"] ** 4).sum() + p["w"].prod()

    v = {"w": torch.tensor([1.0, 2.0], dtype=torch.float64)}
    H = torch.autograd.functional.hessian(lambda w: loss({"w": w}), params["w"])
    torch.testing.assert_close(nc.hvp(loss, params, v)["w"], H @ v["w"])


def test_khatri_rao_is_columnwise_kronecker_and_the_one_hidden_layer_jacobian() -> None:
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    B = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    K = nc.khatri_rao(A, B)
    for n in range(5):
        torch.testing.assert_close(K[:, n], torch.kron(A[:, n], B[:, n]))
    # J_W of aᵀσ(Wx)/√m, row n = (a ⊙ σ'(W x_n)) ⊗ x_n / √m
    net = nc.TwoLayerNet(4, 3, "leaky_relu(0.1)")
    params = net.init(1)
    X = B.T
    S = net.activation.deriv(X @ params["W"].T)  # (n, m)
    expected = nc.khatri_rao((S * params["a"]).T, X.T).T / math.sqrt(3)
    torch.testing.assert_close(nc.jacobian(net, params, X), expected)
    with pytest.raises(ValueError, match="equal column counts"):
        nc.khatri_rao(A, B[:, :2])
