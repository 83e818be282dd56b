"""The real `python -m bot` in a pseudo-terminal: what a person at a keyboard sees, end to end."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from bot import Bot

ROOT = Path(__file__).resolve().parent.parent
ROWS, COLUMNS = 30, 100


class Emulator(pyte.HistoryScreen):
    """A terminal emulator that answers the program's queries (prompt_toolkit asks where the cursor is)."""

    def __init__(self, child: pexpect.spawn) -> None:
        super().__init__(COLUMNS, ROWS, history=5000)
        self.child = child

    def write_process_input(self, data: str) -> None:
        self.child.send(data)


class Screen:
    """What a person would see: the program's output played into a terminal emulator (pyte), scrollback included."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.screen = Emulator(child)
        self.stream = pyte.Stream(self.screen)

    @property
    def lines(self) -> list[str]:
        scrolled = ["".join(line[x].data for x in range(COLUMNS)).rstrip() for line in self.screen.history.top]
        return scrolled + [line.rstrip() for line in self.screen.display]

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

    def wait_until(self, seen: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Read output until seen() is true."""
        deadline = time.monotonic() + timeout
        while not seen():
            if time.monotonic() > deadline:
                raise AssertionError(f"did not see {what}; the screen shows:\n{self.text[-3000:]}")
            try:
                data = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            self.raw += data
            self.stream.feed(data)

    def wait_for(self, *wanted: str, timeout: float = 30.0) -> None:
        """Read output until every wanted text is on the screen or in its scrollback (whitespace-insensitive)."""
        self.wait_until(lambda: all(" ".join(w.split()) in self.flat() for w in wanted), repr(wanted), timeout)


def spawn(*args: str, **env: str) -> Screen:
    environment = {**os.environ, "TERM": "xterm-256color", **env}
    environment.pop("PROMPT_TOOLKIT_NO_CPR", None)
    if "NO_COLOR" not in env:
        environment.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "bot", *args], cwd=str(ROOT), env=environment, encoding="utf-8",
                          codec_errors="replace", dimensions=(ROWS, COLUMNS), timeout=30)
    return Screen(child)


@pytest.fixture
def chat() -> Iterator[Screen]:
    screen = spawn()
    yield screen
    if screen.child.isalive():
        screen.child.terminate(force=True)


def test_a_conversation_in_a_real_terminal(chat: Screen) -> None:
    bot = Bot()
    cbt = bot.content.intent("therapy_cbt").question
    answer = bot.reply(cbt)
    follow = answer.suggestions[0]
    disclaimer = " ".join(bot.disclaimer.split())

    # The welcome with its disclaimer, and the crisis line and disclaimer in the toolbar at the bottom.
    chat.wait_for(bot.welcome.splitlines()[0], bot.examples[0], bot.crisis_line)
    bottom = " ".join(" ".join(chat.screen.display[-4:]).split())
    assert bot.crisis_line in bottom and disclaimer in bottom
    assert disclaimer in chat.printed()

    # One answer with its source, numbered follow-ups and its own disclaimer, then a fresh prompt.
    chat.child.send(cbt + "\r")
    chat.wait_until(lambda: f"> {cbt}" in chat.printed() and disclaimer in chat.printed().split(f"> {cbt}")[1],
                    "the answer and its disclaimer")
    reply = chat.printed().split(f"> {cbt}")[1]
    assert " ".join(answer.body.split()) in reply
    assert f"Source: {answer.source_title}" in reply and f"1) {follow}" in reply

    # Typing the number asks the suggested question.
    chat.child.send("1\r")
    chat.wait_for(f"-> {follow}", bot.reply(follow).body)

    # /reset forgets the conversation: the screen is cleared and the welcome shown again.
    chat.child.send("/reset\r")
    chat.wait_for("Started over")
    assert not any(answer.body[:40] in line for line in chat.lines[-ROWS:])
    chat.wait_for(bot.examples[-1])

    # Ctrl-D leaves cleanly with exit code 0.
    chat.child.sendcontrol("d")
    chat.wait_for("Goodbye")
    chat.child.expect(pexpect.EOF, timeout=30)
    chat.child.close()
    assert chat.child.exitstatus == 0
    assert "Traceback" not in chat.text


def test_colour_by_default_and_none_with_no_color(chat: Screen) -> None:
    chat.wait_for("Type /help")
    assert re.search(r"\x1b\[[0-9;]*3[0-7]m", chat.raw)  # colour by default in a terminal
    chat.child.sendcontrol("d")
    chat.child.expect(pexpect.EOF)

    plain = spawn("--no-color", NO_COLOR="1")
    plain.wait_for("Type /help")
    plain.child.send("I want to kill myself\r")
    plain.wait_for("CRISIS SUPPORT")
    plain.child.sendcontrol("d")
    plain.child.expect(pexpect.EOF)
    plain.child.close()
    assert plain.child.exitstatus == 0
    assert not re.search(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;[0-9;]+)m", plain.raw)  # no colour at all
    assert "\x1b[1" in plain.raw  # bold is still there
