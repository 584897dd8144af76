"""Benchmark: the width-vs-n sweep's bisection against its full width grid, side by side.

Both searches run the same configuration (the same cells, seeds and fit criterion; only which
widths get evaluated differs) into separate folders, one after the other in this process's
executor, and the script prints per (labels, n): m* from each, the grid step between their
crossing widths, and the GD cells each evaluated; then the totals, the cell ratio and the
wall-clock ratio. The issue's target: the same m* within one grid step at ≥ 5× fewer GD cells.

Run: ``python experiments/bench_search.py [--quick] [--out DIR] [--workers K] [--shared]
[--json] [--set KEY=VALUE ...]`` (the settings of ``ntkconv sweep width-vs-n --set``). Stored
cells in ``DIR/bisect`` and ``DIR/grid`` are reused, so a second run only re-reads them (its
times are then not the searches' cost: use a fresh ``--out`` to time). ``--shared`` runs both
in ``DIR`` itself, the grid after the bisection and reusing its cells: the cell counts are
unchanged, the grid's time is only what the bisection had not computed.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

import ntkconv as nc
from experiments import width_vs_n
from ntkconv.cli import parse_settings


def compare(bisect: dict, grid: dict, config: dict) -> list[dict]:
    """Per (labels, n): both m*, how many grid steps apart they are (|log ratio| over the log
    of one step, 2^(1/widths_per_octave)), and the GD cells each search evaluated."""
    step = math.log(2) / config["widths_per_octave"]
    rows = []
    for labels, b in bisect["gd"].items():
        g = grid["gd"][labels]
        for k, n in enumerate(b["n"]):
            mb, mg = b["m_star"][k], g["m_star"][k]
            both = math.isfinite(mb) and math.isfinite(mg)
            apart = abs(math.log(mb / mg)) / step if both else math.nan
            rows.append(
                {
                    "labels": labels,
                    "n": n,
                    "m_star_bisect": mb,
                    "m_star_grid": mg,
                    "grid_steps_apart": apart,
                    "cells_bisect": b["gd_cells"][k],
                    "cells_grid": g["gd_cells"][k],
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick configuration")
    parser.add_argument("--out", type=Path, help="results folder (default: a temporary one)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="K=V")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one folder for both: the grid reuses the bisection's cells (its time is then "
        "only the remainder's)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = parse_settings(None, args.settings)
    base = args.out or Path(tempfile.mkdtemp(prefix="bench-search-"))
    runs, times = {}, {}
    for search in ("bisect", "grid"):
        sweep = width_vs_n.sweep(quick=args.quick, settings={**settings, "search": search})
        start = time.perf_counter()
        folder = base if args.shared else base / search
        runs[search] = nc.run_sweep(sweep, folder, workers=args.workers, progress=False)
        times[search] = time.perf_counter() - start
    config = dict(sweep.config)  # the same for both searches
    rows = compare(runs["bisect"].summary, runs["grid"].summary, config)
    cells = {s: runs[s].summary["gd_cells"] for s in runs}
    apart = [r["grid_steps_apart"] for r in rows]
    result = {
        "quick": args.quick,
        "settings": settings,
        "rows": rows,
        "gd_cells": cells,
        "cell_ratio": cells["grid"] / cells["bisect"],
        "seconds": times,
        "time_ratio": times["grid"] / times["bisect"],
        "shared": args.shared,
        "max_grid_steps_apart": float(np.nanmax(apart)),
        "out": str(base),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'labels':8} {'n':>5} {'m* bisect':>10} {'m* grid':>9} {'steps apart':>11} "
          f"{'cells bisect':>12} {'cells grid':>10}")  # fmt: skip
    for r in rows:
        print(
            f"{r['labels']:8} {r['n']:5d} {r['m_star_bisect']:10.3g} {r['m_star_grid']:9.3g} "
            f"{r['grid_steps_apart']:11.2f} {r['cells_bisect']:12d} {r['cells_grid']:10d}"
        )
    print(
        f"GD cells: bisection {cells['bisect']}, full grid {cells['grid']} -> "
        f"{result['cell_ratio']:.1f}x fewer; wall clock {times['bisect']:.0f} s vs "
        f"{times['grid']:.0f} s -> {result['time_ratio']:.1f}x; m* at most "
        f"{result['max_grid_steps_apart']:.2f} grid steps apart  (cells in {base})"
    )


if __name__ == "__main__":
    main()
