"""The `psychoed` chat: interactive in a terminal, one reply per line for pipes, and `psychoed ask`.

prompt_toolkit is imported only on the interactive path, after the title is on screen, and the
bot itself is built behind the prompt (see bot.terminal.prompt) so that the prompt is ready sooner.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TextIO

from ..content import load_content
from ..dialogue import Bot
from .chat import Chat
from .render import PLAIN, TITLE, Painter, fit, reply_lines

MAX_LINE = 64 * 1024  # bytes read of one input line; the bot reads far fewer and says so
IMPORTED = time.perf_counter()  # fallback start for --startup-time where the kernel cannot say


def chat(*, content: str | None = None, region: str | None = None, no_color: bool = False, brief: bool = False,
         plain: bool = False, json: bool = False, session: bool = True, startup_time: bool = False) -> int:
    """The chat: interactive when stdin and stdout are a terminal, plain otherwise."""
    build = _builder(content, region, _painter(no_color), session, brief)
    if startup_time:
        return _startup_time(build, no_color, as_json=json)
    if plain or json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return _plain(_load(content, region), sys.stdin.buffer, sys.stdout, as_json=json, keep_session=session,
                      brief=brief)
    paint = _painter(no_color)
    # Something on screen at once, before prompt_toolkit is imported; the welcome follows when the bot is ready.
    _emit(sys.stdout, paint("title", TITLE) + "\n")
    from .prompt import Terminal
    return Terminal(build, sys.stdout, colour=paint.colour).run()


def ask(*, question: Sequence[str], content: str | None = None, region: str | None = None, no_color: bool = False,
        brief: bool = False, json: bool = False) -> int:
    """`psychoed ask "question"`: one answer, then exit."""
    bot = _load(content, region)
    reply = bot.reply(" ".join(question))
    if json:
        _emit(sys.stdout, _json(reply.to_dict()))
    else:
        import shutil
        tty = sys.stdout.isatty()
        paint = _painter(no_color) if tty else PLAIN
        width = fit(shutil.get_terminal_size().columns) if tty else None
        # One answer and the program ends: no "type a number" (there is no next line to type it on).
        lines = reply_lines(reply, width, paint, {s.id: s for s in bot.sources}, brief=brief, numbers=False,
                            more="For the full answer, ask again without --brief.")
        _emit(sys.stdout, "\n".join(lines))
    return 0


# -- modes -------------------------------------------------------------------------------------------
def _builder(content: str | None, region: str | None, paint: Painter, keep_session: bool,
             brief: bool = False) -> Callable[[], Chat]:
    return lambda: Chat(_load(content, region), paint=paint, keep_session=keep_session, brief=brief)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=True)


def _plain(bot: Bot, stdin: IO[bytes], out: TextIO, *, as_json: bool, keep_session: bool, brief: bool = False) -> int:
    """One reply per input line, no prompt and no styling; JSON lines with --json."""
    chat = Chat(bot, keep_session=keep_session, interactive=False, brief=brief)
    session = bot.session()
    for line in _lines(stdin):
        if as_json:
            if not keep_session:
                session.reset()
            _emit(out, _json(session.send(line).to_dict()))
            continue
        turn = chat.handle(line, None)
        _emit(out, "\n".join(turn.lines) + "\n")
        if turn.quit:
            break
    return 0


def _lines(stdin: IO[bytes]) -> Iterator[str]:
    """Input lines as text: undecodable bytes replaced, each line capped at MAX_LINE bytes."""
    while True:
        raw = stdin.readline(MAX_LINE)
        if not raw:
            return
        if not raw.endswith(b"\n"):
            rest = raw
            while rest and not rest.endswith(b"\n"):  # skip the remainder of an over-long line
                rest = stdin.readline(MAX_LINE)
        yield raw.decode("utf-8", "replace").rstrip("\r\n")


def _startup_time(build: Callable[[], Chat], no_color: bool, *, as_json: bool) -> int:
    """Start the interactive chat off screen; print when its prompt was ready and when its welcome was shown."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from .prompt import Terminal

    paint = _painter(no_color)
    times: dict[str, float] = {}

    def ready(app: Any) -> None:
        times["prompt_ready"] = _since_start()

    def loaded(app: Any) -> None:
        times["welcome_shown"] = _since_start()
        app.exit(exception=EOFError())

    with create_pipe_input() as pipe:
        Terminal(build, io.StringIO(), colour=paint.colour, input=pipe, output=DummyOutput(),
                 on_ready=ready, on_loaded=loaded).run()
    if as_json:
        _emit(sys.stdout, _json({k + "_seconds": round(v, 4) for k, v in times.items()}))
    else:
        _emit(sys.stdout, f"prompt ready {times['prompt_ready']:.3f} s after the process started "
                          f"(welcome shown at {times['welcome_shown']:.3f} s)")
    return 0


def _since_start() -> float:
    """Seconds since this process started, from the kernel's record (Linux), else since this module loaded."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        # Field 22 is the start time in clock ticks after boot; fields 3+ follow the ")" that ends the name.
        ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - IMPORTED


# -- helpers -----------------------------------------------------------------------------------------
def _load(content: str | None, region: str | None) -> Bot:
    return Bot(load_content(content) if content else None, region=region)


def _painter(no_color: bool) -> Painter:
    """Styles unless the terminal is dumb; colour unless --no-color or NO_COLOR says otherwise."""
    styles = os.environ.get("TERM", "") != "dumb"
    return Painter(styles=styles, colour=styles and not no_color and not os.environ.get("NO_COLOR"))


def _emit(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()
