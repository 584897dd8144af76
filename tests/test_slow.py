"""Full-size configurations (``pytest -m slow``; CI runs them after the default suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ntkconv as nc


@pytest.mark.slow
@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_full_configurations_come_out_as_declared(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    run = nc.run_checks([theorem], quick=False, progress=False)
    for result in run.results:
        assert result.as_declared, (result.instance, result.problems, result.hypotheses)


@pytest.mark.slow
def test_quick_width_vs_n_sweep_writes_table_figures_and_alpha(tmp_path: Path) -> None:
    # CI keeps the cells for the documentation build, which then recomputes none of them
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")
    out = Path(artifacts) / "width-vs-n-quick" if artifacts else tmp_path / "sweep"
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


@pytest.mark.slow
def test_quick_width_vs_depth_sweep_finds_m_star_at_every_depth(tmp_path: Path) -> None:
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")  # kept for the documentation build
    out = Path(artifacts) / "width-vs-depth-quick" if artifacts else tmp_path / "sweep"
    command = ["sweep", "width-vs-depth", "--quick", "--out", str(out), "--no-progress"]
    done = subprocess.run(
        [sys.executable, "-m", "ntkconv.cli", *command],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert "gd mlp: alpha = " in done.stdout and "gd resnet: alpha = " in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    for arch, depths in (("mlp", [1, 2, 4]), ("resnet", [2, 4])):
        rec = summary["gd"][arch]
        assert rec["depth"] == depths and rec["censored_depth"] == []
        assert rec["log2_per_unit_ci"][0] <= rec["log2_per_unit"] <= rec["log2_per_unit_ci"][1]
    assert (out / "width-vs-depth.png").stat().st_size > 0


@pytest.mark.slow
def test_calibration_every_quick_instance_as_declared_on_three_more_seeds() -> None:
    """Seeds 1–3 (the default suite uses 0): a verdict that depends on the seed fails here."""
    cal = nc.run_calibration(list(nc.registry().values()), [1, 2, 3], quick=True, progress=False)
    bad = [(row["id"], row["instance"], row["not_as_declared"]) for row in cal.rows()]
    assert all(not b[2] for b in bad), [b for b in bad if b[2]]
