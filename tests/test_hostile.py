"""Hostile input: whatever arrives, every front end answers calmly and echoes nothing that could hurt a terminal."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import Bot, Reply
from bot.reply import HEARD

HERE = Path(__file__).resolve().parent
KINDS = {"answer", "clarify", "fallback", "escalation"}
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# In CI every run must see the same examples; locally each run explores new ones.
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=os.environ.get("CI") == "true",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def hostile() -> list[str]:
    """tests/data/hostile.txt decoded as its header describes."""
    out: list[str] = []
    for raw in (HERE / "data" / "hostile.txt").read_text(encoding="ascii").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        times = 1
        if raw.startswith("*"):
            count, _, raw = raw[1:].partition(" ")
            times = int(count)
        out.append(raw.encode("ascii").decode("unicode_escape") * times)
    return out


HOSTILE = hostile()


def unsafe(text: str) -> list[str]:
    """Characters that could move the cursor, change colours or reorder what follows on a screen."""
    return [f"U+{ord(c):04X}" for c in text
            if (unicodedata.category(c) in ("Cc", "Cs") and c != "\n") or c in BIDI]


def check_reply(reply: Any, bot: Bot) -> None:
    """What a patient would notice if it were wrong: a reply, with the disclaimer (help lines stand alone), and
    nothing garbled."""
    assert isinstance(reply, Reply)
    assert reply.kind in KINDS
    assert reply.body.strip() and reply.text.strip()
    assert reply.escalation in ("crisis", "emergency") or (reply.disclaimer and reply.disclaimer in reply.text)
    assert 0.0 <= reply.confidence <= 1.0
    assert (reply.escalation is not None) == (reply.kind == "escalation")
    # A statement met with an acknowledgement is the one designed reply whose intent no content answers (HEARD).
    assert reply.intent is None or reply.intent in bot.content.answers or (reply.intent == HEARD and reply.kind == "fallback")
    assert reply.kind != "answer" or reply.intent is not None
    assert isinstance(reply.suggestions, tuple) and all(isinstance(s, str) for s in reply.suggestions)
    if reply.notice is not None:
        assert reply.notice in reply.text
    data = reply.to_dict()
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # would fail on a lone surrogate
    for key, value in data.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                assert not unsafe(text), f"{key} holds {unsafe(text)[:5]}"


# -- strategies --------------------------------------------------------------------------------------

NASTY = ["\x00", "\x1b", "\x1b[", "31m", "\x1b]0;", "\x9b", "\x07", "\x08", "\r", "\n", "\t", "\x7f", "\x85",
         "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\ud800", "\udfff", "\U0001f600", "\U0001f48a",
         "\u0336", "\ufdfa", "\uffff", "\u2028", " ", "?", "1", "2", "it", "what about", "cymbalta", "stop"]
QUESTIONS = ["what is cbt?", "how do antidepressants work", "what is cymbalta", "can therapy help with pain",
             "what about for migraines?", "1", "2", "how long does that take?"]
# Single code points of any kind (surrogates drawn on purpose: the default leaves them out), and nasty pieces.
pieces = st.one_of(st.characters(codec=None, exclude_categories=[]), st.characters(categories=["Cs"]),
                   st.sampled_from(NASTY))


def junk(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.lists(pieces, min_size=min_size, max_size=max_size).map("".join)


short = junk(300)
spliced = st.builds(lambda q, bad, at: q[:at] + bad + q[at:], st.sampled_from(QUESTIONS), junk(20), st.integers(0, 40))
# Hypothesis draws small strings; long ones are a drawn chunk repeated up to a drawn length (up to 100 KB).
long = st.builds(lambda chunk, n: (chunk * (n // len(chunk) + 1))[:n], junk(40, 1), st.integers(900, 100_000))
messages = st.one_of(short, spliced, long, st.sampled_from(HOSTILE), st.sampled_from(QUESTIONS))


@pytest.fixture(scope="module")
def bot(shared_bot: Bot) -> Bot:
    return shared_bot


# -- the Python API ----------------------------------------------------------------------------------

@FUZZ
@given(text=messages)
def test_send_never_raises_and_always_replies(bot: Bot, text: str) -> None:
    check_reply(bot.session().send(text), bot)


@FUZZ
@given(texts=st.lists(messages, min_size=2, max_size=6))
@example(texts=["", "IÀ" * 450])  # read as "i i i ...", a statement: met with an acknowledgement (found by hypothesis)
def test_a_whole_hostile_conversation(bot: Bot, texts: list[str]) -> None:
    session = bot.session()
    for text in texts:
        check_reply(session.send(text), bot)


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:30]) for t in HOSTILE])
def test_every_listed_input_gets_a_valid_reply(bot: Bot, text: str) -> None:
    check_reply(bot.session().send(text), bot)


@FUZZ
@given(text=long)
def test_input_over_the_limit_is_shortened_with_a_note(bot: Bot, text: str) -> None:
    reply = bot.session().send(text)
    if len(text) > bot.settings.max_chars:
        assert reply.notice and reply.notice in reply.text


def test_a_long_message_still_gets_its_answer(bot: Bot) -> None:
    question = "what is cbt?"
    want = bot.reply(question)
    reply = bot.reply(question + " " * 5000)  # e.g. a paste with trailing blanks
    assert reply.notice and reply.notice in reply.text
    assert (reply.kind, reply.intent) == (want.kind, want.intent)


def _longest(kind: str, rng: random.Random) -> str:
    """100 KB of one kind of nasty text; each call differs, so no cache makes a repeat look fast."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "new words":      # every word unknown: each one is spell-corrected against the vocabulary
        unit = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(5, 12))) for _ in range(40))
    elif kind == "topic words":  # every word known: the most matching work
        unit = " ".join(rng.sample(["antidepressants", "duloxetine", "amitriptyline", "migraine", "therapy", "pain", "depression", "cymbalta", "zoloft", "side", "effects", "how", "long", "work", "stop", "dose"], 12))
    elif kind == "safety words":  # words the escalation rules look for, with no sentence breaks
        unit = " ".join(rng.sample(["i", "want", "to", "stop", "my", "meds", "take", "more", "pills", "tonight", "overdose", "hurt", "myself", "dose", "double", "skip"], 12))
    elif kind == "run together":  # invisible joiners make one 80,000-letter word for the run-together splitter
        unit = rng.choice(["stop", "it", "pills", "kill"]) + "\u200b"
    elif kind == "expanding":    # NFKC turns each of these into 18 characters
        unit = "\ufdfa" * rng.randint(1, 9) + " "
    else:                         # escapes and emoji
        unit = "".join(rng.choice(["\x1b[31m", "\U0001f48a", "\u202e", "\x00", "\ud800", "a "]) for _ in range(50))
    return (unit * (100_000 // len(unit) + 1))[:100_000]


@pytest.mark.parametrize("kind", ["new words", "topic words", "safety words", "run together", "expanding",
                                  "escapes"])
def test_the_longest_input_gets_a_clear_reply(bot: Bot, kind: str) -> None:
    # How long it takes is a figure for `psychoed bench` (a 20,000-character message), not a timed test.
    text = _longest(kind, random.Random(kind))
    check_reply(bot.session().send(text), bot)


# -- the front ends: the hostile list through each ---------------------------------------------------

def _run(args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    # The patient's view: no debug switch, no forced colour settings, a UTF-8 locale.
    env = {k: v for k, v in os.environ.items() if k not in ("PSYCHOED_DEBUG", "NO_COLOR", "PYTHONIOENCODING")}
    env["LC_ALL"] = "C.UTF-8"
    return subprocess.run([sys.executable, "-m", "bot", *args], input=data, capture_output=True, env=env,
                          cwd=HERE.parent, timeout=600, check=False)


def _calm(done: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out + err and "unexpected error" not in err, err[-2000:]
    assert done.returncode == 0, err[-2000:]
    assert not unsafe(out.replace("\r\n", "\n")), f"echoed {unsafe(out)[:10]}"
    return out, err


def _lines() -> bytes:
    # Lone surrogates go out as the invalid UTF-8 a broken client would really send.
    return "".join(f"{t}\n" for t in HOSTILE).encode("utf-8", "surrogatepass")


def test_plain_mode_survives_the_list(bot: Bot) -> None:
    out, _ = _calm(_run(["--plain"], _lines()))
    # Chat commands ("/why") and bare numbers get the chat's own short answers; every other line a reply.
    messages = [t for t in HOSTILE if not t.startswith("/") and not t.strip().isdigit()]
    # Every reply that carries the disclaimer shows it (crisis and emergency replies carry none: the help is the text).
    carrying = sum(1 for t in messages if bot.session().send(t).disclaimer)
    assert carrying >= len(messages) // 2
    assert out.count(bot.disclaimer.split(".")[0]) >= carrying


def test_json_mode_survives_the_list() -> None:
    out, _ = _calm(_run(["--plain", "--json"], _lines()))
    replies = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(replies) >= len(HOSTILE)
    for reply in replies:
        assert reply["kind"] in KINDS and (reply["disclaimer"] or reply["escalation"] in ("crisis", "emergency"))
        assert not unsafe(json.dumps(reply, ensure_ascii=False)), reply["text"][:200]


def test_stdio_protocol_survives_the_list() -> None:
    lines = [json.dumps({"session": "s1", "text": t}) for t in HOSTILE]
    lines += [t for t in HOSTILE if t.strip() and "\n" not in t][:20]  # not JSON at all
    lines += ['{"session": 5, "text": "hi"}', "[]", '{"session": "s1", "text": 12}', '{"session": "s1"}']
    data = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogatepass") + b"\xff\xfe\n"
    out, _ = _calm(_run(["serve", "--stdio"], data))
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == len(lines) + 1  # one answer or error object per line, and it kept going
    for obj in objects:
        assert isinstance(obj, dict) and ("error" in obj or obj.get("kind") in KINDS), obj
        assert not unsafe(json.dumps(obj, ensure_ascii=False))


def test_http_api_survives_the_list(bot: Bot) -> None:
    from starlette.testclient import TestClient

    from bot.kiosk.app import create_app
    with TestClient(create_app(bot)) as client:
        sid = client.post("/api/sessions").json()["id"]
        for text in HOSTILE:
            # Encoded here so a lone surrogate travels as the JSON escape \ud800, as a browser would send it.
            body = json.dumps({"text": text}).encode("ascii")
            res = client.post(f"/api/sessions/{sid}/messages", content=body,
                              headers={"content-type": "application/json"})
            assert res.status_code in (200, 413, 422), (res.status_code, res.text[:300])
            data = res.json()
            assert not unsafe(json.dumps(data, ensure_ascii=False))
            if res.status_code == 200:
                assert data["kind"] in KINDS and (data["disclaimer"] or data["escalation"] in ("crisis", "emergency"))
            else:
                assert data["error"]
        for raw in (b"\xff\xfe", b'{"text": "\xed\xa0\x80"}', b"{", b"[]", b'{"text": null}', b"\x00" * 100):
            res = client.post(f"/api/sessions/{sid}/messages", content=raw,
                              headers={"content-type": "application/json"})
            # Refused, or (for a body json.loads can still read) answered: never a server error.
            assert res.status_code in (200, 400, 422), (raw, res.status_code, res.text[:300])
            assert res.status_code != 200 or res.json()["kind"] in KINDS
        for path in ("/api/sessions/..%2F..%2Fetc/messages", "/api/sessions/%1b%5B2J/messages",
                     "/api/sessions/" + "x" * 5000 + "/messages"):
            res = client.post(path, json={"text": "what is cbt"})
            assert res.status_code == 404 and "Traceback" not in res.text, (path[:60], res.status_code)
