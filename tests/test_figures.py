"""Figures: every theorem's figures have at most MAX_PANELS panels, importing ntkconv leaves the
user's matplotlib backend alone, and the figure helper pages, titles and colours records."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from _quick import quick_run

import ntkconv as nc
from ntkconv.plotting import VERDICT_COLOURS
from ntkconv.report import draw_figures

ROOT = Path(__file__).resolve().parents[1]


def _panels(fig: object) -> int:
    """Visible panels; a twin axis shares its panel's grid position."""
    return len({ax.get_subplotspec().get_geometry() for ax in fig.axes if ax.get_visible()})


@pytest.mark.parametrize("theorem_id", sorted(nc.registry()))
def test_every_figure_fits_the_page(theorem_id: str) -> None:
    theorem = nc.registry()[theorem_id]
    figures = draw_figures(theorem, quick_run(theorem_id).results)
    assert figures, "every theorem draws a headline figure"
    for fig in figures:
        assert 1 <= _panels(fig) <= nc.MAX_PANELS
        assert fig.get_size_inches()[0] <= 9.0  # 990 px at the docs' 110 dpi


def test_importing_ntkconv_keeps_the_backend() -> None:
    code = (
        "import matplotlib; matplotlib.use('svg'); import ntkconv; print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_record_figures_pages_and_colours_records() -> None:
    results = quick_run("pl-gd-rate").results  # 7 records, 3 of them controls
    drawn: list[str] = []
    figures = nc.record_figures(results, lambda ax, r: drawn.append(r.instance), "t")
    assert [_panels(f) for f in figures] == [4, 3]
    assert drawn[: sum(not r.control for r in results)] == [
        r.instance for r in results if not r.control
    ]
    first = figures[0].axes[0]
    assert first.get_title().startswith(f"{drawn[0]}: ")
    verdict = first.get_title().split(": ")[1]
    assert first.title.get_color() == VERDICT_COLOURS[verdict]
    two = nc.record_figures(results, lambda axes, r: None, "t", panels=("a", "b"))
    assert len(two) == 4 and all(_panels(f) <= 4 for f in two)
    with pytest.raises(ValueError, match="at most 4 panels"):
        nc.record_figures(results, lambda axes, r: None, "t", panels=tuple("abcde"))


def test_no_theorem_imports_another() -> None:
    for path in sorted((ROOT / "theorems").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("theorems")
            ):
                names = {a.name for a in node.names}
                # only the private set-ups theorems share (_lazy, _last_layer), never a theorem
                shared = all(n.startswith("_") for n in names)
                assert node.module == "theorems" and shared, (path.name, node.module, names)
