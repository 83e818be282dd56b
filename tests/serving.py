"""Helpers for tests that start the real `psychoed serve` on loopback."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest


def free_port() -> int:
    """A port nothing on 127.0.0.1 is using right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(base: str, *, seconds: float = 10.0) -> None:
    """Return once `base`/healthz answers; fail the test if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"psychoed serve did not answer at {base} within {seconds:.0f} s")
