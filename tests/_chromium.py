"""Headless Chromium for the tests that read a rendered page (the report, the built site). CI
installs Chromium and sets NTKCONV_REQUIRE_CHROMIUM=1, so these tests cannot be skipped there."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE = os.environ.get("NTKCONV_REQUIRE_CHROMIUM") == "1"


def chromium(page: Path, profile: Path, *flags: str) -> str:
    """Load ``page`` headless with ``flags`` added (e.g. ``--dump-dom``); return its stdout."""
    if CHROMIUM is None:
        if REQUIRE:
            pytest.fail("NTKCONV_REQUIRE_CHROMIUM=1 but no chromium on PATH")
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # every page under test is a local file: no host resolves, so a page that reaches for
        # the network fails at once instead of waiting on DNS (7 s a page on one clean clone)
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=10000",
    ]
    proc = subprocess.run(
        [CHROMIUM, *base, *flags, page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout
