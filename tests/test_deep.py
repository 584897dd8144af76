"""The depth-L model: its parametrizations, its residual branch and its special cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

import ntkconv as nc

ACTIVATIONS = ["relu", "tanh", "softplus", "identity", "leaky_relu(0.2)"]


def _numpy_forward(net: nc.DeepNet, params: dict, X: np.ndarray) -> np.ndarray:
    """Du et al. (2019) eqs. (2)-(3) in their own variables x⁽ˡ⁾, written independently."""
    sigma = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "softplus": lambda z: np.logaddexp(0, z),
        "identity": lambda z: z,
        "leaky_relu(0.2)": lambda z: np.where(z > 0, z, 0.2 * z),
    }[net.activation.name]
    p = {k: v.numpy() for k, v in params.items()}
    c, L = net.c_sigma, net.depth
    x = X
    for l in range(1, L + 1):  # noqa: E741 (the papers' layer index)
        pre = x @ p[f"W{l}"].T + (p[f"b{l}"] if net.bias else 0.0)
        m = net.widths[l - 1]
        if net.residual and l > 1:
            x = x + net.c_res / (L * math.sqrt(m)) * sigma(pre)
        else:
            x = math.sqrt(c / m) * sigma(pre)
    out = p["a"] if net.out_dim == 1 else p["A"].T
    return x @ out


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_deep_net_is_du_et_al_in_their_variables(
    activation: str, residual: bool, bias: bool
) -> None:
    widths = (7, 7, 7, 7) if residual else (9, 5, 6, 4)
    net = nc.DeepNet(3, widths, activation=activation, residual=residual, bias=bias)
    params = net.init(4)
    X = nc.sphere_inputs(11, 3, seed=5)
    expected = _numpy_forward(net, params, X.numpy())
    np.testing.assert_allclose(net(params, X).numpy(), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("residual", [False, True])
def test_the_two_parametrizations_are_one_function_at_init(activation: str, residual: bool) -> None:
    X = nc.sphere_inputs(13, 4, seed=0)
    f = {
        p: nc.DeepNet(4, (16,) * 3, 3, activation, residual=residual, bias=True, parametrization=p)
        for p in ("ntk", "standard")
    }
    ntk, std = f["ntk"](f["ntk"].init(2), X), f["standard"](f["standard"].init(2), X)
    assert ntk.shape == (13, 3)
    torch.testing.assert_close(std, ntk, rtol=1e-12, atol=1e-14)
    # but the gradients differ: W_std = √(c_σ/m)·W_ntk, so ∂f/∂W_std is √(m/c_σ) times larger
    g = {p: torch.func.grad(lambda q, p=p: f[p](q, X).sum())(f[p].init(2))["W2"] for p in f}
    ratio = float(g["ntk"].norm() / g["standard"].norm())
    assert ratio == pytest.approx(math.sqrt(f["ntk"].c_sigma / 16), rel=1e-10)


def test_one_and_two_hidden_layers_are_the_shallow_nets() -> None:
    X = nc.sphere_inputs(9, 3, seed=1)
    three = nc.ThreeLayerNet(3, 8, 5, "tanh", bias=True)
    params = three.init(3)
    deep = nc.DeepNet(3, (8, 5), activation="tanh", bias=True, c_sigma=1.0)
    assert deep.param_shapes() == three.param_shapes()
    torch.testing.assert_close(deep(params, X), three(params, X), rtol=1e-14, atol=0)
    two = nc.TwoLayerNet(3, 10, bias=True)
    p2 = two.init(0)
    one = nc.DeepNet(3, (10,), bias=True, c_sigma=1.0)
    p1 = {"W1": p2["W"], "b1": p2["b"], "a": p2["a"]}
    torch.testing.assert_close(one(p1, X), two(p2, X), rtol=1e-14, atol=0)


@pytest.mark.parametrize("activation", [*ACTIVATIONS, "step"])
def test_gaussian_second_moment_matches_quadrature(activation: str) -> None:
    sigma = nc.get_activation(activation)

    def integrand(z: float) -> float:
        return float(sigma(torch.tensor([z], dtype=torch.float64))[0]) ** 2 * stats.norm.pdf(z)

    expected = sum(integrate.quad(integrand, a, b)[0] for a, b in ((-40, 0), (0, 40)))
    assert nc.gaussian_second_moment(activation) == pytest.approx(expected, rel=1e-10)


def test_c_sigma_keeps_the_hidden_scale_at_every_depth() -> None:
    # without biases E z_l² = ‖x‖² = 1 at every layer (measured 1.01–1.25 at width 1024, the
    # finite-width fluctuations compounding); ReLU without c_σ = 2 halves it per layer
    X = nc.sphere_inputs(200, 5, seed=0)
    for c_sigma, expected in ((None, 1.0), (1.0, 0.5**7)):
        net = nc.DeepNet(5, (1024,) * 8, c_sigma=c_sigma)
        z = net.preactivations(net.init(0), X)
        assert float(z[-1].pow(2).mean()) == pytest.approx(expected, rel=0.3)


def test_deep_net_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="at least one hidden layer"):
        nc.DeepNet(3, ())
    with pytest.raises(TypeError, match="widths must be a sequence of integers"):
        nc.DeepNet(3, 8)
    with pytest.raises(ValueError, match=r"widths\[1\] must be an integer >= 1"):
        nc.DeepNet(3, (8, 0))
    with pytest.raises(ValueError, match="its widths must be equal"):
        nc.DeepNet(3, (8, 4), residual=True)
    with pytest.raises(ValueError, match="unknown parametrization 'mup'"):
        nc.DeepNet(3, (8,), parametrization="mup")
    with pytest.raises(ValueError, match="c_res must be a finite number > 0"):
        nc.DeepNet(3, (8,), c_res=0.0)
    net = nc.DeepNet(3, (8, 8))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
        net(net.init(0), torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"X has dtype torch\.float32"):
        net(net.init(0), torch.zeros(2, 3))


def test_deep_net_runs_in_float32_and_trains_its_hidden_layers() -> None:
    net = nc.DeepNet(3, (16, 16, 16))
    assert net.trainable == ("W1", "W2", "W3")
    params = net.init(0, dtype=torch.float32)
    X = nc.sphere_inputs(6, 3, seed=0).float()
    assert net(params, X).dtype == torch.float32
    assert net.activation_pattern(params, X).shape == (6, 48)
    assert nc.empirical_ntk(net, net.init(0), X.double()).shape == (6, 6)


def _numpy_ntk(net: nc.DeepNet, params: dict, X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """J Jᵀ from an explicit per-example Jacobian, by the chain rule in Du et al.'s variables."""
    relu_like = {"relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0)}
    smooth = {
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "softplus": (lambda z: np.logaddexp(0, z), lambda z: 1 / (1 + np.exp(-z))),
        "identity": (lambda z: z, np.ones_like),
        "leaky_relu(0.2)": (
            lambda z: np.where(z > 0, z, 0.2 * z),
            lambda z: np.where(z > 0, 1.0, 0.2),
        ),
    }
    sigma, dsigma = {**relu_like, **smooth}[net.activation.name]
    p = {k: v.numpy() for k, v in params.items()}
    c, L = net.c_sigma, net.depth
    rows = []
    for x in X:
        xs, zs = [x], []
        for l in range(1, L + 1):  # noqa: E741
            z = p[f"W{l}"] @ xs[-1] + (p[f"b{l}"] if net.bias else 0.0)
            m = net.widths[l - 1]
            zs.append(z)
            if net.residual and l > 1:
                xs.append(xs[-1] + net.c_res / (L * math.sqrt(m)) * sigma(z))
            else:
                xs.append(math.sqrt(c / m) * sigma(z))
        grads = {"a": xs[-1]}
        g = p["a"]  # ∂f/∂x⁽ᴸ⁾
        for l in range(L, 0, -1):  # noqa: E741
            m = net.widths[l - 1]
            skip = net.residual and l > 1
            dz = (
                g
                * dsigma(zs[l - 1])
                * (net.c_res / (L * math.sqrt(m)) if skip else math.sqrt(c / m))
            )
            grads[f"W{l}"], grads[f"b{l}"] = np.outer(dz, xs[l - 1]), dz
            g = (g if skip else 0.0) + p[f"W{l}"].T @ dz
        rows.append(np.concatenate([grads[k].ravel() for k in names]))
    J = np.array(rows)
    return J @ J.T


ARCHITECTURES = [
    ((9, 5, 6, 4), False, False),
    ((9, 5, 6, 4), False, True),
    ((7,) * 5, True, False),
    ((7,) * 5, True, True),
    ((12,), False, True),
]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("widths", "residual", "bias"), ARCHITECTURES)
def test_structured_deep_ntk_is_the_jacobian_gram(
    activation: str, widths: tuple[int, ...], residual: bool, bias: bool
) -> None:
    net = nc.DeepNet(3, widths, activation=activation, residual=residual, bias=bias)
    params, X = net.init(1), nc.sphere_inputs(10, 3, seed=2)
    names = tuple(net.param_shapes())
    G = net.structured_ntk(params, X, wrt=names)
    J = nc.empirical_ntk(net, params, X, wrt=names, method="jacobian")
    torch.testing.assert_close(G, J, rtol=1e-12, atol=1e-14 * float(J.abs().max()))
    reference = _numpy_ntk(net, params, X.numpy(), names)
    np.testing.assert_allclose(
        G.numpy(), reference, rtol=1e-12, atol=1e-14 * np.abs(reference).max()
    )


@pytest.mark.parametrize("parametrization", ["ntk", "standard"])
def test_structured_deep_ntk_for_parameter_subsets_and_two_input_sets(parametrization: str) -> None:
    net = nc.DeepNet(4, (8, 8, 8), residual=True, bias=True, parametrization=parametrization)
    params = net.init(0)
    X, X2 = nc.sphere_inputs(6, 4, seed=0), nc.sphere_inputs(3, 4, seed=1)
    for wrt in (("W2",), ("b3", "a"), ("W1", "W3", "b1"), net.trainable):
        G = net.structured_ntk(params, X, X2, wrt=wrt)
        J = nc.empirical_ntk(net, params, X, X2, wrt=wrt, method="jacobian")
        assert G.shape == (6, 3)
        torch.testing.assert_close(G, J, rtol=1e-12, atol=1e-15)
    # auto takes the closed form (and float32 stays float32)
    p32 = {k: v.float() for k, v in params.items()}
    G32 = nc.empirical_ntk(net, p32, X.float())
    assert G32.dtype == torch.float32
    torch.testing.assert_close(G32.double(), net.structured_ntk(params, X), rtol=1e-5, atol=1e-6)


def test_structured_deep_ntk_refuses_vector_outputs() -> None:
    net = nc.DeepNet(3, (8, 8), out_dim=2)
    with pytest.raises(ValueError, match="needs a scalar output"):
        net.structured_ntk(net.init(0), nc.sphere_inputs(4, 3, seed=0))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("widths", "residual"), [((5, 4, 6), False), ((6, 6, 6), True)])
def test_layer_jacobians_with_gates_are_the_gated_nets_jacobian(
    activation: str, widths: tuple[int, ...], residual: bool
) -> None:
    """Each layer's Khatri–Rao Jacobian (one forward, one backward pass, the noise in both)
    equals autograd's Jacobian of the gated forward pass; all-one gates are the plain net."""
    net = nc.DeepNet(3, widths, activation=activation, residual=residual, bias=True)
    params, X = net.init(3), nc.sphere_inputs(7, 3, seed=2)
    gen = torch.Generator().manual_seed(0)
    gates = [0.5 + torch.rand(7, m, generator=gen, dtype=torch.float64) for m in widths]
    ones = [torch.ones(7, m, dtype=torch.float64) for m in widths]
    torch.testing.assert_close(net(params, X, gates=ones), net(params, X), rtol=0, atol=0)
    for k in range(1, net.depth + 1):
        name = f"W{k}"

        def f(w: torch.Tensor, name: str = name) -> torch.Tensor:
            return net({**params, name: w}, X, gates=gates)

        expected = torch.func.jacrev(f)(params[name])
        got = net.layer_jacobian(params, X, k, gates=gates)
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-14)
        plain = nc.jacobian(net, params, X, flat=False)[name]
        torch.testing.assert_close(net.layer_jacobian(params, X, k), plain, rtol=1e-12, atol=1e-14)


def test_gates_and_layer_jacobian_validate_their_arguments() -> None:
    net = nc.DeepNet(3, (4, 5))
    params, X = net.init(0), nc.sphere_inputs(6, 3, seed=0)
    good = [torch.ones(6, 4, dtype=torch.float64), torch.ones(6, 5, dtype=torch.float64)]
    with pytest.raises(ValueError, match="one tensor per hidden layer"):
        net(params, X, gates=good[:1])
    with pytest.raises(ValueError, match=r"gates\[1\] must have shape \(n, m_2\) = \(6, 5\)"):
        net(params, X, gates=[good[0], good[0]])
    with pytest.raises(TypeError, match="sequence of L = 2 tensors"):
        net(params, X, gates=good[0])
    with pytest.raises(TypeError, match=r"gates\[0\] must be a tensor of dtype torch.float64"):
        net(params, X, gates=[good[0].float(), good[1]])
    with pytest.raises(ValueError, match=r"layer must be an integer in 1 … 2; got 3"):
        net.layer_jacobian(params, X, 3)
    with pytest.raises(ValueError, match="needs a scalar output"):
        vec = nc.DeepNet(3, (4, 5), out_dim=2)
        vec.layer_jacobian(vec.init(0), X, 1)


def _mp_kernels(x: np.ndarray, y: np.ndarray, depth: int, bias: bool) -> tuple[float, float]:
    """The layer recursion at 60 digits (θ = arccos of the correlation is safe there)."""
    import mpmath as mp

    mp.mp.dps = 60
    beta = mp.mpf(1 if bias else 0)
    xv, yv = [mp.mpf(float(v)) for v in x], [mp.mpf(float(v)) for v in y]
    sxx = mp.fsum(v * v for v in xv) + beta
    syy = mp.fsum(v * v for v in yv) + beta
    sxy = mp.fsum(a * b for a, b in zip(xv, yv, strict=True)) + beta
    ntk = sxy
    for _ in range(depth):
        ab = mp.sqrt(sxx * syy)
        theta = mp.acos(sxy / ab)
        deriv = (mp.pi - theta) / (2 * mp.pi)
        sxy = ab * (mp.sin(theta) + (mp.pi - theta) * mp.cos(theta)) / mp.pi + beta
        sxx, syy = sxx + beta, syy + beta
        ntk = 2 * deriv * ntk + sxy
    return float(ntk - sxy), float(sxy - beta)


@pytest.mark.parametrize("angle", [1e-9, 1e-6, 0.3, math.pi / 2, math.pi - 1e-6, math.pi - 1e-9])
@pytest.mark.parametrize("bias", [False, True])
def test_infinite_deep_kernels_keep_their_digits_at_every_angle(angle: float, bias: bool) -> None:
    X = torch.tensor([[1.0, 0.0], [math.cos(angle), math.sin(angle)]], dtype=torch.float64)
    K = nc.relu_kernels_infinite(X, depth=6, bias=bias)
    ntk, nngp = _mp_kernels(X[0].numpy(), X[1].numpy(), 6, bias)
    assert float(K.ntk[0, 1]) == pytest.approx(ntk, rel=1e-13)
    assert float(K.nngp[0, 1]) == pytest.approx(nngp, rel=1e-13, abs=1e-300)
    torch.testing.assert_close(K.ntk, K.ntk.T, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    ("depth", "bias"),
    [
        (1, False),
        # 30 s each (depth-3 nets at m = 4096 and 2000 nets for the NNGP)
        pytest.param(3, False, marks=pytest.mark.slow),
        pytest.param(3, True, marks=pytest.mark.slow),
    ],
)
def test_empirical_deep_ntk_converges_to_the_limit_like_one_over_root_width(
    depth: int, bias: bool
) -> None:
    # measured slopes −0.51 … −0.60 (mean over 4 seeds, m = 64 … 4096, 8 points on S²)
    X = nc.sphere_inputs(8, 3, seed=0)
    limit = nc.relu_kernels_infinite(X, depth=depth, bias=bias)
    widths = [64, 256, 1024, 4096]
    gaps = []
    for m in widths:
        net = nc.DeepNet(3, (m,) * depth, bias=bias)
        rel = [
            float((nc.empirical_ntk(net, net.init(s), X) - limit.ntk).norm() / limit.ntk.norm())
            for s in range(4)
        ]
        gaps.append(np.mean(rel))
    slope = np.polyfit(np.log(widths), np.log(gaps), 1)[0]
    assert -0.75 < slope < -0.35
    # the NNGP is the covariance of f at init: E f(x)f(x') over 2000 width-512 nets
    net = nc.DeepNet(3, (512,) * depth, bias=bias)
    f = torch.stack([net(net.init(s), X) for s in range(2000)])
    cov = f.T @ f / f.shape[0]
    assert float((cov - limit.nngp).abs().max()) < 0.12 * float(limit.nngp.diagonal().max())
