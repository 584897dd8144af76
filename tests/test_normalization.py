"""Functional BatchNorm/LayerNorm/dropout against torch.nn, their invariances, torch.func
transforms through them, and named errors."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call, grad, vmap

import ntkconv as nc

H = torch.randn(16, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3 + 1


def test_batch_norm_matches_torch_in_training_and_evaluation_mode() -> None:
    module = torch.nn.BatchNorm1d(5, eps=1e-3, affine=False, momentum=0.2).double()
    stats = None
    batches = [H, 2 * H - 1, H**2]
    for batch in batches:
        torch.testing.assert_close(
            nc.batch_norm(batch, eps=1e-3), module(batch), rtol=1e-12, atol=1e-12
        )
        stats = nc.batch_norm_stats(batch, stats, momentum=0.2)
    torch.testing.assert_close(stats["mean"], module.running_mean, rtol=1e-12, atol=0)
    torch.testing.assert_close(stats["var"], module.running_var, rtol=1e-12, atol=0)
    module.eval()
    torch.testing.assert_close(
        nc.batch_norm(H, eps=1e-3, stats=stats), module(H), rtol=1e-12, atol=1e-12
    )


def test_batch_norm_stats_does_not_modify_its_input() -> None:
    stats = {"mean": torch.zeros(5, dtype=torch.float64), "var": torch.ones(5, dtype=torch.float64)}
    nc.batch_norm_stats(H, stats)
    assert stats["mean"].eq(0).all() and stats["var"].eq(1).all()


def test_layer_norm_matches_torch() -> None:
    expected = torch.nn.functional.layer_norm(H, (5,), eps=1e-4)
    torch.testing.assert_close(nc.layer_norm(H, eps=1e-4), expected, rtol=1e-12, atol=1e-12)


def test_dropout_mask_is_seeded_and_unbiased() -> None:
    mask = nc.dropout_mask((200, 500), 0.3, seed=4)
    assert torch.equal(mask, nc.dropout_mask((200, 500), 0.3, seed=4))
    assert not torch.equal(mask, nc.dropout_mask((200, 500), 0.3, seed=5))
    assert set(mask.unique().tolist()) == {0.0, 1 / 0.7}
    # 10⁵ Bernoulli(0.7) draws: the kept fraction is within 5 standard deviations of 0.7
    kept = float((mask > 0).double().mean())
    assert abs(kept - 0.7) < 5 * (0.21 / 1e5) ** 0.5
    assert nc.dropout_mask((3,), 0.0, seed=0, dtype=torch.float32).eq(1).all()


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_scale_invariance_is_exact_with_eps_zero(norm: str) -> None:
    net = nc.NormalizedNet(4, 12, norm=norm, eps=0.0)
    params, X = net.init(3), nc.sphere_inputs(10, 4, seed=2)
    whole = {**params, "W": 7.5 * params["W"]}
    torch.testing.assert_close(net(whole, X), net(params, X), rtol=1e-12, atol=1e-14)
    per_unit = {
        **params,
        "W": torch.linspace(0.5, 4.0, 12, dtype=torch.float64)[:, None] * params["W"],
    }
    same = torch.allclose(net(per_unit, X), net(params, X), rtol=1e-10, atol=1e-12)
    # BatchNorm normalizes each unit on its own; LayerNorm mixes the units' scales
    assert same is (norm == "batch")


def test_a_bias_before_batch_norm_cancels_and_before_layer_norm_does_not() -> None:
    X = nc.sphere_inputs(10, 4, seed=2)
    for norm, cancels in (("batch", True), ("layer", False)):
        net = nc.NormalizedNet(4, 12, norm=norm, bias=True, eps=0.0)
        params = net.init(1)
        zero = {**params, "b": torch.zeros_like(params["b"])}
        assert torch.allclose(net(params, X), net(zero, X), rtol=1e-10, atol=1e-12) is cancels


def test_eval_mode_and_dropout_mask_reach_the_output() -> None:
    net = nc.NormalizedNet(4, 12, norm="batch")
    params, X = net.init(0), nc.sphere_inputs(10, 4, seed=2)
    stats = nc.batch_norm_stats(net.pre_activations(params, X))
    assert not torch.allclose(net(params, X, stats=stats), net(params, X))
    mask = nc.dropout_mask((10, 12), 0.5, seed=1)
    assert not torch.allclose(net(params, X, mask=mask), net(params, X))
    ones = torch.ones(10, 12, dtype=torch.float64)
    torch.testing.assert_close(net(params, X, mask=ones), net(params, X))


def test_torch_func_transforms_go_through_batch_norm() -> None:
    net = nc.NormalizedNet(4, 12, norm="batch", eps=1e-5)
    params, X = net.init(0), nc.sphere_inputs(10, 4, seed=2)
    y = torch.linspace(-1, 1, 10, dtype=torch.float64)
    mask = nc.dropout_mask((10, 12), 0.2, seed=3)

    def loss(W: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((net({**params, "W": W}, X, mask=mask) - y) ** 2).sum()

    W = params["W"].clone().requires_grad_(True)
    loss(W).backward()
    torch.testing.assert_close(grad(loss)(params["W"]), W.grad, rtol=1e-12, atol=1e-14)
    # BatchNorm's gradient is orthogonal to each unit's weights (scale invariance, ε ≪ var)
    assert float((grad(loss)(params["W"]) * params["W"]).sum(dim=1).abs().max()) < 1e-4
    stacked = torch.stack([params["W"], 2 * params["W"]])
    out = vmap(lambda W: net({**params, "W": W}, X))(stacked)
    assert out.shape == (2, 10)


def test_a_module_with_functional_buffers_agrees() -> None:
    # the same computation through nn.Module + functional_call with the buffers passed in
    module = torch.nn.BatchNorm1d(5, affine=False).double()
    buffers = {
        "running_mean": torch.zeros(5, dtype=torch.float64),
        "running_var": torch.ones(5, dtype=torch.float64),
        "num_batches_tracked": torch.tensor(0),
    }
    out = functional_call(module, buffers, (H,))
    torch.testing.assert_close(out, nc.batch_norm(H), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nc.NormalizedNet(3, 8, norm="group"), ValueError, "norm"),
        (lambda: nc.NormalizedNet(3, 1), ValueError, "width must be at least 2"),
        (lambda: nc.NormalizedNet(3, 8, eps=-1.0), ValueError, "eps"),
        (lambda: nc.batch_norm(H[:1]), ValueError, "at least 2 rows"),
        (lambda: nc.batch_norm(H, stats={"mean": torch.zeros(5)}), ValueError, "keys"),
        (lambda: nc.batch_norm(H[0]), ValueError, "2-D"),
        (lambda: nc.layer_norm(H[:, :1]), ValueError, "at least 2 units"),
        (lambda: nc.dropout_mask((2, 2), 1.0, seed=0), ValueError, "p must be"),
        (lambda: nc.batch_norm_stats(H, momentum=2.0), ValueError, "momentum"),
    ],
)
def test_bad_arguments_are_named(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]


def test_a_mask_of_the_wrong_shape_is_named() -> None:
    net = nc.NormalizedNet(4, 12)
    params, X = net.init(0), nc.sphere_inputs(10, 4, seed=2)
    with pytest.raises(ValueError, match=r"mask must have shape \(10, 12\)"):
        net(params, X, mask=torch.ones(10, 11, dtype=torch.float64))
