"""Helpers for tests that run the real `python -m bot` in a pseudo-terminal and read it as a person would:
its output played into a terminal emulator (pyte) of a given size, scrollback included."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

ROOT = Path(__file__).resolve().parent.parent


class Emulator(pyte.HistoryScreen):
    """A terminal emulator that answers the program's queries (prompt_toolkit asks where the cursor is)."""

    def __init__(self, child: pexpect.spawn, columns: int, rows: int) -> None:
        super().__init__(columns, rows, history=5000)
        self.child = child

    def write_process_input(self, data: str) -> None:
        self.child.send(data)


class Screen:
    """What a person would see in a terminal of `columns` x `rows`."""

    def __init__(self, child: pexpect.spawn, columns: int, rows: int) -> None:
        self.child = child
        self.columns, self.rows = columns, rows
        self.raw = ""
        self.screen = Emulator(child, columns, rows)
        self.stream = pyte.Stream(self.screen)

    @property
    def display(self) -> list[str]:
        """The rows on screen now, trailing spaces removed."""
        return [line.rstrip() for line in self.screen.display]

    @property
    def lines(self) -> list[str]:
        scrolled = ["".join(line[x].data for x in range(self.columns)).rstrip() for line in self.screen.history.top]
        return scrolled + self.display

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def flat(self) -> str:
        return " ".join(self.text.split())

    def printed(self) -> str:
        """Flat text above the prompt being edited: what the program printed, without the prompt and toolbar."""
        lines = self.lines
        prompts = [i for i, line in enumerate(lines) if line.startswith(">")]
        return " ".join(" ".join(lines[:prompts[-1]] if prompts else lines).split())

    def read(self, seconds: float = 0.2) -> None:
        """Take in whatever the program printed within `seconds`."""
        try:
            data = self.child.read_nonblocking(65536, timeout=seconds)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            time.sleep(seconds)
            return
        self.raw += data
        self.stream.feed(data)

    def wait_until(self, seen: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Read output until seen() is true."""
        deadline = time.monotonic() + timeout
        while not seen():
            if time.monotonic() > deadline:
                raise AssertionError(f"did not see {what}; the screen shows:\n{self.text[-3000:]}")
            self.read()

    def wait_for(self, *wanted: str, timeout: float = 30.0) -> None:
        """Read output until every wanted text is on the screen or in its scrollback (whitespace-insensitive)."""
        self.wait_until(lambda: all(" ".join(w.split()) in self.flat() for w in wanted), repr(wanted), timeout)

    def settle(self, quiet: float = 0.6, timeout: float = 15.0) -> None:
        """Read until the program has printed nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = len(self.raw)
            self.read(quiet)
            if len(self.raw) == before:
                return

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


def spawn(*args: str, columns: int = 100, rows: int = 30, **env: str) -> Screen:
    """`python -m bot ARGS` in a pseudo-terminal of that size."""
    environment = {**os.environ, "TERM": "xterm-256color", **env}
    environment.pop("PROMPT_TOOLKIT_NO_CPR", None)
    if "NO_COLOR" not in env:
        environment.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "bot", *args], cwd=str(ROOT), env=environment, encoding="utf-8",
                          codec_errors="replace", dimensions=(rows, columns), timeout=30)
    return Screen(child, columns, rows)
