"""The real `python -m bot` in a pseudo-terminal: what a person at a keyboard sees, end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pexpect
import pytest
from screen import Screen, spawn

from bot import Bot

ROWS, COLUMNS = 30, 100


@pytest.fixture
def chat() -> Iterator[Screen]:
    screen = spawn(columns=COLUMNS, rows=ROWS)
    yield screen
    screen.close()


def test_a_conversation_in_a_real_terminal(chat: Screen) -> None:
    bot = Bot()
    cbt = bot.content.intent("therapy_cbt").question
    answer = bot.reply(cbt)
    follow = answer.suggestions[0]
    disclaimer = " ".join(bot.disclaimer.split())

    # The welcome with its disclaimer, and the crisis line in the toolbar at the bottom (the disclaimer only once).
    chat.wait_for(bot.welcome.splitlines()[0], bot.examples[0], bot.crisis_line)
    bottom = " ".join(chat.screen.display[-1].split())
    assert bot.crisis_line in bottom and disclaimer not in bottom
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

    plain = spawn("--no-color", columns=COLUMNS, rows=ROWS, NO_COLOR="1")
    plain.wait_for("Type /help")
    plain.child.send("I want to kill myself\r")
    plain.wait_for("CRISIS SUPPORT")
    plain.child.sendcontrol("d")
    plain.child.expect(pexpect.EOF)
    plain.child.close()
    assert plain.child.exitstatus == 0
    assert not re.search(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;[0-9;]+)m", plain.raw)  # no colour at all
    assert "\x1b[1" in plain.raw  # bold is still there
