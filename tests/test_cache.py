"""The start-up cache: same answers with or without it, and a damaged cache is rebuilt, not trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Bot, load_content

QUESTIONS = ["what is cymbalta", "my doctor mentioned CBT, what even is that", "how much does zoloft cost", "migraine"]


def answers(bot: Bot) -> list[tuple[str, str | None, float]]:
    return [(r.kind, r.intent, r.confidence) for r in map(bot.reply, QUESTIONS)]


def test_cached_start_gives_the_same_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", str(tmp_path))
    built = answers(Bot(load_content()))
    assert list(tmp_path.glob("*.marshal")), "the first start should save its index"
    assert answers(Bot(load_content())) == built


def test_damaged_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", str(tmp_path))
    built = answers(Bot(load_content()))
    for file in tmp_path.glob("*.marshal"):
        file.write_bytes(b"\x00not marshal data")
    assert answers(Bot(load_content())) == built


def test_cache_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    Bot(load_content()).reply("what is cbt")
    assert not list(tmp_path.rglob("*"))


def test_patient_text_never_reaches_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", str(tmp_path))
    bot = Bot(load_content())
    bot.reply("zqxjv my secret words about my ykwplor")  # made-up words: no content file has them
    Bot(load_content())
    assert list(tmp_path.glob("*.marshal")), "the cache was written"
    for file in tmp_path.glob("*"):
        assert b"zqxjv" not in file.read_bytes() and b"ykwplor" not in file.read_bytes()


def test_old_cache_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import cache
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", str(tmp_path))
    for version in range(cache.KEEP + 4):
        cache.save_state(cache.state_key("matcher", version), {"v": version})
    cache.save_state(cache.state_key("known-words", 0), {"v": 0})
    assert len(list(tmp_path.glob("matcher-*.marshal"))) == cache.KEEP
    assert len(list(tmp_path.glob("known-words-*.marshal"))) == 1


def test_saved_state_reads_back_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal values are stored once; the numbers' types and signs survive the sharing."""
    from bot import cache
    monkeypatch.setenv("PSYCHOED_CACHE_DIR", str(tmp_path))
    state = {"pain": [0.0, -0.0, 1, 1.0, True], "index": {"pain": ("pain", 0.5, 0.5)}}
    cache.save_state("shared-0", state)
    back = cache.load_state("shared-0")
    assert back == state and [(type(v), str(v)) for v in back["pain"]] == [(type(v), str(v)) for v in state["pain"]]
    assert back["index"]["pain"][0] is next(iter(back["index"]))  # one string, not two copies
