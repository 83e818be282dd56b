"""The chat's logic, apart from how lines are read and shown: commands, numbered choices, replies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dialogue import Bot
from .render import (PLAIN, Painter, block, help_lines, reply_lines, sanitize, source_lines, topic_lines,
                     welcome_lines, why_lines)
from .reply import Reply

NUMBER = re.compile(r"#?\s*(\d{1,4})\s*[.)]?")
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit", "/q", "/bye"})


@dataclass
class Turn:
    """What one line of input produced."""

    lines: list[str] = field(default_factory=list)
    reply: Reply | None = None   # set when the bot answered (not for commands)
    quit: bool = False
    clear: bool = False          # wipe the screen first (after /reset: the next person sees nothing)


class Chat:
    """One person's conversation as the terminal sees it. `width=None` means do not wrap."""

    def __init__(self, bot: Bot, *, paint: Painter = PLAIN, keep_session: bool = True,
                 interactive: bool = True) -> None:
        self.bot = bot
        self.paint = paint
        self.keep_session = keep_session
        self.interactive = interactive
        self.session = bot.session()
        self.sources = {s.id: s for s in bot.sources}
        self.commands = {"/help": self._help, "/?": self._help, "/topics": self._topics,
                         "/sources": self._sources, "/why": self._why, "/reset": self._reset}
        self._start()

    def _start(self) -> None:
        self.last: Reply | None = None
        self.choices: tuple[str, ...] = tuple(self.bot.examples)  # the questions numbers refer to now
        self.choices_are = "example"                              # what they are, for the completion menu
        self.crisis = False                                       # crisis resources stay up until reset

    # -- screens -------------------------------------------------------------------------------------
    def welcome(self, width: int | None, *, title: bool = True) -> list[str]:
        self.choices, self.choices_are = tuple(self.bot.examples), "example"
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
        picked = NUMBER.fullmatch(text)
        if picked and self.choices and self.keep_session:  # --no-session: every line stands alone
            n = int(picked.group(1))
            if not 1 <= n <= len(self.choices):
                return Turn(block(f"There is no question {n} here. Type a number from 1 to {len(self.choices)}, "
                                  "or ask in your own words.", width, self.paint, "hint"))
            question = self.choices[n - 1]
            # Send the question itself, not the digit: it still works after the session's idle reset,
            # and for lists the session never saw (the welcome's examples, /topics).
            echo = block(f"-> {question}", width, self.paint, "hint")
            turn = self.ask(question, width)
            turn.lines = echo + [""] + turn.lines
            return turn
        return self.ask(line, width)

    def ask(self, text: str, width: int | None) -> Turn:
        """The bot's reply to a message."""
        if not self.keep_session:
            self.session.reset()
        reply = self.session.send(text)
        self.last = reply
        self.choices = reply.suggestions
        self.choices_are = "option" if reply.kind == "clarify" else "suggested"
        if reply.escalation in ("crisis", "emergency") or reply.resources:
            self.crisis = True
        return Turn(reply_lines(reply, width, self.paint, self.sources), reply=reply)

    # -- commands --------------------------------------------------------------------------------------
    def _command(self, text: str, width: int | None) -> Turn:
        typed = text.split()[0]
        name = typed.casefold()
        action = self.commands.get(name)
        if action is not None:
            return action(width)
        shown = sanitize(typed)[:40]
        import difflib  # only for mistyped commands; kept off the start-up path
        close = difflib.get_close_matches(name, [*self.commands, "/quit"], n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]}?" if close else ""
        return Turn(block(f"Unknown command {shown}.{hint} Type /help to see the commands.",
                          width, self.paint, "hint"))

    def _help(self, width: int | None) -> Turn:
        return Turn(help_lines(width, self.paint, interactive=self.interactive))

    def _topics(self, width: int | None) -> Turn:
        topics = self.bot.topics
        self.choices = tuple(q for questions in topics.values() for q in questions)
        self.choices_are = "listed"
        return Turn(topic_lines(topics, width, self.paint))

    def _sources(self, width: int | None) -> Turn:
        return Turn(source_lines(self.bot.sources, width, self.paint))

    def _why(self, width: int | None) -> Turn:
        return Turn(why_lines(self.last, width, self.paint))

    def _reset(self, width: int | None) -> Turn:
        self.session.reset()
        self._start()
        note = block("Started over: I have forgotten this conversation.", width, self.paint, "notice")
        return Turn(note + [""] + self.welcome(width) if self.interactive else note, clear=True)
