"""GD/SGD recorders, loss normalizations, divergence reporting, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ntkconv as nc


def problem(n: int = 8, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    return X / X.norm(dim=1, keepdim=True), torch.randn(n, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize(
    ("reduction", "factor"),
    [("half_sum", 0.5), ("sum", 1.0), ("half_mean", 0.5 / 8), ("mean", 1 / 8)],
)
def test_loss_normalizations(reduction: str, factor: float) -> None:
    u, y = torch.arange(8.0), torch.zeros(8)
    assert float(nc.squared_loss(u, y, reduction)) == pytest.approx(factor * float((u**2).sum()))


def test_gd_on_linear_model_matches_closed_form() -> None:
    X, y = problem(6, 10)
    loss = lambda p: nc.squared_loss(X @ p["w"], y)  # noqa: E731
    eta = 0.1
    traj = nc.gradient_descent(
        loss, {"w": torch.zeros(10, dtype=torch.float64)}, lr=eta, steps=25, progress=False
    )
    r = -y.clone()
    for k in range(26):
        assert traj.loss[k] == pytest.approx(0.5 * float(r @ r), rel=1e-12)
        assert traj.grad_norm_sq[k] == pytest.approx(float((X.T @ r) @ (X.T @ r)), rel=1e-12)
        r = r - eta * X @ (X.T @ r)
    assert list(traj.step) == list(range(26))
    assert math.isnan(traj.lr[-1]) and np.all(traj.lr[:-1] == eta)


def test_train_records_grams_flips_and_frame() -> None:
    X, y = problem()
    net = nc.TwoLayerNet(3, 32)
    params = net.init(0)
    traj = nc.train(net, params, X, y, lr=0.5, steps=10, gram_steps=(0, 10), progress=False)
    frame = traj.to_frame()
    assert list(frame.columns) == [
        "step",
        "loss",
        "grad_norm_sq",
        "dist_from_init",
        "lr",
        "activation_flips",
    ]
    assert frame["dist_from_init"].iloc[0] == 0 and frame["dist_from_init"].iloc[-1] > 0
    assert 0 <= frame["activation_flips"].max() <= 1
    torch.testing.assert_close(traj.grams[0], nc.empirical_ntk(net, params, X))
    assert traj.loss[-1] < traj.loss[0]
    assert torch.equal(traj.params["a"], params["a"])  # a is not trainable


def test_divergence_is_reported_not_raised() -> None:
    X, y = problem()
    net = nc.TwoLayerNet(3, 32)
    traj = nc.train(net, net.init(0), X, y, lr=1e3, steps=50, progress=False)
    assert traj.diverged and traj.diverged_at is not None and traj.diverged_at <= 50
    assert np.all(np.isfinite(traj.loss))
    # the returned params are the last iterate that passed the checks, not the blown-up one
    last = float(nc.squared_loss(net(traj.params, X), y))
    assert math.isfinite(last) and last == pytest.approx(traj.loss[-1], rel=1e-12)


def test_sgd_is_deterministic_and_unbiased_scaled() -> None:
    X, y = problem(16)
    net = nc.TwoLayerNet(3, 32, "softplus")
    params = net.init(1)
    runs = [
        nc.train(net, params, X, y, lr=0.05, steps=30, batch_size=4, seed=7, progress=False)
        for _ in range(2)
    ]
    assert np.array_equal(runs[0].loss, runs[1].loss)
    other = nc.train(net, params, X, y, lr=0.05, steps=30, batch_size=4, seed=8, progress=False)
    assert not np.array_equal(runs[0].loss, other.loss)
    # batch = n is full-batch GD: the n/B scaling is 1
    sgd_full = nc.train(net, params, X, y, lr=0.05, steps=5, batch_size=16, progress=False)
    gd = nc.train(net, params, X, y, lr=0.05, steps=5, progress=False)
    np.testing.assert_allclose(sgd_full.loss, gd.loss, rtol=1e-12)


def test_target_loss_and_record_every() -> None:
    X, y = problem()
    net = nc.TwoLayerNet(3, 256)
    traj = nc.train(
        net, net.init(0), X, y, lr=1.0, steps=500, record_every=10, target_loss=1e-3, progress=False
    )
    assert traj.loss[-1] <= 1e-3 and traj.step[-1] < 500
    assert all(s % 10 == 0 for s in traj.step[:-1])


def test_init_is_deterministic_across_dtypes() -> None:
    net = nc.ThreeLayerNet(4, 6, 5, bias=True)
    p64, p32 = net.init(3), net.init(3, dtype=torch.float32)
    for k in p64:
        torch.testing.assert_close(p64[k].float(), p32[k])
    assert set(p64["a"].unique().tolist()) <= {-1.0, 1.0}
    scaled = net.init(3, scale=0.01)
    torch.testing.assert_close(scaled["W1"], 0.01 * p64["W1"])


@pytest.mark.parametrize("reduction", nc.REDUCTIONS)
def test_linearized_loss_ratio_is_exact_for_a_model_linear_in_its_params(reduction: str) -> None:
    # trained in a only, the two-layer net is linear in its params: K is constant and each GD
    # step's loss ratio is exactly ‖(I − 2cηK)r‖²/‖r‖²
    X = nc.sphere_inputs(6, 4, seed=0)
    y = torch.randn(6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    net = nc.TwoLayerNet(4, 32, "tanh", trainable=("a",))
    params = net.init(0)
    lr = 0.3 / nc.lambda_max(nc.empirical_ntk(net, params, X))
    ratio = lambda p: nc.linearized_loss_ratio(  # noqa: E731
        nc.empirical_ntk(net, p, X), net(p, X) - y, lr, reduction
    )
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=15,
        reduction=reduction,
        callbacks={"rho": ratio},
        progress=False,
    )
    np.testing.assert_allclose(traj.loss[1:] / traj.loss[:-1], traj.extras["rho"][:-1], rtol=1e-12)


def test_linearized_loss_ratio_refuses_mismatched_shapes() -> None:
    K = torch.eye(3, dtype=torch.float64)
    with pytest.raises(ValueError, match="kernel must be"):
        nc.linearized_loss_ratio(K, torch.ones(2, dtype=torch.float64), 0.1)
    with pytest.raises(ValueError, match="lr"):
        nc.linearized_loss_ratio(K, torch.ones(3, dtype=torch.float64), -1.0)


def test_linearized_step_errors_skip_the_float_floor_and_refuse_bad_shapes() -> None:
    loss = np.array([1.0, 0.5, 1e-13, 5e-14])
    errors = nc.linearized_step_errors(loss, np.full(4, 0.5))
    assert errors[0] == 0.0 and np.isnan(errors[2])  # L_2 = 1e-13 L_0 is below the floor
    with pytest.raises(ValueError, match="one length"):
        nc.linearized_step_errors(loss, np.ones(3))


def test_until_sees_every_recorded_step_the_last_one_too() -> None:
    seen: list[float] = []

    def observe(p: dict[str, torch.Tensor]) -> bool:
        seen.append(float(p["w"].sum()))
        return False

    def loss(p: dict[str, torch.Tensor]) -> torch.Tensor:
        return 0.5 * (p["w"] ** 2).sum()  # GD with η = 0.5 halves w

    w0 = {"w": torch.ones(2, dtype=torch.float64)}
    traj = nc.gradient_descent(loss, w0, lr=0.5, steps=5, record_every=2, until=observe,
                               progress=False)  # fmt: skip
    assert traj.step.tolist() == [0, 2, 4, 5]
    assert seen == [2.0, 0.5, 0.125, 0.0625]  # the final step (5) included
