"""The generalization checks' records carry the numbers issue 7 names (quick mode, computed once
per session with the verdict tests)."""

from __future__ import annotations

import pytest
from _quick import quick_results

REQUIRED = {
    ("random-labels", "digits-wide"): {"steps_to_fit", "min_slowdown", "test_accuracy"},
    ("min-norm-interpolation", "gd-from-zero"): {
        "dist_at_T",
        "max_null_component",
        "kernel_trick_max_gap",
    },
    ("double-descent", "relu-features"): {"peak_N_over_n", "risk_at_peak", "risk_at_max_N"},
    ("distance-from-init", "random-labels"): {"dist_exponent", "dist_exponent_ci", "norm_exponent"},
    ("depth-separation", "sawtooth"): {"pieces_t^k", "deep_net_float64_error"},
    ("relu-approximation", "abs"): {"K=4", "omega_bound_holds"},
    ("uniform-stability", "logistic-regression"): {
        "worst_per_run_ratio",
        "growth_recursion_excess",
        "stability_vs_2L2etaT/n",
    },
    ("coherent-gradients", "winsorized"): {"min_rho", "rho", "steps_A0_Ac_B0_Bc", "b_censored"},
    ("rademacher", "wide-net"): {"rademacher", "min_over_draws"},
    ("telgarsky-depth", "deep-vs-shallow"): {"pieces_t^K", "l1_best_in_C_k", "floor"},
    ("yun-lower-bound", "alternating-line"): {"pieces", "pieces_extremal", "sign_changes"},
}


@pytest.mark.parametrize(("theorem_id", "instance"), list(REQUIRED), ids=lambda v: str(v))
def test_records_carry_the_named_measurements(theorem_id: str, instance: str) -> None:
    measured = quick_results(theorem_id)[instance].measured
    assert REQUIRED[theorem_id, instance] <= set(measured), sorted(measured)


def test_random_labels_are_fitted_and_test_accuracy_falls_to_chance() -> None:
    m = quick_results("random-labels")["digits-wide"].measured
    assert all(v is not None for v in m["steps_to_fit"].values())
    assert m["test_accuracy"]["1"] < 0.2 < 0.8 < m["test_accuracy"]["0"]
    assert quick_results("random-labels")["too-narrow"].measured["min_train_accuracy"] < 1


def test_min_norm_control_converges_to_the_projection_solution() -> None:
    m = quick_results("min-norm-interpolation")["gd-from-random"].measured
    assert m["dist_to_projection_solution"] < 1e-6 < m["dist_at_T"]


def test_sawtooth_pieces_are_exact_and_ridge_flattens_the_peak() -> None:
    m = quick_results("depth-separation")["sawtooth"].measured
    assert m["pieces_t^k"] == 16 and m["deep_net_float64_error"] == 0.0
    dd = quick_results("double-descent")
    assert (
        dd["ridge"].measured["peak_over_final"]
        < 10
        < dd["relu-features"].measured["peak_over_final"]
    )


def test_uniform_stability_recursion_sees_decoupled_orders() -> None:
    """S' run with another order (its data permuted under the same indices): shared steps no
    longer share an example, and the step-by-step recursion fails, while the coupled pair
    obeys it to rounding."""
    import torch

    import ntkconv as nc
    from theorems import uniform_stability as us

    cfg = {**us.BASE, **us.QUICK}
    X, y, x_new, y_new, _, _ = us._data(cfg, 0)
    X2, y2 = X.clone(), y.clone()
    X2[50], y2[50] = x_new[0], y_new[0]
    model, p0 = us._model(cfg, X.shape[1])
    idx = torch.randint(0, 100, (300,), generator=nc.generator(0))
    picks = (idx == 50).numpy()
    perm = torch.randperm(100, generator=nc.generator(1))
    for data, coupled in (((X2, y2), True), ((X2[perm], y2[perm]), False)):
        run = us.paired_sgd(model, p0, ((X, y), data), 1.0, idx)
        ok, excess = us.growth_recursion(run["delta"], run["grad_gap"], picks, 1.0)
        assert ok is coupled and (excess < 1e-12) is coupled


def test_yun_lower_bound_count_is_attained_and_the_constructor_agrees() -> None:
    r = quick_results("yun-lower-bound")
    m = r["alternating-line"].measured
    # (4 + 1)(4 + 1) = 25 pieces, attained; 38 needed; the paper's condition 38 < 39
    assert m["pieces"] == m["pieces_extremal"] == 25 and m["pieces_needed"] == 38
    assert m["constructor_refuses"] and m["forward_gap"] < 1e-12
    wide = r["enough-width"].measured
    assert not wide["constructor_refuses"] and wide["sign_changes"] == wide["pieces_needed"]
    assert r["between-counts"].measured["pieces"] < r["between-counts"].measured["pieces_needed"]


def test_telgarsky_depth_sandwiches_the_best_shallow_error() -> None:
    r = quick_results("telgarsky-depth")
    m = r["deep-vs-shallow"].measured
    # k = 2: ≤ 2 layers, ≤ 4 nodes, at most (2 + 1)(2 + 1) = 9 pieces; t^8 has 256
    assert m["pieces_t^K"] == 256 and m["deep_l1_error"] == 0 and m["max_pieces_C_k"] <= 9
    assert m["floor"] == (128 - 9 + 1) / 512 < m["l1_best_in_C_k"] < 1.1 * m["floor"]
    assert r["depth-k"].measured["l1_best_in_C_k"] == 0


def test_coherent_gradients_permuted_names_slow_like_true_labels() -> None:
    """Permuted class names keep the gradients coherent: B's held-out accuracy is A's, and
    winsorizing slows B about as it slows A (some repeat at ρ ≤ 1)."""
    r = quick_results("coherent-gradients")
    m = r["permuted-classes"].measured
    assert len(m["rho"]) == 8 and min(m["rho"]) <= 1 < r["winsorized"].measured["min_rho"]
    assert all(b > 0.5 for _, b in m["test_accuracy_A_B"])
