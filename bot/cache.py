"""A small on-disk cache of what the bot computes from its content, so start-up skips the work.

Only content-derived data is stored (never anything a patient typed), with `marshal`, which
holds plain values and cannot run code. The key covers the content, the package's own code
and the Python version, so any change builds afresh. Set PSYCHOED_CACHE_DIR to choose the
folder, or to "off" to never read or write a cache; an unwritable folder just means no cache.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any


def folder() -> Path | None:
    """Where cached state lives, or None when caching is off."""
    chosen = os.environ.get("PSYCHOED_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "psychoed"


@cache
def _code_version() -> str:
    """A digest of the package's source, so changed code never reads an old format."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


KEEP = 6  # newest files kept per kind: old code and old content leave nothing behind for long


def state_key(kind: str, *parts: Any) -> str:
    """A file-name-safe key for the given plain values, starting with their kind."""
    payload = json.dumps(parts, default=str, ensure_ascii=False).encode()
    return f"{kind}-" + hashlib.sha256(_code_version().encode() + payload).hexdigest()[:32]


def load_state(key: str) -> dict[str, Any] | None:
    """The saved state for a key, or None if there is none or it cannot be read."""
    where = folder()
    if where is None:
        return None
    try:
        state = marshal.loads((where / f"{key}.marshal").read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return state if isinstance(state, dict) else None


def save_state(key: str, state: dict[str, Any]) -> None:
    """Save state for a key; silently does nothing where the folder cannot be written."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(marshal.dumps(state))
        os.replace(tmp, where / f"{key}.marshal")  # readers never see half a file
        kind = key.rsplit("-", 1)[0]
        older = sorted(where.glob(f"{kind}-*.marshal"), key=lambda f: f.stat().st_mtime, reverse=True)[KEEP:]
        for stale in older:
            stale.unlink(missing_ok=True)
    except (OSError, ValueError):
        return
