"""The terminal chat (a simple loop for now; the full prompt_toolkit front end replaces it)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .dialogue import Bot


def main(argv: Sequence[str] = ()) -> int:
    bot = Bot()
    session = bot.session()
    print(bot.welcome)
    for line in sys.stdin:
        print(session.send(line).text)
        print()
    return 0


def ask_main(argv: Sequence[str]) -> int:
    print(Bot().reply(" ".join(argv)).text)
    return 0
