"""The width-vs-depth sweep: settings, cells, bisection per (arch, depth), summary and figure."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import ntkconv as nc
from experiments import width_vs_depth, width_vs_n
from ntkconv.sweep import make_cells

# Small enough for the default suite: n = 8, L ∈ {1, 2}, widths 1 … 16 (one per octave).
TINY = {
    "n": 8,
    "d": 4,
    "depths": [1, 2],
    "width_max": 16,
    "widths_per_octave": 1,
    "reps": 3,
    "max_steps": 400,
}


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"depth": [1]}, "unknown width-vs-depth settings"),
        ({"depths": []}, "'depths' must be a non-empty list"),
        ({"depths": [0, 2]}, "'depths' must be an integer >= 1"),
        ({"archs": ["cnn"]}, "'archs' must be a list from"),
        ({"archs": ["resnet"], "depths": [1]}, "a ResNet needs a depth >= 2"),
        ({"n": 1}, "'n' must be an integer >= 2"),
        ({"eps": -1.0}, "'eps' must be a number in"),
        ({"activation": "nope"}, "'activation' must be an activation name"),
        ({"device": "tpu"}, "'device'"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(overrides: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        width_vs_depth.sweep(quick=True, settings=overrides)


def test_resnet_skips_depth_one_and_cells_count_the_trained_weights() -> None:
    sweep = width_vs_depth.sweep(quick=True, settings=TINY)
    cells = make_cells(sweep)
    assert {(c.coords["arch"], c.coords["depth"]) for c in cells} == {
        ("mlp", 1), ("mlp", 2), ("resnet", 2)
    }  # fmt: skip
    resnet = [c for c in cells if c.coords["arch"] == "resnet"]
    records = width_vs_depth.run_cells(resnet, sweep.config)
    m = resnet[0].coords["width"]
    assert {r["n_params"] for r in records} == {4 * m + m * m}
    assert width_vs_depth.trained_parameters(2, m, 4) == 4 * m + m * m
    # the data are width-vs-n's random-label datasets at this n
    X, y = width_vs_n.dataset(8, "random", 0, sweep.config)
    assert X.shape == (8, 4) and set(y.tolist()) <= {-1.0, 1.0}


def test_tiny_sweep_bisects_each_depth_summarizes_and_reuses_its_cells(tmp_path: Path) -> None:
    sweep = width_vs_depth.sweep(quick=True, settings=TINY)
    run = nc.run_sweep(sweep, tmp_path, executor="serial", progress=False)
    frame = run.frame
    widths = width_vs_n.width_grid(16, 1)
    # the bisection evaluated fewer widths than the grid for every (arch, depth)
    for _, rows in frame.groupby(["arch", "depth"]):
        assert rows.width.nunique() < len(widths)
    summary = json.loads((tmp_path / "summary.json").read_text())
    for arch, depths in (("mlp", [1, 2]), ("resnet", [2])):
        rec = summary["gd"][arch]
        assert rec["depth"] == depths
        for m, (lo, hi), below, above in zip(
            rec["m_star"], rec["m_star_ci"], rec["width_below"], rec["width_above"], strict=True
        ):
            assert lo <= m <= hi and above in widths
            assert below is None or below < m <= above
    mlp = summary["gd"]["mlp"]
    assert {"alpha", "alpha_ci", "log2_per_unit", "log2_per_unit_ci"} <= set(mlp)
    expected = [
        width_vs_depth.trained_parameters(L, m, 4)
        for L, m in zip([1, 2], mlp["m_star"], strict=True)
    ]
    assert mlp["params_at_m_star"] == pytest.approx(expected)
    # the theory shapes start at the measured m* of the smallest depth and follow their law
    du = summary["theory_width"]["Du et al. 2019, MLP"]
    assert du == pytest.approx([mlp["m_star"][0], 2 * mlp["m_star"][0]])
    assert (tmp_path / "width-vs-depth.png").stat().st_size > 0
    again = nc.run_sweep(sweep, tmp_path, executor="serial", progress=False)
    assert (again.computed, again.reused) == (0, len(frame))
    # more depths reuse every stored cell of the ones already run
    deeper = width_vs_depth.sweep(quick=True, settings={**TINY, "depths": [1, 2, 3]})
    more = nc.run_sweep(deeper, tmp_path, executor="serial", progress=False)
    assert more.reused == len(frame) and (more.frame.depth == 3).any()


def test_per_layer_slope_reads_an_exponential_in_depth() -> None:
    """Synthetic fits: every seed fits from width 2^(L+1) on, so log₂ m* rises one bit per
    layer (b = 1) and a power law's α is not the measure of it."""
    widths = [2**k for k in range(1, 9)]
    rows = [
        {
            "arch": "mlp",
            "depth": L,
            "width": m,
            "rep": r,
            "fit": m >= 2 ** (L + 1),
            "censored": False,
            "steps_run": 10,
            "steps_linear": 10,
            "budget": 40,
            "lambda_min_G0": 0.1,
        }
        for L in (1, 2, 3, 4, 5)
        for m in widths
        for r in range(5)
    ]
    config = {"quantile": 0.8, "seed": 0}
    rec = width_vs_n.threshold_summary(
        pd.DataFrame(rows), config, series="arch", axis="depth", per_unit=True, boot=50
    )["mlp"]
    assert rec["log2_per_unit"] == pytest.approx(1.0, abs=0.05)
    assert np.diff(np.log2(rec["m_star"])) == pytest.approx(np.ones(4), abs=0.1)


def test_a_sweep_whose_every_cell_fails_reports_them_instead_of_refining(tmp_path: Path) -> None:
    sweep = width_vs_depth.sweep(quick=True, settings=TINY)
    broken = dataclasses.replace(sweep, grid=[{**sweep.grid[0], "arch": ["cnn"], "rep": [0]}])
    with pytest.raises(nc.SweepError, match="unknown arch 'cnn'"):
        nc.run_sweep(broken, tmp_path, executor="serial", progress=False)


def test_a_member_whose_gram_is_zero_is_stuck_not_censored() -> None:
    """A narrow deep ReLU net can start with every unit of a layer inactive on every point:
    G(0) = 0, no step moves it. Such a member must not stop the ensemble (its step n/λ_max
    would be infinite) and is recorded as not fitting, not as censored."""
    config = width_vs_depth.resolve_settings(True, TINY) | {"seed": 0}
    net = width_vs_depth.deep_net("mlp", 3, 8, config)
    X = torch.stack([width_vs_n.dataset(8, "random", r, config)[0] for r in range(2)])
    y = torch.ones(2, 8, dtype=torch.float64)
    params = nc.stack_params([net.init(0), net.init(0)])
    params["W2"][0] = -torch.ones_like(params["W2"][0])  # layer 2 off: W2 h1 ≤ 0, h1 ≥ 0
    _, records = width_vs_n.run_to_fit(net, params, X, y, config)
    assert records[0]["lambda_max_G0"] == 0 and math.isnan(records[0]["lr"])
    assert not records[0]["fit"] and not records[0]["censored"] and records[0]["budget"] == 0
    assert records[1]["lambda_max_G0"] > 0 and records[1]["lr"] > 0
