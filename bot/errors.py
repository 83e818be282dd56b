"""The bot's exceptions.

    BotError
     +-- ContentError      invalid content: names the file, the line and the problem
     +-- ConfigError       an unknown setting, such as a region the safety file lacks

The library raises and never prints; each front end turns these into its own form.
"""

from __future__ import annotations

from pathlib import Path


class BotError(Exception):
    """Base class for every error this package raises on purpose."""


class ContentError(BotError):
    """Content that would make the bot give wrong or missing answers; the bot must not start."""

    def __init__(self, problem: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "content"
        if self.line is not None:
            where = f"{where}, line {self.line}"
        return f"{where}: {self.problem}"


class ConfigError(BotError):
    """A setting the bot cannot honour, with what to use instead."""
