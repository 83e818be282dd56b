"""Shared fixtures: one Bot for the whole run, since loading content is the slow part."""

from __future__ import annotations

import os
import tempfile

import pytest

# Tests (and the programs they start) build their own start-up cache, not the user's.
os.environ.setdefault("PSYCHOED_CACHE_DIR", tempfile.mkdtemp(prefix="psychoed-cache-"))

from bot import Bot


@pytest.fixture(scope="session")
def shared_bot() -> Bot:
    return Bot()
