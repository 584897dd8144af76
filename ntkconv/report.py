"""Running checks and presenting them: the run record behind ``ntkconv check``, ``ntkconv
report`` and the documentation build, and a self-contained HTML report.

The report is one HTML file that opens from disk with no server: figures are embedded as PNG
data URIs, statements are MathML generated from each theorem's sympy source (browsers render
MathML natively, so nothing is fetched), and the styles are inline.
"""

from __future__ import annotations

import base64
import html
import json
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from latex2mathml.converter import convert as latex_to_mathml
from tqdm.auto import tqdm

from ._io import write_atomic
from .plotting import figure_bytes
from .protocol import CheckResult, Theorem

#: Packages whose versions a report records (those that can change a measured number).
REPORTED_PACKAGES = ("ntkconv", "torch", "numpy", "scipy", "sympy", "matplotlib", "scikit-learn")


@dataclass
class CheckRun:
    """Every instance of ``theorems`` checked once with one seed: the records, and how long."""

    theorems: list[Theorem]
    results: list[CheckResult]
    quick: bool
    seed: int
    started: str
    wall_time_s: float

    @property
    def passed(self) -> bool:
        """Every regular instance holds and no control does."""
        return all(r.passed for r in self.results)

    def of(self, theorem_id: str) -> list[CheckResult]:
        """The records of one theorem, in instance order."""
        return [r for r in self.results if r.id == theorem_id]

    def summary(self) -> str:
        """``"k of n as expected"``, naming the records that were not."""
        failed = [f"{r.id}/{r.instance}" for r in self.results if not r.passed]
        text = f"{len(self.results) - len(failed)} of {len(self.results)} as expected"
        return text + (f"; NOT as expected: {failed}" if failed else "")


def run_checks(
    theorems: Sequence[Theorem],
    *,
    quick: bool = False,
    seed: int = 0,
    progress: bool | None = None,
) -> CheckRun:
    """Check every instance of ``theorems`` in order with base seed ``seed``. ``progress``
    shows a tqdm bar on stderr (None: only when stderr is a terminal)."""
    if not theorems:
        raise ValueError("theorems: expected at least one Theorem, got none")
    jobs = [(t, inst) for t in theorems for inst in t.instances]
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    start = time.perf_counter()
    results = []
    disable = None if progress is None else not progress
    with tqdm(jobs, desc="checking", disable=disable, file=sys.stderr) as bar:
        for theorem, inst in bar:
            bar.set_postfix_str(f"{theorem.id}/{inst.name}")
            results.append(theorem.check(inst.name, quick=quick, seed=seed))
    return CheckRun(list(theorems), results, quick, seed, started, time.perf_counter() - start)


def figure_png(theorem: Theorem, results: Sequence[CheckResult]) -> bytes | None:
    """The theorem's figure of ``results`` as PNG bytes; None if it defines no figure."""
    return None if theorem.figure is None else figure_bytes(theorem.figure(results))


def run_figures(run: CheckRun) -> dict[str, bytes]:
    """Each checked theorem's figure of its records, as PNG bytes, by theorem id."""
    figures = {}
    for theorem in run.theorems:
        png = figure_png(theorem, run.of(theorem.id))
        if png is not None:
            figures[theorem.id] = png
    return figures


def environment() -> dict[str, str]:
    """What produced the numbers: Python, platform, package versions, torch threads, CUDA."""
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
    """A predicted/measured value as text: floats to 4 significant digits, dicts as k=v,
    sequences as (a, b, ...)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def statement_mathml(theorem: Theorem) -> str:
    """The theorem's statement as display MathML, converted from its sympy LaTeX."""
    return latex_to_mathml(theorem.latex(), display="block")


def _cell(value: Any) -> str:
    """A predicted/measured value as HTML: one ``k = v`` per line for dicts."""
    if isinstance(value, Mapping):
        return "<br>".join(
            f"{html.escape(str(k))} = {html.escape(format_value(v))}" for k, v in value.items()
        )
    return html.escape(format_value(value))


def results_table_html(
    results: Sequence[CheckResult], *, with_id: bool = True, numbers: bool = True
) -> str:
    """The verdict table: one row per record with its verdict, slack, time and whether it came
    out as expected (a control must not hold); ``numbers`` adds predicted next to measured.
    With ``with_id`` the theorem column links to ``#<id>``."""
    head = [
        *(["theorem"] if with_id else []),
        "instance",
        "control",
        "verdict",
        *(["predicted", "measured"] if numbers else []),
        "slack",
        "time (s)",
        "as expected",
    ]
    rows = []
    for r in results:
        cells = [
            *([f'<a href="#{html.escape(r.id)}">{html.escape(r.id)}</a>'] if with_id else []),
            html.escape(r.instance),
            html.escape(f"breaks: {r.breaks}") if r.control else "",
            f'<span class="verdict {r.verdict.value}">{r.verdict.value}</span>',
            *([_cell(r.predicted), _cell(r.measured)] if numbers else []),
            _cell(r.slack),
            f"{r.wall_time_s:.1f}",
            "yes" if r.passed else "<strong>NO</strong>",
        ]
        rows.append(
            f'<tr data-verdict="{r.verdict.value}">' + "".join(f"<td>{c}</td>" for c in cells)
        )
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="ntkconv-results"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(f'{row}</tr>' for row in rows)}</tbody></table>"
    )


def hypotheses_html(results: Sequence[CheckResult]) -> str:
    """Each record's hypotheses: name, measured value, the requirement, and whether it held."""
    rows = [
        f"<tr><td>{html.escape(r.instance)}</td><td>{html.escape(h.name)}</td>"
        f"<td>{_cell(h.measured)}</td><td>{html.escape(h.required)}</td>"
        f"<td>{'yes' if h.holds else '<strong>no</strong>'}</td></tr>"
        for r in results
        for h in r.hypotheses
    ]
    return (
        '<table class="ntkconv-hypotheses"><thead><tr><th>instance</th><th>hypothesis</th>'
        "<th>measured</th><th>required</th><th>holds</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top;text-align:left}
th{background:#f3f3f3}
.verdict{font-weight:600;padding:0 4px;border-radius:3px;white-space:nowrap}
.holds{background:#d9f2d9}.violated{background:#f8d0d0}
.hypotheses-not-met{background:#fbe9c4}.diverged{background:#e2d5f3}
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
        png = figures.get(theorem.id)
        img = (
            f'<img alt="{html.escape(theorem.id)} figure" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            if png
            else ""
        )
        sections.append(
            f'<section id="{html.escape(theorem.id)}"><h2>{html.escape(theorem.id)} — '
            f"{html.escape(theorem.title)}</h2><p>{html.escape(theorem.citation)}</p>"
            f"{statement_mathml(theorem)}{results_table_html(mine, with_id=False)}"
            f"<details><summary>hypotheses checked</summary>{hypotheses_html(mine)}</details>"
            f"{img}</section>"
        )
    status = "" if run.passed else ' class="fail"'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ntkconv report</title><style>{_STYLE}</style><script>{_SCRIPT}</script>"
        f"</head><body><h1>ntkconv report</h1><p{status}>{html.escape(run.summary())}</p>"
        f'<p>{run_line}</p><p>{contents} · <a href="#environment">environment</a></p>'
        f"<h2>Verdicts</h2>{results_table_html(run.results, numbers=False)}{''.join(sections)}"
        f'<section id="environment"><h2>Environment</h2><table class="meta">{env_rows}</table>'
        "</section></body></html>"
    )


def write_report(run: CheckRun, out: str | Path, command: str = "") -> Path:
    """Write ``out/index.html`` (self-contained) and ``out/results.json`` (the records, as
    ``ntkconv check --json`` prints them); returns the HTML's path."""
    out = Path(out)
    write_atomic(out / "results.json", json.dumps([r.to_dict() for r in run.results], indent=2))
    page = out / "index.html"
    write_atomic(page, report_html(run, run_figures(run), command))
    return page
