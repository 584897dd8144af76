"""empirical_ntk against an independent NumPy Jacobian; relu_ntk_infinite against mpmath."""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath
import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian as autograd_jacobian

import ntkconv as nc

NUMPY_DERIVS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu(0.1)": (lambda z: np.where(z > 0, z, 0.1 * z), lambda z: np.where(z > 0, 1.0, 0.1)),
    "softplus": (lambda z: np.log1p(np.exp(z)), lambda z: 1 / (1 + np.exp(-z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


def numpy_jacobian(
    params: dict, X: np.ndarray, act: str, names: tuple[str, ...], bias: bool
) -> np.ndarray:
    """J of f(x) = aᵀσ(Wx + b)/√m written out by hand: rows per sample, blocks in params order."""
    W, a = params["W"].numpy(), params["a"].numpy()
    b = params["b"].numpy() if bias else np.zeros(W.shape[0])
    sigma, dsigma = NUMPY_DERIVS[act]
    m = W.shape[0]
    rows = []
    for x in X:
        z = W @ x + b
        blocks = {
            "W": np.outer(a * dsigma(z), x).ravel() / math.sqrt(m),
            "a": sigma(z) / math.sqrt(m),
            "b": a * dsigma(z) / math.sqrt(m),
        }
        rows.append(np.concatenate([blocks[k] for k in params if k in names]))
    return np.array(rows)


def data(n: int = 12, d: int = 4, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize("act", list(NUMPY_DERIVS))
@pytest.mark.parametrize("trainable", [("W",), ("W", "a"), ("W", "a", "b")])
@pytest.mark.parametrize("method", ["structured", "jacobian", "ntvp"])
def test_empirical_ntk_matches_numpy_jacobian(act: str, trainable: tuple, method: str) -> None:
    bias = "b" in trainable
    net = nc.TwoLayerNet(4, 50, act, trainable=trainable, bias=bias)
    params = net.init(3)
    X, X2 = data(12), data(7, seed=1)
    J = numpy_jacobian(params, X.numpy(), act, net.trainable, bias)
    J2 = numpy_jacobian(params, X2.numpy(), act, net.trainable, bias)
    for G, ref in (
        (nc.empirical_ntk(net, params, X, method=method), J @ J.T),
        (nc.empirical_ntk(net, params, X, X2, method=method), J @ J2.T),
    ):
        err = np.abs(G.numpy() - ref).max() / np.abs(ref).max()
        assert err < 1e-9, (method, err)


def test_jacobian_views_agree_with_autograd() -> None:
    net = nc.ThreeLayerNet(3, 8, 6, "tanh", bias=True, trainable=("W1", "b1", "W2"))
    params = net.init(1)
    X = data(5, 3)
    J = nc.jacobian(net, params, X)
    blocks = nc.jacobian(net, params, X, flat=False)
    assert J.shape == (5, net.n_params())
    assert set(blocks) == {"W1", "b1", "W2"} and blocks["W2"].shape == (5, 6, 8)
    names = net.trainable
    ref = autograd_jacobian(
        lambda *ts: net({**params, **dict(zip(names, ts, strict=True))}, X),
        tuple(params[k] for k in names),
    )
    ref_flat = torch.cat([r.reshape(5, -1) for r in ref], dim=1)
    torch.testing.assert_close(J, ref_flat, rtol=1e-12, atol=1e-12)


def test_ntvp_and_jacobian_agree_for_any_callable() -> None:
    def fn(p: dict, X: torch.Tensor) -> torch.Tensor:  # not an ntkconv model
        return torch.sin(X @ p["u"]) * p["s"].sum() + (X**2) @ p["v"]

    gen = torch.Generator().manual_seed(0)
    params = {k: torch.randn(4, generator=gen, dtype=torch.float64) for k in ("u", "v")}
    params["s"] = torch.randn(2, generator=gen, dtype=torch.float64)
    X, X2 = data(9), data(6, seed=2)
    G_j = nc.empirical_ntk(fn, params, X, X2, method="jacobian")
    G_n = nc.empirical_ntk(fn, params, X, X2, method="ntvp", chunk_size=4)
    G_a = nc.empirical_ntk(fn, params, X, X2)  # auto: no closed form → jacobian
    assert torch.allclose(G_j, G_n, rtol=0, atol=1e-12 * G_j.abs().max())
    assert torch.equal(G_a, G_j)
    V = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(nc.ntk_vector_product(fn, params, X, V, X2), G_j @ V)
    with pytest.raises(ValueError, match="structured"):
        nc.empirical_ntk(fn, params, X, method="structured")


def test_auto_falls_back_to_ntvp_under_memory_cap() -> None:
    net = nc.ThreeLayerNet(4, 10)
    params = net.init(0)
    X = data(6)
    G_small_cap = nc.empirical_ntk(net, params, X, memory_cap=1)
    G_jac = nc.empirical_ntk(net, params, X, method="jacobian")
    torch.testing.assert_close(G_small_cap, G_jac, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_and_gram_is_symmetric() -> None:
    net = nc.TwoLayerNet(4, 16)
    params = net.init(0, dtype=torch.float32)
    G = nc.empirical_ntk(net, params, data(5).float())
    assert G.dtype == torch.float32
    assert nc.lambda_min(G) > -1e-5


def mp_reference(x: np.ndarray, y: np.ndarray, trainable: tuple[str, ...]) -> float:
    """H^∞ entry at 50 digits: angle by mpmath.acos of the exactly rounded cosine."""
    mpmath.mp.dps = 50
    xs, ys = [mpmath.mpf(float(v)) for v in x], [mpmath.mpf(float(v)) for v in y]
    dot = mpmath.fsum(a * b for a, b in zip(xs, ys, strict=True))
    nx = mpmath.sqrt(mpmath.fsum(a * a for a in xs))
    ny = mpmath.sqrt(mpmath.fsum(b * b for b in ys))
    cos = max(min(dot / (nx * ny), mpmath.mpf(1)), mpmath.mpf(-1))
    theta = mpmath.acos(cos)
    out = mpmath.mpf(0)
    if "W" in trainable:
        out += dot * (mpmath.pi - theta) / (2 * mpmath.pi)
    if "a" in trainable:
        out += (nx * ny * mpmath.sin(theta) + (mpmath.pi - theta) * dot) / (2 * mpmath.pi)
    return float(out)


@pytest.mark.parametrize("trainable", [("W",), ("a",), ("W", "a")])
def test_relu_ntk_infinite_accurate_near_parallel_and_on_diagonal(trainable: tuple) -> None:
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    # nearly parallel and nearly antiparallel pairs: arccos would lose ~8 digits here
    tiny = 1e-9 * torch.randn(3, 5, generator=gen, dtype=torch.float64)
    X = torch.cat([base, base + tiny, -base + tiny, 3 * base])
    H = nc.relu_ntk_infinite(X, trainable=trainable).numpy()
    Xn = X.numpy()
    ref = np.array([[mp_reference(a, b, trainable) for b in Xn] for a in Xn])
    assert np.abs(H - ref).max() / np.abs(ref).max() < 1e-12
    diag_err = np.abs(np.diag(H) - np.diag(ref)) / np.abs(np.diag(ref))
    assert diag_err.max() < 1e-14


def test_relu_ntk_infinite_unit_norm_is_du_et_al() -> None:
    X = data(6)
    X /= X.norm(dim=1, keepdim=True)
    cos = (X @ X.T).clamp(-1, 1)
    du = cos * (math.pi - torch.arccos(cos)) / (2 * math.pi)
    torch.testing.assert_close(nc.relu_ntk_infinite(X), du, rtol=1e-7, atol=1e-8)
    diag = torch.diagonal(nc.relu_ntk_infinite(X))
    torch.testing.assert_close(diag, (X * X).sum(1) / 2, rtol=1e-15, atol=0)


@pytest.mark.parametrize("trainable", [("W",), ("W", "a")])
def test_relu_ntk_infinite_is_the_wide_limit(trainable: tuple) -> None:
    X = data(8)
    X /= X.norm(dim=1, keepdim=True)
    H = nc.relu_ntk_infinite(X, trainable=trainable)
    widths = [64, 256, 1024, 4096, 16384]
    gaps = []
    for m in widths:
        net = nc.TwoLayerNet(4, m, "relu", trainable=trainable)
        gaps.append(
            np.mean(
                [float((nc.empirical_ntk(net, net.init(s), X) - H).abs().max()) for s in range(6)]
            )
        )
    slope = np.polyfit(np.log(widths), np.log(gaps), 1)[0]
    assert gaps[-1] < 0.05
    assert -0.75 < slope < -0.3, slope  # Monte-Carlo rate m^-1/2


def test_random_feature_gram_and_arccos_limits() -> None:
    X = data(6)
    gen = torch.Generator().manual_seed(5)
    W = torch.randn(200_000, 4, generator=gen, dtype=torch.float64)
    for act, degree in (("relu", 1), ("step", 0)):
        Q = nc.random_feature_gram(X, W, act)
        K = nc.arccos_kernel(X, degree=degree)
        assert float((Q - K).abs().max()) < 8 / math.sqrt(W.shape[0]) * float(K.abs().max())
    net = nc.TwoLayerNet(4, 30, trainable=("a",))
    params = net.init(0)
    torch.testing.assert_close(
        nc.random_feature_gram(X, params["W"]), nc.empirical_ntk(net, params, X)
    )


@pytest.mark.parametrize("act", ["tanh", "softplus", "relu"])
@pytest.mark.parametrize("trainable", [("W",), ("W", "a"), ("a",), ("W", "b", "a")])
def test_output_hessian_norm_matches_the_dense_hessian(act: str, trainable: tuple) -> None:
    net = nc.TwoLayerNet(3, 7, act, trainable=trainable, bias="b" in trainable)
    params, X = net.init(2), nc.sphere_inputs(3, 3, seed=4) * 1.7
    closed = net.output_hessian_norm(params, X)
    sub = {name: params[name] for name in trainable}
    for k in range(3):

        def f(v: torch.Tensor, k: int = k) -> torch.Tensor:
            return net({**params, **nc.unravel(v, sub)}, X[k : k + 1]).sum()

        H = torch.func.hessian(f)(nc.ravel(sub))
        assert float(closed[k]) == pytest.approx(float(torch.linalg.matrix_norm(H, 2)), abs=1e-13)


def test_output_hessian_norm_decays_like_one_over_root_width() -> None:
    X = nc.sphere_inputs(4, 5, seed=0)
    norms = []
    for width in (64, 4096):
        net = nc.TwoLayerNet(5, width, "tanh", trainable=("W", "a"))
        norms.append(float(net.output_hessian_norm(net.init(1), X).max()))
    # the largest unit's block, sup σ'·‖x‖/√m: √m‖∇²f‖ settles to a constant
    assert norms[0] * 8 == pytest.approx(norms[1] * 64, rel=0.02)


# --- random Fourier features -------------------------------------------------------------------
@pytest.mark.parametrize("kernel", nc.SHIFT_INVARIANT)
def test_fourier_features_are_unbiased_within_hoeffding(kernel: str) -> None:
    # 2cos·cos terms lie in [−2, 2]: with N features and 100 maps the mean of z(x)ᵀz(x') over
    # maps is a mean of 100·N such terms, within √(8·log(2P/α)/(100N)) at α = 1e-6
    X = 0.7 * nc.sphere_inputs(6, 4, seed=3)
    K = nc.shift_invariant_kernel(X, kernel=kernel, bandwidth=1.5)
    N, maps = 64, 100
    mean = (
        sum(
            (lambda z: z(X) @ z(X).T)(
                nc.random_fourier_features(4, N, kernel=kernel, bandwidth=1.5, seed=s)
            )
            for s in range(maps)
        )
        / maps
    )
    bound = math.sqrt(8 * math.log(2 * 36 / 1e-6) / (maps * N))
    assert float((mean - K).abs().max()) < bound
    # at 200 000 features the right map is within 0.02; one of twice the bandwidth is biased
    for sigma, err in ((1.5, lambda e: e < 0.02), (3.0, lambda e: e > 0.2)):
        z = nc.random_fourier_features(4, 200_000, kernel=kernel, bandwidth=sigma, seed=0)
        assert err(float((z(X) @ z(X).T - K).abs().max()))


def test_fourier_frequencies_follow_the_spectral_density() -> None:
    z = nc.random_fourier_features(3, 20_000, bandwidth=2.0, seed=1)
    assert abs(float(z.omega.var()) - 0.25) < 0.01  # N(0, I/σ²)
    c = nc.random_fourier_features(3, 20_000, kernel="laplacian", bandwidth=2.0, seed=1)
    assert abs(float(c.omega.abs().median()) - 0.5) < 0.02  # Cauchy(0, 1/σ): median |ω| = 1/σ
    assert float(z.phase.min()) >= 0 and float(z.phase.max()) < 2 * math.pi


def test_fourier_features_one_seed_one_map_on_any_inputs() -> None:
    X, X2 = nc.sphere_inputs(5, 3, seed=1), nc.sphere_inputs(4, 3, seed=2)
    a = nc.random_fourier_features(3, 32, seed=7)
    b = nc.random_fourier_features(3, 32, seed=7)
    assert torch.equal(a(X), b(X))
    assert torch.allclose(a(torch.cat([X, X2]))[5:], a(X2))
    single = nc.random_fourier_features(3, 32, seed=7, dtype=torch.float32)
    assert single(X.float()).dtype == torch.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nc.random_fourier_features(3, 0), "n_features"),
        (lambda: nc.random_fourier_features(0, 4), "d"),
        (lambda: nc.random_fourier_features(3, 4, kernel="cauchy"), "kernel"),
        (lambda: nc.random_fourier_features(3, 4, bandwidth=0.0), "bandwidth"),
        (lambda: nc.random_fourier_features(3, 4, seed=-1), "seed"),
        (lambda: nc.random_fourier_features(3, 4)(torch.zeros(2, 5, dtype=torch.float64)), "X"),
        (lambda: nc.shift_invariant_kernel(torch.zeros(2, 3), kernel="rbf"), "kernel"),
        (lambda: nc.shift_invariant_kernel(torch.ones(2, 3), bandwidth=-1.0), "bandwidth"),
    ],
)
def test_fourier_feature_errors_name_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()
