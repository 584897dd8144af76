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
import inspect
import json
import os
import pickle
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ._io import remove_stale_temps, write_atomic
from ._progress import tqdm
from ._validation import check_positive_int
from .plotting import save_figure
from .seeds import _canonical, check_seed, derive_seed

Record = dict[str, Any]
GridSpec = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]]


@dataclass(frozen=True)
class Cell:
    """One grid point: its coordinates, a seed derived from them, and its storage key.

    The cell function receives cells; their seeds depend only on where they sit in the grid
    (not on the executor, the order of completion or a restart).

    Attributes:
        coords: axis name → the point's value on it (JSON scalars).
        seed: ``derive_seed(config["seed"], coords)`` (base seed 0 by default), in
            ``[0, 2^63)``; seed the cell's randomness with it, e.g. ``nc.generator(cell.seed)``.
        key: 20 hex digits of the SHA-1 of the sweep's name, config and coordinates; the
            cell is stored as ``out/cells/<key>.json``.

    Examples:
        >>> def noop(cells, config):
        ...     return [{"done": True} for _ in cells]
        >>> cells = make_cells(Sweep("demo", {"n": [8, 16]}, noop))
        >>> [c.coords for c in cells], len(cells[0].key)
        ([{'n': 8}, {'n': 16}], 20)
        >>> cells[0].seed == derive_seed(0, {"n": 8})
        True
    """

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

    Attributes:
        name: the sweep's name (non-empty); it is part of every cell's key and pinned in
            ``out/sweep.json``.
        grid: a dict of axes (name → list of values) or a list of such dicts (see
            :func:`expand_grid`); values must be JSON scalars.
        cell: ``cell(cells, config) -> list[record]``, a module-level function; a record's
            keys must not repeat the cell's coordinates. Its :func:`cell_identity` decides
            whether stored cells are reused.
        config: JSON-able settings every cell shares (``config["seed"]``, default 0, is the
            base seed of :attr:`Cell.seed`); part of every key, so changed settings never
            match stored cells. Default empty.
        batch_axis: an axis of every grid whose cells go to ``cell`` together (typically
            the seed/replicate, to train them as one ``vmap``-ped ensemble); default None
            (one cell per call).
        summarize: optional ``summarize(frame, config) -> dict``, written to
            ``summary.json`` when non-empty.
        figures: optional ``figures(frame, summary, config) -> {stem: Figure}``, saved as
            ``<stem>.png``.
        description: one line for listings; default empty.
        refine: optional ``refine(frame, config) -> grid`` for adaptive sweeps: after the
            grid's cells (and after each later round) it gets the results table so far and
            returns the points to add (a grid as for :func:`expand_grid`; points already
            present are ignored), or None / ``[]`` when done — at most :data:`MAX_ROUNDS`
            rounds. Keep it a pure function of the table, so a rerun retraces the same rounds
            from the stored cells. :func:`bisect_threshold` is the usual step.
        unkeyed: config keys that steer the grid, the refinement or the summary but not what
            a cell computes (e.g. the list of n): left out of the cell keys and of the
            folder's config check, so a run that only adds grid points into the same folder
            reuses every cell it shares with earlier runs. Default none.

    Examples:
        >>> import tempfile
        >>> def batch(cells, config):
        ...     return [{"batch": len(cells), "sq": c.coords["n"] ** 2} for c in cells]
        >>> sweep = Sweep("demo", {"n": [2, 3], "rep": [0, 1, 2]}, batch, batch_axis="rep")
        >>> with tempfile.TemporaryDirectory() as out:
        ...     run = run_sweep(sweep, out, executor="serial", progress=False)
        >>> print(run.frame)
           n  rep  batch  sq
        0  2    0      3   4
        1  2    1      3   4
        2  2    2      3   4
        3  3    0      3   9
        4  3    1      3   9
        5  3    2      3   9
    """

    name: str
    grid: GridSpec
    cell: Callable[[list[Cell], Mapping[str, Any]], list[Record]]
    config: Mapping[str, Any] = field(default_factory=dict)
    batch_axis: str | None = None
    summarize: Callable[[pd.DataFrame, Mapping[str, Any]], Record] | None = None
    figures: Callable[[pd.DataFrame, Record, Mapping[str, Any]], Mapping[str, Any]] | None = None
    description: str = ""
    refine: Callable[[pd.DataFrame, Mapping[str, Any]], GridSpec | None] | None = None
    unkeyed: tuple[str, ...] = ()


def _axis_values(axis: str, values: object) -> list[Any]:
    """An axis's values as a list: any iterable but a string; a set is sorted, since its
    iteration order (for strings, Python's hash seed) would make the cell order differ
    between runs."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"grid axis {axis!r} must be a list of values; got {values!r}")
    if isinstance(values, (set, frozenset)):
        try:
            return sorted(values)
        except TypeError:
            raise ValueError(
                f"grid axis {axis!r} is a set of unorderable values; give a list"
            ) from None
    return list(values)


def expand_grid(grid: GridSpec) -> list[dict[str, Any]]:
    """All grid points in a deterministic order (scikit-learn's ``ParameterGrid``).

    Args:
        grid: a dict of axes (name → iterable of values; a set is sorted) or a list of such
            dicts (the union of their products).

    Returns:
        One dict of coordinates per grid point: the product of each dict's axes (the last
            axis varying fastest, axes taken in sorted order of their names), the dicts one
            after the other.

    Raises:
        ValueError: an empty grid or axis, an axis that is not an iterable of values (a
            string included), or a set of unorderable values.

    Examples:
        >>> expand_grid({"n": [8, 16], "rep": range(2)})
        [{'n': 8, 'rep': 0}, {'n': 8, 'rep': 1}, {'n': 16, 'rep': 0}, {'n': 16, 'rep': 1}]
        >>> expand_grid([{"m": [4]}, {"m": {16, 8}}])
        [{'m': 4}, {'m': 8}, {'m': 16}]
    """
    from sklearn.model_selection import ParameterGrid

    if isinstance(grid, Mapping):
        specs = [grid]
    elif isinstance(grid, (str, bytes)) or not isinstance(grid, Iterable):
        raise ValueError(f"grid must be a dict of axes or a list of such dicts; got {grid!r}")
    else:
        specs = list(grid)
    if not specs:
        raise ValueError("grid is empty; give a dict of axes or a list of such dicts")
    lists = []
    for spec in specs:
        if not isinstance(spec, Mapping) or not spec:
            raise ValueError(f"each grid must be a non-empty dict of axes; got {spec!r}")
        axes = {axis: _axis_values(axis, values) for axis, values in spec.items()}
        for axis, values in axes.items():
            if not values:
                raise ValueError(f"grid axis {axis!r} has no values")
        lists.append(axes)
    return [dict(point) for point in ParameterGrid(lists)]


def keyed_config(sweep: Sweep) -> dict[str, Any]:
    """The part of ``sweep.config`` that cell keys (and the results folder's check) cover: all
    of it but the ``unkeyed`` settings."""
    return {k: v for k, v in sweep.config.items() if k not in sweep.unkeyed}


def make_cells(sweep: Sweep, points: list[dict[str, Any]] | None = None) -> list[Cell]:
    """The sweep's cells (of ``points``, default its grid). Seeds derive from
    ``config["seed"]`` (default 0) and the coordinates; the key also covers the config, so
    changed settings never match stored cells, and a point's key does not depend on the grid
    it came from (a refinement round reuses the cells a full grid stored)."""
    config_hash = _canonical(keyed_config(sweep))
    base_seed = check_seed(sweep.config.get("seed", 0), "config['seed']")
    cells, seen = [], set()
    for point in expand_grid(sweep.grid) if points is None else points:
        coords = {axis: _plain(value, f"grid axis {axis!r}") for axis, value in point.items()}
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


def _plain(value: object, where: str) -> Any:
    """``value`` as a JSON scalar: NumPy scalars and 0-d arrays/tensors become Python numbers;
    anything else but None, bool, int, float or str is refused, naming ``where``."""
    if isinstance(value, (np.generic, np.ndarray, torch.Tensor)):
        if getattr(value, "ndim", 0) != 0:
            raise TypeError(f"{where} must be a scalar; got an array of shape {value.shape}")
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{where} must be a JSON scalar (number, str, bool, None); got {value!r}")


def check_record(record: object, cell: Cell) -> Record:
    """A cell's record as a flat dict of JSON scalars whose keys do not shadow its coordinates
    (a record key ``n`` would overwrite the column ``n`` in the results table)."""
    if not isinstance(record, Mapping) or not record:
        raise TypeError(
            f"the record of cell {cell.coords} must be a non-empty dict; got {record!r}"
        )
    clash = sorted(set(record) & set(cell.coords))
    if clash:
        raise ValueError(f"the record of cell {cell.coords} repeats coordinate keys {clash}")
    return {str(k): _plain(v, f"record[{k!r}] of cell {cell.coords}") for k, v in record.items()}


def run_task(
    cell_fn: Callable[[list[Cell], Mapping[str, Any]], list[Record]],
    cells: list[Cell],
    config: Mapping[str, Any],
    threads: int | None = None,
) -> list[Record]:
    """Run one task (in a worker) and check its records there, so a bad record fails with its
    cell's coordinates; ``threads`` caps torch's intra-op threads so that parallel workers do
    not oversubscribe the cores."""
    if threads is not None:
        torch.set_num_threads(threads)
    records = cell_fn(cells, config)
    if not isinstance(records, (list, tuple)):
        raise TypeError(
            f"the cell function must return a list of records (one dict per cell); got "
            f"{type(records).__name__}"
        )
    if len(records) != len(cells):
        raise RuntimeError(f"cell function returned {len(records)} records for {len(cells)} cells")
    return [check_record(r, c) for r, c in zip(records, cells, strict=True)]


def cell_identity(fn: Callable[..., Any]) -> str:
    """``module.qualname:hash`` of a cell function.

    The hash covers its source and, transitively, the source of the functions and the values
    of the constants of its own module that it names, so editing what a cell computes
    invalidates the stored cells, while editing a figure or a summary does not. (Code outside
    the module, ntkconv's included, is not covered: reinstalling a changed engine keeps
    stored cells.) Where no source is available the bytecode stands in.

    Args:
        fn: a Python function (a lambda or nested function works, but only a module-level
            one can go to worker processes).

    Returns:
        ``"<module>.<qualname>:<16 hex digits of SHA-256>"``.

    Examples:
        >>> name, digest = cell_identity(expand_grid).split(":")
        >>> name, len(digest), cell_identity(expand_grid) == cell_identity(expand_grid)
        ('ntkconv.sweep.expand_grid', 16, True)
    """
    module = inspect.getmodule(fn)
    parts: list[str] = []
    seen: set[int] = set()

    def names(code: types.CodeType) -> Iterator[str]:
        yield from code.co_names
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from names(const)

    def visit(f: Callable[..., Any]) -> None:
        if id(f) in seen:
            return
        seen.add(id(f))
        try:
            parts.append(inspect.getsource(f))
        except (OSError, TypeError):
            parts.append(f.__code__.co_code.hex())
        for name in dict.fromkeys(names(f.__code__)):
            value = getattr(module, name, None)
            if inspect.isfunction(value) and value.__module__ == fn.__module__:
                visit(value)
            elif isinstance(value, (int, float, str, tuple, frozenset)) or (
                isinstance(value, (dict, list)) and name.isupper()
            ):
                parts.append(f"{name}={value!r}")

    visit(fn)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return f"{fn.__module__}.{fn.__qualname__}:{digest}"


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker once the sweep process is gone (e.g. killed with
    SIGKILL, which runs no cleanup), instead of leaving it computing for nobody."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def check_executor(spec: object, workers: object) -> None:
    """Refuse an unknown executor or a bad worker count before any cell is computed."""
    if workers is not None:
        check_positive_int(workers, "workers")
    if isinstance(spec, Executor) or spec in (None, "local", "serial"):
        return
    if isinstance(spec, str) and spec.startswith(("dask://", "tcp://")):
        if not spec.split("://", 1)[1]:
            raise ValueError(f"executor {spec!r} names no scheduler; expected dask://HOST:PORT")
        return
    raise ValueError(
        f"unknown executor {spec!r}; expected 'local', 'serial', 'dask://HOST:PORT' "
        "or a concurrent.futures.Executor"
    )


def _executor(
    spec: Executor | str | None, workers: int | None
) -> tuple[Executor | None, int | None, Callable[[bool], None]]:
    """(executor — None for serial —, torch threads per task, ``release(interrupted)``).
    On an interrupt the local pool's workers are terminated at once rather than waited for."""
    check_executor(spec, workers)
    if isinstance(spec, Executor):
        return spec, None, lambda interrupted: None  # the caller's: theirs to shut down
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

        def release(interrupted: bool) -> None:
            if interrupted:
                for proc in list(getattr(pool, "_processes", {}).values()):
                    proc.terminate()
            pool.shutdown(wait=not interrupted, cancel_futures=True)

        return pool, threads, release
    if spec == "serial":
        return None, None, lambda interrupted: None
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError(
            "the Dask executor needs the optional extra: pip install 'ntkconv[distributed]'"
        ) from exc
    client = Client(str(spec).replace("dask://", "tcp://", 1))
    # Dask parallelizes across tasks (one per worker thread), so each task takes one thread.
    return client.get_executor(), 1, lambda interrupted: client.close()


def _outcomes(
    pool: Executor | None,
    sweep: Sweep,
    tasks: list[list[Cell]],
    threads: int | None,
    pending: dict[Future[list[Record]], list[Cell]],
) -> Iterator[tuple[list[Cell], Callable[[], list[Record]]]]:
    """(task, how to get its records) in completion order. Serially, each task runs only when
    the caller asks for it, so its cells are stored before the next task starts. ``pending``
    holds the futures not yet yielded, for the caller to salvage on an interrupt."""
    if pool is None:
        for task in tasks:
            yield task, partial(run_task, sweep.cell, task, sweep.config, threads)
        return
    pending.update({pool.submit(run_task, sweep.cell, t, sweep.config, threads): t for t in tasks})
    for future in as_completed(list(pending)):
        task = pending.pop(future)
        yield task, future.result


class SweepError(RuntimeError):
    """Some cells raised. Every other cell ran and is stored; ``failures`` maps each failed
    cell's coordinates (as JSON) to its error.

    Raised by :func:`run_sweep` after every task has run; rerunning into the same folder
    retries only the failed cells.

    Args:
        name: the sweep's name, for the message.
        failures: canonical JSON of each failed cell's coordinates → ``"Type: message"``.

    Attributes:
        failures: as given.

    Examples:
        >>> import tempfile
        >>> def odd(cells, config):
        ...     if cells[0].coords["n"] == 2:
        ...         raise ValueError("n = 2 is even")
        ...     return [{"ok": True}]
        >>> with tempfile.TemporaryDirectory() as out:
        ...     try:
        ...         run_sweep(Sweep("odd", {"n": [1, 2, 3]}, odd), out, executor="serial",
        ...                   progress=False)
        ...     except SweepError as err:
        ...         print(err.failures, len(load_cells(out)))
        {'{"n":2}': 'ValueError: n = 2 is even'} 2
    """

    def __init__(self, name: str, failures: dict[str, str]) -> None:
        self.failures = failures
        lines = "\n".join(f"  {coords}: {err}" for coords, err in failures.items())
        super().__init__(
            f"sweep {name!r}: {len(failures)} cell(s) failed; every other cell is stored "
            f"(rerun to retry only these):\n{lines}"
        )


@dataclass
class SweepRun:
    """What :func:`run_sweep` did: the results table, how many cells it computed and how many
    it found already finished on disk, the summary and the figures written (if defined), and
    the stored cell files it rejected (and recomputed), with the reason.

    Attributes:
        frame: the results table, one row per cell in grid order: the coordinates, then the
            record's keys (also written to ``out/results.csv``).
        computed: cells computed by this call.
        reused: cells found finished on disk and reused.
        summary: what ``sweep.summarize`` returned (``{}`` without one).
        out: the results folder.
        figures: the paths of the ``<stem>.png`` figures written.
        rejected: stored cell file → why it was rejected (and recomputed); default empty.
        rounds: refinement rounds run after the grid (``Sweep.refine``); default 0.

    Examples:
        >>> import tempfile
        >>> def square(cells, config):
        ...     return [{"sq": c.coords["n"] ** 2} for c in cells]
        >>> def total(frame, config):
        ...     return {"total": int(frame["sq"].sum())}
        >>> sweep = Sweep("squares", {"n": [1, 2, 3]}, square, summarize=total)
        >>> with tempfile.TemporaryDirectory() as out:
        ...     run = run_sweep(sweep, out, executor="serial", progress=False)
        >>> run.frame["sq"].tolist(), run.computed, run.reused, run.summary, run.figures
        ([1, 4, 9], 3, 0, {'total': 14}, [])
    """

    frame: pd.DataFrame
    computed: int
    reused: int
    summary: Record
    out: Path
    figures: list[Path]
    rejected: dict[Path, str] = field(default_factory=dict)
    rounds: int = 0


CELL_KEYS = {"coords", "seed", "cell", "record"}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable JSON file ({err})") from None


def load_cells(out: Path | str) -> dict[str, Record]:
    """Finished cells stored under ``out/cells`` (key → {"coords", "seed", "cell", "record"}).

    Reads the files as they are, without checking them against a sweep (:func:`run_sweep`
    does that before reusing one).

    Args:
        out: a sweep's results folder.

    Returns:
        Cell key → its stored entry: ``coords``, ``seed``, ``cell`` (the
            :func:`cell_identity` that computed it) and ``record``; keys in sorted order.

    Raises:
        ValueError: ``out/cells`` is not a folder, or a cell file is not valid JSON or lacks
            the cell schema, naming the file.

    Examples:
        >>> import tempfile
        >>> def square(cells, config):
        ...     return [{"sq": c.coords["n"] ** 2} for c in cells]
        >>> with tempfile.TemporaryDirectory() as out:
        ...     _ = run_sweep(Sweep("squares", {"n": [3]}, square), out, executor="serial",
        ...                   progress=False)
        ...     (entry,) = load_cells(out).values()
        >>> sorted(entry), entry["coords"], entry["record"]
        (['cell', 'coords', 'record', 'seed'], {'n': 3}, {'sq': 9})
    """
    folder = Path(out) / "cells"
    if not folder.is_dir():
        raise ValueError(f"out: {folder} is not a folder of cell files")
    found = {}
    for path in sorted(folder.glob("*.json")):
        entry = _read_json(path)
        if not isinstance(entry, dict) or set(entry) != CELL_KEYS:
            raise ValueError(f"{path}: not a cell file (expected the keys {sorted(CELL_KEYS)})")
        found[path.stem] = entry
    return found


def _reusable(path: Path, cell: Cell, identity: str) -> str | None:
    """Why the stored file of ``cell`` cannot be reused, or None if it can."""
    try:
        entry = _read_json(path)
    except ValueError as err:
        return str(err).removeprefix(f"{path}: ")
    if not isinstance(entry, dict) or set(entry) != CELL_KEYS:
        return f"not a cell file (expected the keys {sorted(CELL_KEYS)})"
    if _canonical(entry["coords"]) != _canonical(cell.coords) or entry["seed"] != cell.seed:
        return f"stores the cell {entry['coords']} (seed {entry['seed']}), not {cell.coords}"
    if entry["cell"] != identity:
        return f"computed by {entry['cell']}, not by the current {identity}"
    record = entry["record"]
    if not isinstance(record, dict) or not record:
        return "holds no record"
    try:
        check_record(record, cell)
    except (TypeError, ValueError) as err:
        return str(err)
    return None


def _prepare_out(out: Path, manifest: Record) -> None:
    """Create ``out`` (or check it) and its manifest before any cell runs: an unwritable path,
    a file in the way or a folder holding another sweep is refused here, not after the work."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a folder")
    try:
        (out / "cells").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"out: cannot create {out / 'cells'} ({err.strerror})") from None
    if not os.access(out / "cells", os.W_OK | os.X_OK) or not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"out: the folder {out} is not writable")
    path = out / "sweep.json"
    if path.exists():
        stored = _read_json(path)
        unkeyed = set(manifest.get("unkeyed", ()))

        def keyed(entry: Any) -> str:
            config = entry.get("config") if isinstance(entry, dict) else None
            if isinstance(config, dict):
                config = {k: v for k, v in config.items() if k not in unkeyed}
            return _canonical([entry.get("name") if isinstance(entry, dict) else None, config])

        if keyed(stored) != keyed(manifest):
            name = stored.get("name") if isinstance(stored, dict) else None
            config = stored.get("config") if isinstance(stored, dict) else None
            raise ValueError(
                f"{out} holds a different sweep ({name!r} with config {config}); "
                "choose another out folder or remove it"
            )
    write_atomic(path, json.dumps(manifest, indent=2, default=str))


def prepare_sweep(
    sweep: Sweep, out: Path | str, executor: Executor | str | None, workers: int | None
) -> tuple[str, list[Cell]]:
    """Everything :func:`run_sweep` checks before it computes a cell: the executor and worker
    count, the grid and seed, and the ``out`` folder (created, writable, not holding another
    sweep; its manifest written and stale temp files of dead writers removed). Returns the
    cell function's identity and the cells. Raises ``ValueError``/``TypeError``."""
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep must be an ntkconv.Sweep; got {type(sweep).__name__}")
    if not isinstance(sweep.name, str) or not sweep.name:
        raise ValueError(f"sweep.name must be a non-empty str; got {sweep.name!r}")
    if not inspect.isfunction(sweep.cell):
        raise TypeError(f"sweep.cell must be a module-level function; got {sweep.cell!r}")
    for hook in ("refine", "summarize", "figures"):
        if getattr(sweep, hook) is not None and not callable(getattr(sweep, hook)):
            raise TypeError(f"sweep.{hook} must be callable or None; got {getattr(sweep, hook)!r}")
    if not isinstance(sweep.config, Mapping):
        raise TypeError(f"sweep.config must be a dict; got {type(sweep.config).__name__}")
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a path; got {type(out).__name__}")
    out = Path(out)
    check_executor(executor, workers)
    if executor in (None, "local"):  # worker processes import the cell function by name
        try:
            pickle.dumps(sweep.cell)
        except (pickle.PicklingError, AttributeError, TypeError) as err:
            raise ValueError(
                f"sweep.cell {sweep.cell!r} cannot be sent to worker processes ({err}); define "
                "it at module level or use executor='serial'"
            ) from None
    if not isinstance(sweep.unkeyed, tuple) or not set(sweep.unkeyed) <= set(sweep.config):
        raise ValueError(
            f"sweep.unkeyed must be a tuple of config keys; got {sweep.unkeyed!r} for the keys "
            f"{sorted(sweep.config)}"
        )
    identity = cell_identity(sweep.cell)
    cells = make_cells(sweep)
    if sweep.batch_axis is not None and any(sweep.batch_axis not in c.coords for c in cells):
        raise ValueError(f"sweep.batch_axis {sweep.batch_axis!r} is not an axis of every grid")
    manifest = {"name": sweep.name, "config": dict(sweep.config), "cell": identity}
    if sweep.unkeyed:
        manifest["unkeyed"] = list(sweep.unkeyed)
    _prepare_out(out, manifest)
    remove_stale_temps(out / "cells")
    return identity, cells


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

    Args:
        sweep: what to run.
        out: the results folder; it may hold this sweep's finished cells (a rerun reuses every
            stored cell that passes validation: schema, coordinates, seed and the cell
            function's :func:`cell_identity`; a rejected file is recomputed and named in a
            warning and in ``SweepRun.rejected``).
        executor: ``"local"`` (processes; None, the default, means it), ``"serial"`` (in this
            process, each task's cells stored before the next starts), ``"dask://HOST:PORT"``
            or a ``concurrent.futures.Executor`` (see the module docstring; one passed in is
            not shut down).
        workers: size of the local process pool, an integer ≥ 1 (default: one per core);
            each worker caps torch at ``cores // workers`` threads.
        progress: show a progress bar (default: when attached to a terminal).

    Returns:
        What the run did, a :class:`SweepRun`: the results table and what was computed,
            reused and rejected.

    Raises:
        ValueError: a bad executor or worker count, an unusable ``out`` or one holding another
            sweep, an empty name, a bad grid, seed or ``batch_axis``, or a cell function the
            local executor cannot pickle — all before any cell runs; a figure stem that is
            not a file name (after the cells).
        TypeError: ``sweep`` is not a :class:`Sweep`, ``sweep.cell`` is not a function,
            ``refine`` / ``summarize`` / ``figures`` is set but not callable,
            ``sweep.config`` is not a dict or not JSON-able, ``config["seed"]`` is not an
            integer, ``out`` is not a path, or a grid value is not a JSON scalar.
        ImportError: a Dask executor without ``pip install ntkconv[distributed]``.
        SweepError: some cells raised (or returned bad records); all the others ran and are
            stored, and refinement went on from the cells that finished (a refine that needs
            a failed cell's result gets nothing new from it: that search stops there).
        RuntimeError: ``sweep.refine`` still adds points after :data:`MAX_ROUNDS` rounds.
        KeyboardInterrupt: re-raised after storing every finished cell; local workers are
            terminated rather than waited for.

    Examples:
        >>> import tempfile
        >>> def square(cells, config):
        ...     return [{"sq": c.coords["n"] ** 2 * config["scale"]} for c in cells]
        >>> sweep = Sweep("squares", {"n": [1, 2, 3]}, square, config={"scale": 10})
        >>> with tempfile.TemporaryDirectory() as out:
        ...     first = run_sweep(sweep, out, executor="serial", progress=False)
        ...     again = run_sweep(sweep, out, executor="serial", progress=False)
        ...     files = sorted(p.name for p in Path(out).iterdir())
        >>> first.frame["sq"].tolist(), first.computed, first.reused
        ([10, 40, 90], 3, 0)
        >>> again.computed, again.reused
        (0, 3)
        >>> files
        ['cells', 'results.csv', 'sweep.json']
    """
    out = Path(out)
    identity, cells = prepare_sweep(sweep, out, executor, workers)
    finished: dict[str, Record] = {}
    rejected: dict[Path, str] = {}
    failures: dict[str, str] = {}
    computed = rounds = 0
    bar = tqdm(
        total=len(cells),
        desc=sweep.name,
        unit="cell",
        disable=None if progress is None else not progress,
    )

    def store(task: list[Cell], get: Callable[[], list[Record]]) -> None:
        try:
            records = get()
        except Exception as exc:  # one failing task never costs the others
            for cell in task:
                failures[_canonical(cell.coords)] = f"{type(exc).__name__}: {exc}"
            return
        for cell, record in zip(task, records, strict=True):
            entry = {"coords": cell.coords, "seed": cell.seed, "cell": identity, "record": record}
            write_atomic(out / "cells" / f"{cell.key}.json", json.dumps(entry))
            finished[cell.key] = entry
        bar.update(len(task))

    pool: Executor | None = None
    threads: int | None = None
    release: Callable[[bool], None] | None = None
    interrupted = False
    try:
        batch = cells
        while True:
            todo = _unfinished(batch, out, identity, finished, rejected, sweep.name)
            bar.total = len(cells)
            bar.update(len(batch) - len(todo))
            if todo:
                if release is None:
                    pool, threads, release = _executor(executor, workers)
                _run_tasks(pool, sweep, _tasks(todo, sweep.batch_axis), threads, store)
                computed += len(todo)
            if sweep.refine is None:  # refine sees the finished cells; failed ones are absent
                break
            done = _frame(cells, finished)
            if done.empty:  # every cell failed: nothing to refine on, the failures are reported
                break
            known = {c.key for c in cells}
            added = sweep.refine(done, sweep.config)
            batch = [] if not added else make_cells(sweep, expand_grid(added))
            batch = [c for c in batch if c.key not in known]
            if not batch:
                break
            rounds += 1
            if rounds > MAX_ROUNDS:
                raise RuntimeError(
                    f"sweep {sweep.name!r}: refine still adds points after {MAX_ROUNDS} rounds"
                )
            cells = cells + batch
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if release is not None:
            release(interrupted)
        bar.close()
    if failures:
        raise SweepError(sweep.name, failures)
    frame = _frame(cells, finished)
    write_atomic(out / "results.csv", frame.to_csv(index=False))
    summary = sweep.summarize(frame, sweep.config) if sweep.summarize else {}
    if summary:
        write_atomic(out / "summary.json", json.dumps(summary, indent=2, default=float))
    figures = []
    if sweep.figures is not None:
        for stem, fig in sweep.figures(frame, summary, sweep.config).items():
            if not isinstance(stem, str) or not stem or Path(stem).name != stem:
                raise ValueError(f"sweep.figures: a figure stem must be a file name; got {stem!r}")
            figures.append(save_figure(fig, out / f"{stem}.png"))
    return SweepRun(frame, computed, len(cells) - computed, summary, out, figures, rejected, rounds)


#: The most refinement rounds :func:`run_sweep` runs before it calls a ``refine`` runaway.
MAX_ROUNDS = 100


def _unfinished(
    cells: list[Cell],
    out: Path,
    identity: str,
    finished: dict[str, Record],
    rejected: dict[Path, str],
    name: str,
) -> list[Cell]:
    """The cells with no reusable stored file; reusable ones go into ``finished``, rejected
    ones (recomputed) into ``rejected`` with a warning."""
    fresh: dict[Path, str] = {}
    for cell in cells:
        path = out / "cells" / f"{cell.key}.json"
        if cell.key in finished or not path.exists():
            continue
        reason = _reusable(path, cell, identity)
        if reason is None:
            finished[cell.key] = json.loads(path.read_text())
        else:
            fresh[path] = reason
    if fresh:
        first, why = next(iter(fresh.items()))
        warnings.warn(
            f"sweep {name!r}: {len(fresh)} stored cell file(s) rejected and recomputed, "
            f"e.g. {first}: {why}",
            stacklevel=3,
        )
        rejected.update(fresh)
    return [c for c in cells if c.key not in finished]


def _run_tasks(
    pool: Executor | None,
    sweep: Sweep,
    tasks: list[list[Cell]],
    threads: int | None,
    store: Callable[[list[Cell], Callable[[], list[Record]]], None],
) -> None:
    """Run ``tasks``, storing each as it finishes; on an interrupt, store the finished ones
    not yet collected before re-raising."""
    pending: dict[Future[list[Record]], list[Cell]] = {}
    try:
        for task, get in _outcomes(pool, sweep, tasks, threads, pending):
            store(task, get)
    except KeyboardInterrupt:
        for future, task in list(pending.items()):
            if future.done() and not future.cancelled():
                store(task, future.result)
        raise


def _frame(cells: list[Cell], finished: Mapping[str, Record]) -> pd.DataFrame:
    """The results table of the finished ``cells``, in their order."""
    rows = [
        {**finished[c.key]["coords"], **finished[c.key]["record"]}
        for c in cells
        if c.key in finished
    ]
    return pd.DataFrame(rows)


def bisect_threshold(outcomes: Mapping[int, bool], size: int, confirm: int = 1) -> int | None:
    """The next candidate to evaluate in a search for the first ``True`` of a sorted list.

    The candidates are indices 0 … size − 1 of a sorted list (e.g. widths), the outcome a
    test that is assumed monotone: False below a threshold, True from it on. With
    T = the smallest index evaluated True (``size`` if none) and lo = the largest index below
    T evaluated False (−1 if none), the search bisects (lo, T) until T = lo + 1, then
    *confirms*: it evaluates the ``confirm`` candidates below lo. A True there (noise breaking
    monotonicity) moves T down and the bisection resumes; so the answer is a crossing
    (lo False, lo + 1 True) with ``confirm`` more False below it — the smallest True of a
    full evaluation whenever the outcomes are monotone, and within ``confirm`` + 1 steps of
    it unless noise makes a True appear further below. About log₂(size) + ``confirm``
    evaluations instead of ``size``. Stateless: the next index is a function of the
    outcomes so far, so a restarted search retraces its steps from stored results.

    Args:
        outcomes: index → outcome for the candidates evaluated so far.
        size: the number of candidates, an int ≥ 1.
        confirm: how many candidates below the crossing to evaluate as a check (int ≥ 0).

    Returns:
        The next index to evaluate, or None when the search is over: T = lo + 1 with the
        confirmations done, or every candidate up to the last evaluated False (no
        threshold in range: the result is censored).

    Raises:
        ValueError: ``size`` < 1, ``confirm`` < 0 or an index outside 0 … size − 1.

    Examples:
        >>> truth = lambda i: i >= 13  # the threshold a full evaluation would find
        >>> seen = {}
        >>> while (i := bisect_threshold(seen, 40)) is not None:
        ...     seen[i] = truth(i)
        >>> sorted(seen), min(i for i, ok in seen.items() if ok)
        ([9, 11, 12, 13, 14, 19], 13)
        >>> seen = {}
        >>> while (i := bisect_threshold(seen, 40)) is not None:
        ...     seen[i] = False  # nothing passes: censored at the top
        >>> sorted(seen)
        [19, 29, 34, 37, 38, 39]
    """
    size = check_positive_int(size, "size")
    if isinstance(confirm, bool) or not isinstance(confirm, int) or confirm < 0:
        raise ValueError(f"confirm must be an int >= 0; got {confirm!r}")
    if any(not 0 <= i < size for i in outcomes):
        raise ValueError(f"outcomes has indices outside 0..{size - 1}: {sorted(outcomes)}")
    top = min((i for i, ok in outcomes.items() if ok), default=size)
    lo = max((i for i, ok in outcomes.items() if not ok and i < top), default=-1)
    if top - lo > 1:
        return (lo + top) // 2
    if top == size:  # nothing passed, and the top candidate failed
        return None
    for below in range(lo - 1, lo - 1 - confirm, -1):
        if below >= 0 and below not in outcomes:
            return below
    return None


def sweep_registry() -> dict[str, Callable[..., Sweep]]:
    """Sweep factories registered under the ``ntkconv.sweeps`` entry-point group.

    Each factory is ``factory(quick: bool) -> Sweep``; the engine never imports
    ``experiments`` itself (``pyproject.toml`` registers ntkconv's own; any installed package
    can add more). What ``ntkconv sweep NAME`` runs.

    Returns:
        Sweep name → factory, in entry-point order; loading imports each registered module.

    Examples:
        >>> factories = sweep_registry()
        >>> "width-vs-n" in factories, factories["width-vs-n"](quick=True).name
        (True, 'width-vs-n')
    """
    from importlib.metadata import entry_points

    return {ep.name: ep.load() for ep in entry_points(group="ntkconv.sweeps")}
