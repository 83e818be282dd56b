"""The drift report: a word added to a rule that changes how other words read is shown to the reviewer."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.tools.drift import readings, safety_of, unmended

ROOT = Path(__file__).resolve().parent.parent


def with_unless(tmp_path: Path, phrase: str) -> Path:
    """A copy of the content with `phrase` added to an unless list of the safety rules."""
    for sub in ("intents", "responses"):
        shutil.copytree(ROOT / sub, tmp_path / sub)
    rules = tmp_path / "intents" / "safety.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("quit my job,", f"quit my job, {phrase},", 1), encoding="utf-8")
    return tmp_path


def test_a_new_rule_word_that_becomes_a_base_form_is_reported(tmp_path: Path) -> None:
    # "rat race" in an unless list made "racing" read "race" everywhere, and "heart racing" reached the detector changed.
    before, _ = readings(ROOT)
    after, words = readings(with_unless(tmp_path, "quit the rat race"))
    assert before.get("racing", "racing") == "racing"
    assert after.get("racing") == "race"
    assert "race" in words


def test_a_new_prefix_that_stops_typos_being_mended_is_reported(tmp_path: Path) -> None:
    # "instead of medic*" in an unless list left "am i on the right medictaion" unread, and unescalated.
    lost = dict(unmended(safety_of(ROOT), safety_of(with_unless(tmp_path, "instead of medic*"))))
    assert lost.get("medictaion") == "medication"
    assert lost.get("medicnie") == "medicine"
    assert all(word.startswith("medic") for word in lost.values())


def test_the_detector_reads_as_it_was_trained_whatever_words_the_rules_gain(tmp_path: Path) -> None:
    # "return them to the pharmacy" made "returned" read "return", and a farewell ("returned every book I borrowed
    # ... closing it all off") fell from crisis 1.00 to 0.85: the detector now reads with the lexicon saved beside it.
    text = "returned every book I borrowed and apologised to everyone I fell out with. closing it all off"
    before, after = safety_of(ROOT), safety_of(with_unless(tmp_path, "return them to the pharmacy"))
    assert after.reading(text, rules=True)[0][0] == "return"  # the rules read it in their new words
    assert after.reading(text) == before.reading(text)  # the detector as before
    assert after.check_all(text) == before.check_all(text)


def test_the_saved_lexicon_reads_back_as_written() -> None:
    from bot.lexicon import from_lines

    lexicon = safety_of(ROOT).lexicon
    fields = {line.split()[0]: tuple(line.split()[1:]) for line in lexicon.lines()}
    assert from_lines(fields) == lexicon
