"""The chat's logic, apart from how lines are read and shown: commands, numbered choices, replies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..content import did_you_mean
from ..dialogue import Bot
from ..menu import topics
from ..reply import Reply
from .render import (
    MORE_WORDS,
    PLAIN,
    Painter,
    block,
    help_lines,
    more_lines,
    reply_lines,
    sanitize,
    shortened,
    source_lines,
    topic_lines,
    topic_questions_lines,
    welcome_lines,
    why_lines,
)

QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit", "/q", "/bye"})
TOPIC = "topic"  # what the numbers refer to after /topics: topic names, not questions


@dataclass
class Turn:
    """What one line of input produced."""

    lines: list[str] = field(default_factory=list)
    reply: Reply | None = None   # set when the bot answered (not for commands)
    quit: bool = False
    clear: bool = False          # wipe the screen first (after /reset: the next person sees nothing)


class Chat:
    """One person's conversation as the terminal sees it. `width=None` means do not wrap.

    With `brief`, answers come as their one-line form first and "more" shows the full text.
    """

    def __init__(self, bot: Bot, *, paint: Painter = PLAIN, keep_session: bool = True,
                 interactive: bool = True, brief: bool = False) -> None:
        self.bot = bot
        self.paint = paint
        self.keep_session = keep_session
        self.interactive = interactive
        self.brief = brief
        self.session = bot.session()
        self.sources = {s.id: s for s in bot.sources}
        self.topics = topics(bot)
        self.commands = {"/help": self._help, "/?": self._help, "/topics": self._topics,
                         "/sources": self._sources, "/why": self._why, "/reset": self._reset}
        if brief:
            self.commands["/more"] = self._more
        self._start()

    def _start(self) -> None:
        self.session.offer(self.bot.examples)  # the welcome's examples are what numbers refer to first
        self.choices_are = "example"           # what the numbered questions are, for the completion menu
        self.shown_short: Reply | None = None  # an answer shown in brief, whose full text "more" shows

    # The session owns the conversation: what numbers refer to, the last reply, whether help lines stay up.
    @property
    def choices(self) -> tuple[str, ...]:
        return self.session.choices

    @property
    def last(self) -> Reply | None:
        return self.session.last

    @property
    def crisis(self) -> bool:
        return self.session.crisis

    # -- screens -------------------------------------------------------------------------------------
    def welcome(self, width: int | None, *, title: bool = True) -> list[str]:
        self._start()
        return welcome_lines(self.bot.welcome, self.bot.disclaimer, self.bot.examples, width, self.paint,
                             title=title)

    def goodbye(self, width: int | None) -> list[str]:
        lines = block("Goodbye. Take care.", width, self.paint)
        if self.crisis:
            lines += block(self.bot.crisis_line, width, self.paint, "resources")
        return lines

    # -- one line of input -----------------------------------------------------------------------------
    def handle(self, line: str, width: int | None) -> Turn:
        """Answer one line: a command, a number from the last list, or a question for the bot."""
        text = line.strip()
        if text.casefold() in QUIT_WORDS:
            return Turn(self.goodbye(width), quit=True)
        if text.startswith("/"):
            return self._command(text, width)
        if not text and self.interactive:
            # An accidental Enter should not replace the numbered list with the bot's "please type" reply.
            return Turn(block("Type a question, a number from the list, or /help.", width, self.paint, "hint"))
        if self.brief and " ".join(re.sub(r"[^\w\s/]", "", text.casefold()).split()) in MORE_WORDS:
            return self._more(width)
        picked = self.session.choice(text) if self.keep_session else None  # --no-session: every line stands alone
        if picked is not None and picked[1] is not None:
            if self.choices_are == TOPIC:
                return self._topic(picked[1], width)
            question = picked[1]
            # Send the question itself, not the digit: it still works after the session's idle reset.
            echo = block(f"-> {question}", width, self.paint, "hint")
            turn = self.ask(question, width)
            turn.lines = echo + [""] + turn.lines
            return turn
        # A number out of range, like everything else, goes to the session, which answers it the same way in
        # every front end ("There is no question 7 here") and keeps the list.
        return self.ask(line, width)

    def ask(self, text: str, width: int | None) -> Turn:
        """The bot's reply to a message."""
        if not self.keep_session:
            self.session.reset()
        before = self.session.choices
        reply = self.session.send(text)
        kept = reply.kind == "clarify" and bool(before) and self.session.choices == before
        if not kept:  # (a number out of range keeps the list, and so what its numbers are: topics, say)
            self.choices_are = "option" if reply.kind == "clarify" else "suggested"
        self.shown_short = reply if self.brief and shortened(reply) else None
        return Turn(reply_lines(reply, width, self.paint, self.sources, brief=self.brief), reply=reply)

    # -- commands --------------------------------------------------------------------------------------
    def _command(self, text: str, width: int | None) -> Turn:
        # "/ help" is "/help"; the command is the first word, and commands take nothing after them.
        typed, _, rest = re.sub(r"^/\s+", "/", text).partition(" ")
        name = typed.casefold()
        if name == "/":
            return self._help(width)
        known = [*self.commands, "/quit"]
        if name in known or name in QUIT_WORDS:
            if rest.strip():
                return Turn(block(f"{typed} takes nothing after it. Type {typed} on its own, or ask your question "
                                  "without the /.", width, self.paint, "hint"))
            return self.handle(name, width) if name in QUIT_WORDS else self.commands[name](width)
        shown = sanitize(typed)[:40]
        close = did_you_mean(name, [c for c in known if len(c) > 2])  # never "/?" for a stray character
        hint = f" Did you mean {close}?" if close else ""
        return Turn(block(f"Unknown command {shown}.{hint} Type /help to see the commands.",
                          width, self.paint, "hint"))

    def _help(self, width: int | None) -> Turn:
        return Turn(help_lines(width, self.paint, interactive=self.interactive, brief=self.brief))

    def _topics(self, width: int | None) -> Turn:
        self.session.offer(list(self.topics))
        self.choices_are = TOPIC
        return Turn(topic_lines(self.topics, width, self.paint))

    def _topic(self, name: str, width: int | None) -> Turn:
        questions = self.topics[name]
        self.session.offer(questions)
        self.choices_are = name
        return Turn(topic_questions_lines(name, questions, width, self.paint))

    def _more(self, width: int | None) -> Turn:
        shown, self.shown_short = self.shown_short, None
        if shown is None:
            return Turn(block("There is nothing more to show: that was the whole of the last reply.", width,
                              self.paint, "hint"))
        return Turn(more_lines(shown, width, self.paint))

    def _sources(self, width: int | None) -> Turn:
        return Turn(source_lines(self.bot.sources, width, self.paint))

    def _why(self, width: int | None) -> Turn:
        return Turn(why_lines(self.last, width, self.paint))

    def _reset(self, width: int | None) -> Turn:
        self.session.reset()
        self._start()
        note = block("Started over: I have forgotten this conversation.", width, self.paint, "notice")
        return Turn(note + [""] + self.welcome(width) if self.interactive else note, clear=True)
