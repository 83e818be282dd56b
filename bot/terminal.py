"""The `psychoed` chat: interactive in a terminal, one reply per line for pipes, and `psychoed ask`.

prompt_toolkit is imported only on the interactive path, after the title is on screen, and the
bot itself is built behind the prompt (see bot.interactive) so that the prompt is ready sooner.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TextIO

from . import __version__
from .chat import Chat
from .dialogue import Bot
from .errors import BotError
from .render import PLAIN, TITLE, Painter, fit, reply_lines

MAX_LINE = 64 * 1024  # bytes read of one input line; the bot reads far fewer and says so
IMPORTED = time.perf_counter()  # fallback start for --startup-time where the kernel cannot say

EXAMPLES = """\
examples:
  psychoed                                   chat in this terminal
  psychoed --region uk                       show UK crisis lines
  psychoed ask "What is CBT?"                answer one question and exit
  printf 'What is CBT?\\n1\\n' | psychoed      plain mode: one reply per input line
  psychoed --json < questions.txt            one JSON reply object per line
  psychoed --startup-time                    time from launch to the prompt being ready

in the chat: type a question, or the number of a listed question; /help lists the
commands (/topics /sources /why /reset /quit); Ctrl-C clears the line, Ctrl-D leaves.
"""


def _commands() -> str:
    from .cli import COMMANDS  # cli imports this module lazily, so this is not circular at import time
    width = max(len(name) for name in COMMANDS) + 2
    return "commands (psychoed COMMAND --help for each):\n" + "\n".join(
        f"  {name.ljust(width)}{about}" for name, (_, _, about) in COMMANDS.items())


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=26)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", metavar="DIR", help="another content folder (holding intents/, responses/)")
    parser.add_argument("--region", help="whose crisis lines to show: us (default) or uk")
    parser.add_argument("--no-color", dest="no_color", action="store_true",
                        help="no colour (also when NO_COLOR is set)")


def build_parser() -> argparse.ArgumentParser:
    """The top-level `psychoed` options; subcommands are dispatched by bot.cli before this runs."""
    parser = argparse.ArgumentParser(
        prog="psychoed", formatter_class=_formatter,
        usage="psychoed [options]\n       psychoed COMMAND [args]",
        description="Chat with a psychoeducation bot about antidepressants used for pain, neuromodulators,\n"
                    "migraine and talk therapy. General information from five documents, not medical advice.\n"
                    "Interactive when typing in a terminal; plain mode when input is piped or with --plain.",
        epilog=_commands() + "\n\n" + EXAMPLES)
    _common(parser)
    parser.add_argument("--plain", action="store_true",
                        help="plain mode: one message per input line, one reply each, no prompt or colour")
    parser.add_argument("--json", action="store_true", help="plain mode, each reply one JSON object per line")
    parser.add_argument("--session", action=argparse.BooleanOptionalAction, default=True,
                        help="keep one conversation across lines (default), or answer each line alone")
    parser.add_argument("--startup-time", action="store_true",
                        help="print the seconds from process start to the prompt being ready, and exit")
    parser.add_argument("--version", action="version", version=f"psychoed {__version__}")
    return parser


def main(argv: Sequence[str] = ()) -> int:
    """The chat: interactive when stdin and stdout are a terminal, plain otherwise."""
    args = build_parser().parse_args(list(argv))
    return _guard(lambda: _chat(args))


def ask_main(argv: Sequence[str]) -> int:
    """`psychoed ask "question"`: one answer, then exit."""
    parser = argparse.ArgumentParser(prog="psychoed ask", description="Answer one question and exit.",
                                     epilog='example: psychoed ask "What is CBT?"', formatter_class=_formatter)
    _common(parser)
    parser.add_argument("--json", action="store_true", help="print the reply as one JSON object")
    parser.add_argument("question", nargs="+", help="the question (quotes are optional)")
    args = parser.parse_args(list(argv))

    def run() -> int:
        bot = _load(args)
        reply = bot.reply(" ".join(args.question))
        if args.json:
            _emit(sys.stdout, json.dumps(reply.to_dict(), ensure_ascii=True))
        else:
            import shutil
            tty = sys.stdout.isatty()
            paint = _painter(args) if tty else PLAIN
            width = fit(shutil.get_terminal_size().columns) if tty else None
            _emit(sys.stdout, "\n".join(reply_lines(reply, width, paint, {s.id: s for s in bot.sources})))
        return 0

    return _guard(run)


# -- modes -------------------------------------------------------------------------------------------
def _chat(args: argparse.Namespace) -> int:
    if args.startup_time:
        return _startup_time(args)
    if args.plain or args.json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return _plain(_load(args), args, sys.stdin.buffer, sys.stdout)
    paint = _painter(args)
    # Something on screen at once, before prompt_toolkit is imported; the welcome follows when the bot is ready.
    _emit(sys.stdout, paint("title", TITLE) + "\n")
    from .interactive import Terminal
    return Terminal(_builder(args, paint), sys.stdout, colour=paint.colour).run()


def _builder(args: argparse.Namespace, paint: Painter) -> Callable[[], Chat]:
    return lambda: Chat(_load(args), paint=paint, keep_session=args.session)


def _plain(bot: Bot, args: argparse.Namespace, stdin: IO[bytes], out: TextIO) -> int:
    """One reply per input line, no prompt and no styling; JSON lines with --json."""
    chat = Chat(bot, keep_session=args.session, interactive=False)
    session = bot.session()
    for line in _lines(stdin):
        if args.json:
            if not args.session:
                session.reset()
            _emit(out, json.dumps(session.send(line).to_dict(), ensure_ascii=True))
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


def _startup_time(args: argparse.Namespace) -> int:
    """Start the interactive chat off screen; print when its prompt was ready and when its welcome was shown."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from .interactive import Terminal

    paint = _painter(args)
    times: dict[str, float] = {}

    def ready(app: Any) -> None:
        times["prompt_ready"] = _since_start()

    def loaded(app: Any) -> None:
        times["welcome_shown"] = _since_start()
        app.exit(exception=EOFError())

    with create_pipe_input() as pipe:
        Terminal(_builder(args, paint), io.StringIO(), colour=paint.colour, input=pipe, output=DummyOutput(),
                 on_ready=ready, on_loaded=loaded).run()
    if args.json:
        _emit(sys.stdout, json.dumps({k + "_seconds": round(v, 4) for k, v in times.items()}))
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
def _load(args: argparse.Namespace) -> Bot:
    from .content import load_content
    return Bot(load_content(args.content) if args.content else None, region=args.region)


def _painter(args: argparse.Namespace) -> Painter:
    """Styles unless the terminal is dumb; colour unless --no-color or NO_COLOR says otherwise."""
    styles = os.environ.get("TERM", "") != "dumb"
    return Painter(styles=styles, colour=styles and not args.no_color and not os.environ.get("NO_COLOR"))


def _emit(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _guard(run: Callable[[], int]) -> int:
    """Turn the errors a person can cause into one clear line and an exit code, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")  # a terminal that cannot show a character gets "?"
    try:
        return run()
    except BotError as error:
        print(f"psychoed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); stop quietly and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as error:  # a bug, not the person's doing: one line, details on request
        if os.environ.get("PSYCHOED_DEBUG"):
            raise
        print(f"psychoed: unexpected error ({type(error).__name__}); run with PSYCHOED_DEBUG=1 for details",
              file=sys.stderr)
        return 1
