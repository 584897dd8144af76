"""``ntkconv`` command line: ``list`` the theorems and sweeps, ``check`` theorems, write an
HTML ``report``, run a ``sweep``.

``ntkconv check`` and ``ntkconv report`` exit 0 when every record comes out as its instance
declares, 1 when some record does not, 2 on bad usage (an unknown id, a bad flag or value) and 3
when an instance raised (3 wins over 1). ``ntkconv check --seeds A:B`` runs every instance over
seeds A … B−1 and prints how often each verdict came out (a calibration).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .plotting import save_figure
from .protocol import Theorem, jsonable, registry
from .report import (
    calibration_table_text,
    draw_figures,
    figure_names,
    results_table_text,
    run_calibration,
    run_checks,
    write_report,
)
from .seeds import _canonical, check_seed
from .sweep import SweepError, prepare_sweep, run_sweep, sweep_registry


class UsageError(Exception):
    """Bad usage: an unknown id, a bad flag or value. Exit code 2."""


def _width(args: argparse.Namespace) -> int | None:
    """The terminal's width (COLUMNS, else 80), or None with --wide."""
    return None if getattr(args, "wide", False) else shutil.get_terminal_size((80, 24)).columns


def _select(ids: Sequence[str]) -> list[Theorem]:
    known = registry()
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(f"theorem id(s) {repeated} given more than once")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError(f"unknown theorem id(s) {unknown}; known: {sorted(known)}")
    return [known[i] for i in ids] if ids else list(known.values())


def _writable_dir(path: str, flag: str) -> Path:
    """``path`` as a folder this process can write, created if missing — checked before any
    check runs, so a bad path never costs the run."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{flag}: cannot create the folder {path!r} ({err.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{flag}: the folder {path!r} is not writable")
    return folder


#: A calibration runs every instance once per seed: 10⁴ seeds is already hours of work.
MAX_SEEDS = 10_000


def parse_seeds(text: str) -> list[int]:
    """``A:B`` (A, A+1, …, B−1, as Python's range) or a comma list ``1,5,9``."""
    try:
        if ":" in text:
            a, b = (int(v) for v in text.split(":"))
            if b - a > MAX_SEEDS:
                raise UsageError(f"--seeds: at most {MAX_SEEDS} seeds per calibration; got {b - a}")
            seeds = list(range(a, b))
        else:
            seeds = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--seeds: expected A:B or a comma list of ints; got {text!r}") from None
    if not seeds:
        raise UsageError(f"--seeds: expected at least one seed; got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise UsageError(f"--seeds: a seed repeats in {text!r}")
    try:
        return [check_seed(s, "--seeds") for s in seeds]
    except ValueError as err:
        raise UsageError(str(err)) from None


def _theorem_entry(t: Theorem) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "citation": t.citation,
        "statement": t.latex(),
        "instances": [
            {
                "name": i.name,
                "role": i.role,
                "control": i.control,
                "breaks": i.breaks,
                "sharpen": i.sharpen,
                "declared": i.expected.value,
            }
            for i in t.instances
        ],
    }


def cmd_list(args: argparse.Namespace) -> int:
    theorems = registry()
    sweeps = {name: factory() for name, factory in sweep_registry().items()}
    if args.json:
        listing = {
            "theorems": [_theorem_entry(t) for t in theorems.values()],
            "sweeps": [
                {"name": name, "description": s.description, "config": dict(s.config)}
                for name, s in sweeps.items()
            ],
        }
        print(json.dumps(jsonable(listing), indent=2))
        return 0
    for t in theorems.values():
        controls = sum(i.control for i in t.instances)
        print(
            f"{t.id:<20} {t.title}  [{len(t.instances) - controls} instances, "
            f"{controls} controls]\n{'':<20} {t.citation}"
        )
    for name, s in sweeps.items():
        print(f"{name:<20} sweep: {s.description}")
    return 0


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.no_progress else None


def cmd_check(args: argparse.Namespace) -> int:
    theorems = _select(args.ids)
    if args.seeds is not None:
        if args.figures or args.seed is not None:
            raise UsageError("--seeds runs many seeds; --seed and --figures take one")
        cal = run_calibration(
            theorems, parse_seeds(args.seeds), quick=args.quick, progress=_progress(args)
        )
        if args.json:
            print(json.dumps(jsonable(cal.rows()), indent=2))
        else:
            print(calibration_table_text(cal, _width(args)))
            print(f"\nseeds {args.seeds} ({len(cal.seeds)} seeds): {cal.summary()}")
        return cal.exit_code
    figures = _writable_dir(args.figures, "--figures") if args.figures else None
    run = run_checks(theorems, quick=args.quick, seed=args.seed or 0, progress=_progress(args))
    if args.json:
        print(json.dumps([r.to_dict() for r in run.results], indent=2))
    else:
        print(results_table_text(run.results, _width(args)))
        print(f"\n{run.summary()}")
    if figures is not None:  # after the table, so a failing figure cannot lose it
        for theorem in theorems:
            drawn = draw_figures(theorem, run.of(theorem.id))
            for name, fig in zip(figure_names(theorem.id, len(drawn)), drawn, strict=True):
                print(f"figure: {save_figure(fig, figures / f'{name}.png')}", file=sys.stderr)
    return run.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    theorems = _select(args.ids)
    _writable_dir(args.out, "--out")
    run = run_checks(theorems, quick=args.quick, seed=args.seed or 0, progress=_progress(args))
    page = write_report(run, args.out, command=shlex.join(["ntkconv", *args.argv]))
    print(f"{run.summary()} in {run.wall_time_s:.0f} s\nreport: {page}")
    return run.exit_code


def _alpha_lines(summary: dict[str, Any]) -> list[str]:
    """The fitted exponents a sweep's summary holds (any record with ``alpha``), one per line."""
    lines = []
    for group, records in summary.items():
        if not isinstance(records, dict):
            continue
        for label, rec in {"": records, **records}.items():
            if isinstance(rec, dict) and "alpha" in rec:
                ci = rec.get("alpha_ci")
                interval = f"  95% CI [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
                lines.append(f"{group} {label}".strip() + f": alpha = {rec['alpha']:.3f}{interval}")
    return lines


def parse_settings(path: str | os.PathLike | None, pairs: Sequence[str]) -> dict[str, Any]:
    """A sweep's settings from a TOML or JSON file (``--config``) and ``KEY=VALUE`` pairs
    (``--set``, which win). A value is read as JSON (numbers, lists, true/false, null) and
    otherwise kept as a string. Raises :class:`UsageError` naming the file or pair."""
    settings: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise UsageError(f"--config: cannot read {path} ({err.strerror})") from None
        try:
            if path.suffix == ".toml":
                import tomllib

                loaded = tomllib.loads(text)
            else:
                loaded = json.loads(text)
        except ValueError as err:
            kind = "TOML" if path.suffix == ".toml" else "JSON (or name it .toml)"
            raise UsageError(f"--config: {path} is not valid {kind}: {err}") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"--config: {path} must hold a table of settings")
        settings.update(loaded)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set takes KEY=VALUE; got {pair!r}")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        settings[key.strip()] = value
    return settings


def _settings_stem(settings: dict[str, Any]) -> str:
    """A short hash naming the default results folder of a sweep run with these settings."""
    import hashlib

    return hashlib.sha1(_canonical(settings).encode()).hexdigest()[:8]


def cmd_sweep(args: argparse.Namespace) -> int:
    known = sweep_registry()
    if args.name not in known:
        raise UsageError(f"unknown sweep {args.name!r}; known: {sorted(known)}")
    settings = parse_settings(args.config, args.set)
    factory = known[args.name]
    extra = {}
    if settings:
        if "settings" not in inspect.signature(factory).parameters:
            raise UsageError(f"sweep {args.name!r} takes no settings (--config/--set)")
        extra["settings"] = settings
    try:
        sweep = factory(quick=args.quick, seed=args.seed, **extra)
    except ValueError as err:
        raise UsageError(str(err)) from None
    stem = sweep.name + ("-quick" if args.quick else "")
    if settings:  # other settings, another folder: never mixed with the defaults' cells
        stem += "-" + _settings_stem(settings)
    out = Path(args.out or Path("results") / stem)
    try:
        prepare_sweep(sweep, out, args.executor, args.workers)
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from None
    try:
        run = run_sweep(
            sweep,
            out,
            executor=args.executor,
            workers=args.workers,
            progress=False if args.no_progress else None,
        )
    except SweepError as err:
        print(f"ntkconv: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        stored = len(list((out / "cells").glob("*.json")))
        print(
            f"\nntkconv: interrupted; {stored} finished cells are stored in {out / 'cells'} "
            "(rerun the same command to resume)",
            file=sys.stderr,
        )
        return 130
    if args.json:
        print(
            json.dumps(
                {
                    "out": str(out),
                    "computed": run.computed,
                    "reused": run.reused,
                    "summary": run.summary,
                },
                indent=2,
                default=float,
            )
        )
        return 0
    print(f"{sweep.name}: {len(run.frame)} cells ({run.computed} computed, {run.reused} reused)")
    print(f"table: {out / 'results.csv'}")
    for path in run.figures:
        print(f"figure: {path}")
    for line in _alpha_lines(run.summary):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ntkconv", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list registered theorems")
    p_list.add_argument("--json", action="store_true", help="print JSON")
    p_list.set_defaults(func=cmd_list)
    # what `check` and `report` share: which theorems, which size, which seed
    checks = argparse.ArgumentParser(add_help=False)
    checks.add_argument("ids", nargs="*", help="theorem ids (default: all)")
    checks.add_argument("--quick", action="store_true", help="small, fast configurations")
    checks.add_argument("--seed", type=_seed, help="base seed (default 0)")
    checks.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p_check = sub.add_parser(
        "check", parents=[checks], help="check theorems and print a verdict table"
    )
    p_check.add_argument("--json", action="store_true", help="print a JSON list of records")
    p_check.add_argument(
        "--wide", action="store_true", help="print every column in full (default: fit COLUMNS)"
    )
    p_check.add_argument("--figures", metavar="DIR", help="write one figure per theorem to DIR")
    p_check.add_argument(
        "--seeds",
        metavar="A:B",
        help="calibrate: run every instance with seeds A … B−1 (or a list 1,5,9) and print how "
        "often each verdict came out",
    )
    p_check.set_defaults(func=cmd_check)
    p_report = sub.add_parser(
        "report", parents=[checks], help="check theorems and write a self-contained HTML report"
    )
    p_report.add_argument("--out", metavar="DIR", required=True, help="directory for the report")
    p_report.set_defaults(func=cmd_report)
    p_sweep = sub.add_parser(
        "sweep", help="run a sweep (resumable: finished cells are kept and never recomputed)"
    )
    p_sweep.add_argument("name", help="sweep name (see ntkconv list)")
    p_sweep.add_argument("--quick", action="store_true", help="the small grid")
    p_sweep.add_argument(
        "--out",
        metavar="DIR",
        help="results directory (default results/NAME[-quick][-SETTINGS HASH])",
    )
    p_sweep.add_argument(
        "--executor",
        default="local",
        help="local (processes, default), serial (this process) or dask://HOST:PORT",
    )
    p_sweep.add_argument(
        "--workers", type=_positive_int, help="local processes (default: one per core)"
    )
    p_sweep.add_argument("--seed", type=_seed, default=0, help="base seed (default 0)")
    p_sweep.add_argument(
        "--config", metavar="FILE", help="the sweep's settings from a TOML or JSON file"
    )
    p_sweep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one setting (repeatable; wins over --config), e.g. --set n_max=2048",
    )
    p_sweep.add_argument("--json", action="store_true", help="print the summary as JSON")
    p_sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p_sweep.set_defaults(func=cmd_sweep)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        return check_seed(int(text))
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected an int in [0, 2^63); got {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse exits 2 on a bad flag itself)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the report records the command that produced it
    try:
        return args.func(args)
    except UsageError as err:
        print(f"ntkconv: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
