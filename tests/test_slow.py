"""Full-size configurations (``pytest -m slow``; CI runs them after the default suite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ntkconv as nc


@pytest.mark.slow
@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_full_configurations_come_out_as_expected(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    for inst in theorem.instances:
        result = theorem.check(inst.name, quick=False)
        assert result.passed, (inst.name, result.verdict, result.hypotheses)


@pytest.mark.slow
def test_quick_width_vs_n_sweep_writes_table_figures_and_alpha(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ntkconv.cli",
            "sweep",
            "width-vs-n",
            "--quick",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert "gd random: alpha = " in done.stdout and "95% CI" in done.stdout
    for name in ("results.csv", "summary.json", "width-vs-n.png", "construction-vs-gd.png"):
        assert (out / name).stat().st_size > 0
    summary = json.loads((out / "summary.json").read_text())
    for labels in ("random", "teacher"):
        assert summary["gd"][labels]["censored_n"] == []
        lo, hi = summary["gd"][labels]["alpha_ci"]
        assert lo <= summary["gd"][labels]["alpha"] <= hi
