"""The chat in a standard 80x24 terminal (a real pseudo-terminal, read through a terminal emulator), as a new
user meets it: typing at once, pasting, and what fits on one screen."""

from __future__ import annotations

import pexpect
import pytest
from screen import Screen, spawn

from bot import Bot

COLUMNS, ROWS = 80, 24


@pytest.fixture(scope="module")
def bot() -> Bot:
    return Bot()


def leave(screen: Screen) -> int:
    """Ctrl-D, then the exit code."""
    screen.child.sendcontrol("d")
    screen.wait_for("Goodbye")
    screen.child.expect(pexpect.EOF, timeout=30)
    screen.child.close()
    return int(screen.child.exitstatus)


@pytest.mark.parametrize("launch", range(3))
def test_typing_at_once_after_launch_is_answered(bot: Bot, launch: int) -> None:
    """The README promises "you can start typing at once": a question sent the moment the program starts."""
    question = bot.content.intent("therapy_cbt").question
    screen = spawn(columns=COLUMNS, rows=ROWS)
    try:
        screen.child.send(question + "\r")   # before the prompt, let alone the welcome, is on screen
        screen.wait_for(f"> {question}", "Source:", bot.reply(question).body.split(".")[0])
        assert leave(screen) == 0
    finally:
        screen.close()
    assert "unexpected error" not in screen.text and "Traceback" not in screen.text


def test_two_lines_pasted_at_launch_are_both_answered(bot: Bot) -> None:
    first, second = (bot.content.intent(i).question for i in ("therapy_cbt", "neuromodulators_what_are"))
    screen = spawn(columns=COLUMNS, rows=ROWS)
    try:
        # Before the chat has switched on bracketed paste, a terminal passes pasted lines on as typed keys.
        screen.child.send(f"{first}\r{second}\r")
        screen.wait_for(f"> {first}", f"> {second}", bot.reply(second).body.split(".")[0])
        assert leave(screen) == 0
    finally:
        screen.close()
    assert "unexpected error" not in screen.text
