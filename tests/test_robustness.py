"""A researcher's own model and data: one test per failure the robustness issue lists (each
failed on the code before the fix), numbered as in the issue."""

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
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.func import functional_call

import ntkconv as nc
from ntkconv._io import atomic_path
from ntkconv.cli import main

X = nc.sphere_inputs(12, 5, 0)
Y = 2 * torch.rand(12, generator=nc.generator(1), dtype=torch.float64) - 1


def module_model(out: int = 1) -> tuple[object, dict[str, torch.Tensor]]:
    """An nn.Module through functional_call, with params straight from named_parameters()
    (they require grad), as a user passes them."""
    torch.manual_seed(0)
    mod = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, out)
    ).double()
    return (lambda p, X: functional_call(mod, p, (X,))), dict(mod.named_parameters())


# --- 1. output shapes ---------------------------------------------------------------------------


def test_1_an_n_by_1_regressor_trains_on_the_right_loss() -> None:
    fn, P = module_model()
    traj = nc.train(fn, P, X, Y, lr=0.05, steps=20)
    with torch.no_grad():
        start = 0.5 * float(((fn(P, X)[:, 0] - Y) ** 2).sum())
    assert traj.loss[0] == pytest.approx(start, rel=1e-12)
    assert traj.loss[-1] < traj.loss[0] and not traj.diverged
    ens = nc.train_ensemble(fn, nc.stack_params([P, P]), X, Y, lr=0.05, steps=20)
    np.testing.assert_allclose(ens.final_loss, traj.loss[-1], rtol=1e-10)
    squeezed = nc.empirical_ntk(lambda p, X: fn(p, X)[:, 0], P, X)
    torch.testing.assert_close(nc.empirical_ntk(fn, P, X), squeezed)


def test_1_accuracy_and_losses_pair_shapes_or_refuse() -> None:
    assert nc.accuracy(torch.ones(4, 1), torch.ones(4)) == 1.0
    u = torch.tensor([[0.5], [-1.0], [2.0]], dtype=torch.float64)
    t = torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)
    assert float(nc.risk(u, t)) == pytest.approx(0.5 * (0.25 + 4 + 9))
    with pytest.raises(ValueError, match=r"takes \(n,\) outputs u"):
        nc.risk(torch.ones(3, 3), torch.ones(3))
    with pytest.raises(ValueError, match="labels ±1"):
        nc.accuracy(torch.ones(3), torch.tensor([0.0, 1.0, 1.0]))
    net = nc.TwoLayerClassifier(5, 8, classes=12)  # k == n: used to broadcast silently
    with pytest.raises(ValueError, match=r"model\(params, X\) must return shape \(n,\)"):
        nc.train(net, net.init(0), X, Y, lr=0.1, steps=2)
    with pytest.raises(ValueError, match=r"\(n, k\) logits with k >= 2"):
        nc.train(
            *module_model(1),
            X,
            torch.zeros(12, dtype=torch.int64),
            lr=0.1,
            steps=1,
            loss="cross_entropy",
        )


def test_1_a_classifier_module_trains_with_cross_entropy() -> None:
    fn, P = module_model(3)
    labels = torch.arange(12) % 3
    traj = nc.train(fn, P, X, labels, lr=0.5, steps=30, loss="cross_entropy", reduction="mean")
    assert traj.loss[-1] < traj.loss[0]
    assert 0.0 <= nc.accuracy(fn(traj.params, X), labels) <= 1.0


# --- 2. params leaking the autograd graph -------------------------------------------------------


def test_2_params_are_detached_on_entry() -> None:
    fn, P = module_model()
    assert all(v.requires_grad for v in P.values())
    traj = nc.train(fn, P, X, Y, lr=0.05, steps=5)
    assert all(not v.requires_grad and v.grad_fn is None for v in traj.params.values())
    ens = nc.train_ensemble(fn, nc.stack_params([P]), X, Y, lr=0.05, steps=5)
    assert all(v.grad_fn is None for v in ens.params.values())
    assert all(v.grad_fn is None for v in nc.jacobian(fn, P, X, flat=False).values())


# --- 3. one exception loses everything ----------------------------------------------------------


def test_3_a_bad_seed_is_bad_usage_not_a_lost_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "coherent-gradients", "--quick", "--seed", "-1"])
    assert exc.value.code == 2
    assert "expected an int in [0, 2^63)" in capsys.readouterr().err


# --- 4. failures after all the work is done -----------------------------------------------------


def test_4_bad_sweep_arguments_fail_before_any_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "width-vs-n", "--quick", "--seed", "-1"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "width-vs-n", "--quick", "--workers", "-1"])
    assert exc.value.code == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    start = time.monotonic()
    for argv, message in [
        (["--executor", "foo", "--out", str(tmp_path / "a")], "unknown executor 'foo'"),
        (["--out", str(blocker)], "is not a folder"),
        (["--out", str(blocker / "sub")], "cannot create"),
    ]:
        assert main(["sweep", "width-vs-n", "--quick", "--no-progress", *argv]) == 2
        assert message in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "sweep.json").write_text(json.dumps({"name": "x", "config": {}}))
    assert main(["sweep", "width-vs-n", "--quick", "--out", str(other)]) == 2
    assert "holds a different sweep" in capsys.readouterr().err
    assert time.monotonic() - start < 10  # refused up front, no cell computed
    assert not list((tmp_path / "a").glob("cells/*.json"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_4_read_only_folders_are_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["check", "pl-gd-rate", "--quick", "--figures", str(ro)]) == 2
        assert main(["report", "pl-gd-rate", "--quick", "--out", str(ro)]) == 2
        assert main(["sweep", "width-vs-n", "--quick", "--out", str(ro)]) == 2
    finally:
        ro.chmod(0o700)


def test_4_figures_pointing_at_a_file_fail_before_the_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "f.png"
    target.write_text("")
    start = time.monotonic()
    assert main(["check", "pl-gd-rate", "--quick", "--figures", str(target)]) == 2
    assert main(["report", "pl-gd-rate", "--quick", "--out", str(target)]) == 2
    assert "--figures" in capsys.readouterr().err
    assert time.monotonic() - start < 2


# --- 5. unknown names and values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nc.risk(Y, Y, "squred"), ValueError, "unknown loss 'squred'"),
        (lambda: nc.pointwise_loss(Y, Y, "l1"), ValueError, "unknown loss 'l1'"),
        (lambda: nc.risk(Y, Y, reduction="avg"), ValueError, "unknown reduction 'avg'"),
        (lambda: _train(lr=float("nan")), ValueError, "lr must be a finite number > 0"),
        (lambda: _train(lr=float("inf")), ValueError, "lr must be a finite number > 0"),
        (lambda: _train(lr=0.0), ValueError, "lr must be a finite number > 0"),
        (lambda: _train(lr=-0.5), ValueError, "lr must be a finite number > 0"),
        (lambda: _train(lr="0.1"), TypeError, "lr must be a number"),
        (lambda: _train(lr=lambda k, p, g: -0.1), ValueError, r"lr\(k, params, grad\) must"),
        (lambda: _train(blowup=0.0), ValueError, "blowup must be a number > 0"),
        (lambda: _train(blowup=0.5), ValueError, "blowup must be >= 1"),
        (lambda: _train(target_loss=float("nan")), ValueError, "target_loss must be"),
        (lambda: _train(steps=2.5), ValueError, "steps must be an integer >= 0"),
        (lambda: _train(seed=-1, batch_size=4), ValueError, r"seed must be an integer in \[0"),
        (lambda: _ensemble(X[:0], Y[:0]), ValueError, "X is empty"),
        (lambda: _ensemble(X, Y, lr=-1.0), ValueError, "lr must be a finite scalar > 0"),
        (lambda: _ensemble(X, Y, lr="a"), TypeError, "lr must be a number"),
        (lambda: _ensemble(X.half(), Y.half()), TypeError, "dtype must be torch.float32"),
        (lambda: nc.empirical_ntk(NET, NET.init(0), X.half()), TypeError, "float32 or float64"),
        (
            lambda: nc.empirical_ntk(NET, NET.init(0, dtype=torch.bfloat16), X),
            TypeError,
            "dtype must be torch.float32 or torch.float64",
        ),
        (lambda: NET.init(-1), ValueError, r"seed must be an integer in \[0, 2\^63\)"),
        (lambda: NET.init(2**64), ValueError, r"seed must be an integer in \[0, 2\^63\)"),
        (lambda: NET.init(1.7), TypeError, "seed must be an integer"),
        (lambda: NET.init("3"), TypeError, "seed must be an integer"),
        (lambda: NET.init(True), TypeError, "seed must be an integer"),
        (lambda: nc.sphere_inputs(4, 3, -2), ValueError, "seed must be"),
        (lambda: nc.digits(100, seed=-1), ValueError, "seed must be"),
        (
            lambda: nc.corrupt_labels(torch.zeros(3, dtype=torch.int64), 0.5, 2, 1.5),
            TypeError,
            "seed",
        ),
        (lambda: nc.fit_power_law([1, 2, 4], [1, 2, 4], seed=-3), ValueError, "seed"),
        (lambda: nc.derive_seed(0, "x") and nc.generator(2**63), ValueError, "seed"),
    ],
)
def test_5_bad_values_are_refused_by_name(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


NET = nc.TwoLayerNet(5, 8)


def _train(**kw: object) -> nc.Trajectory:
    args = {"lr": 0.1, "steps": 3, **kw}
    return nc.train(NET, NET.init(0), X, Y, **args)


def _ensemble(X: torch.Tensor, y: torch.Tensor, **kw: object) -> nc.EnsembleTrajectory:
    params = nc.stack_params([NET.init(s, dtype=X.dtype) for s in range(2)])
    return nc.train_ensemble(NET, params, X, y, **{"lr": 0.1, "steps": 2, **kw})


def test_5_derived_seeds_are_valid_seeds_everywhere() -> None:
    child = nc.derive_seed(2**63 - 1, "labels", {"rep": 10**6})
    assert 0 <= child < nc.SEED_BOUND
    nc.digits(100, seed=child)  # scikit-learn's int random_state stops at 2^32
    NET.init(child)
    nc.fit_power_law([1, 2, 4], [1, 2.1, 3.9], seed=child, n_resamples=10)
    assert NET.init(np.int64(5))["W"].equal(NET.init(5)["W"])


# --- 6. sweep results trusted blindly -----------------------------------------------------------


def tiny_cell(cells: list[nc.Cell], config: dict) -> list[dict]:
    """A cheap cell function (module level, so process executors can pickle it)."""
    return [{"value": np.float64(c.coords["a"] * 2.0), "count": np.int64(1)} for c in cells]


def clashing_cell(cells: list[nc.Cell], config: dict) -> list[dict]:
    return [{"a": 1.0} for _ in cells]


def array_cell(cells: list[nc.Cell], config: dict) -> list[dict]:
    return [{"v": np.ones(2)} if c.coords["a"] == 1 else {"v": 1.0} for c in cells]


def _sweep(cell: object = tiny_cell) -> nc.Sweep:
    return nc.Sweep("tiny", {"a": [1, 2, 3]}, cell, config={"seed": 0})


def test_6_corrupt_and_foreign_cell_files_are_rejected_by_name(tmp_path: Path) -> None:
    first = nc.run_sweep(_sweep(), tmp_path, executor="serial", progress=False)
    files = sorted((tmp_path / "cells").glob("*.json"))
    files[0].write_text("{not json")
    files[1].write_text(json.dumps({"coords": {}, "record": {}}))
    with pytest.warns(UserWarning, match="2 stored cell file") as caught:
        again = nc.run_sweep(_sweep(), tmp_path, executor="serial", progress=False)
    assert str(files[0]) in str(caught[0].message) or str(files[1]) in str(caught[0].message)
    assert set(again.rejected) == {files[0], files[1]}
    assert "not a readable JSON file" in again.rejected[files[0]]
    assert "not a cell file" in again.rejected[files[1]]
    assert (again.computed, again.reused) == (2, 1)
    assert again.frame.equals(first.frame)
    # a cell file holding another cell's coordinates is rejected too
    entry = json.loads(files[2].read_text())
    files[2].write_text(json.dumps({**entry, "coords": {"a": 99}}))
    with pytest.warns(UserWarning):
        third = nc.run_sweep(_sweep(), tmp_path, executor="serial", progress=False)
    assert "stores the cell {'a': 99}" in third.rejected[files[2]]
    with pytest.raises(ValueError, match="not a readable JSON"):
        files[0].write_text("[")
        nc.load_cells(tmp_path)


def test_6_an_edited_cell_function_invalidates_its_cells(tmp_path: Path) -> None:
    nc.run_sweep(_sweep(), tmp_path, executor="serial", progress=False)

    def tiny_cell(cells: list[nc.Cell], config: dict) -> list[dict]:  # same name, new body
        return [{"value": c.coords["a"] * 3.0, "count": 1} for c in cells]

    with pytest.warns(UserWarning, match="computed by .*tiny_cell"):
        run = nc.run_sweep(_sweep(tiny_cell), tmp_path, executor="serial", progress=False)
    assert run.computed == 3 and list(run.frame["value"]) == [3.0, 6.0, 9.0]
    assert nc.cell_identity(tiny_cell) != nc.cell_identity(globals()["tiny_cell"])


def test_6_records_are_checked_in_the_worker(tmp_path: Path) -> None:
    run = nc.run_sweep(_sweep(), tmp_path / "ok", executor="serial", progress=False)
    assert list(run.frame["count"]) == [1, 1, 1]  # NumPy scalars stored as numbers
    with pytest.raises(nc.SweepError, match="repeats coordinate keys"):
        nc.run_sweep(_sweep(clashing_cell), tmp_path / "clash", executor="serial", progress=False)
    with pytest.raises(nc.SweepError, match=r'"a":1.*must be a scalar') as exc:
        nc.run_sweep(_sweep(array_cell), tmp_path / "arr", executor="serial", progress=False)
    assert len(exc.value.failures) == 1  # the other two cells ran and are stored
    assert len(list((tmp_path / "arr" / "cells").glob("*.json"))) == 2


def test_6_temp_files_of_live_writers_survive_a_concurrent_start(tmp_path: Path) -> None:
    cells = tmp_path / "cells"
    cells.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with atomic_path(cells / "live.json") as live:
        live.write_text("x")
        stale = cells / live.name.replace(f"-{os.getpid()}.", f"-{dead.stdout.strip()}.")
        stale.write_text("x")
        nc.run_sweep(_sweep(), tmp_path, executor="serial", progress=False)
        assert live.exists() and not stale.exists()


SLOW_SWEEP = textwrap.dedent(
    """
    import sys, time
    import ntkconv as nc

    def slow(cells, config):
        time.sleep(0.4)
        return [{"v": float(c.coords["a"])} for c in cells]

    if __name__ == "__main__":
        sweep = nc.Sweep("slow", {"a": list(range(40))}, slow)
        nc.run_sweep(sweep, sys.argv[1], executor="local", workers=2, progress=False)
    """
)


# slow: a sweep subprocess is started and interrupted (~11 s); CI runs it with -m slow
@pytest.mark.slow
def test_6_sigint_stores_finished_cells_and_exits_promptly(tmp_path: Path) -> None:
    script = tmp_path / "slow_sweep.py"
    script.write_text(SLOW_SWEEP)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(out.glob("cells/*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert time.monotonic() - sent < 5
    stored = list(out.glob("cells/*.json"))
    assert 4 <= len(stored) < 40
    assert all(json.loads(p.read_text())["record"]["v"] >= 0 for p in stored)
    assert not list(out.glob("cells/.*.tmp"))


CONCURRENT = SLOW_SWEEP.replace("time.sleep(0.4)", "time.sleep(0.1)").replace(
    'executor="local", workers=2', 'executor="serial"'
)


# two sweep processes (about 9 s): slow
@pytest.mark.slow
def test_6_two_sweeps_writing_one_folder_agree(tmp_path: Path) -> None:
    script = tmp_path / "sweep.py"
    script.write_text(CONCURRENT)
    out = tmp_path / "out"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(out)], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    table = (out / "results.csv").read_text().splitlines()
    assert len(table) == 41 and table[1] == "0,0.0"
    assert not list(out.glob("cells/.*.tmp"))


# --- 7. smaller ones ----------------------------------------------------------------------------


def test_7_smaller_ones() -> None:
    with pytest.raises(ValueError, match="positive semi-definite"):
        nc.condition_number(torch.diag(torch.tensor([2.0, -1.0], dtype=torch.float64)))
    assert nc.condition_number(torch.diag(torch.tensor([2.0, 0.0], dtype=torch.float64))) == (
        float("inf")
    )
    A = torch.randn(3, 5, generator=nc.generator(0), dtype=torch.float64)
    Y2 = torch.randn(3, 2, generator=nc.generator(1), dtype=torch.float64)
    W = nc.min_norm_lstsq(A, Y2)
    assert W.shape == (5, 2)
    torch.testing.assert_close(W[:, 1], nc.min_norm_lstsq(A, Y2[:, 1]))
    flipped = X.numpy()[::-1]  # negative strides
    torch.testing.assert_close(
        nc.empirical_ntk(NET, NET.init(0), flipped), nc.empirical_ntk(NET, NET.init(0), X.flip(0))
    )
    assert nc.expand_grid({"a": {3, 1}, "b": (i for i in range(2))})[0] == {"a": 1, "b": 0}
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        nc.jacobian(NET, NET.init(0), X, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size"):
        nc.empirical_ntk(NET, NET.init(0), X, method="ntvp", chunk_size=-1)
    tangents = {"W": torch.zeros(8, 5, dtype=torch.float32)}
    with pytest.raises(TypeError, match=r"tangents\['W'\] is torch.float32"):
        nc.jvp(NET, NET.init(0), X, tangents)
    with pytest.raises(TypeError, match=r"V is torch\.float32"):
        nc.ntk_vector_product(NET, NET.init(0), X, torch.ones(12))


def test_7_repeated_ids_and_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "pl-gd-rate", "pl-gd-rate", "--quick"]) == 2
    assert "given more than once" in capsys.readouterr().err
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "width-vs-n" in [s["name"] for s in listing["sweeps"]]


def test_7_compact_table_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["check", "pl-gd-rate", "--quick", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80 and any("…" in line for line in lines)


def test_sweep_dataclass_replace_keeps_identity_of_the_same_function() -> None:
    same = dataclasses.replace(_sweep(), name="tiny")
    assert nc.cell_identity(same.cell) == nc.cell_identity(tiny_cell)


# --- a second battery (an independent reviewer's cases), each once accepted or a traceback ---

P0 = NET.init(0)
LOGITS = torch.randn(5, 3, generator=nc.generator(2), dtype=torch.float64)


def _gd(**kw: object) -> nc.Trajectory:
    return nc.gradient_descent(lambda p: (p["W"] ** 2).sum(), P0, **{"lr": 0.1, "steps": 2, **kw})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: nc.risk(LOGITS, torch.tensor([0, 1, 5, 0, 1]), "cross_entropy"),
            ValueError,
            r"classes in 0\.\.2",
        ),
        (
            lambda: nc.risk(LOGITS[:, :1], torch.zeros(5, dtype=torch.long), "cross_entropy"),
            ValueError,
            "k >= 2",
        ),
        (
            lambda: nc.risk(
                Y[:5], torch.tensor([1.0, 0, 1, 0, 1], dtype=torch.float64), "logistic"
            ),
            ValueError,
            "±1",
        ),
        (lambda: nc.risk(Y[:5], torch.arange(5)), TypeError, "y has dtype torch.int64"),
        (lambda: nc.risk(torch.zeros(0), torch.zeros(0)), ValueError, "empty"),
        (lambda: nc.accuracy(LOGITS, torch.tensor([0, 1, 7, 0, 1])), ValueError, "classes"),
        (lambda: _train(callbacks={"loss": lambda p: 1.0}), ValueError, r"callbacks\['loss'\]"),
        (lambda: _train(callbacks=[len]), TypeError, "callbacks must be a dict"),
        (lambda: _train(until=True), TypeError, "until must be callable"),
        (lambda: _train(observe=3), TypeError, "observe must be callable"),
        (lambda: _train(gram_steps=[1.5]), ValueError, "gram_steps"),
        (lambda: _train(gram_steps=[100]), ValueError, "gram_steps must lie in 0..steps"),
        (lambda: _train(gram_steps="01"), TypeError, "gram_steps"),
        (lambda: _train(seed=-1), ValueError, "seed"),
        (lambda: _train(wrt=5), TypeError, "wrt must be a parameter name"),
        (lambda: _train(wrt=["W", "W"]), ValueError, "wrt names a parameter twice"),
        (lambda: nc.train(NET, P0, X[:, :4], Y, lr=0.1, steps=1), ValueError, "got 4 columns"),
        (
            lambda: _gd(lr=0.1) and nc.gradient_descent(lambda p: p["W"], P0, lr=0.1, steps=1),
            TypeError,
            "loss_fn",
        ),
        (
            lambda: nc.gradient_descent(
                lambda p: (p["W"] ** 2).sum(),
                P0,
                lr=0.1,
                steps=1,
                grad_fn=lambda k, p: {"Q": p["W"]},
            ),
            TypeError,
            "grad_fn",
        ),
        (
            lambda: nc.hessian_eigenvalue(lambda p: (p["W"] ** 2).sum(), P0, tol=-1),
            ValueError,
            "tol",
        ),
        (lambda: nc.jvp(NET, P0, X, {"W": P0["W"] * math.nan}), ValueError, "NaN"),
        (
            lambda: nc.ntk_vector_product(NET, P0, X, torch.tensor(1.0, dtype=torch.float64)),
            ValueError,
            "V must have shape",
        ),
        (lambda: nc.unravel(torch.ones(3), P0), ValueError, "vector must have shape"),
        (lambda: nc.ravel(P0, ["Q"]), ValueError, "lacks"),
        (lambda: nc.random_feature_gram(X, P0["W"] * math.nan), ValueError, "W contains NaN"),
        (lambda: nc.arccos_kernel(X, degree=True), ValueError, "degree"),
        (lambda: nc.eigvalsh(torch.tensor([[1, 1j], [-1j, 1]])), TypeError, "float32 or float64"),
        (lambda: nc.eigvalsh(torch.eye(2).half()), TypeError, "float32 or float64"),
        (lambda: nc.numerical_rank(torch.eye(2), rtol=-1.0), ValueError, "rtol"),
        (lambda: nc.min_norm_lstsq(torch.eye(2), torch.ones(2), ridge="0.1"), TypeError, "ridge"),
        (
            lambda: nc.stack_params([P0, NET.init(1, dtype=torch.float32)]),
            TypeError,
            r"members\[1\] is torch.float32",
        ),
        (lambda: nc.stack_params(P0), TypeError, "members must be a list"),
        (lambda: _ensemble(X, Y, lr=True), TypeError, "lr must be a number"),
        (lambda: nc.zhang_memorizer(X, Y, rtol=-1.0), ValueError, "rtol"),
        (lambda: nc.rectangle_net([0.0], [], 0.1), ValueError, "edges"),
        (lambda: nc.interleaved_biases([2.0, 1.0]), ValueError, "strictly increasing"),
        (lambda: nc.abs_residuals(NET, P0, X, Y[:3]), ValueError, "y must have shape"),
        (lambda: nc.digits(50, dtype=torch.int64), TypeError, "dtype"),
        (lambda: nc.sphere_inputs(3, 2, dtype=torch.float16), TypeError, "dtype"),
        (lambda: NET.init(0, dtype=torch.int64), TypeError, "dtype"),
        (lambda: NET.init(0, scale=math.nan), ValueError, "scale"),
        (lambda: nc.TwoLayerClassifier(3, 4, classes=1), ValueError, "classes must be >= 2"),
        (lambda: nc.digits_two_class((0.5, 1)), ValueError, "classes"),
        (lambda: nc.digits_two_class((0, 1), seed="a"), TypeError, "seed"),
        (lambda: nc.corrupt_labels(torch.arange(10), 0.5, classes=5), ValueError, "labels"),
        (lambda: nc.corrupt_labels(torch.arange(3), True, classes=5), ValueError, "ratio"),
        (lambda: NET(P0, X.float()), TypeError, "X has dtype"),
        (lambda: nc.leaky_relu("abc"), ValueError, "slope"),
        (lambda: nc.hoeffding_interval(["0.5", "0.6"], 0, 1), TypeError, "samples"),
        (lambda: nc.hoeffding_interval([0.5], 0, math.inf), ValueError, "low and high"),
        (lambda: nc.fit_power_law([1, 2], [1, 4], n_resamples=1), ValueError, "n_resamples"),
        (lambda: nc.fit_power_law(np.ones((2, 2)) + 1, [1, 2, 3, 4]), ValueError, "same shape"),
        (lambda: nc.derive_seed(0, object()), TypeError, "JSON values"),
        (lambda: nc.derive_seed(0, {"b", "a"}), TypeError, "JSON values"),
        (lambda: nc.PiecewiseLinear((0.0, math.nan), (0, 1)), ValueError, "finite"),
        (lambda: nc.compare("abc", "<=", 1), TypeError, "measured"),
        (lambda: nc.decide("no", "no"), TypeError, "hypotheses_met"),
        (lambda: nc.save_figure(5, "x.png"), TypeError, "Figure"),
    ],
)
def test_battery_bad_values_are_refused_by_name(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_battery_data_requiring_grad_is_detached() -> None:
    Xg = X.clone().requires_grad_()
    traj = nc.train(NET, P0, Xg, Y, lr=0.1, steps=3)
    assert all(v.grad_fn is None for v in traj.params.values())
    assert nc.empirical_ntk(NET, P0, Xg).grad_fn is None


def test_battery_sweep_definitions_are_checked_up_front(tmp_path: Path) -> None:
    def nested(cells: list[nc.Cell], config: dict) -> list[dict]:
        return [{"v": 1.0} for _ in cells]

    bad = [
        (dataclasses.replace(_sweep(), batch_axis="rep"), "serial", "batch_axis"),
        (dataclasses.replace(_sweep(), name=""), "serial", "sweep.name"),
        (dataclasses.replace(_sweep(), cell=5), "serial", "sweep.cell"),
        (dataclasses.replace(_sweep(), config={"x": object()}), "serial", "JSON values"),
        (_sweep(nested), "local", "cannot be sent to worker processes"),
    ]
    for sweep, executor, match in bad:
        with pytest.raises((TypeError, ValueError), match=match):
            nc.run_sweep(sweep, tmp_path / "s", executor=executor, progress=False)
    with pytest.raises(ValueError, match="not a folder of cell files"):
        nc.load_cells(tmp_path / "missing")


def test_battery_seeds_flag_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "pl-gd-rate", "--quick", "--seeds", "0:3000000000"]) == 2
    assert "at most 10000 seeds" in capsys.readouterr().err
