"""The console script: list, check --json, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ntkconv.cli import main


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert "pl-gd-rate" in capsys.readouterr().out
    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(t["id"] == "pl-gd-rate" and t["statement"] for t in listed["theorems"])
    names = [s["name"] for s in listed["sweeps"]]
    assert names == ["width-vs-depth", "width-vs-n", "width-vs-n-smooth"]


def test_check_json_and_figures(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["check", "pl-gd-rate", "--quick", "--json", "--no-progress", "--figures", str(tmp_path)]
    )
    records = json.loads(capsys.readouterr().out)
    assert code == 0
    for r in records:
        keys = {"id", "instance", "control", "declared", "verdict", "predicted", "measured"}
        assert keys | {"hypotheses_met", "conclusion_holds", "tightness"} <= set(r)
        assert r["as_declared"] and r["verdict"] == r["declared"]
        assert r["tightness"]["about"]
    assert (tmp_path / "pl-gd-rate.png").stat().st_size > 10_000


# slow: two subprocesses, each importing torch (~12 s); CI runs it with -m slow
@pytest.mark.slow
def test_console_script_table_and_unknown_id() -> None:
    # the compact 80-column table is tested in process (test_robustness); here the installed
    # module runs once, with --wide
    cmd = [sys.executable, "-m", "ntkconv.cli", "check", "pl-gd-rate", "--quick", "--no-progress"]
    env = {**os.environ, "COLUMNS": "80"}
    wide = subprocess.run([*cmd, "--wide"], capture_output=True, text=True, env=env, check=False)
    assert wide.returncode == 0, wide.stderr
    assert "7 of 7 as declared" in wide.stdout
    assert "lecture-convention" in wide.stdout and "failed-without-hypothesis" in wide.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ntkconv.cli", "check", "no-such-theorem"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "unknown theorem id" in bad.stderr
