"""Conversation scripts: YAML files of turns sent to the bot, each reply checked against `expect`.

A script is one file: a name, optional settings and a list of turns (format in
docs/conversation.schema.json and the README). This module loads and checks scripts, naming
the file and line of any problem (ScriptError); run.py runs them, report.py reports coverage
and JUnit XML, check.py is the `psychoed test` command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...content.schema import fields
from ...content.yamlfile import LineDict, LineList, read
from ...errors import ContentError, ScriptError
from ...reply import ESCALATIONS, KINDS

DEFAULT_FOLDER = Path("tests/conversations")
SCRIPT_KEYS = ("name", "settings", "turns")
SETTINGS_KEYS = ("region",)
TURN_KEYS = ("user", "users", "reset", "expect")
EXPECT_KEYS = ("intent", "kind", "escalation", "source", "contains", "not_contains", "matches",
               "suggestions_include", "disclaimer", "confidence_at_least", "resources", "max_words")


@dataclass(frozen=True)
class Check:
    """One expectation of a turn: its key, the wanted value and the line it is written on."""

    key: str
    want: Any
    line: int


@dataclass(frozen=True)
class Turn:
    """One step of a script: a message (or several variants of it) with its checks, or a session reset."""

    line: int
    users: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()          # the line of each variant in `users`
    checks: tuple[Check, ...] = ()
    reset: bool = False


@dataclass(frozen=True)
class Script:
    name: str
    path: Path
    turns: tuple[Turn, ...]
    region: str | None = None
    region_line: int = 1


# -- loading ----------------------------------------------------------------------------------------

def _mapping(data: Any, path: Path, line: int, known: tuple[str, ...], what: str) -> LineDict:
    """A mapping with only known keys; an unknown key gets a did-you-mean."""
    return fields(data, path, optional=known, what=what, line=line, error=ScriptError)


def _message(value: Any, path: Path, line: int) -> str:
    """What the patient types; a bare number such as `user: 2` is the text "2"."""
    if isinstance(value, bool):
        raise ScriptError("the message was read as true/false (YAML reads bare yes, no, on and off that way); "
                          "put it in quotes", path=path, line=line)
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        raise ScriptError('the message is empty; write "" to send an empty message', path=path, line=line)
    if not isinstance(value, str):
        raise ScriptError("the message must be text", path=path, line=line)
    return value


def _texts(key: str, value: Any, path: Path, line: int) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list) and items and all(isinstance(i, str) and i.strip() for i in items):
        return tuple(items)
    raise ScriptError(f"{key!r} must be text or a list of texts (quote words like yes and no)", path=path, line=line)


def _value(key: str, value: Any, path: Path, line: int) -> Any:
    """One expectation's value, checked for its type."""
    if key in ("intent", "source"):
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        raise ScriptError(f"{key!r} must be an id (or null for none)", path=path, line=line)
    if key == "kind":
        if value in KINDS:
            return value
        raise ScriptError(f"'kind' must be one of: {', '.join(KINDS)}", path=path, line=line)
    if key == "escalation":
        if value is None or value in ESCALATIONS:
            return value
        raise ScriptError(f"'escalation' must be one of: {', '.join(ESCALATIONS)}, or null for none", path=path, line=line)
    if key in ("contains", "not_contains", "suggestions_include"):
        return _texts(key, value, path, line)
    if key == "matches":
        if not isinstance(value, str):
            raise ScriptError("'matches' must be a regular expression in quotes", path=path, line=line)
        try:
            re.compile(value)
        except re.error as exc:
            raise ScriptError(f"'matches' is not a valid regular expression: {exc}", path=path, line=line) from None
        return value
    if key == "disclaimer":
        if isinstance(value, bool):
            return value
        raise ScriptError("'disclaimer' must be true (shown) or false (not shown: crisis and emergency replies)",
                          path=path, line=line)
    if key == "confidence_at_least":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value)
        raise ScriptError("'confidence_at_least' must be a number from 0 to 1", path=path, line=line)
    if key == "max_words":
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise ScriptError("'max_words' must be a whole number above 0", path=path, line=line)
    if not isinstance(value, bool):  # resources
        raise ScriptError("'resources' must be true or false", path=path, line=line)
    return value


def _turn(entry: Any, path: Path, line: int) -> Turn:
    entry = _mapping(entry, path, line, TURN_KEYS, "a turn")
    given = [k for k in ("user", "users", "reset") if k in entry]
    if len(given) != 1:
        raise ScriptError("a turn needs exactly one of 'user', 'users' or 'reset'", path=path, line=entry.line)
    if "reset" in entry:
        if entry["reset"] is not True:
            raise ScriptError("'reset' can only be true", path=path, line=entry.lines["reset"])
        if "expect" in entry:
            raise ScriptError("a reset turn has no reply to expect anything of", path=path, line=entry.lines["expect"])
        return Turn(entry.line, reset=True)
    if "user" in entry:
        pairs = [(entry["user"], entry.lines["user"])]
    else:
        raw = entry["users"]
        if not isinstance(raw, LineList) or not raw:
            raise ScriptError("'users' must be a non-empty list of messages", path=path, line=entry.lines["users"])
        pairs = list(zip(raw, raw.lines, strict=False))
    messages = tuple(_message(v, path, ln) for v, ln in pairs)
    if "expect" not in entry:
        # A turn that checks nothing would pass whatever the bot said; even one that only sets the scene can say
        # what kind of reply it expects.
        raise ScriptError("the turn has no 'expect'; say what the reply must show (at least, for example, "
                          "expect: {kind: answer})", path=path, line=entry.line)
    expect = _mapping(entry["expect"], path, entry.lines["expect"], EXPECT_KEYS, "'expect'")
    if not expect:
        raise ScriptError("'expect' is empty; name at least one expectation", path=path, line=entry.lines["expect"])
    checks = tuple(Check(k, _value(k, v, path, expect.lines[k]), expect.lines[k]) for k, v in expect.items())
    return Turn(entry.line, messages, tuple(ln for _, ln in pairs), checks)


def load_script(path: str | Path) -> Script:
    """Read and check one script file; every problem is a ScriptError with the file and line."""
    path = Path(path)
    try:
        data = read(path)
    except ContentError as exc:
        raise ScriptError(exc.problem, path=path, line=exc.line) from None
    _mapping(data, path, 1, SCRIPT_KEYS, "a script")
    for key in ("name", "turns"):
        if key not in data:
            raise ScriptError(f"the script has no {key!r}", path=path, line=data.line)
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise ScriptError("'name' must be text", path=path, line=data.lines["name"])
    region, region_line = None, data.lines.get("settings", 1)
    if "settings" in data:
        settings = _mapping(data["settings"], path, region_line, SETTINGS_KEYS, "'settings'")
        if "region" in settings:
            region, region_line = settings["region"], settings.lines["region"]
            if not isinstance(region, str) or not region.strip():
                raise ScriptError("'region' must be a region name such as us", path=path, line=region_line)
    raw = data["turns"]
    if not isinstance(raw, LineList) or not raw:
        raise ScriptError("'turns' must be a non-empty list", path=path, line=data.lines["turns"])
    turns = tuple(_turn(entry, path, line) for entry, line in zip(raw, raw.lines, strict=False))
    if all(t.reset for t in turns):
        raise ScriptError("the script sends no message", path=path, line=data.lines["turns"])
    return Script(" ".join(name.split()), path, turns, region, region_line)


def find_scripts(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders searched (recursively) for test_*.yaml, so data files beside them are left alone."""
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found.extend(sorted(given.rglob("test_*.yaml")))
        elif given.is_file():
            found.append(given)
        else:
            raise ScriptError("no such file or folder", path=given)
    return list(dict.fromkeys(found))
