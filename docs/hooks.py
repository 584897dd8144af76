"""MkDocs hooks: statements, commands, figures and measured numbers come from the code at build
time; nothing a check produces is typed into a page or committed.

A page asks for generated content with a directive, an HTML comment on a line of its own:

* ``<!-- ntkconv: statement -->`` — the statement as MathML converted from the theorem's sympy
  source (``Theorem.latex()``);
* ``<!-- ntkconv: command -->`` — the exact command that checks the theorem and draws its figure;
* ``<!-- ntkconv: figure -->`` — the figure that command draws, rendered by this build;
* ``<!-- ntkconv: measured -->`` — this build's records: verdicts, predicted vs measured, tightness,
  hypotheses with their measured values;
* ``<!-- ntkconv: checks ID ... -->`` — on a topic page, each named theorem's statement, source
  and verdicts, linked to its page;
* ``<!-- ntkconv: sweep-figure STEM -->`` — a figure of the quick width-vs-n or width-vs-depth
  sweep.

Theorem pages (``theorems/<id>.md``) take the id from their file name. Every registered theorem
must have a page with a statement directive, or the build fails.

``NTKCONV_DOCS_RUN`` says what the build runs: ``quick`` (default: every theorem's quick
configurations and the quick sweeps, about seven minutes on two cores), ``full`` (the
full configurations), or ``none`` (statements and commands only, no figures or numbers; for
checking the site's structure in seconds).

``NTKCONV_ARTIFACTS=DIR`` (CI sets it) reuses what the test suite computed instead of running it
again: the quick run kept in ``DIR/quick-run`` by ``tests/conftest.py`` (only if the code has not
changed since: ``ntkconv.load_run`` compares a fingerprint of the sources), and the quick sweep's
cells in ``DIR/width-vs-n-quick`` and ``DIR/width-vs-depth-quick`` (the sweep engine reuses every
finished cell).
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

import ntkconv as nc
from ntkconv._notebooks import cells as notebook_cells
from ntkconv._notebooks import execute as execute_notebook
from ntkconv.report import (
    CheckRun,
    figure_names,
    hypotheses_html,
    results_table_html,
    run_figures,
    theorem_figures,
)

log = logging.getLogger("mkdocs.hooks.ntkconv")

MODES = ("quick", "full", "none")
SWEEPS = ("width-vs-n", "width-vs-depth")
DIRECTIVE = re.compile(r"^<!-- ntkconv: ([a-z-]+)((?: [\w.-]+)*) -->$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)  # directives there are examples

# One run per process and mode, so `mkdocs serve` does not rerun the checks on every reload.
_RUNS: dict[str, tuple[CheckRun | None, dict[str, bytes]]] = {}


def _mode() -> str:
    mode = os.environ.get("NTKCONV_DOCS_RUN", "quick")
    if mode not in MODES:
        raise PluginError(f"NTKCONV_DOCS_RUN: expected one of {MODES}, got {mode!r}")
    return mode


def _checks_run(quick: bool, artifacts: Path | None) -> tuple[CheckRun, dict[str, bytes]]:
    """Every theorem's records and figures: kept by the test suite if they match this code,
    else computed here."""
    theorems = list(nc.registry().values())
    if artifacts is not None and quick:
        kept = nc.load_run(artifacts / "quick-run", theorems, quick=True, seed=0)
        if kept is not None:
            log.info("ntkconv: reusing the test suite's quick run from %s", artifacts)
            return kept
        log.info("ntkconv: no matching quick run in %s; running the checks", artifacts)
    run = nc.run_checks(theorems, quick=quick, seed=0)
    return run, run_figures(run)


def _sweep_figures(quick: bool, artifacts: Path | None) -> dict[str, bytes]:
    figures, factories = {}, nc.sweep_registry()
    for name in SWEEPS:
        sweep = factories[name](quick=quick, seed=0)
        with tempfile.TemporaryDirectory() as tmp:
            out = artifacts / f"{name}-quick" if artifacts is not None and quick else Path(tmp)
            run = nc.run_sweep(sweep, out, progress=False)
            figures.update({p.stem: p.read_bytes() for p in run.figures})
    return figures


def _run(mode: str) -> tuple[CheckRun | None, dict[str, bytes]]:
    """The checks and the sweep for ``mode``, and every figure they draw (name → PNG)."""
    if mode not in _RUNS:
        if mode == "none":
            _RUNS[mode] = (None, {})
        else:
            artifacts = os.environ.get("NTKCONV_ARTIFACTS")
            folder = Path(artifacts) if artifacts else None
            run, figures = _checks_run(mode == "quick", folder)
            if not run.as_declared:  # a warning, so that a strict build does not publish it
                log.warning("ntkconv checks: %s", run.summary())
            _RUNS[mode] = (run, {**figures, **_sweep_figures(mode == "quick", folder)})
    return _RUNS[mode]


def _same_cells(a: Path, b: Path) -> bool:
    import nbformat

    return notebook_cells(nbformat.read(a, as_version=4)) == notebook_cells(
        nbformat.read(b, as_version=4)
    )


def _executed_notebooks(files: Files, mode: str) -> None:
    """Point each notebook at its executed copy: the one tests/test_notebooks.py kept in
    ``$NTKCONV_ARTIFACTS/notebooks`` if it matches the source, else one run here (mkdocs-jupyter
    itself only renders); ``none`` renders them unexecuted."""
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")
    for f in files:
        if not (f.src_uri.startswith("notebooks/") and f.src_uri.endswith(".ipynb")):
            continue
        source = Path(f.abs_src_path or "")
        kept = Path(artifacts) / "notebooks" / source.name if artifacts else None
        if kept is not None and kept.exists() and _same_cells(kept, source):
            log.info("ntkconv: reusing the executed %s from %s", source.name, kept.parent)
            f.abs_src_path = str(kept)
        elif mode != "none":
            out = Path(tempfile.mkdtemp(prefix="ntkconv-notebooks-"))
            f.abs_src_path = str(execute_notebook(source, out))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Fail on a theorem without a page; add this build's figures under ``figures/``; render
    the notebooks executed."""
    missing = [i for i in nc.registry() if files.get_file_from_path(f"theorems/{i}.md") is None]
    if missing:
        raise PluginError(f"theorems without a page docs/theorems/<id>.md: {missing}")
    for name, png in _run(_mode())[1].items():
        files.append(File.generated(config, f"figures/{name}.png", content=png))
    _executed_notebooks(files, _mode())
    return files


def _up(page: Page) -> str:
    """The relative path from ``page`` to the docs root."""
    return "../" * page.file.src_uri.count("/")


def _command(theorem_id: str, mode: str) -> str:
    """The command behind this page's figure and table, and the one for the other size."""
    this, other = ("", " --quick") if mode == "full" else (" --quick", "")
    size = "quick" if other else "full"
    return (
        "```bash\n"
        f"ntkconv check {theorem_id}{this} --figures figures/  # this page's figure and table\n"
        f"ntkconv check {theorem_id}{other} --json  # the {size} configurations, as JSON\n"
        "```"
    )


def _not_run(what: str) -> str:
    return (
        f'!!! note "{what} not generated in this build"\n'
        "    This build ran with `NTKCONV_DOCS_RUN=none`; the published site runs the checks."
    )


def _measured(run: CheckRun, theorem_id: str) -> str:
    records = run.of(theorem_id)
    kind = "quick" if run.quick else "full"
    seconds = sum(r.wall_time_s for r in records)
    expected = sum(r.as_declared for r in records)
    return (
        f"Measured by this build ({kind} configurations, seed {run.seed}, {run.started}, "
        f"{seconds:.1f} s): {expected} of {len(records)} records as declared.\n\n"
        f"{results_table_html(records, with_id=False)}\n\n"
        f"<details><summary>Hypotheses checked, with measured values</summary>"
        f"{hypotheses_html(records)}</details>"
    )


def _checks(ids: list[str], run: CheckRun | None, page: Page) -> str:
    """A topic page's summary of the named theorems."""
    known = nc.registry()
    blocks = []
    for theorem_id in ids:
        if theorem_id not in known:
            raise PluginError(f"{page.file.src_uri}: unknown theorem {theorem_id!r}")
        theorem = known[theorem_id]
        verdicts = ""
        if run is not None:
            counts: dict[str, int] = {}
            for r in run.of(theorem_id):
                key = f"{r.verdict.value} ({'control' if r.control else 'instance'})"
                counts[key] = counts.get(key, 0) + 1
            verdicts = "This build: " + ", ".join(f"{v} × {k}" for k, v in counts.items()) + "."
        blocks.append(
            f"### [{theorem_id} — {html.escape(theorem.title)}]"
            f"({_up(page)}theorems/{theorem_id}.md)\n\n"
            f"*{html.escape(theorem.citation)}*\n\n"
            f'<div class="ntkconv-statement">{nc.statement_mathml(theorem)}</div>\n\n{verdicts}'
        )
    return "\n\n".join(blocks)


def _expand(name: str, args: list[str], page: Page, theorem_id: str | None) -> str:
    mode = _mode()
    run, figures = _run(mode)
    if name == "checks":
        return _checks(args, run, page)
    if name == "sweep-figure":
        (stem,) = args
        if mode == "none":
            return _not_run(f"Figure {stem}")
        if stem not in figures:
            raise PluginError(f"{page.file.src_uri}: no sweep of {SWEEPS} draws {stem!r}")
        return f"![{stem}]({_up(page)}figures/{stem}.png)"
    if theorem_id is None:
        raise PluginError(f"{page.file.src_uri}: directive {name!r} belongs on a theorem page")
    theorem = nc.registry()[theorem_id]
    if name == "statement":
        return f'<div class="ntkconv-statement">{nc.statement_mathml(theorem)}</div>'
    if name == "command":
        return _command(theorem_id, mode)
    if name == "figure":
        if run is None:
            return _not_run("Figure")
        count = len(theorem_figures(figures, theorem_id))
        return "\n\n".join(
            f"![{theorem_id}: figure {i}, drawn by this build]({_up(page)}figures/{name}.png)"
            for i, name in enumerate(figure_names(theorem_id, count), 1)
        )
    if name == "measured":
        return _not_run("Measured numbers") if run is None else _measured(run, theorem_id)
    raise PluginError(f"{page.file.src_uri}: unknown directive {name!r}")


def on_page_markdown(markdown: str, page: Page, **_: Any) -> str:
    """Expand the directives; a theorem page must carry its statement."""
    stem = Path(page.file.src_uri).stem
    theorem_id = stem if page.file.src_uri.startswith("theorems/") else None
    if theorem_id is not None:
        if theorem_id not in nc.registry():
            raise PluginError(f"{page.file.src_uri}: no registered theorem {theorem_id!r}")
        if "<!-- ntkconv: statement -->" not in markdown:
            raise PluginError(f"{page.file.src_uri}: no <!-- ntkconv: statement --> directive")

    def expand(text: str) -> str:
        return DIRECTIVE.sub(
            lambda m: _expand(m.group(1), m.group(2).split(), page, theorem_id), text
        )

    out, last = [], 0
    for fence in FENCE.finditer(markdown):
        out += [expand(markdown[last : fence.start()]), fence.group(0)]
        last = fence.end()
    return "".join([*out, expand(markdown[last:])])
