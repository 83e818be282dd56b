"""The chat in a standard 80x24 terminal (a real pseudo-terminal, read through a terminal emulator), as a new
user meets it: typing at once, pasting, and what fits on one screen."""

from __future__ import annotations

import pexpect
import pytest
from screen import Screen, spawn

from bot import Bot
from bot.menu import topics

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


def started() -> Screen:
    """The chat at 80x24 with its welcome on screen."""
    screen = spawn(columns=COLUMNS, rows=ROWS)
    screen.wait_for("Type /help for commands")
    screen.settle()
    return screen


def rows_below_the_prompt(screen: Screen) -> list[str]:
    display = screen.display
    prompt = max(i for i, line in enumerate(display) if line.startswith(">"))
    return display[prompt + 1:]


def test_no_blank_rows_under_the_prompt_and_a_one_line_bar_without_the_disclaimer(bot: Bot) -> None:
    screen = started()
    try:
        below = rows_below_the_prompt(screen)
        assert len(below) == 1, f"only the one-line bar under the prompt: {below}"
        assert bot.crisis_line in below[0]
        disclaimer = " ".join(bot.disclaimer.split())
        assert " ".join(" ".join(screen.display).split()).count(disclaimer) == 1, "the disclaimer is on screen once"
    finally:
        screen.close()


def test_the_top_of_every_answer_stays_on_screen(bot: Bot) -> None:
    """The question, and so the whole answer under it, fits above the prompt: nothing scrolls off the top."""
    longest = ["what is cymbalta", *bot.examples, bot.content.intent("other_psychiatric_medicines").question]
    shadow = bot.session()   # the same conversation, to know each reply
    screen = started()
    try:
        for question in longest:
            screen.child.send(question + "\r")
            screen.wait_until(lambda q=question: screen.display[-2].startswith("> ") and f"> {q}" in screen.text,
                              f"the reply to {question!r}")
            screen.settle()
            display = screen.display
            assert f"> {question}" in display, f"the top of the answer to {question!r} scrolled off:\n" + \
                "\n".join(display)
            reply = shadow.send(question)
            assert " ".join(reply.body.split()[:6]) in " ".join(" ".join(display).split())
            this_turn = " ".join(display[display.index(f"> {question}"):])
            assert this_turn.count("not medical advice") == 1, "one disclaimer: the answer's own, not the bar's too"
        assert leave(screen) == 0
    finally:
        screen.close()


def test_topics_and_a_topics_questions_each_fit_one_screen(bot: Bot) -> None:
    listed = topics(bot)
    biggest = max(listed, key=lambda t: len(listed[t]))
    screen = started()
    try:
        screen.child.send("/topics\r")
        screen.wait_for("Topics I can answer questions about")
        screen.settle()
        shown = "\n".join(screen.display)
        assert "Topics I can answer questions about" in shown
        assert all(name in shown for name in listed)
        screen.child.send(f"{list(listed).index(biggest) + 1}\r")
        screen.wait_for(f"{biggest} (type a number to ask):")
        screen.settle()
        shown = "\n".join(screen.display)
        assert f"{biggest} (type a number to ask):" in shown
        assert all(question in " ".join(shown.split()) for question in listed[biggest])
    finally:
        screen.close()


def test_the_completion_menu_shows_while_typing_but_pads_nothing_at_rest(bot: Bot) -> None:
    screen = started()
    try:
        assert len(rows_below_the_prompt(screen)) == 1
        screen.child.send("therapy")
        # The menu and the bar are drawn in one redraw, which a loaded machine may deliver in two reads: wait for both.
        screen.wait_until(lambda: any("What is talk therapy?" in line for line in rows_below_the_prompt(screen))
                          and bot.crisis_line in screen.display[-1],
                          "the completion menu under the prompt, the help bar still at the bottom under it")
    finally:
        screen.close()
