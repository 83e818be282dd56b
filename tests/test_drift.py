"""The drift report: a word added to a rule that changes how other words read is shown to the reviewer."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.tools.drift import readings, safety_of, unmended

ROOT = Path(__file__).resolve().parent.parent


def test_a_new_rule_word_that_becomes_a_base_form_is_reported(tmp_path: Path) -> None:
    for sub in ("intents", "responses"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    rules = tmp_path / "intents" / "safety.yaml"
    text = rules.read_text(encoding="utf-8")
    # "rat race" in an unless list made "racing" read "race" everywhere, and "heart racing" reached the detector changed.
    rules.write_text(text.replace("quit my job,", "quit my job, quit the rat race,", 1), encoding="utf-8")
    before, _ = readings(ROOT)
    after, words = readings(tmp_path)
    assert before.get("racing", "racing") == "racing"
    assert after.get("racing") == "race"
    assert "race" in words


def test_a_new_prefix_that_stops_typos_being_mended_is_reported(tmp_path: Path) -> None:
    for sub in ("intents", "responses"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    rules = tmp_path / "intents" / "safety.yaml"
    text = rules.read_text(encoding="utf-8")
    # "instead of medic*" in an unless list left "am i on the right medictaion" unread, and unescalated.
    rules.write_text(text.replace("quit my job,", "quit my job, instead of medic*,", 1), encoding="utf-8")
    lost = dict(unmended(safety_of(ROOT), safety_of(tmp_path)))
    assert lost.get("medictaion") == "medication"
    assert lost.get("medicnie") == "medicine"
    assert all(word.startswith("medic") for word in lost.values())
