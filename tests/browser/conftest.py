"""Debian's chromium driven by Playwright, for the pages a person opens: the kiosk and the sign-off sheet."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Locally the browser is optional; in CI (.ci/run installs chromium) a missing one is a failure, not a skip.
MISSING = None if os.environ.get("CI") == "true" else (
    f"no chromium at {CHROMIUM}: apt-get install -y chromium" if not CHROMIUM.exists()
    else "playwright is not installed: pip install playwright" if importlib.util.find_spec("playwright") is None
    else None)
if MISSING:
    collect_ignore_glob = ["test_*.py"]
    print(f"tests/browser not run: {MISSING}", file=sys.stderr)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"CI=true but there is no chromium at {CHROMIUM}"
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield browser
    browser.close()
