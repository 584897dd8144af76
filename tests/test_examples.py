"""The docstring examples of the verdict machinery run as written."""

from __future__ import annotations

import doctest

import pytest

import ntkconv.constructions
import ntkconv.protocol
import ntkconv.stats
import ntkconv.testing


@pytest.mark.parametrize(
    "module", [ntkconv.protocol, ntkconv.stats, ntkconv.constructions, ntkconv.testing]
)
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)
    assert result.failed == 0
