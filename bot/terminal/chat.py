"""The chat's logic, apart from how lines are read and shown: commands, numbered choices, replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..content import did_you_mean
from ..dialogue import Bot
from ..reply import Reply
from .render import (
    PLAIN,
    Painter,
    block,
    help_lines,
    reply_lines,
    sanitize,
    source_lines,
    topic_lines,
    welcome_lines,
    why_lines,
)

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
        self.session.offer(self.bot.examples)  # the welcome's examples are what numbers refer to first
        self.choices_are = "example"           # what the numbered questions are, for the completion menu

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
        picked = self.session.choice(text) if self.keep_session else None  # --no-session: every line stands alone
        if picked is not None and picked[1] is not None:
            question = picked[1]
            # Send the question itself, not the digit: it still works after the session's idle reset.
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
        self.choices_are = "option" if reply.kind == "clarify" else "suggested"
        return Turn(reply_lines(reply, width, self.paint, self.sources), reply=reply)

    # -- commands --------------------------------------------------------------------------------------
    def _command(self, text: str, width: int | None) -> Turn:
        typed = text.split()[0]
        name = typed.casefold()
        action = self.commands.get(name)
        if action is not None:
            return action(width)
        shown = sanitize(typed)[:40]
        close = did_you_mean(name, [*self.commands, "/quit"])
        hint = f" Did you mean {close}?" if close else ""
        return Turn(block(f"Unknown command {shown}.{hint} Type /help to see the commands.",
                          width, self.paint, "hint"))

    def _help(self, width: int | None) -> Turn:
        return Turn(help_lines(width, self.paint, interactive=self.interactive))

    def _topics(self, width: int | None) -> Turn:
        topics = self.bot.topics
        self.session.offer([q for questions in topics.values() for q in questions])
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
