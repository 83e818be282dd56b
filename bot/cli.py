"""The `psychoed` command: every parser, and the one place where errors become one line and an exit code.

The chat is the default; each subcommand's module is imported only when it runs, so that starting the
chat stays fast. The library raises and never prints; here a BotError becomes "psychoed: problem" and
exit code 2, a usage error argparse's own message and 2, a closed pipe a quiet exit.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import BotError

# name -> (module, function, what it does); the function takes the parsed options as keywords.
COMMANDS = {
    "ask": ("bot.terminal.modes", "ask", "answer one question and exit"),
    "eval": ("bot.tools.evaluate", "run", "held-out accuracy (and --safety recall) of the shipped content"),
    "test": ("bot.tools.conversations.check", "run", "run YAML conversation scripts"),
    "serve": ("bot.kiosk.app", "serve", "kiosk web page and HTTP API (or --stdio JSON lines)"),
    "lint": ("bot.tools.lint", "run", "check the content: sources, reading level, no doses, follow-ups"),
    "bench": ("bot.tools.bench", "run", "latency, start-up, memory and scaling figures"),
    "review": ("bot.tools.review", "run", "write the sign-off sheet: every answer beside its source's passages"),
}

EXAMPLES = """\
examples:
  psychoed                                   chat in this terminal
  psychoed --region uk                       show UK crisis lines
  psychoed --brief                           each answer in one line first; "more" for the rest
  psychoed ask "What is CBT?"                answer one question and exit
  printf 'What is CBT?\\n1\\n' | psychoed      plain mode: one reply per input line
  psychoed --json < questions.txt            one JSON reply object per line
  psychoed --startup-time                    time from launch to the prompt being ready

in the chat: type a question, or the number of a listed question; /help lists the
commands (/topics /sources /why /reset /quit); Ctrl-C clears the line, Ctrl-D leaves.
Options go before or after a command: psychoed --region uk ask "What is CBT?"
"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=26)


def _content(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", metavar="DIR", help="another content folder (holding intents/, responses/)")


def _region(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", type=str.lower, help="whose crisis lines to show: us (default) or uk")


def _terminal(parser: argparse.ArgumentParser) -> None:
    _content(parser)
    _region(parser)
    parser.add_argument("--no-color", dest="no_color", action="store_true", help="no colour (also when NO_COLOR is set)")
    parser.add_argument("--brief", action="store_true",
                        help='answers as one line first; "more" shows the full text (default: the full text)')


def _seconds(value: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds above 0")
    return number


def _whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high, with a message that says so."""
    def check(value: str) -> int:
        if not (value.isdigit() and low <= int(value) <= high):
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number from {low} to {high}")
        return int(value)
    return check


def chat_parser() -> argparse.ArgumentParser:
    """`psychoed [options]`: the chat."""
    width = max(len(name) for name in COMMANDS) + 2
    commands = "commands (psychoed COMMAND --help for each):\n" + "\n".join(
        f"  {name.ljust(width)}{about}" for name, (_, _, about) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="psychoed", formatter_class=_formatter,
        usage="psychoed [options]\n       psychoed COMMAND [args]",
        description="Chat with a psychoeducation bot about antidepressants used for pain, neuromodulators,\n"
                    "migraine and talk therapy. General information from five documents, not medical advice.\n"
                    "Interactive when typing in a terminal; plain mode when input is piped or with --plain.",
        epilog=commands + "\n\n" + EXAMPLES)
    _terminal(parser)
    parser.add_argument("--plain", action="store_true",
                        help="plain mode: one message per input line, one reply each, no prompt or colour")
    parser.add_argument("--json", action="store_true", help="plain mode, each reply one JSON object per line")
    parser.add_argument("--session", action=argparse.BooleanOptionalAction, default=True,
                        help="keep one conversation across lines (default), or answer each line alone")
    parser.add_argument("--startup-time", dest="startup_time", action="store_true",
                        help="print the seconds from process start to the prompt being ready, and exit")
    parser.add_argument("--version", action="version", version=f"psychoed {__version__}")
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """The options of `psychoed NAME`."""
    about = COMMANDS[name][2]
    parser = argparse.ArgumentParser(prog=f"psychoed {name}", description=about[0].upper() + about[1:] + ".",
                                     formatter_class=_formatter)
    add = parser.add_argument
    if name == "ask":
        _terminal(parser)
        add("--json", action="store_true", help="print the reply as one JSON object")
        add("question", nargs="+", help="the question (quotes are optional)")
        parser.epilog = 'example: psychoed ask "What is CBT?"'
    elif name == "eval":
        _content(parser)
        add("--safety", action="store_true", help="escalation recall and false-escalation rates")
        add("--conversations", action="store_true", help="the blind patient conversations: share of turns right")
        add("--cases", type=Path, metavar="FILE", help="held-out file (default: the shipped held-out questions)")
    elif name == "test":
        add("paths", nargs="*", metavar="PATH",
            help="script files, or folders searched for test_*.yaml (default: tests/conversations/)")
        _content(parser)
        add("--junit", metavar="FILE", type=Path, help="also write the results as JUnit XML")
        add("--coverage", action="store_true", help="list intents, escalation classes and replies that no script reaches")
        add("--require-full-coverage", dest="require_full", action="store_true",
            help="like --coverage, and fail if anything is not reached")
    elif name == "serve":
        add("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
        add("--port", type=_whole(0, 65535), default=8080, help="default 8080")
        _content(parser)
        _region(parser)
        add("--idle-timeout", dest="idle_timeout", type=_seconds, metavar="SECONDS",
            help="wipe a session after this long idle (default: the content's setting)")
        add("--max-sessions", dest="max_sessions", type=_whole(1, 1_000_000), default=1000, metavar="N",
            help="live sessions kept; the least recently used is ended beyond this (default 1000)")
        add("--frame-ancestors", dest="frame_ancestors", nargs="+", default=[], metavar="ORIGIN",
            help="origins allowed to show the page in a frame (default: none)")
        add("--stdio", action="store_true", help="JSON lines on stdin/stdout instead of HTTP")
    elif name == "lint":
        _content(parser)
        add("--sources", metavar="DIR", type=Path, help="folder of source documents, to catch copied text")
        add("--reviewed", dest="reviewed_file", metavar="FILE", type=Path,
            help="warnings a person has accepted, with why (default: lint-reviewed.yaml in the content folder)")
        add("--strict", action="store_true", help="exit 1 on any warning not recorded as reviewed, too")
        add("--template", dest="template_out", action="store_true",
            help="print lint-reviewed.yaml entries for the unreviewed warnings, to fill in, and exit")
        parser.description = ("Check the content: sources, reading level, no doses, no copied text, follow-ups that "
                              "get answers, confusable examples and review dates. Exits 1 on any error; warnings alone pass "
                              "(with --strict, only warnings recorded as reviewed in lint-reviewed.yaml).")
    elif name == "review":
        _content(parser)
        add("--sources", metavar="DIR", type=Path, help="folder of source documents, to quote the passages")
        add("--out", type=Path, default=Path("review.html"), help="where to write the page (default review.html; - for "
            "standard output)")
        parser.description = ("Write the sign-off sheet: one printable HTML page with every question, its answer and "
                              "the source passages it rests on, the medicine classes and every escalation reply.")
    elif name == "bench":
        add("--out", type=Path, default=Path("bench/results/latest.json"), help="where to write the JSON figures")
        add("--scales", default="1,10,100", help="content sizes as multiples of the examples")
        add("--passes", type=int, default=4, help="passes over the held-out questions per size (the first is thrown away)")
        add("--repeat", type=int, default=5, help="fresh processes for the shipped size's start-up")
        _content(parser)
        add("--profile", action="store_true", help="also print where the time goes at each size")
        add("--markdown", dest="as_markdown", action="store_true", help="print the figures as a Markdown table")
        add("--readme", type=Path, metavar="FILE",
            help="also write the Markdown table into FILE, between its <!-- bench:begin --> and end markers")
        add("--from", dest="figures_from", type=Path, metavar="JSON",
            help="measure nothing: use the figures of an earlier run (e.g. bench/results/latest.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`psychoed`: the chat, or a subcommand; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    name, args = split(args)
    if name is None:
        stray = _stray(args)
        if stray is not None:
            print(_not_a_command(stray, args), file=sys.stderr)
            return 2
    parser = command_parser(name) if name else chat_parser()
    try:
        options = vars(parser.parse_args(args))
    except SystemExit as stop:  # --help, --version, or a usage error argparse has already explained
        return stop.code if isinstance(stop.code, int) else 2
    module, function, _ = COMMANDS[name] if name else ("bot.terminal.modes", "chat", "")
    return guard(lambda: int(getattr(importlib.import_module(module), function)(**options)))


def _valued(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of a parser that take a value (--content DIR), so that value is not read as a command."""
    return {o for a in parser._actions for o in a.option_strings if a.nargs != 0}


def split(args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand, wherever the global options put it, and the arguments for its parser.

    `psychoed --region uk ask hi` is `psychoed ask --region uk hi`: options given before the command go to it.
    """
    valued = _valued(chat_parser())
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        if token.startswith("-"):
            i += 2 if token in valued else 1   # "--content DIR" skips DIR; "--content=DIR" is one token
            continue
        if token in COMMANDS:
            return token, args[:i] + args[i + 1:]
        break
    return None, args


def _stray(args: list[str]) -> str | None:
    """The first word the chat's options do not account for: the chat takes no words, only options."""
    valued = _valued(chat_parser())
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if not token.startswith("-") or token == "-":
            return token
        i += 2 if token in valued else 1
    return None


def _not_a_command(word: str, args: list[str]) -> str:
    """One message for `psychoed foo`: it is not a command, what the commands are, and what may have been meant."""
    from .content import did_you_mean

    message = f"psychoed: {word!r} is not a command; the commands are {', '.join(COMMANDS)} (psychoed --help)."
    close = did_you_mean(word.casefold(), list(COMMANDS)) if len(word) > 2 else None
    words = [a for a in args if not a.startswith("-")]
    if close:
        message += f" Did you mean {close!r}?"
    elif len(words) > 1 or word.endswith("?"):  # a question typed straight after the command name
        message += f' To ask one question: psychoed ask "{" ".join(words)}"'
    return message


def guard(run: Callable[[], Any], prog: str = "psychoed") -> int:
    """Turn the errors a person can cause into one clear line and an exit code, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")  # a terminal that cannot show a character gets "?"
    try:
        return int(run())
    except BotError as error:
        print(f"{prog}: {error}", file=sys.stderr)
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
        print(f"{prog}: unexpected error ({type(error).__name__}); run with PSYCHOED_DEBUG=1 for details",
              file=sys.stderr)
        return 1
