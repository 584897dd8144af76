"""Each theorem's doc page shows the LaTeX generated from its sympy statement."""

from __future__ import annotations

from pathlib import Path

import pytest

import ntkconv as nc

DOCS = Path(__file__).resolve().parents[1] / "docs" / "theorems"


@pytest.mark.parametrize("theorem_id", list(nc.registry()))
def test_doc_page_statement_matches_sympy_source(theorem_id: str) -> None:
    page = (DOCS / f"{theorem_id}.md").read_text(encoding="utf-8")
    assert f"$${nc.registry()[theorem_id].latex()}$$" in page
