"""What the kiosk front ends (HTTP and stdio) share: the input check and the info payload."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..dialogue import Bot
from ..menu import topics


def paragraphs(text: str) -> str:
    """Text as paragraphs: single line breaks (where the content's author wrapped a line) become spaces,
    blank lines stay, so a page or a screen wraps the text to its own width."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def info(bot: Bot) -> dict[str, Any]:
    """What a front end shows before the first question, and the limits it should respect."""
    return {
        "welcome": paragraphs(bot.welcome),
        "topics": [{"topic": name, "questions": list(questions)} for name, questions in topics(bot).items()],
        "examples": list(bot.examples),
        "disclaimer": paragraphs(bot.disclaimer),
        "crisis_line": bot.crisis_line,
        "region": bot.region,
        "idle_timeout": bot.idle_timeout,
        "max_chars": max_chars(bot),
        "version": __version__,
    }


def max_chars(bot: Bot) -> int:
    """The longest message the front ends accept."""
    return bot.settings.max_chars


def text_problem(bot: Bot, text: Any) -> str | None:
    """Why a message's text cannot be sent as it is, or None if it can."""
    if not isinstance(text, str):
        return "'text' must be a string"
    limit = max_chars(bot)
    if len(text) > limit:
        # Refused rather than cut short, so a front end can ask the patient to shorten it.
        return f"'text' is {len(text)} characters; the limit is {limit}"
    return None
