"""What the front ends offer to browse: the topics, and under each the questions a patient can ask.

One list for the terminal's /topics, the kiosk's Topics button and `/api/info`, so they never disagree.
"""

from __future__ import annotations

from .dialogue import Bot


def topics(bot: Bot) -> dict[str, tuple[str, ...]]:
    """Topic name -> its questions, as `Bot.topics` lists them (the bot's own help answer uses the same)."""
    return bot.topics
