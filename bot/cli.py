"""The `psychoed` command: the chat by default, and a few subcommands.

Each subcommand lives in its own module with `main(argv) -> int`, imported only when used,
so that starting the chat stays fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "ask": ("bot.terminal", "ask_main", "answer one question and exit"),
    "eval": ("bot.evaluate", "main", "held-out accuracy (and --safety recall) of the shipped content"),
    "test": ("bot.scripts", "main", "run YAML conversation scripts"),
    "serve": ("bot.server", "main", "kiosk web page and HTTP API (or --stdio JSON lines)"),
    "lint": ("bot.lint", "main", "check the content: sources, reading level, no doses, follow-ups"),
    "bench": ("bot.bench", "main", "latency, start-up, memory and scaling figures"),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        module, func, _ = COMMANDS[args[0]]
        return int(getattr(importlib.import_module(module), func)(args[1:]))
    from .terminal import main as chat
    return chat(args)
