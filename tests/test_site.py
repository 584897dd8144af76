"""The built documentation site, read in headless Chromium: every notebook page shows the
outputs of its one execution. CI runs these with ``-m site`` after ``mkdocs build --strict``;
the screenshots are kept in $NTKCONV_ARTIFACTS/screenshots for a person to read."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from _chromium import chromium

from ntkconv._notebooks import NOTEBOOKS

pytestmark = pytest.mark.site
nbformat = pytest.importorskip("nbformat")

SITE = NOTEBOOKS.parents[1] / "site"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.py"))
WIDTH = 1280  # a laptop's page width


def _page(name: str) -> Path:
    page = SITE / "notebooks" / name / "index.html"
    if not page.exists():
        pytest.fail(f"{page} missing: build the site first (mkdocs build --strict)")
    return page


@pytest.mark.parametrize("name", NAMES)
def test_notebook_page_shows_its_outputs(name: str, tmp_path: Path) -> None:
    page = _page(name)
    executed = nbformat.read(page.parent / f"{name}.ipynb", as_version=4)  # the download copy
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"{name} is rendered unexecuted"
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    shown_cells = set(re.findall(r'jp-CodeCell[^"]*" id="cell-id=([\w-]+)"', dom))
    assert shown_cells == {c.id for c in code}
    shown = len(re.findall(r'class="jp-OutputArea-child[ "]', dom))
    assert shown >= sum(bool(c.outputs) for c in code) > 0
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert dom.count("data:image/png;base64,") >= images
    assert "Traceback" not in dom and "Error</span>" not in dom


@pytest.mark.parametrize("name", NAMES)
def test_notebook_page_screenshot_is_not_blank(name: str, tmp_path: Path) -> None:
    artifacts = os.environ.get("NTKCONV_ARTIFACTS")
    out = Path(artifacts) / "screenshots" if artifacts else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    shot = out / f"{name}.png"
    flags = (f"--screenshot={shot}", f"--window-size={WIDTH},2000", "--hide-scrollbars")
    chromium(_page(name), tmp_path / "profile", *flags)
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[1] == WIDTH
    ink = (pixels.mean(axis=2) < 0.5).mean()  # dark pixels: text, code and figures
    assert ink > 0.01, f"{shot} is almost blank ({ink:.1%} dark pixels)"
    assert np.isfinite(pixels).all()
