"""A real multi-process Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes
started here, the CLI's ``--executor dask://`` run, one worker killed with SIGKILL mid-sweep.
The sweep must finish on the surviving worker with the local run's table."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

# A width-vs-n small enough to take ~20 s on two cores, large enough to be killed mid-way.
SETTINGS = ["ns=[16,32]", "width_max=256", "reps=4", "max_steps=5000", "checkpoints=4"]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


def _sweep_cmd(out: Path, executor: str) -> list[str]:
    settings = [arg for s in SETTINGS for arg in ("--set", s)]
    return [sys.executable, "-m", "ntkconv.cli", "sweep", "width-vs-n", "--quick", *settings,
            "--executor", executor, "--out", str(out), "--no-progress"]  # fmt: skip


@pytest.mark.slow
def test_a_dask_cluster_with_a_killed_worker_gives_the_local_table(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    port = _free_port()
    address = f"127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, *argv: str) -> subprocess.Popen:
        log = (logs / f"{name}.log").open("w")
        proc = subprocess.Popen([str(BIN / "dask"), *argv], env=env, stdout=log, stderr=log)
        procs.append(proc)
        return proc

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--no-dashboard")  # fmt: skip
        _wait_listening(port)
        worker = ["worker", f"tcp://{address}", "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        workers = [start(f"worker{i}", *worker, "--name", f"w{i}") for i in range(2)]
        out = tmp_path / "dask"
        run = subprocess.Popen(_sweep_cmd(out, f"dask://{address}"), env=env)
        cells = out / "cells"
        deadline = time.monotonic() + 300
        while len(list(cells.glob("*.json"))) < 8 and run.poll() is None:
            assert time.monotonic() < deadline, "the cluster stored no cells"
            time.sleep(0.1)
        assert run.poll() is None, "the sweep finished before the kill: make it bigger"
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait(timeout=30)
        assert run.wait(timeout=600) == 0
        assert workers[0].poll() is None  # the survivor did the rest
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    local = tmp_path / "local"
    subprocess.run(_sweep_cmd(local, "local"), env=env, check=True, timeout=600)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "results.csv"), pd.read_csv(local / "results.csv"), check_exact=True
    )
    assert (out / "summary.json").read_text() == (local / "summary.json").read_text()
