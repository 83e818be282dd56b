"""A small on-disk cache of what the bot computes from its content, so start-up skips the work.

Only content-derived data is stored (never anything a patient typed), with `marshal`, which
holds plain values and cannot run code. The key covers the content, the package's own code
and the Python version, so any change builds afresh. Set PSYCHOED_CACHE_DIR to choose the
folder, or to "off" to never read or write a cache; an unwritable folder just means no cache.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import marshal
import os
import sys
from array import array
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

try:  # the hash alone: hashlib would load the OpenSSL library with it, 3.5 MB of the bot's memory
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def digest(data: bytes = b"") -> Hash:
    """A new hash (BLAKE2b, 32 bytes) of the data: `update` it with more, `hexdigest` it at the end."""
    return blake2b(data, digest_size=32)


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
    hashed = digest(sys.version.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        hashed.update(path.read_bytes())
    return hashed.hexdigest()


KEEP = 6  # newest files kept per kind: old code and old content leave nothing behind for long


def state_key(kind: str, *parts: Any) -> str:
    """A file-name-safe key for the given plain values, starting with their kind."""
    payload = json.dumps(parts, default=str, ensure_ascii=False).encode()
    return f"{kind}-" + digest(_code_version().encode() + payload).hexdigest()[:32]


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
        tmp.write_bytes(marshal.dumps(_shared(state, {})))
        os.replace(tmp, where / f"{key}.marshal")  # readers never see half a file
        kind = key.rsplit("-", 1)[0]
        older = sorted(where.glob(f"{kind}-*.marshal"), key=lambda f: f.stat().st_mtime, reverse=True)[KEEP:]
        for stale in older:
            stale.unlink(missing_ok=True)
    except (OSError, ValueError):
        return


def _shared(value: Any, seen: dict[tuple[type, Any], Any]) -> Any:
    """The value with every equal string and number one object: marshal writes a repeat as a reference, so the
    state read back holds each once: a feature string sat under four indexes, a weight under many (9 MB of 60)."""
    kind = type(value)
    if kind is str or kind is int or kind is bytes:
        return seen.setdefault((kind, value), value)
    if kind is float:  # by its exact bits: 0.0 and -0.0 are equal but not the same number
        return seen.setdefault((kind, value.hex()), value)
    if kind is tuple or kind is list or kind is frozenset or kind is set:
        return kind(_shared(item, seen) for item in value)
    if kind is dict:
        return {_shared(key, seen): _shared(item, seen) for key, item in value.items()}
    return value


# -- frozen values as plain ones ------------------------------------------------------------------------
# marshal holds tuples, lists, dicts, sets, strings and numbers. Anything else (a dataclass, a path, a date,
# an array) is written as a tagged tuple; a value with nothing tagged inside is written as it is, so reading
# it back never walks the thousands of word tuples a rule file holds.
_TAG = "\0plain"


def to_plain(value: Any) -> Any:
    """A value marshal can store, for `from_plain` to rebuild: dataclasses, paths, dates, arrays inside."""
    return _encode(value)[0]


def from_plain(value: Any, types: Mapping[str, type]) -> Any:
    """The value `to_plain` stored, with its dataclasses rebuilt from `types` (class name -> class)."""
    if not (type(value) is tuple and len(value) == 3 and value[0] == _TAG):
        return value
    tag, payload = value[1], value[2]
    if tag == "dataclass":
        name, items = payload
        return types[name](**{k: from_plain(v, types) for k, v in items.items()})
    if tag == "dict":
        return {k: from_plain(v, types) for k, v in payload.items()}
    if tag in ("tuple", "list", "frozenset"):
        return {"tuple": tuple, "list": list, "frozenset": frozenset}[tag](from_plain(v, types) for v in payload)
    if tag == "path":
        return Path(payload)
    if tag == "date":
        return dt.date.fromisoformat(payload)
    if tag == "array":
        return array(payload[0], payload[1])
    raise ValueError(f"unknown tag {tag!r}")


def _encode(value: Any) -> tuple[Any, bool]:
    """(the plain value, whether it had to be tagged anywhere inside)."""
    if value is None or isinstance(value, str | int | float | bytes):
        return value, False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = {f.name: _encode(getattr(value, f.name))[0] for f in dataclasses.fields(value)}
        return (_TAG, "dataclass", (type(value).__name__, items)), True
    if isinstance(value, Path):
        return (_TAG, "path", str(value)), True
    if isinstance(value, dt.date):
        return (_TAG, "date", value.isoformat()), True
    if isinstance(value, array):
        return (_TAG, "array", (value.typecode, value.tobytes())), True
    if isinstance(value, Mapping):
        pairs = {k: _encode(v) for k, v in value.items()}
        plain = {k: v for k, (v, _) in pairs.items()}
        return ((_TAG, "dict", plain), True) if any(t for _, t in pairs.values()) else (plain, False)
    if isinstance(value, tuple | list | frozenset | set):
        kind = "frozenset" if isinstance(value, frozenset | set) else "tuple" if isinstance(value, tuple) else "list"
        items_ = [_encode(v) for v in value]
        tagged = any(t for _, t in items_)
        if tagged:
            return (_TAG, kind, tuple(v for v, _ in items_)), True
        return ({"tuple": tuple, "list": list, "frozenset": frozenset}[kind](v for v, _ in items_)), False
    raise TypeError(f"cannot store a {type(value).__name__}")
