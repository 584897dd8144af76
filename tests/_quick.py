"""Quick-mode records of every registered theorem (seed 0), computed once per test session and
shared by the verdict, report and documentation tests; conftest.py keeps the whole run for the
documentation build when every theorem was checked."""

from __future__ import annotations

import ntkconv as nc

RUNS: dict[str, nc.CheckRun] = {}


def quick_run(theorem_id: str) -> nc.CheckRun:
    if theorem_id not in RUNS:
        theorem = nc.registry()[theorem_id]
        RUNS[theorem_id] = nc.run_checks([theorem], quick=True, seed=0, progress=False)
    return RUNS[theorem_id]


def quick_results(theorem_id: str) -> dict[str, nc.CheckResult]:
    return {r.instance: r for r in quick_run(theorem_id).results}


def full_quick_run() -> nc.CheckRun | None:
    """All theorems' quick records as one run, or None if some theorem was not checked."""
    theorems = list(nc.registry().values())
    if any(t.id not in RUNS for t in theorems):
        return None
    runs = [RUNS[t.id] for t in theorems]
    return nc.CheckRun(
        theorems,
        [r for run in runs for r in run.results],
        quick=True,
        seed=0,
        started=min(run.started for run in runs),
        wall_time_s=sum(run.wall_time_s for run in runs),
    )


_FIGURES: dict[str, bytes] = {}


def quick_figures(run: nc.CheckRun) -> dict[str, bytes]:
    """The figures of the full quick run, drawn once."""
    if not _FIGURES:
        _FIGURES.update(nc.report.run_figures(run))
    return _FIGURES
