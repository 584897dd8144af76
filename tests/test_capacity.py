"""ntkconv.max_halfspace_correlation against a certified brute force: every labeling of a small
sample tested for homogeneous linear separability by a linear program (scipy)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

import ntkconv as nc


def _separable(X: np.ndarray, labels: np.ndarray) -> bool:
    """Some w has labels_i wᵀx_i ≥ 1 for all i (strict separation, scaled)."""
    res = linprog(
        np.zeros(X.shape[1]),
        A_ub=-(labels[:, None] * X),
        b_ub=-np.ones(len(X)),
        bounds=[(None, None)] * X.shape[1],
        method="highs",
    )
    return res.status == 0


@pytest.mark.parametrize(("n", "d"), [(9, 2), (10, 3), (8, 4)])
def test_the_vertex_enumeration_is_the_best_separable_labeling(n: int, d: int) -> None:
    X = nc.sphere_inputs(n, d, seed=n + d)
    dichotomies = np.array(
        [
            lab
            for lab in itertools.product((-1.0, 1.0), repeat=n)
            if _separable(X.numpy(), np.array(lab))
        ]
    )
    gen = torch.Generator().manual_seed(0)
    S = torch.where(torch.rand(40, n, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0)
    sup, margin = nc.max_halfspace_correlation(X, S, chunk=7)
    expected = (dichotomies @ S.numpy().T).max(axis=0) / n
    np.testing.assert_array_equal(sup.numpy(), expected)
    assert margin > 1e-6


def test_bad_inputs_are_named() -> None:
    X = nc.sphere_inputs(5, 3, seed=0)
    with pytest.raises(ValueError, match="signs must have shape"):
        nc.max_halfspace_correlation(X, torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="entries ±1"):
        nc.max_halfspace_correlation(X, torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="n ≥ d ≥ 2"):
        nc.max_halfspace_correlation(X[:2], torch.ones(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="MAX_SUBSETS"):
        nc.max_halfspace_correlation(
            nc.sphere_inputs(300, 4, seed=0), torch.ones(300, dtype=torch.float64)
        )


def _grid_max(X: torch.Tensor, u0: torch.Tensor, rho: float, s: torch.Tensor, k: int) -> float:
    """max of |Σ σ_i relu(uᵀx_i)| over a k×k polar grid of the disk ‖u − u0‖ ≤ ρ in R²."""
    r = torch.linspace(0, rho, k, dtype=torch.float64)
    t = torch.linspace(0, 2 * np.pi, 4 * k, dtype=torch.float64)
    U = u0 + (r[:, None, None] * torch.stack([t.cos(), t.sin()], -1)[None]).reshape(-1, 2)
    return float((torch.relu(U @ X.T) @ s).abs().max())


def test_unit_correlation_is_the_maximum_over_each_ball() -> None:
    """In R² a fine grid brackets the maximum: grid ≤ max ≤ grid + Lipschitz·spacing. The value
    never exceeds the bracket (every point tried is in the ball); the local search reaches the
    grid's maximum in 29 of these 30 (draw, unit) pairs — one stops on a local maximum of the
    circle (0.544 against 0.643), which is why checks read it as a lower estimate."""
    X = nc.sphere_inputs(12, 2, seed=3).double()
    gen = torch.Generator().manual_seed(1)
    U0 = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    rho = torch.tensor([0.0, 0.3, 1.0, 2.0, 5.0], dtype=torch.float64)
    S = torch.where(torch.rand(6, 12, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0).double()
    got = nc.unit_correlation(X, U0, rho, S)
    k = 400
    reached = 0
    for a in range(S.shape[0]):
        for j in range(U0.shape[0]):
            grid = _grid_max(X, U0[j], float(rho[j]), S[a], k)
            # |Σ σ_i relu(uᵀx_i)| is Σ‖x_i‖ = 12-Lipschitz in u; grid spacing ≤ 2πρ/(4k) + ρ/k
            slack = 12 * float(rho[j]) * (2 * np.pi / (4 * k) + 1 / k)
            assert float(got[a, j]) <= grid + slack + 1e-12
            reached += float(got[a, j]) >= grid - 1e-3 * max(grid, 1.0)
    assert reached >= 29


def test_unit_correlation_is_exact_on_orthonormal_inputs_from_zero() -> None:
    """u⁰ = 0 and orthonormal x_i: the maximum is ρ√max(N₊, N₋), reached to rounding."""
    X = torch.linalg.qr(torch.randn(20, 10, generator=torch.Generator().manual_seed(0),
                                    dtype=torch.float64))[0].T  # fmt: skip
    S = torch.where(torch.rand(50, 10, generator=torch.Generator().manual_seed(2),
                               dtype=torch.float64) < 0.5, -1.0, 1.0).double()  # fmt: skip
    rho = torch.tensor([0.5, 3.0], dtype=torch.float64)
    got = nc.unit_correlation(X, torch.zeros(2, 20, dtype=torch.float64), rho, S, chunk=7)
    plus = (S > 0).sum(1).double()
    want = torch.sqrt(torch.maximum(plus, 10 - plus))[:, None] * rho[None]
    torch.testing.assert_close(got, want, rtol=1e-12, atol=0)


def test_unit_correlation_follows_the_inputs_dtype() -> None:
    X = nc.sphere_inputs(6, 3, seed=0).float()
    out = nc.unit_correlation(X, torch.zeros(2, 3), torch.ones(2), torch.ones(6), steps=3)
    assert out.dtype == torch.float32 and out.shape == (1, 2)


def test_unit_correlation_bad_inputs_are_named() -> None:
    X = nc.sphere_inputs(5, 3, seed=0)
    U0 = torch.zeros(2, 3, dtype=torch.float64)
    rho = torch.ones(2, dtype=torch.float64)
    ones = torch.ones(5, dtype=torch.float64)
    with pytest.raises(ValueError, match="centers must have shape"):
        nc.unit_correlation(X, torch.zeros(2, 4, dtype=torch.float64), rho, ones)
    with pytest.raises(ValueError, match="radii must be"):
        nc.unit_correlation(X, U0, -rho, ones)
    with pytest.raises(ValueError, match="radii must be"):
        nc.unit_correlation(X, U0, torch.ones(3, dtype=torch.float64), ones)
    with pytest.raises(ValueError, match="signs must be ±1"):
        nc.unit_correlation(X, U0, rho, torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="steps"):
        nc.unit_correlation(X, U0, rho, ones, steps=-1)
    with pytest.raises(ValueError, match="starts"):
        nc.unit_correlation(X, U0, rho, ones, starts=-1)


def test_random_signs_are_fair_seeded_and_device_independent() -> None:
    S = nc.random_signs((400, 50), seed=3)
    assert set(S.unique().tolist()) == {-1.0, 1.0}
    assert abs(float(S.mean())) < 0.02  # 20 000 fair signs: sd 0.007
    torch.testing.assert_close(nc.random_signs((400, 50), seed=3, dtype=torch.float32), S.float())
    assert not torch.equal(nc.random_signs((400, 50), seed=4), S)
    with pytest.raises(ValueError, match="shape entry"):
        nc.random_signs((0, 3))


def test_multiclass_margins_match_a_loop_and_sign_correctness() -> None:
    g = torch.Generator().manual_seed(3)
    F = torch.randn(40, 5, generator=g, dtype=torch.float64)
    y = torch.randint(5, (40,), generator=g)
    m = nc.multiclass_margins(F, y)
    loop = [float(F[i, y[i]] - max(F[i, j] for j in range(5) if j != y[i])) for i in range(40)]
    assert torch.allclose(m, torch.tensor(loop, dtype=torch.float64))
    assert torch.equal(m > 0, F.argmax(dim=1) == y)


def test_spectral_complexity_closed_forms() -> None:
    g = torch.Generator().manual_seed(0)
    # one layer, M = 0: R = ρ‖Aᵀ‖_{2,1}, the sum of A's row norms (not its columns')
    A = torch.randn(3, 7, generator=g, dtype=torch.float64)
    r = nc.spectral_complexity([A], lipschitz=2.0)
    assert r.value == pytest.approx(2 * float(A.norm(dim=1).sum()), rel=1e-12)
    assert r.spectral_norms[0] == pytest.approx(float(torch.linalg.svdvals(A)[0]), rel=1e-12)
    # scaled orthogonal layers: R = Π s_i · (Σ_i d_i^{2/3})^{3/2}
    Q = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=torch.float64))[0]
    r = nc.spectral_complexity([1.5 * Q, 0.5 * Q.T])
    assert r.value == pytest.approx(0.75 * (2 * 4 ** (2 / 3)) ** 1.5, rel=1e-12)
    # the reference enters only the (2,1) distances; homogeneity: R(cA) = c^L R(A)
    B = torch.randn(5, 3, generator=g, dtype=torch.float64)
    assert nc.spectral_complexity([A, B], references=[A, B]).correction == 0.0
    assert nc.spectral_complexity([3 * A, 3 * B]).value == pytest.approx(
        9 * nc.spectral_complexity([A, B]).value, rel=1e-12
    )


def test_layer_matrices_reproduce_the_classifier() -> None:
    net = nc.TwoLayerClassifier(d=6, width=20, classes=4)
    p = net.init(2)
    X = nc.sphere_inputs(9, 6, seed=4)
    A1, A2 = net.layer_matrices(p)
    X1 = net.augment(X)
    assert torch.equal(X1[:, :-1], X) and bool((X1[:, -1] == 1).all())
    assert torch.allclose(torch.relu(X1 @ A1.T) @ A2.T, net(p, X), rtol=1e-12, atol=1e-12)


def test_margin_and_complexity_bad_inputs_are_named() -> None:
    F = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="labels"):
        nc.multiclass_margins(F, torch.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match="k >= 2"):
        nc.multiclass_margins(torch.zeros(3, 1), torch.tensor([0, 0, 0]))
    with pytest.raises(TypeError, match="labels"):
        nc.multiclass_margins(F, torch.zeros(3))
    A = torch.ones(3, 4)
    with pytest.raises(ValueError, match="do not chain"):
        nc.spectral_complexity([A, A])
    with pytest.raises(ValueError, match="at least one"):
        nc.spectral_complexity([])
    with pytest.raises(ValueError, match="zero"):
        nc.spectral_complexity([torch.zeros(3, 4)])
    with pytest.raises(ValueError, match=r"references\[0\]"):
        nc.spectral_complexity([A], references=[torch.ones(4, 3)])
    with pytest.raises(ValueError, match="lipschitz"):
        nc.spectral_complexity([A], lipschitz=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"lipschitz\[0\]"):
        nc.spectral_complexity([A], lipschitz=0.0)
    with pytest.raises(ValueError, match="NaN"):
        nc.spectral_complexity([A * math.nan])
    with pytest.raises(KeyError, match="'b'"):
        nc.TwoLayerClassifier(d=4, width=3, classes=2).layer_matrices({"W": torch.ones(3, 4)})


def test_matrix_project_is_unbiased_with_the_exact_second_moment() -> None:
    g = torch.Generator().manual_seed(5)
    A = torch.randn(3, 4, generator=g, dtype=torch.float64)
    x = torch.randn(4, generator=g, dtype=torch.float64)
    k, draws = 3, 4000
    errors = torch.stack([(nc.matrix_project(A, k, seed=s)[0] - A) @ x for s in range(draws)])
    second = (3 * A.norm() ** 2 * x.norm() ** 2 + (A @ x).norm() ** 2
              - 2 * ((A**2) @ (x**2)).sum()) / k  # fmt: skip
    mean = nc.t_interval(errors[:, 0].numpy())
    assert mean.lower <= 0.0 <= mean.upper
    sq = nc.t_interval((errors**2).sum(dim=1).numpy())
    assert sq.lower <= float(second) <= sq.upper
    # seeded helper string; chunking does not change it
    a1, c1 = nc.matrix_project(A, 7, seed=1, chunk=2)
    a2, c2 = nc.matrix_project(A, 7, seed=1, chunk=7)
    assert torch.equal(c1, c2) and torch.allclose(a1, a2, rtol=0, atol=1e-14)


def test_layer_cushion_closed_forms_and_bad_inputs() -> None:
    u = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    # rank one along the inputs: cushion 1; orthogonal inputs: 0
    assert nc.layer_cushion(u.T @ u, u) == pytest.approx(1.0, rel=1e-12)
    assert nc.layer_cushion(u.T @ u, torch.tensor([[4.0, -3.0]], dtype=torch.float64)) == 0.0
    with pytest.raises(ValueError, match="nonzero"):
        nc.layer_cushion(torch.zeros(2, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match="inputs"):
        nc.layer_cushion(torch.ones(2, 2), torch.ones(1, 3))
    with pytest.raises(ValueError, match="k"):
        nc.matrix_project(torch.ones(2, 2), 0, seed=0)


def test_relu_layers_is_the_classifiers_forward_and_checks_the_chain() -> None:
    net = nc.TwoLayerClassifier(d=5, width=7, classes=3)
    params = {k: v.double() for k, v in net.init(seed=1).items()}
    X = torch.randn(6, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    hs = nc.relu_layers(net.layer_matrices(params), net.augment(X))
    assert [h.shape for h in hs] == [(6, 6), (6, 7), (6, 3)]
    assert torch.allclose(hs[-1], net(params, X), rtol=1e-12, atol=1e-12)
    assert bool((hs[1] >= 0).all()) and bool((hs[-1] < 0).any())  # no ReLU on the output
    with pytest.raises(ValueError, match=r"mats\[1\]"):
        nc.relu_layers([torch.ones(4, 6), torch.ones(3, 5)], torch.ones(2, 6))
    with pytest.raises(ValueError, match="at least one"):
        nc.relu_layers([], torch.ones(2, 6))


def test_matrix_project_rounds_its_coefficients_to_the_levels() -> None:
    A = torch.randn(4, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    exact, c = nc.matrix_project(A, 50, seed=3)
    rounded, cq = nc.matrix_project(A, 50, seed=3, levels=2**8)
    scale = 2.0 ** math.ceil(math.log2(float(c.abs().max())))
    step = 2 * scale / 255
    assert float((cq - c).abs().max()) <= step / 2 + 1e-12
    assert len(torch.unique(torch.round((cq + scale) / step))) <= 256
    # the rounding error reaches Â through the same signs: ≤ step/2 · w·h per entry / k · k
    assert float((rounded - exact).abs().max()) <= step / 2
    with pytest.raises(ValueError, match="levels"):
        nc.matrix_project(A, 5, seed=0, levels=1)
