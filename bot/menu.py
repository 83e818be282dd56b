"""What the front ends offer to browse: the topics, and under each the questions a patient can ask.

One list for the terminal's /topics, the kiosk's Topics button and `/api/info`, so they never disagree.
"""

from __future__ import annotations

from .dialogue import Bot


def topics(bot: Bot) -> dict[str, tuple[str, ...]]:
    """Topic name -> its questions, in content order, with the topics about the bot itself last.

    Listed are questions the bot answers: not an intent the documents leave unanswered (it gets an honest
    "who can tell you"), and not small talk whose "question" is not a question ("Hello", "Thank you").
    """
    listed: dict[str, list[str]] = {}
    social: dict[str, bool] = {}
    for intent in bot.content.intents:
        if intent.kind == "unanswered" or not intent.question.rstrip().endswith("?"):
            continue
        listed.setdefault(intent.topic, []).append(intent.question)
        social[intent.topic] = social.get(intent.topic, True) and intent.kind == "social"
    ordered = sorted(listed, key=lambda topic: social[topic])  # stable: content order within each group
    return {topic: tuple(listed[topic]) for topic in ordered}
