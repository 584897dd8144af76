"""With ``NTKCONV_ARTIFACTS=DIR`` set (CI sets it), a session that checked every theorem's quick
configurations keeps the run and its figures in DIR/quick-run, so the documentation build reads
them instead of running every check a second time (``docs/hooks.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _quick import full_quick_run, quick_figures
from hypothesis import HealthCheck, settings

import ntkconv as nc

# Property tests run the same examples on every machine (derandomize) and keep no example
# database in the checkout; no per-example deadline, since a first call pays torch's set-up.
settings.register_profile(
    "ntkconv",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ntkconv")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = os.environ.get("NTKCONV_ARTIFACTS")
    run = full_quick_run()
    if out and run is not None and exitstatus == 0:
        path = nc.save_run(run, quick_figures(run), Path(out) / "quick-run")
        print(f"\nntkconv: quick run kept in {path} for the documentation build")
