"""The public Python API as an embedding developer and a patient meet it."""

from __future__ import annotations

import dataclasses
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import bot
from bot import Bot, Reply

CASES = yaml.safe_load((Path(__file__).parent / "data" / "dialogue.yaml").read_text())["cases"]


def test_all_is_complete() -> None:
    modules = {m.name for m in pkgutil.iter_modules(bot.__path__)}
    # "@py_*" names are pytest's own: it rewrites asserts in the package because the plugin lives in it.
    public = {name for name in dir(bot) if not name.startswith(("_", "@"))} - modules - {"annotations"}
    assert public <= set(bot.__all__), public - set(bot.__all__)
    for name in bot.__all__:
        assert hasattr(bot, name), name


@pytest.mark.parametrize("case", CASES, ids=[c["text"].strip() or "blank" for c in CASES])
def test_one_turn(shared_bot: Bot, case: dict) -> None:
    reply = shared_bot.reply(case["text"])
    for key, value in case["expect"].items():
        assert getattr(reply, key) == value, (key, reply.kind, reply.intent, reply.rule)
    for word in case.get("contains", []):
        assert word.lower() in reply.text.lower(), word


def test_every_reply_carries_the_disclaimer_but_help_lines_stand_alone(shared_bot: Bot) -> None:
    for text in ["what is cbt", "what's the weather", "can i stop my zoloft", ""]:
        reply = shared_bot.reply(text)
        assert reply.disclaimer and reply.text.endswith(reply.disclaimer)
        assert "not medical advice" in reply.disclaimer
    for text in ["i want to die", "i took 30 of my pills"]:  # the help text is the whole message
        reply = shared_bot.reply(text)
        assert reply.escalation in ("crisis", "emergency") and not reply.disclaimer
        assert shared_bot.disclaimer not in reply.text


def test_answers_name_their_source_title(shared_bot: Bot) -> None:
    reply = shared_bot.reply("What is CBT?")
    assert reply.source == "psychotherapy-depression"
    assert f"Source: {reply.source_title}" in reply.text


def test_reply_is_frozen_and_json_ready(shared_bot: Bot) -> None:
    reply = shared_bot.reply("What is CBT?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.kind = "fallback"  # type: ignore[misc]
    data = json.loads(json.dumps(reply.to_dict()))
    assert data["kind"] == "answer" and data["suggestions"] == list(reply.suggestions)
    assert set(data) == {f.name for f in dataclasses.fields(Reply)}


def test_suggestions_are_questions_the_bot_answers(shared_bot: Bot) -> None:
    reply = shared_bot.reply("What is CBT?")
    assert 2 <= len(reply.suggestions) <= 3
    for question in reply.suggestions:
        follow = shared_bot.reply(question)
        assert follow.kind == "answer" and follow.intent != "therapy_cbt", question


def test_a_number_picks_that_suggestion(shared_bot: Bot) -> None:
    session = shared_bot.session()
    first = session.send("What is CBT?")
    picked = session.send("2")
    assert picked.kind == "answer"
    assert shared_bot.reply(first.suggestions[1]).intent == picked.intent


def test_clarification_answers_by_number_and_by_words(shared_bot: Bot) -> None:
    session = shared_bot.session()
    session._options = ("therapy_cbt", "therapy_types")  # as left by a clarification
    assert session.send("2").intent == "therapy_types"
    session._options = ("therapy_cbt", "therapy_types")
    assert session.send("the first one").intent == "therapy_cbt"


def test_clarify_reply_numbers_two_options(shared_bot: Bot) -> None:
    session = shared_bot.session()
    from bot.matcher import Match
    reply = session._clarify([Match("therapy_cbt", 0.5, ""), Match("therapy_types", 0.49, "")], None)
    assert reply.kind == "clarify" and "1) What is CBT?" in reply.body
    assert session.send("1").intent == "therapy_cbt"


def test_follow_up_uses_the_medicine_named_before(shared_bot: Bot) -> None:
    session = shared_bot.session()
    assert session.send("what is cymbalta").intent == "medication_info"
    assert session.send("how long does that take to work?").intent == "time_to_work"
    again = session.send("what is it again")
    assert again.intent == "medication_info" and "duloxetine" in again.text.lower()


def test_follow_up_what_does_it_stand_for(shared_bot: Bot) -> None:
    session = shared_bot.session()
    assert session.send("my doctor mentioned CBT, what even is that").intent == "therapy_cbt"
    assert session.send("what does it stand for?").intent == "therapy_cbt"


def test_follow_up_what_about_migraines(shared_bot: Bot) -> None:
    session = shared_bot.session()
    assert session.send("how can an antidepressant help pain").intent == "antidepressants_for_pain"
    assert session.send("what about for migraines?").intent == "migraine_antidepressants"


def cymbalta_session() -> tuple[bot.Session, Callable[[float], None]]:
    """A session that has just named a medicine, on a clock the test moves; idle timeout 120 s."""
    now = [0.0]
    session = Bot(idle_timeout=120, clock=lambda: now[0]).session()
    session.send("what is cymbalta")

    def wait(seconds: float) -> None:
        now[0] += seconds
    return session, wait


def test_idle_session_forgets_context() -> None:
    session, wait = cymbalta_session()
    wait(121)
    assert session.send("what is it").kind == "fallback"


def test_reset_forgets_context(shared_bot: Bot) -> None:
    session = shared_bot.session()
    session.send("what is cymbalta")
    session.reset()
    assert session.send("what is it").kind == "fallback"


def test_long_input_is_shortened_with_a_note(shared_bot: Bot) -> None:
    reply = shared_bot.reply("what is cbt " * 500)
    assert reply.notice and "1000" in reply.notice.replace(",", "")
    assert reply.notice in reply.text


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(bot.ConfigError, match="unknown region 'mars'"):
        Bot(region="mars")


def test_touch_keeps_a_reading_patient_session_alive() -> None:
    session, wait = cymbalta_session()
    wait(100)
    session.touch()
    wait(100)
    assert session.send("what is it").intent == "medication_info"
