"""The documentation site: every theorem has a page whose statement is generated from its sympy
source, the site builds with warnings as errors, and the how-to page's example works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

import ntkconv as nc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [p for v in node.values() for p in _nav_pages(v)]
    if isinstance(node, list):
        return [p for v in node for p in _nav_pages(v)]
    return []


@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_every_theorem_has_a_page_in_the_nav(theorem_id: str) -> None:
    page = (DOCS / "theorems" / f"{theorem_id}.md").read_text(encoding="utf-8")
    for directive in ("statement", "command", "figure", "measured"):
        assert f"<!-- ntkconv: {directive} -->" in page
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert f"theorems/{theorem_id}.md" in _nav_pages(config["nav"])


def test_site_builds_strict_and_shows_the_sympy_statements(tmp_path: Path) -> None:
    """The structural build (no checks run): strict mode turns every warning into an error."""
    env = {**os.environ, "NTKCONV_DOCS_RUN": "none", "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for theorem_id, theorem in nc.registry().items():
        built = (site / "theorems" / theorem_id / "index.html").read_text(encoding="utf-8")
        assert nc.statement_mathml(theorem) in built, theorem_id
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "empirical_ntk" in api and "run_checks" in api


def test_hook_rejects_unknown_directives(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from mkdocs.exceptions import PluginError

    spec = importlib.util.spec_from_file_location("ntkconv_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    monkeypatch.setenv("NTKCONV_DOCS_RUN", "none")
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="theorems/pl-gd-rate.md"))
    text = "<!-- ntkconv: statement -->\n\n<!-- ntkconv: nonsense -->\n"
    with pytest.raises(PluginError, match="unknown directive 'nonsense'"):
        hooks.on_page_markdown(text, page=page)
    with pytest.raises(PluginError, match="no <!-- ntkconv: statement -->"):
        hooks.on_page_markdown("# pl-gd-rate\n", page=page)
    monkeypatch.setenv("NTKCONV_DOCS_RUN", "sometimes")
    with pytest.raises(PluginError, match="NTKCONV_DOCS_RUN"):
        hooks.on_page_markdown(text, page=page)


def test_adding_a_theorem_example_runs() -> None:
    """The how-to page's module, executed as written: its instance holds, its control not."""
    page = (DOCS / "adding-a-theorem.md").read_text(encoding="utf-8")
    source = re.search(r"```python\n(.*?)```", page, re.DOTALL)
    assert source is not None
    module = types.ModuleType("gd_strongly_convex")
    exec(compile(source.group(1), "adding-a-theorem.md", "exec"), module.__dict__)
    theorem = module.THEOREM
    results = nc.run_checks([theorem], quick=True, progress=False).results
    assert [r.verdict for r in results] == [
        nc.Verdict.HOLDS,
        nc.Verdict.VIOLATED,
        nc.Verdict.FAILED_WITHOUT_HYPOTHESIS,
    ]
    assert all(r.as_declared for r in results)
    assert results[0].measured["worst_step_ratio"] <= results[0].predicted["rate"].value + 1e-12
    assert 1.0 <= results[0].tightness.value < 1.5
    png = nc.figure_bytes(theorem.figure(results)[0])
    assert png.startswith(b"\x89PNG")
    errors = results[-1].details["errors"]  # the control's distance grows along the top mode
    assert errors[-1] > errors[0]
