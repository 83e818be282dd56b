"""Shared fixtures: one Bot for the whole run, since loading content is the slow part."""

from __future__ import annotations

import pytest

from bot import Bot


@pytest.fixture(scope="session")
def shared_bot() -> Bot:
    return Bot()
