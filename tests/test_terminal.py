"""The interactive chat, driven through prompt_toolkit's pipe input with its output discarded.

What the chat prints (the welcome, replies, command output) goes to a StringIO we read back;
the prompt and toolbar are rendered to DummyOutput, and the toolbar is checked by calling it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot import Bot, Reply
from bot.menu import topics
from bot.terminal.chat import Chat
from bot.terminal.prompt import Terminal
from bot.terminal.render import PLAIN, Painter

CTRL_C, CTRL_D, UP = "\x03", "\x04", "\x1b[A"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def bot() -> Bot:
    return Bot()


def cbt(bot: Bot) -> str:
    return bot.content.intent("therapy_cbt").question


def run(bot: Bot, keys: str, *, paint: Painter = PLAIN, session: Callable[[Chat], Any] | None = None,
        early: bool = False, brief: bool = False) -> tuple[int, str, Terminal]:
    """Type keys once the welcome is shown (or at once, if early), then Ctrl-D; the exit code and the output."""
    out = io.StringIO()

    def build() -> Chat:
        chat = Chat(bot, paint=paint, brief=brief)
        if session is not None:
            chat.session = session(chat)
        return chat

    with create_pipe_input() as pipe:
        if early:
            pipe.send_text(keys + CTRL_D)
        terminal = Terminal(build, out, input=pipe, output=DummyOutput(),
                            on_loaded=None if early else lambda app: pipe.send_text(keys + CTRL_D))
        code = terminal.run()
    return code, out.getvalue(), terminal


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapping does not matter."""
    return " ".join(text.split())


def test_welcome_says_what_the_bot_is_and_shows_examples_then_goodbye_on_ctrl_d(bot: Bot) -> None:
    code, out, terminal = run(bot, "")
    assert code == 0
    assert flat(bot.welcome) in flat(out)
    assert flat(bot.disclaimer) in flat(out)
    assert 4 <= len(bot.examples) <= 6
    for n, example in enumerate(bot.examples, 1):
        assert f"{n}) {example}" in flat(out)
    assert "/help" in out
    assert out.rstrip().endswith("Goodbye. Take care.")
    toolbar = "".join(fragment[1] for fragment in terminal._toolbar())
    assert bot.crisis_line in toolbar
    assert flat(bot.disclaimer) not in flat(toolbar), "the disclaimer is on screen once: in the welcome and answers"


def test_answer_has_source_and_disclaimer_and_a_numbered_suggestion_can_be_followed(bot: Bot) -> None:
    first = bot.reply(cbt(bot))
    assert first.kind == "answer" and first.suggestions
    follow = first.suggestions[0]
    code, out, _ = run(bot, f"{cbt(bot)}\r1\r", early=True)
    assert code == 0
    text = flat(out)
    assert flat(first.body) in text
    assert f"Source: {first.source_title}" in text
    assert text.count(flat(bot.disclaimer)) >= 3  # welcome, then once per answer
    assert f"1) {follow}" in text
    assert f"-> {follow}" in text
    assert flat(bot.reply(follow).body) in text
    # The welcome comes first even though the line was typed before the bot had loaded.
    assert text.index(flat(bot.welcome)) < text.index(flat(first.body))


def test_welcome_example_can_be_asked_by_number(bot: Bot) -> None:
    _, out, _ = run(bot, "2\r")
    assert f"-> {bot.examples[1]}" in out
    assert flat(bot.reply(bot.examples[1]).body) in flat(out)


def _clarify(bot: Bot) -> tuple[str, tuple[str, ...], Callable[[Chat], Any] | None]:
    """A message the real bot answers with a clarification, its options, and no stub; or, if tuning
    has removed every such message, a stub session that clarifies between two real questions."""
    for same_topic in bot.topics.values():  # two questions of one topic joined by "or" are the likeliest
        for a in same_topic:
            for b in same_topic:
                message = f"{a.rstrip('?')} or {b}"
                reply = bot.reply(message) if a < b else None
                if reply is not None and reply.kind == "clarify":
                    return message, reply.suggestions, None
    questions = [q for qs in bot.topics.values() for q in qs]
    options = (questions[0], questions[-1])

    class Clarifying:
        def __init__(self, chat: Chat) -> None:
            self.real = chat.bot.session()

        def reset(self) -> None:
            self.real.reset()

        def send(self, text: str) -> Reply:
            if text != "ambiguous":
                return self.real.send(text)
            numbered = "\n".join(f"{n}) {q}" for n, q in enumerate(options, 1))
            return replace(self.real.send(""), kind="clarify", body=f"Did you mean:\n{numbered}",
                           suggestions=options, intent=None, rule="test stub")

    return "ambiguous", options, Clarifying


def test_clarification_option_is_chosen_by_number(bot: Bot) -> None:
    message, options, stub = _clarify(bot)
    code, out, terminal = run(bot, f"{message}\r2\r", session=stub)
    assert code == 0
    text = flat(out)
    assert f"1) {options[0]}" in text and f"2) {options[1]}" in text
    assert "Type a number to choose" in text
    assert f"-> {options[1]}" in text
    assert flat(bot.reply(options[1]).body) in text
    assert terminal.chat is not None and terminal.chat.last is not None and terminal.chat.last.kind == "answer"


def test_help_lists_every_command(bot: Bot) -> None:
    _, out, _ = run(bot, "/help\r")
    for command in ("/help", "/topics", "/sources", "/why", "/reset", "/quit"):
        assert command in out


def test_topics_lists_topic_names_then_a_number_shows_that_topics_questions(bot: Bot) -> None:
    listed = topics(bot)
    names = list(listed)
    last = names[-1]
    _, out, _ = run(bot, f"/topics\r{len(names)}\r{len(listed[last])}\r")
    for n, name in enumerate(names, 1):
        assert f"{n}) {name} ({len(listed[name])} question" in out
    assert f"{last} (type a number to ask):" in out
    for n, question in enumerate(listed[last], 1):
        assert f"{n}) {question}" in out
    assert f"-> {listed[last][-1]}" in out                       # the number then asks that question
    assert flat(bot.reply(listed[last][-1]).body) in flat(out)


def test_topics_lists_questions_not_small_talk_and_the_bot_itself_last(bot: Bot) -> None:
    listed = topics(bot)
    questions = [q for qs in listed.values() for q in qs]
    for small_talk in ("Hello", "Goodbye", "Thank you"):
        assert small_talk not in questions
    assert all(q.endswith("?") for q in questions)
    about = {i.topic for i in bot.content.intents if i.kind == "social"}
    assert list(listed)[-len(about):] == sorted(about, key=list(listed).index), "topics about the bot come last"
    assert set(listed) == {i.topic for i in bot.content.intents}


def test_a_number_out_of_range_after_topics_keeps_the_topics(bot: Bot) -> None:
    names = list(topics(bot))
    _, out, _ = run(bot, f"/topics\r{len(names) + 5}\r1\r")
    assert f"There is no question {len(names) + 5} here. Choose a number from 1 to {len(names)}" in out
    assert f"{names[0]} (type a number to ask):" in out            # "1" still meant the first topic


def test_sources_lists_the_documents_by_title(bot: Bot) -> None:
    _, out, _ = run(bot, "/sources\r")
    assert len(bot.sources) == 5
    for source in bot.sources:
        assert source.title in flat(out)


def test_why_explains_the_last_turn(bot: Bot) -> None:
    _, out, _ = run(bot, f"/why\r{cbt(bot)}\r/why\r")
    assert "Nothing to explain yet" in out
    reply = bot.reply(cbt(bot))
    assert f"intent {reply.intent}" in out and f"score {reply.confidence:.2f}" in out
    assert flat(reply.rule or "") in flat(out)


def test_why_names_the_safety_rule_after_an_escalation(bot: Bot) -> None:
    reply = bot.reply("I want to kill myself")
    assert reply.kind == "escalation"
    _, out, _ = run(bot, "I want to kill myself\r/why\r")
    assert "safety rule" in out and flat(reply.rule or "") in flat(out)


def test_reset_forgets_the_conversation_and_the_typed_history(bot: Bot) -> None:
    # After /reset, Up recalls nothing and crisis resources are no longer carried.
    code, out, terminal = run(bot, f"I want to kill myself\r/reset\r{UP}\r")
    assert code == 0
    assert "Started over" in out
    assert flat(bot.welcome) in flat(out.split("Started over")[1])
    assert "I want to kill myself" not in out.split("Started over")[1]
    assert "Type a question, a number from the list" in out.split("Started over")[1]  # Up gave an empty line
    assert terminal.chat is not None and not terminal.chat.crisis


def test_quit_command_says_goodbye_and_exits_zero(bot: Bot) -> None:
    code, out, _ = run(bot, "/quit\rWhat is CBT?\r")
    assert code == 0
    assert "Goodbye" in out
    assert "Source:" not in out  # nothing after /quit was answered


def test_unknown_command_gets_a_hint(bot: Bot) -> None:
    _, out, _ = run(bot, "/topic\r/frobnicate\r")
    assert "Unknown command /topic. Did you mean /topics?" in out
    assert "Unknown command /frobnicate." in out and "/help" in out


def test_a_command_with_words_after_it_says_so_and_never_suggests_itself(bot: Bot) -> None:
    code, out, _ = run(bot, "/quit is this a command?\r/why not\r")
    assert code == 0 and "Goodbye" in out.split("/why not")[-1]     # the chat went on until Ctrl-D
    assert "/quit takes nothing after it. Type /quit on its own" in out
    assert "/why takes nothing after it" in out
    assert "Did you mean /quit" not in out


@pytest.mark.parametrize("typed", ["/ help", "/  help", "/", "/HELP"])
def test_a_space_after_the_slash_or_the_slash_alone_is_help(bot: Bot, typed: str) -> None:
    _, out, _ = run(bot, f"{typed}\r")
    assert "Commands" in out and "Unknown command" not in out and "Did you mean /?" not in out


def test_ctrl_c_clears_the_line_instead_of_sending_it(bot: Bot) -> None:
    code, out, _ = run(bot, f"I want to kill myself{CTRL_C}{cbt(bot)}\r")
    assert code == 0
    assert "CRISIS" not in out
    assert flat(bot.reply(cbt(bot)).body) in flat(out)


def test_empty_line_and_bad_numbers_get_a_short_hint(bot: Bot) -> None:
    _, out, _ = run(bot, "\r   \r99\r")
    assert out.count("Type a question, a number from the list, or /help.") == 2
    assert f"There is no question 99 here. Choose a number from 1 to {len(bot.examples)}" in out


def test_crisis_reply_is_labelled_and_bold_and_resources_stay_visible(bot: Bot) -> None:
    paint = Painter(styles=True, colour=False)
    code, out, terminal = run(bot, f"I want to kill myself\r{cbt(bot)}\r", paint=paint)
    assert code == 0
    plain = SGR.sub("", out)
    assert "CRISIS SUPPORT" in plain                     # a text label, not colour alone
    crisis = bot.reply("I want to kill myself")
    first_line = crisis.body.splitlines()[0]
    assert re.search(r"\x1b\[1m" + re.escape(first_line[:30]), out)  # the crisis message is bold
    later = bot.session()
    later.send("I want to kill myself")
    resources = later.send(cbt(bot)).resources
    assert resources and flat(resources) in flat(plain)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7][;m]", out)  # --no-color: bold and dim, but no colours
    toolbar = "".join(fragment[1] for fragment in terminal._toolbar())
    assert "HELP NOW" in toolbar and bot.crisis_line in toolbar


def test_pasted_escape_and_control_characters_are_never_echoed(bot: Bot) -> None:
    hostile = "/x\x1b[2J\x1b]0;owned\x07\x08\x1b[31m"
    _, out, _ = run(bot, f"{PASTE_START}{hostile}{PASTE_END}\r{PASTE_START}what is cbt\x1b[1A\x00{PASTE_END}\r")
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x08" not in out
    assert "Unknown command /x." in out and "owned" not in out and "[2J" not in out  # sequences removed whole
    assert flat(bot.reply("what is cbt").body) in flat(out)  # the question around the escapes still answered


def test_styled_output_contains_only_colour_codes(bot: Bot) -> None:
    hostile = "/x\x1b[2J\x1b[H"
    _, out, _ = run(bot, f"{PASTE_START}{hostile}{PASTE_END}\r{cbt(bot)}\r", paint=Painter())
    assert SGR.sub("", out).count("\x1b") == 0  # only SGR styling: nothing moves the cursor or clears


@pytest.mark.parametrize("message", ["😀😀😀", "¿Qué es la terapia cognitiva?", "x" * 5000, "\u202eevil",
                                     "什么是CBT"])
def test_unusual_input_gets_a_clear_reply(bot: Bot, message: str) -> None:
    code, out, terminal = run(bot, f"{PASTE_START}{message}{PASTE_END}\r")
    assert code == 0
    assert terminal.chat is not None and terminal.chat.last is not None
    assert flat(bot.disclaimer) in flat(out.split("Type /help for commands")[-1])
    if len(message) > 1000:
        assert terminal.chat.last.notice and terminal.chat.last.notice in flat(out)


def test_completion_offers_commands_and_questions(bot: Bot) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from bot.terminal.prompt import Questions

    _, _, terminal = run(bot, "")
    complete = Questions(terminal)

    def texts(typed: str) -> list[str]:
        return [c.text for c in complete.get_completions(Document(typed), CompleteEvent())]

    assert texts("/to") == ["/topics"]
    assert cbt(bot) in texts("cbt")
    assert next(iter(bot.topics)) in texts(next(iter(bot.topics))[:4])


def test_the_full_answer_by_default_and_the_short_one_first_with_brief(bot: Bot) -> None:
    answer = bot.reply(cbt(bot))
    assert answer.short and answer.short != answer.body
    _, full, _ = run(bot, f"{cbt(bot)}\r")
    assert flat(answer.body) in flat(full) and 'Type "more"' not in full
    _, brief, _ = run(bot, f"{cbt(bot)}\rmore\rmore\r", brief=True)
    shown_first = flat(brief.split('Type "more" for the full answer.')[0].split(f"> {cbt(bot)}")[-1])
    assert flat(answer.short) in shown_first and flat(answer.body) not in shown_first
    assert f"Source: {answer.source_title}" in brief and flat(bot.disclaimer) in flat(brief)
    after = flat(brief.split('Type "more" for the full answer.')[1])
    assert flat(answer.body) in after                              # "more" shows the full text
    assert "There is nothing more to show" in after                # once: a second "more" has nothing left


def test_brief_shows_crisis_and_clinician_replies_whole(bot: Bot) -> None:
    _, out, _ = run(bot, "I want to kill myself\r", brief=True)
    crisis = bot.reply("I want to kill myself")
    assert flat(crisis.body) in flat(out) and 'Type "more"' not in out


def test_the_disclaimer_follows_answers_but_not_crisis_or_emergency_replies(bot: Bot) -> None:
    for message in ("I want to kill myself", "I took 30 of my pills"):
        reply = bot.reply(message)
        assert reply.escalation in ("crisis", "emergency") and not reply.disclaimer
        _, out, _ = run(bot, f"{message}\r")
        after = flat(out.split("Type /help for commands")[-1])
        assert flat(reply.body) in after and flat(bot.disclaimer) not in after, message
    _, out, _ = run(bot, f"{cbt(bot)}\r")
    assert flat(bot.disclaimer) in flat(out.split("Type /help for commands")[-1])


def test_thanks_after_an_overdose_reply_is_not_glad_it_helped(bot: Bot) -> None:
    _, out, _ = run(bot, "I took 30 of my pills\rthanks\r")
    assert "glad if that helped" not in out.split("I took 30 of my pills")[-1]


def test_a_phone_number_is_never_split_across_lines() -> None:
    from bot.terminal.render import block
    text = "If you are having thoughts of hurting yourself, call Samaritans free on 116 123."
    for width in range(60, 80):
        lines = block(text, width)
        assert any("116 123" in line for line in lines), (width, lines)
        assert all(len(line) <= width for line in lines)
