"""The notebooks (docs/notebooks): each jupytext script and its .ipynb say the same thing, the
.ipynb is committed without outputs, and every notebook runs top to bottom without an error.
This is the one place they are executed: with NTKCONV_ARTIFACTS set (CI) the executed copies
are kept there, and the documentation build renders those instead of running them again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")

from ntkconv._notebooks import NOTEBOOKS, cells, execute  # noqa: E402

SCRIPTS = sorted(NOTEBOOKS.glob("*.py"))


def test_there_are_notebooks() -> None:
    assert SCRIPTS, f"no jupytext scripts in {NOTEBOOKS}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_and_notebook_are_paired_and_clean(script: Path) -> None:
    ipynb = script.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: jupytext --sync {script}"
    paired = nbformat.read(ipynb, as_version=4)
    assert cells(jupytext.read(script)) == cells(paired), f"out of sync: jupytext --sync {script}"
    for cell in paired.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{ipynb.name} has outputs"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_runs(script: Path, tmp_path: Path) -> None:
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")
    out = Path(artifacts) / "notebooks" if artifacts else tmp_path
    executed = execute(script.with_suffix(".ipynb"), out)  # raises on the first failing cell
    nb = nbformat.read(executed, as_version=4)
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["ntkconv"]["wall_time_s"] > 0  # kept with the copy; not a speed test
