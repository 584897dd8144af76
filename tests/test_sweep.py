"""The sweep engine and the vmapped ensemble: grids, seeds, persistence (SIGKILL and restart),
executors (serial, local processes, Dask), and ensemble training equal to sequential training."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from math import inf
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.func import vmap

import ntkconv as nc
from experiments import width_vs_n
from ntkconv.cli import main
from ntkconv.sweep import make_cells

# A width-vs-n small enough for tests: 2 n × 6 widths × 2 label kinds × 3 seeds + constructions.
TINY = (
    "width_vs_n.sweep(quick=True, settings={'ns': [8, 16], 'width_max': 32, "
    "'widths_per_octave': 1, 'reps': 3, 'max_steps': 150, 'checkpoints': 5, 'search': 'grid'})"
)


def tiny() -> nc.Sweep:
    return eval(TINY, {"dataclasses": dataclasses, "width_vs_n": width_vs_n})


# --- grids and seeds --------------------------------------------------------------------------


def test_grid_is_product_or_union_in_a_fixed_order() -> None:
    assert nc.expand_grid({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    union = nc.expand_grid([{"a": [1]}, {"a": [2], "c": [0, 1]}])
    assert union == [{"a": 1}, {"a": 2, "c": 0}, {"a": 2, "c": 1}]


@pytest.mark.parametrize(
    ("grid", "match"),
    [({}, "non-empty"), ({"a": []}, "no values"), ({"a": "xyz"}, "list of values"), ([], "empty")],
)
def test_bad_grids_are_refused(grid: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nc.expand_grid(grid)


def test_seeds_depend_only_on_coordinates() -> None:
    assert nc.derive_seed(0, {"n": 8, "w": 2}) == nc.derive_seed(0, {"w": 2, "n": 8})
    assert nc.derive_seed(0, {"n": 8}) != nc.derive_seed(1, {"n": 8})
    assert 0 <= nc.derive_seed("x") < 2**63
    sweep = tiny()
    other = dataclasses.replace(sweep, grid=list(reversed(sweep.grid)))
    seeds = {c.key: c.seed for c in make_cells(sweep)}
    assert seeds == {c.key: c.seed for c in make_cells(other)}


# --- ensembles --------------------------------------------------------------------------------


def _members(seeds: int = 4, n: int = 12, d: int = 5, m: int = 16) -> tuple:
    net = nc.TwoLayerNet(d, m)
    X = torch.stack([nc.sphere_inputs(n, d, 100 + s) for s in range(seeds)])
    y = torch.stack([torch.linspace(-1, 1, n) * (-1) ** s for s in range(seeds)]).double()
    return net, [net.init(s) for s in range(seeds)], X, y


def test_ensemble_matches_sequential_training_member_by_member() -> None:
    net, members, X, y = _members()
    grams = [net.structured_ntk(p, x) for p, x in zip(members, X, strict=True)]
    top = [float(torch.linalg.eigvalsh(g)[-1]) for g in grams]
    lr = [12 / top[0], 6 / top[1], 9 / top[2], 1e4]  # n/λ_max, smaller ones; the last blows up
    together = nc.train_ensemble(
        net,
        nc.stack_params(members),
        X,
        y,
        lr=lr,
        steps=200,
        reduction="half_mean",
        target_loss=2e-3,
    )
    for s, p in enumerate(members):
        alone = nc.train(
            net,
            p,
            X[s],
            y[s],
            lr=lr[s],
            steps=200,
            reduction="half_mean",
            target_loss=2e-3,
            track_activations=False,
            progress=False,
        )
        assert together.diverged[s] == alone.diverged
        assert together.reached[s] == (not alone.diverged and alone.loss[-1] <= 2e-3)
        stop = alone.diverged_at if alone.diverged else alone.step[-1]
        assert together.stopped_at[s] == stop
        torch.testing.assert_close(together.params["W"][s], alone.params["W"], rtol=1e-10, atol=0)
        assert together.final_loss[s] == pytest.approx(alone.loss[-1], rel=1e-10)
        if not alone.diverged:  # the same recorders, step for step, as a sequential run
            rows = slice(0, len(alone.step))
            for column in ("loss", "grad_norm_sq", "dist_from_init"):
                np.testing.assert_allclose(
                    getattr(together, column)[rows, s], getattr(alone, column), rtol=1e-9
                )
    assert together.diverged.tolist() == [False, False, False, True]
    assert together.reached[:3].all()


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("model", ["two-layer", "deep"])
def test_sgd_ensemble_follows_each_members_sequential_sgd(shared: bool, model: str) -> None:
    """Each member draws the batches train(..., batch_size, seed) draws: the same path, the
    same stopping step — with a model's batched forward (TwoLayerNet) and through vmap."""
    net, members, X, y = _members(seeds=3)
    lr = 0.5
    if model == "deep":
        net = nc.DeepNet(5, (8, 8), parametrization="standard", trainable=("W1", "W2", "a"))
        members, lr = [net.init(s) for s in range(3)], 0.05
    if shared:
        X, y = X[0], y[0]
    seeds = [7, 8, 9]
    together = nc.train_ensemble(net, nc.stack_params(members), X, y, lr=lr, steps=60,
                                 reduction="half_sum", batch_size=4, seeds=seeds,
                                 target_loss=0.05)  # fmt: skip
    assert not together.diverged.any()
    for s, p in enumerate(members):
        alone = nc.train(net, p, X if shared else X[s], y if shared else y[s], lr=lr, steps=60,
                         reduction="half_sum", batch_size=4, seed=seeds[s], target_loss=0.05,
                         track_activations=False, progress=False)  # fmt: skip
        assert together.stopped_at[s] == alone.step[-1]
        for name in alone.params:
            torch.testing.assert_close(
                together.params[name][s], alone.params[name], rtol=1e-10, atol=1e-12
            )
        np.testing.assert_allclose(together.loss[: len(alone.step), s], alone.loss, rtol=1e-9)


def test_sgd_ensemble_needs_one_seed_per_member() -> None:
    net, members, X, y = _members(seeds=2)
    stacked = nc.stack_params(members)
    with pytest.raises(ValueError, match="seeds must be 2 SGD seeds"):
        nc.train_ensemble(net, stacked, X, y, lr=1.0, steps=1, batch_size=3, seeds=[1])
    with pytest.raises(ValueError, match="with batch_size"):
        nc.train_ensemble(net, stacked, X, y, lr=1.0, steps=1, seeds=[1, 2])
    with pytest.raises(ValueError, match="batch_size must be <= n"):
        nc.train_ensemble(net, stacked, X, y, lr=1.0, steps=1, batch_size=13, seeds=[1, 2])


def test_ensemble_shares_X_and_y_and_checks_shapes() -> None:
    net, members, X, y = _members(seeds=2)
    shared = nc.train_ensemble(net, nc.stack_params(members), X[0], y[0], lr=1.0, steps=5)
    per_member = nc.train_ensemble(
        net, nc.stack_params(members), X[0].expand(2, -1, -1), y[0].expand(2, -1), lr=1.0, steps=5
    )
    np.testing.assert_array_equal(shared.loss, per_member.loss)
    with pytest.raises(ValueError, match=r"X must have shape"):
        nc.train_ensemble(net, nc.stack_params(members), X[:1], y, lr=1.0, steps=1)
    with pytest.raises(ValueError, match="one such entry per member"):
        nc.train_ensemble(net, nc.stack_params(members), X, y, lr=[1.0, 2.0, 3.0], steps=1)
    with pytest.raises(ValueError, match="NaN or inf"):
        nc.train_ensemble(net, nc.stack_params(members), X, y * np.nan, lr=1.0, steps=1)
    with pytest.raises(ValueError, match="differs from members"):
        nc.stack_params([members[0], nc.TwoLayerNet(5, 3).init(0)])
    with pytest.raises(ValueError, match="empty"):
        nc.stack_params([])
    assert len(nc.unstack_params(nc.stack_params(members))) == 2


def test_structured_ntk_runs_under_vmap() -> None:
    net = nc.TwoLayerNet(4, 7, trainable=("W", "b", "a"), bias=True)
    members = [net.init(s) for s in range(3)]
    X = nc.sphere_inputs(6, 4, 0)
    batched = vmap(net.structured_ntk, in_dims=(0, None))(nc.stack_params(members), X)
    for s, p in enumerate(members):
        torch.testing.assert_close(batched[s], net.structured_ntk(p, X))


# --- persistence and executors ----------------------------------------------------------------


def _run_script(out: Path, pause: float = 0.0) -> subprocess.Popen:
    """The tiny sweep in a subprocess, serially; ``pause`` seconds before each task keep the
    run long enough for the kill to land mid-sweep on a fast machine too."""
    code = textwrap.dedent(
        f"""
        import dataclasses, time, ntkconv as nc
        from experiments import width_vs_n
        sweep = {TINY}
        def paused(cells, config):
            time.sleep({pause})
            return width_vs_n.run_cells(cells, config)
        sweep = dataclasses.replace(sweep, cell=paused)
        nc.run_sweep(sweep, {str(out)!r}, executor="serial", progress=False)
        """
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", code], env=env)


@pytest.mark.slow  # 33 s: a subprocess sweep killed mid-run, then restarted
def test_a_killed_sweep_restarts_without_losing_or_recomputing_cells(tmp_path: Path) -> None:
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert _run_script(whole).wait(timeout=300) == 0
    proc = _run_script(cut, pause=0.3)
    cells = cut / "cells"
    deadline = time.monotonic() + 120
    while len(list(cells.glob("*.json"))) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.read_text() for p in cells.glob("*.json")}
    total = len(make_cells(tiny()))
    assert 10 <= len(finished) < total, "the kill should land mid-sweep"
    assert not (cut / "results.csv").exists()
    assert _run_script(cut).wait(timeout=300) == 0
    # Cells finished before the kill are untouched (not recomputed, not rewritten) ...
    assert {p: (cells / p).read_text() for p in finished} == finished
    # ... and the table equals the uninterrupted run's, bit for bit.
    pd.testing.assert_frame_equal(
        pd.read_csv(cut / "results.csv"), pd.read_csv(whole / "results.csv"), check_exact=True
    )
    # The scripts ran a wrapper of the cell function, whose identity differs: all recomputed.
    with pytest.warns(UserWarning, match=f"{total} stored cell file"):
        rerun = nc.run_sweep(tiny(), cut, executor="serial", progress=False)
    assert (rerun.computed, rerun.reused) == (total, 0) and len(rerun.rejected) == total
    assert (cut / "results.csv").read_text() == (whole / "results.csv").read_text()
    again = nc.run_sweep(tiny(), cut, executor="serial", progress=False)
    assert (again.computed, again.reused) == (0, total)


# two worker processes start torch (about 15 s): slow, run by CI after the default suite
@pytest.mark.slow
def test_local_processes_and_serial_give_the_same_table(tmp_path: Path) -> None:
    sweep = tiny()
    sweep = dataclasses.replace(sweep, grid=[{**sweep.grid[0], "n": [8]}, sweep.grid[1]])
    serial = nc.run_sweep(sweep, tmp_path / "serial", executor="serial", progress=False)
    local = nc.run_sweep(sweep, tmp_path / "local", executor="local", workers=2, progress=False)
    assert local.computed == serial.computed == len(serial.frame)
    pd.testing.assert_frame_equal(local.frame, serial.frame, check_exact=False, rtol=1e-12)
    assert {p.name for p in local.figures} == {"width-vs-n.png", "construction-vs-gd.png"}
    summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert summary["yun"]["max_error"] < 1e-8 and summary["zhang"]["max_error"] < 1e-8


# The executor string path; test_cluster.py runs a real multi-process cluster (slow too).
@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_table(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    sweep = tiny()
    sweep = dataclasses.replace(sweep, grid=[{**sweep.grid[0], "n": [8], "width": [2, 8]}])
    local = nc.run_sweep(sweep, tmp_path / "local", executor="local", workers=2, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        remote = nc.run_sweep(sweep, tmp_path / "dask", executor=address, progress=False)
    assert remote.computed == len(local.frame)
    pd.testing.assert_frame_equal(remote.frame, local.frame, check_exact=False, rtol=1e-12)


def test_a_changed_config_is_refused_and_failures_name_the_cell(tmp_path: Path) -> None:
    sweep = tiny()
    small = dataclasses.replace(sweep, grid=[{**sweep.grid[1], "n": [8], "rep": [0]}])
    nc.run_sweep(small, tmp_path, executor="serial", progress=False)
    changed = dataclasses.replace(small, config={**small.config, "max_steps": 301})
    with pytest.raises(ValueError, match="holds a different sweep"):
        nc.run_sweep(changed, tmp_path, executor="serial", progress=False)
    broken = dataclasses.replace(small, grid=[{**small.grid[0], "method": ["nope"]}])
    with pytest.raises(nc.SweepError, match='"method":"nope"'):
        nc.run_sweep(broken, tmp_path / "b", executor="serial", progress=False)
    with pytest.raises(ValueError, match="unknown executor"):
        nc.run_sweep(small, tmp_path / "c", executor="threads", progress=False)


def test_cli_sweep_names_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "nope"]) == 2  # bad usage
    assert "unknown sweep 'nope'" in capsys.readouterr().err
    assert main(["list"]) == 0
    assert "width-vs-n" in capsys.readouterr().out


# --- the width-vs-n summary -------------------------------------------------------------------


def test_threshold_width_reads_the_logistic_fit_and_handles_the_edges() -> None:
    widths = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
    # P(fit) rising through 1/2 at m = 8, symmetric in log m: m* for q = 1/2 is 8.
    fit = np.array([[0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 1], [1, 1, 1, 0], [1, 1, 1, 1]], bool)
    assert width_vs_n.threshold_width(widths, fit, 0.5) == pytest.approx(8, rel=1e-3)
    higher = width_vs_n.threshold_width(widths, fit, 0.8)
    assert 8 < higher < 32
    assert width_vs_n.threshold_width(widths, np.ones((5, 4), bool), 0.8) == 2.0
    assert np.isnan(width_vs_n.threshold_width(widths, np.zeros((5, 4), bool), 0.8))
    # A dip above an early crossing moves m* up, not down (no first-crossing artefact).
    dip = fit.copy()
    dip[3] = [1, 0, 0, 0]
    assert width_vs_n.threshold_width(widths, dip, 0.5) > 8
    # One fit per width, at every width: the fit is nearly flat (b ≈ 4e-5), log m* ≈ 6e4,
    # which exp overflows unless it is clipped first.
    flat = np.zeros((5, 4), bool)
    flat[[0, 1, 2, 3, 4], [0, 1, 1, 1, 0]] = True
    assert width_vs_n.threshold_width(widths, flat, 0.8) == pytest.approx(32.0)


def test_theory_widths_are_the_table_s_expressions() -> None:
    fns = {
        name: expr.subs({width_vs_n.n_: 100, width_vs_n.d_: 10})
        for name, expr in width_vs_n.THEORY.items()
    }
    assert fns["Oymak & Soltanolkotabi 2020"] == 1000
    assert fns["Kawaguchi & Huang 2019"] == 100
    assert float(fns["Song et al. 2021 (smooth σ)"]) == pytest.approx(1000)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("per_member_X", [False, True])
def test_stacked_forward_is_vmap_of_the_net(bias: bool, per_member_X: bool) -> None:
    """TwoLayerNet.stacked, the ensemble trainer's batched forward, is vmap(net) exactly."""
    from torch.func import vmap

    net = nc.TwoLayerNet(d=3, width=7, activation="softplus", bias=bias)
    params = nc.stack_params([net.init(seed=s) for s in range(3)])
    X = nc.sphere_inputs(5, 3, seed=2)
    if per_member_X:
        X = torch.stack([X, 2 * X, -X])
    expected = vmap(net, in_dims=(0, 0 if per_member_X else None))(params, X)
    torch.testing.assert_close(net.stacked(params, X), expected, rtol=1e-14, atol=1e-14)


def test_ensemble_of_a_model_without_stacked_goes_through_vmap() -> None:
    """A plain function model (no ``stacked``) trains member by member like ``train``."""

    def model(p: dict, X: torch.Tensor) -> torch.Tensor:
        return torch.tanh(X @ p["w"])

    X = nc.sphere_inputs(6, 3, seed=4)
    y = torch.linspace(-0.5, 0.5, 6, dtype=torch.float64)
    members = [
        {"w": torch.randn(3, dtype=torch.float64, generator=nc.generator(s))} for s in (1, 2)
    ]
    together = nc.train_ensemble(model, nc.stack_params(members), X, y, lr=0.3, steps=20)
    for s, p in enumerate(members):
        alone = nc.train(model, p, X, y, lr=0.3, steps=20, progress=False)
        np.testing.assert_allclose(together.loss[:, s], alone.loss, rtol=1e-12)
        np.testing.assert_allclose(together.grad_norm_sq[:, s], alone.grad_norm_sq, rtol=1e-12)


def bisect_cell(cells: list, config: dict) -> list[dict]:
    return [{"fit": c.coords["m"] >= config["threshold"]} for c in cells]


def bisect_refine(frame, config: dict):
    """The smallest m with fit, searched on config["widths"] by bisection."""
    widths = config["widths"]
    seen = {widths.index(m): bool(f) for m, f in zip(frame.m, frame.fit, strict=True)}
    nxt = nc.bisect_threshold(seen, len(widths))
    return None if nxt is None else {"m": [widths[nxt]]}


def test_refine_rounds_bisect_and_a_rerun_retraces_them_from_stored_cells(tmp_path) -> None:
    widths = list(range(1, 41))
    sweep = nc.Sweep(
        "bisect",
        {"m": [widths[19]]},
        bisect_cell,
        config={"threshold": 14, "widths": widths},
        refine=bisect_refine,
    )
    first = nc.run_sweep(sweep, tmp_path, executor="serial", progress=False)
    assert first.frame.m.tolist() == [20, 10, 15, 12, 13, 14]
    assert first.rounds == 5 and first.computed == 6
    assert first.frame[first.frame.fit].m.min() == 14
    again = nc.run_sweep(sweep, tmp_path, executor="serial", progress=False)
    assert (again.computed, again.reused, again.rounds) == (0, 6, 5)
    pd.testing.assert_frame_equal(again.frame, first.frame)
    # The full grid into the same folder reuses the 6 cells the search stored.
    full = nc.run_sweep(
        nc.Sweep("bisect", {"m": widths}, bisect_cell, config=sweep.config),
        tmp_path,
        executor="serial",
        progress=False,
    )
    assert (full.computed, full.reused) == (34, 6)


def runaway_refine(frame, config: dict):
    return {"m": [int(frame.m.max()) + 1]}


def test_refine_is_checked_and_a_runaway_refine_stops(tmp_path) -> None:
    with pytest.raises(TypeError, match=r"sweep\.refine must be callable"):
        nc.run_sweep(
            nc.Sweep("r", {"m": [1]}, bisect_cell, config={"threshold": 1}, refine=3),
            tmp_path / "a",
            executor="serial",
        )
    sweep = nc.Sweep("r", {"m": [1]}, bisect_cell, config={"threshold": 1}, refine=runaway_refine)
    with pytest.raises(RuntimeError, match=f"after {nc.MAX_ROUNDS} rounds"):
        nc.run_sweep(sweep, tmp_path / "b", executor="serial", progress=False)


@pytest.mark.parametrize("size", [1, 2, 7, 40])
def test_bisect_threshold_finds_the_first_true_of_a_monotone_list(size: int) -> None:
    for threshold in range(size + 1):
        seen: dict[int, bool] = {}
        while (i := nc.bisect_threshold(seen, size)) is not None:
            assert i not in seen
            seen[i] = i >= threshold
        first = min((i for i, ok in seen.items() if ok), default=size)
        assert first == threshold
        assert len(seen) <= math.ceil(math.log2(size + 1)) + 1
        if 0 < threshold < size:
            assert not seen[threshold - 1]


def test_bisect_threshold_confirms_below_and_refuses_bad_arguments() -> None:
    # Non-monotone: 10 and 11 fail, 9 passes — the confirmation finds 9 and bisects below.
    outcome = {i: (i >= 12 or i == 9) for i in range(40)}
    seen: dict[int, bool] = {}
    while (i := nc.bisect_threshold(seen, 40, confirm=2)) is not None:
        seen[i] = outcome[i]
    assert min(i for i, ok in seen.items() if ok) == 9
    with pytest.raises(ValueError, match="outside"):
        nc.bisect_threshold({40: True}, 40)
    with pytest.raises(ValueError, match="confirm"):
        nc.bisect_threshold({}, 40, confirm=-1)


# --- the width-vs-n criterion, search and settings --------------------------------------------


def _linear_gd_steps(G: torch.Tensor, r0: torch.Tensor, eps: float, limit: int = 100_000) -> int:
    """The linearized GD of the sweep run step by step: r ← (I − G/λ_max) r until ‖r‖²/2n ≤ ε."""
    n, top = r0.shape[0], torch.linalg.eigvalsh(G)[-1]
    r = r0.clone()
    for k in range(limit):
        if float(r @ r) / (2 * n) <= eps:
            return k
        r = r - G @ r / top
    raise AssertionError("did not converge")


@pytest.mark.parametrize("seed", range(6))
def test_linear_steps_is_the_linearized_trajectory_and_rate_steps_bounds_it(seed: int) -> None:
    gen = nc.generator(seed)
    n = 12
    A = torch.randn(n, n + 3, dtype=torch.float64, generator=gen)
    G = A @ A.T / n + 0.02 * torch.eye(n, dtype=torch.float64)
    r0 = torch.randn(n, dtype=torch.float64, generator=gen)
    evals, vecs = torch.linalg.eigh(G)
    proj_sq = (vecs.T @ r0) ** 2
    for eps in (1e-1, 1e-3, 1e-6):
        exact = _linear_gd_steps(G, r0, eps)
        assert width_vs_n.linear_steps(evals, proj_sq, n, eps) == exact
        loss0 = float(r0 @ r0) / (2 * n)
        bound = width_vs_n.rate_steps(float(evals[0]), float(evals[-1]), loss0, eps)
        assert exact <= bound  # the rate's count always suffices ...
        # ... and a 10% smaller λ_min (a planted fault in the bound) changes it.
        assert width_vs_n.rate_steps(0.9 * float(evals[0]), float(evals[-1]), loss0, eps) > bound


def test_linear_steps_is_infinite_when_the_null_space_holds_more_than_eps() -> None:
    evals = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    assert width_vs_n.linear_steps(evals, torch.tensor([1.0, 1.0, 1.0]).double(), 3, 1e-3) == inf
    assert width_vs_n.linear_steps(evals, torch.tensor([0.0, 1.0, 1.0]).double(), 3, 1e-3) < inf
    assert width_vs_n.rate_steps(0.0, 1.0, 0.5, 1e-3) == inf
    assert width_vs_n.rate_steps(0.5, 1.0, 1e-4, 1e-3) == 0


# the full grid and the bisection both run (about 20 s): slow
@pytest.mark.slow
def test_bisection_finds_the_full_grid_m_star_on_the_tiny_sweep(tmp_path: Path) -> None:
    full = nc.run_sweep(tiny(), tmp_path / "grid", executor="serial", progress=False)
    settings = {"ns": [8, 16], "width_max": 32, "widths_per_octave": 1, "reps": 3,
                "max_steps": 150, "checkpoints": 5}  # fmt: skip
    search = width_vs_n.sweep(quick=True, settings={**settings, "search": "bisect"})
    assert search.config == tiny().config  # the search is not in the config: cells are shared
    adaptive = nc.run_sweep(search, tmp_path / "grid", executor="serial", progress=False)
    assert adaptive.computed == 0 and adaptive.rounds >= 2  # every cell came from the grid's
    for labels, rec in full.summary["gd"].items():
        got = adaptive.summary["gd"][labels]
        # Within one step of the tiny grid (a factor 2), from fewer cells.
        assert np.all(np.abs(np.log2(np.divide(got["m_star"], rec["m_star"]))) <= 1)
        assert sum(got["gd_cells"]) < sum(rec["gd_cells"])


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"bogus": 1}, "unknown width-vs-n settings"),
        ({"eps": 0}, "'eps' must be a number"),
        ({"ns": []}, "'ns' must be a non-empty list"),
        ({"ns": [8], "n_max": 64}, "either ns or n_max"),
        ({"labels": ["noise"]}, "'labels' must be a list"),
        ({"reps": 0}, "'reps' must be an integer >= 1"),
        ({"search": "random"}, "'search' must be one of"),
        ({"budget_factor": 0.5}, "'budget_factor'"),
        ({"activation": "swish"}, "'activation' must be an activation name"),
        ({"train_output": 1}, "'train_output' must be true or false"),
        ({"device": "tpu9"}, "'device' must name a torch device"),
        ({"device": "meta"}, "'device' must be a CPU or CUDA device"),
        ({"device": 3.5}, "'device' must name a torch device"),
        *(
            []
            if torch.cuda.is_available()
            else [({"device": "cuda"}, "'device' is 'cuda', but torch sees no CUDA device")]
        ),
    ],
)
def test_width_vs_n_settings_are_validated(settings: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        width_vs_n.sweep(settings=settings)


def test_n_max_expands_to_powers_of_two_and_the_cli_reads_settings(tmp_path: Path) -> None:
    assert width_vs_n.resolve_settings(overrides={"n_max": 100})["ns"] == [16, 32, 64]
    config = tmp_path / "run.toml"
    config.write_text('d = 8\nlabels = ["teacher"]\nns = [8]\n')
    from ntkconv.cli import UsageError, parse_settings

    assert parse_settings(config, ["eps=0.01", "search=grid"]) == {
        "d": 8,
        "labels": ["teacher"],
        "ns": [8],
        "eps": 0.01,
        "search": "grid",
    }
    with pytest.raises(UsageError, match="KEY=VALUE"):
        parse_settings(None, ["eps"])
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(UsageError, match="not valid JSON"):
        parse_settings(bad, [])


def test_cli_sweep_with_settings_writes_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["sweep", "width-vs-n", "--quick", "--executor", "serial", "--no-progress"]
    settings = ["ns=[8]", "width_max=4", "reps=2", "max_steps=50", 'labels=["teacher"]']
    assert main(argv + [arg for s in settings for arg in ("--set", s)]) == 0
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("width-vs-n-quick-")
    assert json.loads((folder / "sweep.json").read_text())["config"]["ns"] == [8]


def test_unkeyed_settings_let_a_larger_grid_reuse_the_cells_it_shares(tmp_path: Path) -> None:
    def sweep(ns: list[int], scale: int = 1) -> nc.Sweep:
        return nc.Sweep(
            "grow", {"n": ns}, unkeyed_cell, config={"ns": ns, "scale": scale}, unkeyed=("ns",)
        )

    first = nc.run_sweep(sweep([1, 2]), tmp_path, executor="serial", progress=False)
    grown = nc.run_sweep(sweep([1, 2, 3]), tmp_path, executor="serial", progress=False)
    assert (first.computed, grown.computed, grown.reused) == (2, 1, 2)
    with pytest.raises(ValueError, match="holds a different sweep"):  # a keyed change
        nc.run_sweep(sweep([1, 2], scale=2), tmp_path, executor="serial", progress=False)
    with pytest.raises(ValueError, match="unkeyed must be a tuple of config keys"):
        nc.run_sweep(
            dataclasses.replace(sweep([1]), unkeyed=("nope",)), tmp_path / "b", executor="serial"
        )


def unkeyed_cell(cells: list, config: dict) -> list[dict]:
    return [{"sq": config["scale"] * c.coords["n"] ** 2} for c in cells]


def flaky_cell(cells: list, config: dict) -> list[dict]:
    if cells[0].coords == {"g": "a", "m": config["broken"]}:
        raise ValueError("this width cannot be computed")
    return bisect_cell(cells, config)


def two_searches(frame, config: dict):
    """bisect_refine for each of the groups a and b."""
    points = []
    for g, rows in frame.groupby("g"):
        nxt = bisect_refine(rows, config)
        if nxt is not None:
            points.append({"g": [g], **nxt})
    return points


def test_refinement_goes_on_past_a_failed_cell_and_then_reports_it(tmp_path: Path) -> None:
    widths = list(range(1, 41))
    sweep = nc.Sweep(
        "flaky",
        {"g": ["a", "b"], "m": [widths[19]]},
        flaky_cell,
        config={"threshold": 14, "widths": widths, "broken": 10},
        refine=two_searches,
    )
    with pytest.raises(nc.SweepError, match=r'"m":10'):
        nc.run_sweep(sweep, tmp_path, executor="serial", progress=False)
    stored = {(e["coords"]["g"], e["coords"]["m"]) for e in nc.load_cells(tmp_path).values()}
    # Search a stops at its failed width (it needs it); search b runs to its end regardless.
    assert {m for g, m in stored if g == "a"} == {20}
    assert {m for g, m in stored if g == "b"} == {20, 10, 15, 12, 13, 14}


def test_cli_refuses_settings_for_a_sweep_that_takes_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def plain(quick: bool = False, seed: int = 0) -> nc.Sweep:
        return nc.Sweep("plain", {"n": [1]}, unkeyed_cell, config={"scale": 1})

    monkeypatch.setattr("ntkconv.cli.sweep_registry", lambda: {"plain": plain})
    assert main(["sweep", "plain", "--set", "scale=2"]) == 2
    assert "takes no settings" in capsys.readouterr().err


@pytest.mark.slow
def test_width_vs_n_trains_a_smooth_student_on_both_layers(tmp_path: Path) -> None:
    settings = {
        "ns": [8],
        "width_max": 8,
        "reps": 2,
        "max_steps": 400,
        "labels": ["teacher"],
        "activation": "softplus",
        "train_output": True,
        "search": "grid",
    }
    run = nc.run_sweep(width_vs_n.sweep(quick=True, settings=settings), tmp_path, executor="serial")
    gd = run.frame[run.frame.method == "gd"]
    assert len(gd) == 2 * len(width_vs_n.width_grid(8))
    # no ReLU: Du et al.'s λ₀ is not defined and no unit can be dead
    assert gd.lambda_0.isna().all() and (gd.dead_points == 0).all()
    # a is trained: the step n/λ_max(G(0)) uses the Gram of both layers, larger than W's alone
    w_only = nc.run_sweep(
        width_vs_n.sweep(quick=True, settings={**settings, "train_output": False}),
        tmp_path / "w-only",
        executor="serial",
    ).frame
    assert (gd.lr.to_numpy() < w_only[w_only.method == "gd"].lr.to_numpy()).all()


@pytest.mark.slow
def test_the_smooth_sweep_adds_the_relu_reference_and_lazy_cells(tmp_path: Path) -> None:
    settings = {"ns": [8], "width_max": 4, "reps": 2, "max_steps": 200, "search": "grid",
                "lazy_width": 64, "lazy_ns": [8]}  # fmt: skip
    run = nc.run_sweep(width_vs_n.smooth_sweep(settings=settings), tmp_path, executor="serial")
    assert set(run.frame.method) == {"gd", "gd-relu", "lazy"}  # no constructions
    frame = run.frame.set_index("method")
    assert (frame.loc["gd-relu"].output_change == 0).all()  # Du et al.'s student: W only
    assert (frame.loc["gd"].output_change > 0).all() and frame.loc["gd-relu"].lambda_0.notna().all()
    assert {"gd", "gd-relu", "lazy"} <= set(run.summary)
    assert run.summary["lazy"]["random"]["width"] == [64]
    assert [p.name for p in run.figures] == ["width-vs-n.png"]
