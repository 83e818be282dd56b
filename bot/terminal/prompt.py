"""The interactive chat: a prompt_toolkit prompt around a Chat. Imported only when a person is typing.

The prompt comes up first and the bot (content, safety rules, matcher) is built in a thread right
after its first frame, so start-up cost is not on the path to a usable prompt. The welcome is
printed above the prompt as soon as the bot is ready; a line sent before that waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application, get_app, run_in_terminal
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import ColorDepth, Output
from prompt_toolkit.styles import Style
from prompt_toolkit.utils import is_dumb_terminal

from .chat import Chat
from .render import COMMAND_HELP, fit

STYLE = Style.from_dict({
    "prompt": "bold ansicyan",
    "placeholder": "italic ansibrightblack",
    "bottom-toolbar": "reverse",
    "bottom-toolbar.crisis": "bold",
    "bottom-toolbar.alert": "bold ansiyellow",
    "bottom-toolbar.hint": "italic",
})
PROMPT: StyleAndTextTuples = [("class:prompt", "> ")]
LEAVE_HINT = "To leave, press Ctrl-D or type /quit."
MENU_ROWS = 6
Hook = Callable[[Application[Any]], None]


class Questions(Completer):
    """Completes commands after "/", otherwise the suggested questions, every topic's questions and topic names."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        typed = document.text_before_cursor
        text = typed.strip().casefold()
        if text.startswith("/"):
            for name, meta in COMMAND_HELP:
                if name.startswith(text):
                    yield Completion(name, -len(typed), display_meta=meta)
            return
        # One letter would match nearly everything and pop a menu over the conversation.
        chat = self.terminal.chat
        if chat is None or (len(text) < 2 and not complete_event.completion_requested):
            return
        hits: list[tuple[int, str, str]] = []
        seen: set[str] = set()
        for question, meta in self._candidates(chat):
            folded = question.casefold()
            if question in seen or folded == text:
                continue
            if folded.startswith(text):
                hits.append((0, question, meta))
            elif all(word in folded for word in text.split()):
                hits.append((1, question, meta))
            else:
                continue
            seen.add(question)
        for _, question, meta in sorted(hits, key=lambda h: h[0]):
            yield Completion(question, -len(typed), display_meta=meta)

    @staticmethod
    def _candidates(chat: Chat) -> Iterator[tuple[str, str]]:
        for question in chat.choices:
            yield question, chat.choices_are
        for topic, questions in chat.topics.items():
            yield topic, "topic"
            for question in questions:
                yield question, topic


class Terminal:
    """Reads lines with a PromptSession and prints what the Chat makes of them."""

    def __init__(self, build: Callable[[], Chat], out: TextIO, *, colour: bool = True,
                 input: Input | None = None, output: Output | None = None,
                 on_ready: Hook | None = None, on_loaded: Hook | None = None) -> None:
        self.build = build
        self.out = out
        self.colour = colour
        self.input = input
        self.output = output
        self.on_ready = on_ready      # after the first frame: the prompt takes input
        self.on_loaded = on_loaded    # after the welcome is on screen
        self.chat: Chat | None = None
        self.loading: Future[Chat] = Future()
        self._thread: threading.Thread | None = None
        self.hint: str | None = None
        self.prompt = self._session()

    # -- the prompt ------------------------------------------------------------------------------------
    def _session(self) -> PromptSession[str]:
        """A fresh prompt; its history lives in memory only, so nothing typed reaches the disk."""
        bindings = KeyBindings()

        @bindings.add("c-c")
        def _clear(event: KeyPressEvent) -> None:
            # Clear the line in place instead of abandoning it; on an empty line, say how to leave.
            if event.current_buffer.text:
                event.current_buffer.reset()
            else:
                self.hint = LEAVE_HINT

        # Rows for the completion menu are kept free under the prompt only while a question is being typed (or
        # Tab has asked for completions): at rest, nothing pads the screen, so answers keep the rows.
        typing = Condition(lambda: len(session.default_buffer.text.strip()) >= 2)
        session: PromptSession[str] = PromptSession(
            PROMPT, history=InMemoryHistory(), auto_suggest=AutoSuggestFromHistory(),
            completer=Questions(self), complete_while_typing=typing, key_bindings=bindings,
            bottom_toolbar=self._toolbar, placeholder=self._placeholder, style=STYLE,
            include_default_pygments_style=False, reserve_space_for_menu=MENU_ROWS,
            color_depth=None if self.colour else ColorDepth.DEPTH_1_BIT,
            input=self.input, output=self.output)
        session.default_buffer.on_text_changed += self._forget_hint
        return session

    def _forget_hint(self, _: object) -> None:
        self.hint = None

    def columns(self) -> int:
        return self.prompt.app.output.get_size().columns

    def _placeholder(self) -> StyleAndTextTuples:
        if get_app().is_done:
            return []  # the accepted line stays on screen; an invitation to type would be left behind with it
        text = "Type a question, a number, or /help" if self.chat else "Getting ready... you can start typing"
        return [("class:placeholder", text)]

    def _toolbar(self) -> StyleAndTextTuples:
        """Always on screen, on one line where it fits: the crisis line ("HELP NOW" after a crisis) and a hint.

        The disclaimer is not here: it is printed under every answer, and twice would crowd a small terminal.
        """
        width = max(10, self.columns())
        if self.chat is None:
            return [("class:bottom-toolbar.hint", " Loading the answers...")]
        bot, crisis_mode = self.chat.bot, self.chat.crisis
        crisis = f" HELP NOW: {bot.crisis_line}" if crisis_mode else f" {bot.crisis_line}"
        style = "class:bottom-toolbar.alert" if crisis_mode else "class:bottom-toolbar.crisis"
        for right in [f"{self.hint} "] if self.hint else ["/help for commands, Ctrl-D to leave ", "/help "]:
            if len(crisis) + len(right) + 2 <= width:
                return [(style, crisis), ("", " " * (width - len(crisis) - len(right))),
                        ("class:bottom-toolbar.hint", right)]
        lines = textwrap.wrap(crisis, width - 1, subsequent_indent=" ") + ([f" {self.hint}"] if self.hint else [])
        return [(style, "\n".join(lines))]

    # -- loading the bot behind the prompt -----------------------------------------------------------------
    def _start_loading(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="psychoed-load", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self.loading.set_result(self.build())
        except BaseException as error:  # noqa: BLE001 -- handed to the main thread, which reports it
            self.loading.set_exception(error)

    def _pre_run(self) -> None:
        """Inside each prompt: after its first frame, start loading (once) and show the welcome when ready."""
        app = get_app()

        def first_frame(_: object) -> None:
            app.after_render -= first_frame
            on_ready, self.on_ready = self.on_ready, None
            if on_ready is not None:
                on_ready(app)
            self._start_loading()

        app.after_render += first_frame
        if self.chat is None:
            app.create_background_task(self._welcome_when_loaded(app))

    async def _welcome_when_loaded(self, app: Application[Any]) -> None:
        # Not asyncio.wrap_future: when a line is sent before the bot is ready, the prompt ends and cancels
        # this task, and a wrapped future would pass that cancellation on to the loading itself. An event set
        # from the loading thread is all this task waits on, so cancelling it leaves the loading alone.
        loop = asyncio.get_running_loop()
        loaded = asyncio.Event()

        def done(_: Future[Chat]) -> None:
            with contextlib.suppress(RuntimeError):  # that prompt has ended and its loop is closed: nothing to wake
                loop.call_soon_threadsafe(loaded.set)

        self.loading.add_done_callback(done)
        await loaded.wait()
        error = self.loading.exception()
        if error is not None:  # ends the prompt; run() reports it as the chat's error
            if not app.is_done:
                app.erase_when_done = True  # leave no half-drawn prompt above the error line
                app.exit(exception=error)
            return
        chat = self.loading.result()
        await run_in_terminal(lambda: self._welcome(chat))
        app.invalidate()

    def _welcome(self, chat: Chat) -> None:
        """Print the welcome once, whichever comes first: the bot being ready or the first line sent."""
        if self.chat is None:
            self.chat = chat
            self.out.write("\n".join(chat.welcome(fit(self.columns()), title=False)) + "\n\n")
            self.out.flush()
            on_loaded, self.on_loaded = self.on_loaded, None
            if on_loaded is not None:
                on_loaded(self.prompt.app)

    def _ready_chat(self) -> Chat:
        self._start_loading()
        self._welcome(self.loading.result())  # re-raises a content or config error from the thread
        assert self.chat is not None
        return self.chat

    # -- output and the loop ---------------------------------------------------------------------------
    def write(self, lines: list[str]) -> None:
        self.out.write("\n" + "\n".join(lines) + "\n\n")
        self.out.flush()

    def clear(self) -> None:
        """Wipe the screen and its scrollback, so the next person cannot scroll back to this one."""
        self.out.flush()
        output = self.prompt.app.output
        output.erase_screen()
        output.cursor_goto(0, 0)
        output.write_raw("\x1b[3J")
        output.flush()

    def run(self) -> int:
        """Prompt until /quit or Ctrl-D; 0 is the only exit code (errors propagate to the caller)."""
        if self.output is None and is_dumb_terminal():
            self._ready_chat()  # prompt_toolkit's plain prompt for dumb terminals cannot redraw: welcome first
        while True:
            try:
                line = self.prompt.prompt(pre_run=self._pre_run)
            except KeyboardInterrupt:
                continue
            except EOFError:
                goodbye = self.chat.goodbye(fit(self.columns())) if self.chat else ["Goodbye."]
                self.write(goodbye)
                return 0
            try:
                chat = self._ready_chat()
                turn = chat.handle(line, fit(self.columns()))
            except KeyboardInterrupt:
                continue
            if turn.clear:
                self.clear()
                self.prompt = self._session()  # a new, empty history: nothing typed before can be recalled
                self.out.write("\n".join(turn.lines) + "\n\n")
                self.out.flush()
            else:
                self.write(turn.lines)
            if turn.quit:
                return 0
