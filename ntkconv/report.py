"""Running checks and presenting them: the run record behind ``ntkconv check``, ``ntkconv
report`` and the documentation build, and a self-contained HTML report.

The report is one HTML file that opens from disk with no server: figures are embedded as PNG
data URIs, statements are MathML generated from each theorem's sympy source (browsers render
MathML natively, so nothing is fetched), and the styles are inline.
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import json
import math
import platform
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp
import torch
from latex2mathml.converter import convert as latex_to_mathml

from ._io import atomic_path, write_atomic
from ._progress import tqdm
from .plotting import figure_bytes
from .protocol import (
    Bound,
    CheckResult,
    EvaluationCache,
    Hypothesis,
    Instance,
    Theorem,
    Tightness,
    Verdict,
)
from .seeds import check_seed
from .stats import MeanInterval

#: Packages whose versions a report records (those that can change a measured number).
REPORTED_PACKAGES = ("ntkconv", "torch", "numpy", "scipy", "sympy", "matplotlib", "scikit-learn")


@dataclass
class CheckRun:
    """Every instance of ``theorems`` checked once with one seed: the records, and how long.

    Made by :func:`run_checks` (or read back by :func:`load_run`).

    Attributes:
        theorems: the theorems checked, in order.
        results: one :class:`~ntkconv.CheckResult` per instance, theorem by theorem in
            instance order.
        quick: whether the ``--quick`` configurations ran.
        seed: the base seed every instance was checked with.
        started: when the run started, ISO 8601 in UTC to the second.
        wall_time_s: seconds the whole run took.

    Examples:
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> run = run_checks([toy], progress=False)
        >>> run.as_declared, run.exit_code, [r.instance for r in run.of("toy")]
        (False, 1, ['half', 'two'])
        >>> print(run.summary())
        1 of 2 as declared; NOT as declared: ['toy/two (seed 0)']
    """

    theorems: list[Theorem]
    results: list[CheckResult]
    quick: bool
    seed: int
    started: str
    wall_time_s: float

    @property
    def as_declared(self) -> bool:
        """Whether every record came out as its instance declares."""
        return all(r.as_declared for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 every record as declared, 1 some not, 3 an instance raised (3 wins over 1)."""
        return exit_code(self.results)

    def of(self, theorem_id: str) -> list[CheckResult]:
        """The records of one theorem, in instance order.

        Args:
            theorem_id: a theorem's id (an unknown id gives an empty list).

        Returns:
            The theorem's :class:`~ntkconv.CheckResult` records.
        """
        return [r for r in self.results if r.id == theorem_id]

    def summary(self) -> str:
        """``"k of n as declared"``, naming the records that were not and those that raised."""
        return summary(self.results)

    def to_frame(self) -> pd.DataFrame:
        """The records as a pandas DataFrame, one row each (see :func:`results_frame`)."""
        return results_frame(self.results)

    def __str__(self) -> str:
        # print(run), and display(run) outside Jupyter: what `ntkconv check` prints
        return f"{results_table_text(self.results)}\n\n{self.summary()}"

    def _repr_html_(self) -> str:
        # Jupyter shows a run as its verdict table, with the summary above it; the numbers stay
        # with each record (its own table) and in to_frame(): lists of measured values would
        # make every row a page tall. One theorem's run is named once, above the table.
        single = len({r.id for r in self.results}) == 1
        title = f"{self.results[0].id}: " if single else ""
        return f"<p>{html.escape(title + self.summary())}</p>" + results_table_html(
            self.results, with_id=not single, numbers=False, links=False
        )


def _text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    flexible: Sequence[str] = (),
) -> str:
    """Columns padded to their content. With ``width`` (the terminal's) the widest of the
    ``flexible`` columns are narrowed first (to 12 characters), then the widest of all, until
    every line fits; a cut cell ends in '…'."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    if width is not None:
        flex = [i for i, h in enumerate(header) if h in flexible]
        for pool, floor in ((flex, 12), (range(len(widths)), 4)):
            while sum(widths) + 2 * (len(widths) - 1) > width:
                i = max(pool, key=lambda j: widths[j], default=None)
                if i is None or widths[i] <= floor:
                    break
                widths[i] -= 1

    def cell(c: object, w: int) -> str:
        text = str(c)
        return (text if len(text) <= w else text[: w - 1] + "…").ljust(w)

    def line(cells: Sequence[object]) -> str:
        return "  ".join(cell(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


#: the columns narrowed first when a text table must fit a width
FLEXIBLE = ("predicted", "measured", "role")


def results_table_text(results: Sequence[CheckResult], width: int | None = 100) -> str:
    """The verdict table as text (``ntkconv check``, ``print(run)``): compact — the verdict, with
    the declared one only where they differ, columns narrowed to ``width`` characters — unless
    ``width`` is None (``--wide``: both halves and the declared verdict as columns, uncut)."""
    wide = width is None
    header = [
        "theorem",
        "instance",
        "role",
        *(["declared", "verdict", "hyp/concl"] if wide else ["verdict"]),
        "tightness",
        "predicted",
        "measured",
        "ok",
    ]
    rows = []
    for r in results:
        ok = "yes" if r.as_declared else "NO"
        if not wide and not r.as_declared:
            ok = f"NO (declared {r.declared.value})"
        rows.append(
            [
                r.id,
                r.instance,
                format_role(r),
                *([r.declared.value, r.verdict.value, r.error or _halves_text(r)] if wide else []),
                *([] if wide else [r.verdict.value]),
                format_value(r.tightness) if r.tightness else "",
                format_value(r.predicted),
                format_value(r.measured) if r.error is None else r.error,
                ok,
            ]
        )
    if not wide and len({r.id for r in results}) == 1:  # one theorem: name it once, above
        table = _text_table(header[1:], [row[1:] for row in rows], width, FLEXIBLE)
        return f"{results[0].id}\n{table}"
    return _text_table(header, rows, width, FLEXIBLE)


def _halves_text(r: CheckResult) -> str:
    met = "met" if r.hypotheses_met else "NOT"
    return f"{met}/{'holds' if r.conclusion_holds else 'FAILS'}"


def calibration_table_text(cal: Calibration, width: int | None = 100) -> str:
    """The calibration table as text: per instance, how often each verdict came out."""
    header = ("theorem", "instance", "declared", "as declared", "verdicts", "tightness range")
    rows = []
    for row in cal.rows():
        kind = row["tightness_kind"]
        span = f"{kind} {row['tightness_min']:.3g} … {row['tightness_max']:.3g}" if kind else ""
        counts = ", ".join(f"{v} ×{k}" for v, k in row["counts"].items())
        bad = [x["seed"] for x in row["not_as_declared"]]
        ok = f"{row['as_declared']}/{row['seeds']}" + (f"  NOT at seeds {bad}" if bad else "")
        rows.append((row["id"], row["instance"], row["declared"], ok, counts, span))
    return _text_table(header, rows, width, flexible=("verdicts", "tightness range"))


def results_frame(results: Sequence[CheckResult]) -> pd.DataFrame:
    """Records as a pandas DataFrame: one row per record, the numbers as numbers.

    Args:
        results: :class:`~ntkconv.CheckResult` records (a run's, a calibration's, or any list).

    Returns:
        A DataFrame with columns ``id``, ``instance``, ``role``, ``seed``, ``declared``,
        ``verdict`` (verdict values), ``as_declared``, ``hypotheses_met``, ``conclusion_holds``,
        ``tightness_kind``, ``tightness`` (NaN without a value), ``wall_time_s`` and
        ``problems`` (joined with "; ").

    Examples:
        >>> from ntkconv.testing import toy_theorem
        >>> frame = run_checks([toy_theorem()], progress=False).to_frame()
        >>> frame[["instance", "verdict", "tightness"]].values.tolist()
        [['half', 'holds', 2.0], ['two', 'violated', 0.5]]
    """
    return pd.DataFrame(
        [
            {
                "id": r.id,
                "instance": r.instance,
                "role": r.role,
                "seed": r.seed,
                "declared": r.declared.value,
                "verdict": r.verdict.value,
                "as_declared": r.as_declared,
                "hypotheses_met": r.hypotheses_met,
                "conclusion_holds": r.conclusion_holds,
                "tightness_kind": None if r.tightness is None else r.tightness.kind,
                "tightness": math.nan
                if r.tightness is None or r.tightness.value is None
                else r.tightness.value,
                "wall_time_s": r.wall_time_s,
                "problems": "; ".join(r.problems),
            }
            for r in results
        ],
        columns=["id", "instance", "role", "seed", "declared", "verdict", "as_declared",
                 "hypotheses_met", "conclusion_holds", "tightness_kind", "tightness",
                 "wall_time_s", "problems"],
    )  # fmt: skip


def exit_code(results: Sequence[CheckResult]) -> int:
    """The exit code of ``ntkconv check``/``report`` for these records."""
    if any(r.verdict is Verdict.ERROR for r in results):
        return 3
    return 0 if all(r.as_declared for r in results) else 1


def summary(results: Sequence[CheckResult]) -> str:
    failed = [f"{r.id}/{r.instance} (seed {r.seed})" for r in results if not r.as_declared]
    raised = [f"{r.id}/{r.instance}: {r.error}" for r in results if r.error]
    text = f"{len(results) - len(failed)} of {len(results)} as declared"
    text += f"; NOT as declared: {failed}" if failed else ""
    return text + (f"; raised: {raised}" if raised else "")


def _jobs(theorems: Sequence[Theorem]) -> list[tuple[Theorem, Instance]]:
    if not theorems:
        raise ValueError("theorems: expected at least one Theorem, got none")
    return [(t, inst) for t in theorems for inst in t.instances]


def _check_all(
    jobs: Sequence[tuple[Theorem, Instance]], quick: bool, seed: int, bar: Any
) -> list[CheckResult]:
    """Each job once; instances of one theorem with the same configuration share one
    evaluation (a sharpened control re-decides its base instance's numbers)."""
    cache: EvaluationCache = {}  # keyed by theorem id too: one for the whole run
    results = []
    for theorem, inst in jobs:
        bar.set_postfix_str(f"{theorem.id}/{inst.name} seed {seed}")
        results.append(theorem.check(inst.name, quick=quick, seed=seed, cache=cache))
        bar.update()
    return results


def run_checks(
    theorems: Sequence[Theorem],
    *,
    quick: bool = False,
    seed: int = 0,
    progress: bool | None = None,
) -> CheckRun:
    """Check every instance of ``theorems`` in order with base seed ``seed``.

    What ``ntkconv check`` runs. An instance that raises gives an ``error`` record; the others
    still run. Instances of one theorem with the same configuration share one evaluation (a
    sharpened control re-decides its base instance's numbers).

    Args:
        theorems: the :class:`~ntkconv.Theorem` objects to check (at least one).
        quick: apply each instance's ``quick`` overrides (the ``--quick`` sizes).
        seed: the seed every instance is checked with, in ``[0, 2^63)``; default 0.
        progress: show a tqdm bar on stderr; None (default): only when stderr is a terminal.

    Returns:
        The run, a :class:`CheckRun` with one record per instance.

    Raises:
        ValueError: ``theorems`` is empty, or ``seed`` is out of range.
        TypeError: ``seed`` is not an integer.

    Examples:
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> run = run_checks([toy], progress=False)
        >>> [(r.instance, r.verdict.value, r.as_declared) for r in run.results]
        [('half', 'holds', True), ('two', 'violated', False)]
    """
    jobs = _jobs(theorems)
    seed = check_seed(seed)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    disable = None if progress is None else not progress
    with tqdm(total=len(jobs), desc="checking", disable=disable, file=sys.stderr) as bar:
        results = _check_all(jobs, quick, seed, bar)
    return CheckRun(list(theorems), results, quick, seed, started, time.perf_counter() - start)


@dataclass
class Calibration:
    """Every instance of ``theorems`` checked with each seed: how often each verdict came out.

    Made by :func:`run_calibration`.

    Attributes:
        theorems: the theorems checked, in order.
        seeds: the seeds, in order.
        quick: whether the ``--quick`` configurations ran.
        results: every record, seed by seed (each seed: every instance in order).
        wall_time_s: seconds the whole calibration took.

    Examples:
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> cal = run_calibration([toy], [0, 1], progress=False)
        >>> [(row["instance"], row["counts"], row["as_declared"]) for row in cal.rows()]
        [('half', {'holds': 2}, 2), ('two', {'violated': 2}, 0)]
        >>> cal.exit_code
        1
    """

    theorems: list[Theorem]
    seeds: list[int]
    quick: bool
    results: list[CheckResult]
    wall_time_s: float

    @property
    def exit_code(self) -> int:
        """0 every record as declared, 1 some not, 3 an instance raised (3 wins over 1)."""
        return exit_code(self.results)

    def summary(self) -> str:
        """``"k of n as declared"`` over every record, naming those that were not and raised."""
        return summary(self.results)

    def to_frame(self) -> pd.DataFrame:
        """Every record, seed by seed, as a pandas DataFrame (see :func:`results_frame`); for
        the per-instance counts, ``pandas.DataFrame(calibration.rows())``."""
        return results_frame(self.results)

    def __str__(self) -> str:
        return f"{calibration_table_text(self)}\n\n{self.summary()}"

    def _repr_html_(self) -> str:
        head = ["theorem", "instance", "declared", "seeds", "as declared", "verdicts",
                "tightness"]  # fmt: skip
        body = []
        for row in self.rows():
            counts = ", ".join(f"{v} ×{n}" for v, n in row["counts"].items())
            lo, hi = row["tightness_min"], row["tightness_max"]
            tight = "" if math.isnan(lo) else f"{row['tightness_kind']} {lo:.3g} – {hi:.3g}"
            cells = [row["id"], row["instance"], row["declared"], str(row["seeds"]),
                     f"{row['as_declared']}/{row['seeds']}", counts, tight]  # fmt: skip
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        header = "".join(f"<th>{h}</th>" for h in head)
        return (
            f"<p>{html.escape(self.summary())}</p>"
            f'<table class="ntkconv-calibration"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def rows(self) -> list[dict[str, Any]]:
        """One row per instance: declared verdict, counts of each verdict over the seeds, the
        seeds not as declared, and the range of the tightness values.

        Returns:
            One dict per (theorem, instance), in order, with keys ``id``, ``instance``,
                ``declared``, ``seeds`` (how many), ``as_declared`` (how many seeds),
                ``counts`` (verdict value → seeds), ``not_as_declared`` (a list of
                ``{"seed", "problems", "error"}``), ``tightness_kind`` and
                ``tightness_min``/``tightness_max`` (NaN where no seed gave a value).
        """
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.results:
            row = rows.setdefault(
                (r.id, r.instance),
                {
                    "id": r.id,
                    "instance": r.instance,
                    "declared": r.declared.value,
                    "seeds": 0,
                    "as_declared": 0,
                    "counts": {},
                    "not_as_declared": [],
                    "tightness_kind": None,
                    "tightness_min": math.nan,
                    "tightness_max": math.nan,
                },
            )
            row["seeds"] += 1
            row["counts"][r.verdict.value] = row["counts"].get(r.verdict.value, 0) + 1
            if r.as_declared:
                row["as_declared"] += 1
            else:
                row["not_as_declared"].append(
                    {"seed": r.seed, "problems": r.problems, "error": r.error}
                )
            t = r.tightness
            if t is not None and t.kind is not None:
                row["tightness_kind"] = t.kind
                if not math.isnan(t.value):  # type: ignore[arg-type]
                    row["tightness_min"] = float(np.nanmin([row["tightness_min"], t.value]))
                    row["tightness_max"] = float(np.nanmax([row["tightness_max"], t.value]))
        return list(rows.values())


def run_calibration(
    theorems: Sequence[Theorem],
    seeds: Sequence[int],
    *,
    quick: bool = False,
    progress: bool | None = None,
) -> Calibration:
    """Check every instance of ``theorems`` once per seed in ``seeds``.

    What ``ntkconv check --seeds A:B`` runs: a verdict that depends on the seed shows up as an
    instance not as declared on some seeds (see :meth:`Calibration.rows`).

    Args:
        theorems: the :class:`~ntkconv.Theorem` objects to check (at least one).
        seeds: the seeds, each in ``[0, 2^63)`` (at least one).
        quick: apply each instance's ``quick`` overrides.
        progress: show a tqdm bar on stderr; None (default): only when stderr is a terminal.

    Returns:
        The calibration, a :class:`Calibration` with ``len(seeds)`` records per instance.

    Raises:
        ValueError: ``theorems`` or ``seeds`` is empty, or a seed is out of range.
        TypeError: a seed is not an integer.

    Examples:
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> cal = run_calibration([toy], range(3), progress=False)
        >>> cal.seeds, len(cal.results)
        ([0, 1, 2], 6)
    """
    jobs = _jobs(theorems)
    seeds = [check_seed(s, "seeds") for s in seeds]
    if not seeds:
        raise ValueError("seeds: expected at least one seed")
    start = time.perf_counter()
    disable = None if progress is None else not progress
    results: list[CheckResult] = []
    with tqdm(
        total=len(jobs) * len(seeds), desc="calibrating", disable=disable, file=sys.stderr
    ) as bar:
        for seed in seeds:
            results += _check_all(jobs, quick, seed, bar)
    return Calibration(list(theorems), seeds, quick, results, time.perf_counter() - start)


def draw_figures(theorem: Theorem, results: Sequence[CheckResult]) -> list[Any]:
    """The theorem's figures (headline first) of those ``results`` that did not raise: empty if
    it defines no figure, if every record raised, or if drawing failed — a warning then says
    why, and the run's records and exit code stand. A ``figure`` function may return one
    figure or a list of them."""
    drawn = [r for r in results if r.verdict is not Verdict.ERROR]
    if theorem.figure is None or not drawn:
        return []
    try:
        figures = theorem.figure(drawn)
    except Exception as exc:  # a figure never costs the records
        warnings.warn(
            f"{theorem.id}: its figure failed ({type(exc).__name__}: {exc}); records kept",
            RuntimeWarning,
            stacklevel=2,
        )
        return []
    return list(figures) if isinstance(figures, (list, tuple)) else [figures]


def figure_names(theorem_id: str, count: int) -> list[str]:
    """File stems of a theorem's figures: ``<id>`` for the headline, then ``<id>-2``, …"""
    return [theorem_id if i == 1 else f"{theorem_id}-{i}" for i in range(1, count + 1)]


def theorem_figures(figures: Mapping[str, bytes], theorem_id: str) -> list[bytes]:
    """A theorem's figures from a name → PNG mapping (see :func:`figure_names`), in order."""
    found = []
    for name in figure_names(theorem_id, len(figures) + 1):
        if name not in figures:
            break
        found.append(figures[name])
    return found


def run_figures(run: CheckRun) -> dict[str, bytes]:
    """Every checked theorem's figures of its records as PNG bytes, named by
    :func:`figure_names`."""
    out = {}
    for theorem in run.theorems:
        drawn = draw_figures(theorem, run.of(theorem.id))
        for name, fig in zip(figure_names(theorem.id, len(drawn)), drawn, strict=True):
            out[name] = figure_bytes(fig)
    return out


def environment() -> dict[str, str]:
    """What produced the numbers: Python, platform, package versions, torch threads, CUDA.

    The report's environment table; :func:`save_run` hashes it into the run's fingerprint, so
    a changed package version invalidates a kept run.

    Returns:
        An ordered dict of strings: ``"python"``, ``"platform"``, one entry per package of
            :data:`REPORTED_PACKAGES` (its version or ``"not installed"``), ``"torch threads"``
            and ``"cuda"`` (its version or ``"not available"``).

    Examples:
        >>> env = environment()
        >>> list(env)[:2], [k for k in REPORTED_PACKAGES if k not in env], "cuda" in env
        (['python', 'platform'], [], True)
    """
    env = {"python": platform.python_version(), "platform": platform.platform()}
    for name in REPORTED_PACKAGES:
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = "not installed"
    env["torch threads"] = str(torch.get_num_threads())
    env["cuda"] = torch.version.cuda if torch.cuda.is_available() else "not available"
    return env


def format_value(value: Any) -> str:
    """A predicted/measured value as text: floats to 4 significant digits, bounds as "≤ 0.07",
    confidence intervals as "0.063 [0.061, 0.066]", dicts as k=v, sequences as (a, b, ...)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (Bound, Tightness)):
        return str(value)
    if isinstance(value, MeanInterval):
        return f"{value.estimate:.4g} [{value.lower:.4g}, {value.upper:.4g}]"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def format_role(r: CheckResult | Instance) -> str:
    """A record's (or an instance's) role in a table: blank, "breaks: H", "sharpened ×f" or
    "false claim"."""
    if r.breaks:
        return f"breaks: {r.breaks}"
    if r.sharpen is not None:
        return f"sharpened ×{r.sharpen:g}"
    return "false claim" if r.control else ""


def format_requirement(h: Hypothesis) -> str:
    """A hypothesis' requirement as text: the bound, then what it is."""
    return " ".join(part for part in (format_value(h.required), h.note) if part)


def statement_lines(statement: sp.Basic) -> list[str]:
    """The statement as LaTeX lines short enough for a page column: one line per conjunct,
    and an implication's premise on its own line ending in ⟹ before its conclusions."""
    if isinstance(statement, sp.And):
        return [line for arg in statement.args for line in statement_lines(arg)]
    if isinstance(statement, sp.Implies):
        premise, conclusion = statement.args
        return [sp.latex(premise) + r" \implies", *statement_lines(conclusion)]
    return [sp.latex(statement)]


def theorem_html(theorem: Theorem) -> str:
    """A theorem as Jupyter shows it: title and citation, the statement in MathML (no script
    needed, unlike sympy's own LaTeX output), the symbol legend, and the instances with their
    roles and declared verdicts."""
    legend = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(v)}</td></tr>"
        for k, v in theorem.symbols.items()
    )
    rows = "".join(
        f"<tr><td>{html.escape(i.name)}</td><td>{html.escape(format_role(i))}</td>"
        f"<td>{html.escape(i.expected.value)}</td><td>{html.escape(i.description)}</td></tr>"
        for i in theorem.instances
    )
    return (
        f"<p><strong>{html.escape(theorem.id)}</strong> — {html.escape(theorem.title)}<br>"
        f"<em>{html.escape(theorem.citation)}</em></p>"
        f'<div class="ntkconv-statement">{statement_mathml(theorem)}</div>'
        + (f'<table class="ntkconv-symbols"><tbody>{legend}</tbody></table>' if legend else "")
        + '<table class="ntkconv-instances"><thead><tr><th>instance</th><th>role</th>'
        f"<th>declared</th><th>what it is</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def statement_mathml(theorem: Theorem) -> str:
    """The theorem's statement as display MathML (converted from its sympy LaTeX).

    One ``<math>`` element per line of :func:`statement_lines`, so a long statement wraps at
    its conjuncts instead of running out of its box. Browsers render MathML natively, so the
    report needs no script or server for it.

    Args:
        theorem: the :class:`~ntkconv.Theorem`; only its ``statement`` is read.

    Returns:
        The concatenated ``<math display="block">`` elements, as one string.

    Examples:
        >>> import ntkconv as nc
        >>> x = sp.Symbol("x")
        >>> statement = sp.And(x >= 0, x <= 1)
        >>> one = (nc.Instance("any", {}),)
        >>> toy = nc.Theorem("toy", "x in [0, 1]", "none", statement, {}, one, lambda c, s: None)
        >>> page = statement_mathml(toy)
        >>> page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
        2
    """
    return "".join(
        latex_to_mathml(line, display="block") for line in statement_lines(theorem.statement)
    )


def _cell(value: Any) -> str:
    """A predicted/measured value as HTML: one ``k = v`` per line for dicts."""
    if isinstance(value, Mapping):
        return "<br>".join(
            f"{html.escape(str(k))} = {html.escape(format_value(v))}" for k, v in value.items()
        )
    return html.escape(format_value(value))


def _halves(r: CheckResult) -> str:
    """The two halves of the verdict table, e.g. "met / holds"."""
    if r.verdict is Verdict.ERROR:
        return html.escape(r.error or "")
    met = "met" if r.hypotheses_met else "<strong>not met</strong>"
    holds = "holds" if r.conclusion_holds else "<strong>fails</strong>"
    return f"{met} / {holds}"


def results_table_html(
    results: Sequence[CheckResult], *, with_id: bool = True, numbers: bool = True,
    links: bool = True,
) -> str:  # fmt: skip
    """The verdict table: one row per record with its role, declared and measured verdict,
    hypotheses and conclusion, tightness, time and whether it came out as declared; ``numbers``
    adds predicted next to measured. ``with_id`` adds the theorem column, linked to ``#<id>``
    (the report's section) unless ``links`` is off (Jupyter, where no such section exists)."""
    head = [
        *(["theorem"] if with_id else []),
        "instance",
        "role",
        "declared",
        "verdict",
        "hypotheses / conclusion",
        *(["predicted", "measured"] if numbers else []),
        "tightness",
        "time (s)",
        "as declared",
    ]
    rows = []
    for r in results:
        t = r.tightness
        tight = "" if t is None else html.escape(str(t))
        if t is not None:
            tight = f'<span title="{html.escape(t.about)}">{tight}</span>'
        cells = [
            *([_theorem_cell(r.id, links)] if with_id else []),
            html.escape(r.instance),
            html.escape(format_role(r)),
            html.escape(r.declared.value),
            f'<span class="verdict {r.verdict.value}">{r.verdict.value}</span>',
            _halves(r),
            *([_cell(r.predicted), _cell(r.measured)] if numbers else []),
            tight,
            f"{r.wall_time_s:.1f}",
            "yes"
            if r.as_declared
            else "<strong>NO</strong>: " + html.escape("; ".join(r.problems)),
        ]
        rows.append(
            f'<tr data-verdict="{r.verdict.value}">' + "".join(f"<td>{c}</td>" for c in cells)
        )
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="ntkconv-results"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(f'{row}</tr>' for row in rows)}</tbody></table>"
    )


def _theorem_cell(theorem_id: str, link: bool) -> str:
    name = html.escape(theorem_id)
    return f'<a href="#{name}">{name}</a>' if link else name


def hypotheses_html(results: Sequence[CheckResult]) -> str:
    """Each record's hypotheses: name, measured value, the requirement, and whether it held;
    then what each record's tightness measures."""
    rows = [
        f"<tr><td>{html.escape(r.instance)}</td><td>{html.escape(h.name)}</td>"
        f"<td>{_cell(h.measured)}</td><td>{html.escape(format_requirement(h))}</td>"
        f"<td>{'yes' if h.holds else '<strong>no</strong>'}</td></tr>"
        for r in results
        for h in r.hypotheses
    ]
    tight = [
        f"<tr><td>{html.escape(r.instance)}</td><td>{html.escape(str(r.tightness))}</td>"
        f"<td>{html.escape(r.tightness.about)}</td></tr>"
        for r in results
        if r.tightness is not None
    ]
    return (
        '<table class="ntkconv-hypotheses"><thead><tr><th>instance</th><th>hypothesis</th>'
        "<th>measured</th><th>required</th><th>holds</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<table class="ntkconv-tightness"><thead><tr><th>instance</th><th>tightness</th>'
        f"<th>what it measures</th></tr></thead><tbody>{''.join(tight)}</tbody></table>"
    )


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top;text-align:left}
th{background:#f3f3f3}
.verdict{font-weight:600;padding:0 4px;border-radius:3px;white-space:nowrap}
.holds{background:#d9f2d9}.violated{background:#f8d0d0}
.failed-without-hypothesis{background:#fbe9c4}.held-outside-hypotheses{background:#dde8f6}
.diverged{background:#e2d5f3}.error{background:#444;color:#fff}
.fail{color:#b00;font-weight:700}
img{max-width:100%;border:1px solid #ddd}
section{border-top:2px solid #ddd;margin-top:2em}
.meta td:first-child{font-weight:600}
"""

# Marks, after load, how many figures decoded: "k/n" on <body data-figures-rendered>, so a
# headless browser can verify the report without a screenshot.
_SCRIPT = """
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter((i) => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.figuresRendered = ok + "/" + imgs.length;
});
"""


_LEGEND = (
    "<p>Each record says whether the theorem's hypotheses held on the instance and whether its "
    "conclusion held: <b>holds</b> (both), <b>violated</b> (hypotheses met, conclusion failed: "
    "a bug or a finding), <b>held-outside-hypotheses</b> (a hypothesis not met, the conclusion "
    "held anyway: an empirical finding, not a verification), <b>failed-without-hypothesis</b> "
    "(a hypothesis broken and the conclusion measured failing: what a strong control shows), "
    "<b>diverged</b>, <b>error</b>. Every instance declares its verdict; a sharpened control "
    "tightens the bound by a factor the theorem does not grant and must come out violated. "
    "Tightness is how far the claim could be tightened before the measured values break it "
    "(ratio, exponent or margin; hover for what it measures).</p>"
)


def report_html(run: CheckRun, figures: Mapping[str, bytes], command: str = "") -> str:
    """The report page for ``run``; ``figures`` maps theorem id to PNG bytes."""
    run_line = " · ".join(
        html.escape(part)
        for part in (
            f"command: {command}" if command else "",
            f"{'quick' if run.quick else 'full'} configurations",
            f"seed {run.seed}",
            f"started {run.started} UTC",
            f"wall time {run.wall_time_s:.1f} s",
        )
        if part
    )
    env_rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
        for k, v in environment().items()
    )
    contents = " · ".join(
        f'<a href="#{html.escape(t.id)}">{html.escape(t.id)}</a>' for t in run.theorems
    )
    sections = []
    for theorem in run.theorems:
        mine = run.of(theorem.id)
        img = "".join(
            f'<img alt="{html.escape(theorem.id)} figure {i}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            for i, png in enumerate(theorem_figures(figures, theorem.id), 1)
        )
        sections.append(
            f'<section id="{html.escape(theorem.id)}"><h2>{html.escape(theorem.id)} — '
            f"{html.escape(theorem.title)}</h2><p>{html.escape(theorem.citation)}</p>"
            f"{statement_mathml(theorem)}{results_table_html(mine, with_id=False)}"
            f"<details><summary>hypotheses checked</summary>{hypotheses_html(mine)}</details>"
            f"{img}</section>"
        )
    status = "" if run.as_declared else ' class="fail"'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ntkconv report</title><style>{_STYLE}</style><script>{_SCRIPT}</script>"
        f"</head><body><h1>ntkconv report</h1><p{status}>{html.escape(run.summary())}</p>"
        f'<p>{run_line}</p><p>{contents} · <a href="#environment">environment</a></p>'
        f"<h2>Verdicts</h2>{_LEGEND}{results_table_html(run.results, numbers=False)}"
        f"{''.join(sections)}"
        f'<section id="environment"><h2>Environment</h2><table class="meta">{env_rows}</table>'
        "</section></body></html>"
    )


def write_report(
    run: CheckRun, out: str | Path, command: str = "", figures: Mapping[str, bytes] | None = None
) -> Path:
    """Write ``out/index.html`` (self-contained) and ``out/results.json`` (the records, as
    ``ntkconv check --json`` prints them).

    The page opens from disk with no server: figures are embedded as PNG data URIs,
    statements are MathML (:func:`statement_mathml`) and the styles are inline. Both files
    are written atomically.

    Args:
        run: the :class:`CheckRun` to present.
        out: the folder to write into (created if missing).
        command: the command line that produced the run, shown on the page; default none.
        figures: figure stem (``<id>``, ``<id>-2``, …) → PNG bytes; None (default) draws
            each theorem's figures from the run's records.

    Returns:
        The path of ``index.html``.

    Raises:
        OSError: ``out`` cannot be created or written.

    Examples:
        >>> import tempfile
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> run = run_checks([toy], progress=False)
        >>> with tempfile.TemporaryDirectory() as out:
        ...     page = write_report(run, out, command="ntkconv report toy")
        ...     records = json.loads((Path(out) / "results.json").read_text())
        ...     print(page.name, sorted(p.name for p in Path(out).iterdir()), len(records))
        index.html ['index.html', 'results.json'] 2
    """
    out = Path(out)
    write_atomic(out / "results.json", json.dumps([r.to_dict() for r in run.results], indent=2))
    page = out / "index.html"
    write_atomic(page, report_html(run, run_figures(run) if figures is None else figures, command))
    return page


# --- a run kept for reuse (the documentation build reads what the test suite computed) --------
def code_fingerprint(theorems: Sequence[Theorem]) -> str:
    """SHA-256 of every Python source the records depend on — the engine's package and the
    folders of the theorem modules — and of the versions of the packages that can change a
    measured number (:data:`REPORTED_PACKAGES`)."""
    folders = {Path(__file__).parent}
    for theorem in theorems:
        source = inspect.getsourcefile(theorem.evaluate)
        if source:
            folders.add(Path(source).parent)
    digest = hashlib.sha256(json.dumps(environment(), sort_keys=True).encode())
    for folder in sorted(folders):
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def save_run(run: CheckRun, figures: Mapping[str, bytes], out: str | Path) -> Path:
    """Keep ``run`` and its figures in ``out`` (records.json, run.json, figures/*.png) for
    :func:`load_run`.

    The documentation build reads what the test suite computed this way. ``run.json`` is
    written last, so a folder with it holds a complete run; it records the theorem ids, the
    size and seed, and the :func:`code_fingerprint` of the code that produced the records.

    Args:
        run: the :class:`CheckRun` to keep.
        figures: figure stem → PNG bytes (e.g. ``run_figures(run)``; ``{}`` for none).
        out: the folder to write into (created if missing).

    Returns:
        ``out``, as a :class:`~pathlib.Path`.

    Raises:
        OSError: ``out`` cannot be created or written.

    Examples:
        >>> import tempfile
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> run = run_checks([toy], progress=False)
        >>> with tempfile.TemporaryDirectory() as out:
        ...     kept = save_run(run, {}, out)
        ...     print(sorted(p.name for p in kept.iterdir()))
        ['records.json', 'run.json']
    """
    out = Path(out)
    for name, png in figures.items():
        with atomic_path(out / "figures" / f"{name}.png") as tmp:
            tmp.write_bytes(png)
    write_atomic(out / "records.json", json.dumps([r.to_dict() for r in run.results]))
    meta = {
        "ids": [t.id for t in run.theorems],
        "quick": run.quick,
        "seed": run.seed,
        "started": run.started,
        "wall_time_s": run.wall_time_s,
        "fingerprint": code_fingerprint(run.theorems),
        "figures": sorted(figures),
    }
    write_atomic(out / "run.json", json.dumps(meta, indent=2))  # last: marks the run complete
    return out


def load_run(
    out: str | Path, theorems: Sequence[Theorem], *, quick: bool, seed: int
) -> tuple[CheckRun, dict[str, bytes]] | None:
    """The run :func:`save_run` kept in ``out``, if it still stands.

    It stands if it checked exactly ``theorems`` (same ids, same order) with this size and
    seed and the code has not changed since (same :func:`code_fingerprint`). Records come
    back as JSON values (lists, not tensors): enough for tables.

    Args:
        out: the folder :func:`save_run` wrote.
        theorems: the theorems the run must have checked, in order.
        quick: the size the run must have had.
        seed: the seed the run must have had.

    Returns:
        ``(run, figures)`` — the :class:`CheckRun` and figure stem → PNG bytes — or None when
            nothing usable is kept there (missing or unreadable files, another run, changed
            code).

    Examples:
        >>> import tempfile
        >>> import ntkconv as nc
        >>> from ntkconv.testing import toy_theorem
        >>> toy = toy_theorem()  # x ≤ 1: instance "half" holds, "two" is violated
        >>> run = run_checks([toy], progress=False)
        >>> with tempfile.TemporaryDirectory() as out:
        ...     _ = save_run(run, {}, out)
        ...     kept, figures = load_run(out, [toy], quick=False, seed=0)
        ...     other = load_run(out, [toy], quick=False, seed=1)
        >>> print(kept.summary())
        1 of 2 as declared; NOT as declared: ['toy/two (seed 0)']
        >>> figures, other
        ({}, None)
    """
    out = Path(out)
    try:
        meta = json.loads((out / "run.json").read_text())
        records = json.loads((out / "records.json").read_text())
        figures = {n: (out / "figures" / f"{n}.png").read_bytes() for n in meta["figures"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    wanted = {
        "ids": [t.id for t in theorems],
        "quick": quick,
        "seed": seed,
        "fingerprint": code_fingerprint(theorems),
    }
    if any(meta.get(k) != v for k, v in wanted.items()):
        return None
    run = CheckRun(
        list(theorems),
        [CheckResult.from_dict(r) for r in records],
        quick,
        seed,
        meta["started"],
        meta["wall_time_s"],
    )
    return run, figures
