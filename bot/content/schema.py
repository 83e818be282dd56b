"""The one set of located checks for hand-written YAML: keys, text, lists, numbers, and "did you mean"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rapidfuzz import process

from ..errors import ContentError, LocatedError
from .yamlfile import LineDict, LineList


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    """The known name closest to a mistyped one, if any is close enough to be worth suggesting."""
    guess = process.extractOne(word, list(known))
    return str(guess[0]) if guess and guess[1] >= 60 else None


def hint(word: str, known: Iterable[str]) -> str:
    """"; did you mean 'x'?" for a message, or nothing."""
    guess = did_you_mean(word, known)
    return f"; did you mean {guess!r}?" if guess else ""


def fields(data: Any, path: Path, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = (), what: str,
           line: int | None = None, error: type[LocatedError] = ContentError) -> LineDict:
    """Check a mapping's keys: all required present, nothing unknown (with a did-you-mean)."""
    if not isinstance(data, LineDict):
        raise error(f"{what} must be a mapping (key: value)", path=path,
                    line=line if line is not None else getattr(data, "line", None))
    known = required + optional
    for key in data:
        if key not in known:
            guess = did_you_mean(key, known)
            suffix = f"; did you mean {guess!r}?" if guess else f"; known keys: {', '.join(known)}"
            raise error(f"unknown key {key!r} in {what}{suffix}", path=path, line=data.lines[key])
    for key in required:
        if key not in data:
            raise error(f"{what} has no {key!r}", path=path, line=data.line)
    return data


def text(data: LineDict, key: str, path: Path, *, optional: bool = False) -> str:
    """A non-empty string value, whitespace tidied."""
    value = data.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{key!r} must be non-empty text", path=path, line=data.lines.get(key, data.line))
    return " ".join(value.split())


def items(data: LineDict, key: str, path: Path, *, what: str) -> LineList:
    """A non-empty list value."""
    value = data.get(key)
    if not isinstance(value, LineList) or not value:
        raise ContentError(f"{what} {key!r} must be a non-empty list", path=path, line=data.lines.get(key, data.line))
    return value


def number(table: LineDict, key: str, path: Path, *, low: float = 0.0, high: float | None = None,
           above: bool = False) -> float:
    """A number from low (or above it) to high; a located error says the range otherwise."""
    value = table[key]
    bad = not isinstance(value, (int, float)) or isinstance(value, bool)
    if not bad:
        bad = value <= low if above else value < low
        bad = bad or (high is not None and value > high)
    if bad:
        span = f" above {low:g}" if above else (f" from {low:g} to {high:g}" if high is not None else f" >= {low:g}")
        raise ContentError(f"{key} must be a number{span}", path=path, line=table.lines[key])
    return float(value)


def example_key(example: str) -> str:
    """What makes two examples the same: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w\s]", " ", example.casefold()).split())
