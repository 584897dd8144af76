"""Sweeps: a grid of named axes × a cell function, resumable, batched and executor-agnostic.

- **Grid**: a dict of axes (their product) or a list of such dicts (the union of products), as
  in scikit-learn's ``ParameterGrid``. A *cell* is one point of the grid; its record is a flat
  dict the cell function returns, stored with the cell's coordinates.
- **Persistence**: each finished cell is written to ``out/cells/<key>.json`` atomically (temp
  file + ``os.replace``), so a sweep killed at any moment — SIGKILL included — keeps every
  finished cell and recomputes none of them when restarted; ``out/results.csv`` is rebuilt from
  the cell files at the end. ``out/sweep.json`` pins the sweep's name and config: rerunning
  into the same directory with another config is refused rather than mixed.
- **Batching**: cells that differ only in ``batch_axis`` (typically the seed/replicate) go to
  the cell function together, so it can train them as one ``vmap``-ped ensemble.
- **Scale-out**: tasks run on any ``concurrent.futures.Executor``: local processes by default,
  in-process (``"serial"``), or a Dask cluster (``"dask://HOST:PORT"``, or pass
  ``Client(...).get_executor()``; needs ``pip install ntkconv[distributed]``).
- **Seeds**: :func:`derive_seed` hashes coordinates, so a cell's randomness depends only on
  where it sits in the grid — not on the executor, the order of completion or a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from ._io import write_atomic
from .plotting import save_figure

Record = dict[str, Any]
GridSpec = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]]


@dataclass(frozen=True)
class Cell:
    """One grid point: its coordinates, a seed derived from them, and its storage key."""

    coords: dict[str, Any]
    seed: int
    key: str


@dataclass(frozen=True)
class Sweep:
    """A named grid, the config every cell shares, and what to compute.

    ``cell(cells, config) -> records``: one record (flat dict of JSON-able scalars) per cell,
    in order; ``cells`` holds one cell, or, with ``batch_axis``, all the cells that differ only
    along that axis. The function must be importable by name (a module-level function), since
    process and Dask executors pickle it. ``summarize(frame, config)`` turns the results table
    into a JSON-able summary; ``figures(frame, summary, config)`` maps file stems to
    matplotlib figures.
    """

    name: str
    grid: GridSpec
    cell: Callable[[list[Cell], Mapping[str, Any]], list[Record]]
    config: Mapping[str, Any] = field(default_factory=dict)
    batch_axis: str | None = None
    summarize: Callable[[pd.DataFrame, Mapping[str, Any]], Record] | None = None
    figures: Callable[[pd.DataFrame, Record, Mapping[str, Any]], Mapping[str, Any]] | None = None
    description: str = ""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def derive_seed(*parts: Any) -> int:
    """A 63-bit seed from any JSON-able parts (order matters), stable across runs/machines."""
    digest = hashlib.sha256(_canonical(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def expand_grid(grid: GridSpec) -> list[dict[str, Any]]:
    """All grid points in a deterministic order (scikit-learn's ``ParameterGrid``)."""
    from sklearn.model_selection import ParameterGrid

    specs = [grid] if isinstance(grid, Mapping) else list(grid)
    if not specs:
        raise ValueError("grid is empty; give a dict of axes or a list of such dicts")
    for spec in specs:
        if not isinstance(spec, Mapping) or not spec:
            raise ValueError(f"each grid must be a non-empty dict of axes; got {spec!r}")
        for axis, values in spec.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise ValueError(f"grid axis {axis!r} must be a list of values; got {values!r}")
            if not list(values):
                raise ValueError(f"grid axis {axis!r} has no values")
    return [dict(point) for point in ParameterGrid([dict(s) for s in specs])]


def make_cells(sweep: Sweep) -> list[Cell]:
    """The sweep's cells. Seeds derive from ``config["seed"]`` (default 0) and the coordinates;
    the key also covers the config, so changed settings never match stored cells."""
    config_hash = _canonical(dict(sweep.config))
    base_seed = sweep.config.get("seed", 0)
    cells, seen = [], set()
    for coords in expand_grid(sweep.grid):
        key = hashlib.sha1(_canonical([sweep.name, config_hash, coords]).encode()).hexdigest()
        if key in seen:
            raise ValueError(f"grid point {coords} appears twice")
        seen.add(key)
        cells.append(Cell(coords, derive_seed(base_seed, coords), key[:20]))
    return cells


def _tasks(cells: list[Cell], batch_axis: str | None) -> list[list[Cell]]:
    if batch_axis is None:
        return [[c] for c in cells]
    groups: dict[str, list[Cell]] = {}
    for c in cells:
        rest = {k: v for k, v in c.coords.items() if k != batch_axis}
        groups.setdefault(_canonical(rest), []).append(c)
    return list(groups.values())


def run_task(
    cell_fn: Callable[[list[Cell], Mapping[str, Any]], list[Record]],
    cells: list[Cell],
    config: Mapping[str, Any],
    threads: int | None = None,
) -> list[Record]:
    """Run one task (in a worker); ``threads`` caps torch's intra-op threads so that parallel
    workers do not oversubscribe the cores."""
    if threads is not None:
        torch.set_num_threads(threads)
    records = cell_fn(cells, config)
    if len(records) != len(cells):
        raise RuntimeError(f"cell function returned {len(records)} records for {len(cells)} cells")
    return [dict(r) for r in records]


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker once the sweep process is gone (e.g. killed with
    SIGKILL, which runs no cleanup), instead of leaving it computing for nobody."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _executor(
    spec: Executor | str | None, workers: int | None
) -> tuple[Executor | None, int | None, Callable[[], None]]:
    """(executor — None for serial —, torch threads per task, how to release it when done)."""
    if isinstance(spec, Executor):
        return spec, None, lambda: None  # the caller's: theirs to shut down
    if spec in (None, "local"):
        import multiprocessing

        workers = workers or max(1, os.cpu_count() or 1)
        threads = max(1, (os.cpu_count() or 1) // workers)
        # spawn, not fork: forking a process that has started torch's thread pools can hang.
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        return pool, threads, lambda: pool.shutdown(cancel_futures=True)
    if spec == "serial":
        return None, None, lambda: None
    if isinstance(spec, str) and spec.startswith(("dask://", "tcp://")):
        try:
            from distributed import Client
        except ImportError as exc:
            raise ImportError(
                "the Dask executor needs the optional extra: pip install 'ntkconv[distributed]'"
            ) from exc
        client = Client(spec.replace("dask://", "tcp://", 1))
        # Dask parallelizes across tasks (one per worker thread), so each task takes one thread.
        return client.get_executor(), 1, client.close
    raise ValueError(
        f"unknown executor {spec!r}; expected 'local', 'serial', 'dask://HOST:PORT' "
        "or a concurrent.futures.Executor"
    )


def _outcomes(
    pool: Executor | None, sweep: Sweep, tasks: list[list[Cell]], threads: int | None
) -> Iterator[tuple[list[Cell], Callable[[], list[Record]]]]:
    """(task, how to get its records) in completion order. Serially, each task runs only when
    the caller asks for it, so its cells are stored before the next task starts."""
    if pool is None:
        for task in tasks:
            yield task, partial(run_task, sweep.cell, task, sweep.config, threads)
        return
    futures = {pool.submit(run_task, sweep.cell, t, sweep.config, threads): t for t in tasks}
    for future in as_completed(futures):
        yield futures[future], future.result


@dataclass
class SweepRun:
    """What :func:`run_sweep` did: the results table, how many cells it computed and how many
    it found already finished on disk, the summary and the figures written (if defined)."""

    frame: pd.DataFrame
    computed: int
    reused: int
    summary: Record
    out: Path
    figures: list[Path]


def load_cells(out: Path | str) -> dict[str, Record]:
    """Finished cells stored under ``out/cells`` (key → {"coords", "record"})."""
    found = {}
    for path in sorted((Path(out) / "cells").glob("*.json")):
        found[path.stem] = json.loads(path.read_text())
    return found


def run_sweep(
    sweep: Sweep,
    out: Path | str,
    *,
    executor: Executor | str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
) -> SweepRun:
    """Run every unfinished cell of ``sweep``, persisting each as it finishes, then write
    ``results.csv``, ``summary.json`` and ``<stem>.png`` figures (as the sweep defines them).
    See the module docstring for executors; ``workers`` sizes the local process pool (default:
    one per core)."""
    out = Path(out)
    manifest = {"name": sweep.name, "config": dict(sweep.config)}
    manifest_path = out / "sweep.json"
    if manifest_path.exists():
        stored = json.loads(manifest_path.read_text())
        if _canonical(stored) != _canonical(manifest):
            raise ValueError(
                f"{out} holds a different sweep ({stored.get('name')!r} with config "
                f"{stored.get('config')}); choose another --out or remove it"
            )
    else:
        write_atomic(manifest_path, json.dumps(manifest, indent=2, default=str))
    cells = make_cells(sweep)
    for stale in (out / "cells").glob(".*.tmp"):  # a write cut short by a kill
        stale.unlink()
    finished = load_cells(out)
    todo = [c for c in cells if c.key not in finished]
    tasks = _tasks(todo, sweep.batch_axis)
    bar = tqdm(
        total=len(cells),
        initial=len(cells) - len(todo),
        desc=sweep.name,
        unit="cell",
        disable=None if progress is None else not progress,
    )
    if tasks:
        pool, threads, release = _executor(executor, workers)
        try:
            for task, get in _outcomes(pool, sweep, tasks, threads):
                try:
                    records = get()
                except Exception as exc:
                    coords = [c.coords for c in task]
                    raise RuntimeError(f"sweep {sweep.name!r}: cells {coords} failed") from exc
                for cell, record in zip(task, records, strict=True):
                    entry = {"coords": cell.coords, "seed": cell.seed, "record": record}
                    write_atomic(out / "cells" / f"{cell.key}.json", json.dumps(entry))
                    finished[cell.key] = entry
                bar.update(len(task))
        finally:
            release()
    bar.close()
    rows = [{**finished[c.key]["coords"], **finished[c.key]["record"]} for c in cells]
    frame = pd.DataFrame(rows)
    write_atomic(out / "results.csv", frame.to_csv(index=False))
    summary = sweep.summarize(frame, sweep.config) if sweep.summarize else {}
    if summary:
        write_atomic(out / "summary.json", json.dumps(summary, indent=2, default=float))
    figures = []
    if sweep.figures is not None:
        for stem, fig in sweep.figures(frame, summary, sweep.config).items():
            figures.append(save_figure(fig, out / f"{stem}.png"))
    return SweepRun(frame, len(todo), len(cells) - len(todo), summary, out, figures)


def sweep_registry() -> dict[str, Callable[..., Sweep]]:
    """Sweep factories registered under the ``ntkconv.sweeps`` entry-point group
    (``factory(quick: bool) -> Sweep``); the engine never imports ``experiments`` itself."""
    from importlib.metadata import entry_points

    return {ep.name: ep.load() for ep in entry_points(group="ntkconv.sweeps")}
