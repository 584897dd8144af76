"""The engine's docstrings: every example runs as written (doctests), and the public API is
documented the way the field documents (Google style: Args, Returns, Examples)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import ntkconv as nc

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(nc.__path__, "ntkconv.") if m.name != "ntkconv.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, raise_on_error=False, optionflags=flags)
    assert result.failed == 0


def _public() -> dict[str, object]:
    return {
        n: getattr(nc, n)
        for n in nc.__all__
        if inspect.isfunction(getattr(nc, n)) or inspect.isclass(getattr(nc, n))
    }


def test_public_api_is_documented_in_google_style() -> None:
    public = _public()
    docs = {n: inspect.getdoc(obj) or "" for n, obj in public.items()}
    assert not [n for n, d in docs.items() if not d], "public names without a docstring"
    sections = [
        n
        for n, d in docs.items()
        if ("Args:" in d or "Attributes:" in d)
        and ("Returns:" in d or inspect.isclass(public[n]) or "Yields:" in d)
    ]
    assert len(sections) >= 0.9 * len(public), sorted(set(public) - set(sections))
    examples = [n for n, d in docs.items() if ">>>" in d]
    assert len(examples) >= 0.6 * len(public), sorted(set(public) - set(examples))
