"""``ntkconv report``: a self-contained HTML file that renders in headless Chromium with every
verdict and figure, and the run record behind it."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
import sympy as sp
import torch
from _chromium import chromium
from _quick import quick_figures, quick_run

import ntkconv as nc
from ntkconv.cli import main


# slow: a headless browser renders the whole quick report (~35 s). CI runs it with -m slow,
# reading the quick run the default session kept in NTKCONV_ARTIFACTS (no check runs twice).
@pytest.mark.slow
def test_full_quick_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    """Every theorem's quick records: all verdict rows and all figures are in the rendered
    page."""
    theorems = list(nc.registry().values())
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")
    kept = artifacts and nc.load_run(Path(artifacts) / "quick-run", theorems, quick=True, seed=0)
    if kept:
        run, figures = kept
    else:
        results = [r for t in theorems for r in quick_run(t.id).results]
        run = nc.CheckRun(theorems, results, quick=True, seed=0, started="test", wall_time_s=0.0)
        figures = quick_figures(run)
    results = run.results
    page = nc.write_report(
        run, tmp_path / "r", command="ntkconv report --quick --out r/", figures=figures
    )
    dom = chromium(page, tmp_path / "profile", "--dump-dom")

    assert all(t.id in figures for t in theorems)  # every theorem has its headline figure
    shown = len(figures)  # headlines and their follow-ups
    assert f'data-figures-rendered="{shown}/{shown}"' in dom
    # the summary table, then each theorem's own table: every record twice
    rows = re.findall(r'<tr data-verdict="([a-z-]+)">', dom)
    assert rows == [r.verdict.value for r in results] * 2
    for theorem in theorems:
        assert f'<section id="{theorem.id}">' in dom
    assert dom.count("<math") >= len(theorems)
    assert f"{len(results)} of {len(results)} as declared" in dom
    for verdict in ("held-outside-hypotheses", "failed-without-hypothesis", "violated"):
        assert f'<span class="verdict {verdict}">' in dom  # the report shows every kind
    records = json.loads((tmp_path / "r" / "results.json").read_text())
    assert [(r["id"], r["instance"]) for r in records] == [(r.id, r.instance) for r in results]


def test_report_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "report"
    code = main(["report", "pl-gd-rate", "--quick", "--out", str(out), "--no-progress"])
    assert code == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "ntkconv report pl-gd-rate --quick --out" in html
    assert f"torch</td><td>{torch.__version__}" in html
    assert "data:image/png;base64," in html and "<math" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing to fetch
    records = json.loads((out / "results.json").read_text())
    assert len(records) == len(nc.registry()["pl-gd-rate"].instances)


def _always_holds(config: dict, seed: int) -> nc.Outcome:
    return nc.Outcome(
        [nc.hypothesis("h", 1.0, ">", 0.0)], True, 1.0, 0.5, nc.Tightness.ratio(2.0, "1/0.5")
    )


def test_a_control_that_holds_is_reported_as_a_failure(tmp_path: Path) -> None:
    """A check that cannot fail: its control comes out holds, and the report says NOT."""
    broken = nc.Theorem(
        id="cannot-fail",
        title="a check that cannot fail",
        citation="none",
        statement=sp.Le(sp.Symbol("x"), 1),
        symbols={},
        instances=(nc.Instance("regular", {}), nc.Instance("control", {}, breaks="h")),
        evaluate=_always_holds,
    )
    run = nc.run_checks([broken], quick=True, progress=False)
    assert not run.as_declared and run.exit_code == 1
    assert run.summary() == "1 of 2 as declared; NOT as declared: ['cannot-fail/control (seed 0)']"
    html = nc.write_report(run, tmp_path).read_text(encoding="utf-8")
    assert '<p class="fail">1 of 2 as declared' in html
    assert "<strong>NO</strong>: verdict holds, declared failed-without-hypothesis" in html


def test_a_kept_run_is_reused_only_by_the_same_code(tmp_path: Path, monkeypatch) -> None:
    theorem = nc.registry()["pl-gd-rate"]
    run = quick_run("pl-gd-rate")
    figures = {"pl-gd-rate": b"\x89PNG fake"}
    nc.save_run(run, figures, tmp_path)
    loaded = nc.load_run(tmp_path, [theorem], quick=True, seed=0)
    assert loaded is not None
    back, figs = loaded
    assert figs == figures
    assert [r.to_dict() for r in back.results] == [r.to_dict() for r in run.results]
    assert nc.load_run(tmp_path, [theorem], quick=True, seed=1) is None
    assert nc.load_run(tmp_path, [theorem], quick=False, seed=0) is None
    monkeypatch.setattr("ntkconv.report.code_fingerprint", lambda theorems: "changed")
    assert nc.load_run(tmp_path, [theorem], quick=True, seed=0) is None


def test_run_checks_needs_theorems() -> None:
    with pytest.raises(ValueError, match="theorems: expected at least one"):
        nc.run_checks([])


def test_records_and_runs_display_in_jupyter_and_convert_to_pandas() -> None:
    from ntkconv.testing import toy_theorem

    toy = toy_theorem()
    run = nc.run_checks([toy], progress=False)
    html_run = run._repr_html_()
    assert f"{toy.id}: 1 of 2 as declared" in html_run and html_run.count("<tr") == 3
    assert "<th>theorem</th>" not in html_run and 'href="#' not in html_run  # one theorem
    other = [dataclasses.replace(r, id="other") for r in run.results]
    two = nc.CheckRun([toy], run.results + other, quick=False, seed=0, started="", wall_time_s=0)
    assert "<th>theorem</th>" in two._repr_html_() and 'href="#' not in two._repr_html_()
    assert 'class="verdict violated"' in run.results[1]._repr_html_()
    frame = run.to_frame()
    assert list(frame["instance"]) == ["half", "two"]
    assert list(frame["verdict"]) == ["holds", "violated"]
    assert frame["tightness"].tolist() == [2.0, 0.5] and frame["as_declared"].tolist() == [
        True,
        False,
    ]
    assert run.results[0].to_frame().shape[0] == 1
    # outside Jupyter, print() and display() show the CLI's text table and the theorem's gist
    assert str(run).endswith(run.summary()) and "violated" in str(run).splitlines()[4]
    assert str(toy).splitlines()[:2] == [f"{toy.id}: {toy.title}", toy.citation]
    shown = toy._repr_html_()  # a theorem: statement in MathML (no script), legend, instances
    assert nc.statement_mathml(toy) in shown and "the measured value" in shown
    assert shown.count("<tr>") == 1 + 1 + len(toy.instances)  # legend row, header, instances
    cal = nc.run_calibration([toy], [0, 1], progress=False)
    assert len(cal.to_frame()) == 4 and "0/2" in cal._repr_html_()
