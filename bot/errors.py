"""The bot's exceptions.

    BotError
     +-- LocatedError      a problem in a file a person wrote: names the file, the line and the problem
     |    +-- ContentError     invalid content (intents/, responses/): the bot must not start
     |    +-- ScriptError      a conversation script that cannot run as written
     +-- ConfigError       an unknown setting, such as a region the safety file lacks

The library raises and never prints; each front end turns these into its own form.
"""

from __future__ import annotations

from pathlib import Path


class BotError(Exception):
    """Base class for every error this package raises on purpose."""


class LocatedError(BotError):
    """A problem at a place in a file: `path`, `line` (1-based, or None) and `problem`."""

    what = "file"

    def __init__(self, problem: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        # "file:line: problem", as compilers and linters write it, so editors can jump to it
        where = self.path or self.what
        return f"{where}:{self.line}: {self.problem}" if self.line is not None else f"{where}: {self.problem}"


class ContentError(LocatedError):
    """Content that would make the bot give wrong or missing answers; the bot must not start."""

    what = "content"


class ScriptError(LocatedError):
    """A conversation script that cannot be run as written."""

    what = "script"


class ConfigError(BotError):
    """A setting the bot cannot honour, with what to use instead."""
