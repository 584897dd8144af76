"""Quick-mode records of every registered theorem (seed 0), computed once per test session and
shared by the verdict, report and documentation tests; conftest.py keeps the whole run for the
documentation build when every theorem was checked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import ntkconv as nc

RUNS: dict[str, nc.CheckRun] = {}


def quick_run(theorem_id: str) -> nc.CheckRun:
    if theorem_id not in RUNS:
        theorem = nc.registry()[theorem_id]
        RUNS[theorem_id] = nc.run_checks([theorem], quick=True, seed=0, progress=False)
    return RUNS[theorem_id]


class _Records(Mapping[str, nc.CheckResult]):
    """One theorem's quick records by instance name, checked at the first lookup: test modules
    bind them at import, and ``pytest -m slow`` imports every module (checking them all there
    cost three minutes of collection before a slow test ran)."""

    def __init__(self, theorem_id: str) -> None:
        self.theorem_id = theorem_id

    def _records(self) -> dict[str, nc.CheckResult]:
        return {r.instance: r for r in quick_run(self.theorem_id).results}

    def __getitem__(self, instance: str) -> nc.CheckResult:
        return self._records()[instance]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records())

    def __len__(self) -> int:
        return len(self._records())


def quick_results(theorem_id: str) -> Mapping[str, nc.CheckResult]:
    return _Records(theorem_id)


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
