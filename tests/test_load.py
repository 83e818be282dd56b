"""A bounded load test on loopback: 50 patients at once, 20 messages each, against `psychoed serve` (uvicorn)."""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from serving import free_port, wait_until_serving

from bot import Bot

SESSIONS, MESSAGES = 50, 20
CRISIS = "i want to kill myself"
BOT = Bot()
QUESTION = {i.id: i.question for i in BOT.content.intents}
INTENT_OF = {q: i for i, q in QUESTION.items()}
# Questions that answer themselves and offer follow-ups, so "1" has something to pick (robust to matcher tuning),
# in a crisis too ("I won't act on it" after a crisis is a crisis turn of its own).
HELP_LINES = {a.intent for a in BOT.content.answers.values() if a.help_lines}


def _after_crisis(question: str) -> str | None:
    session = BOT.session()
    session.send(CRISIS)
    return session.send(question).intent


POOL = [i for i, q in QUESTION.items() if (r := BOT.reply(q)).intent == i and r.suggestions and _after_crisis(q) == i]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    # The server's log goes to a file: an unread pipe would fill up and stall the server mid-test.
    log = tmp_path_factory.mktemp("load") / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=sink, text=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert "Traceback" not in text and " 500 " not in text, text[-2000:]


def patient(port: int, n: int, start: threading.Barrier, latencies: list[float], problems: list[str]) -> None:
    """One patient's conversation, checking every reply belongs to this conversation and no other."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        began = time.perf_counter()
        conn.request(method, path, body=data, headers={"content-type": "application/json"} if data else {})
        response = conn.getresponse()
        raw = response.read()
        latencies.append(time.perf_counter() - began)
        return response.status, json.loads(raw) if raw else None

    try:
        status, created = call("POST", "/api/sessions")
        sid = created["id"]
        start.wait()
        in_crisis = n % 10 == 0        # every tenth patient says something alarming first
        previous: dict[str, Any] | None = None
        for k in range(MESSAGES):
            if in_crisis and k == 0:
                text, expected = CRISIS, None
            elif previous is not None and previous["suggestions"] and k % 2 == 0:
                text, expected = "1", INTENT_OF[previous["suggestions"][0]]   # needs this session's context
            else:
                expected = POOL[(n + k) % len(POOL)]
                text = QUESTION[expected]
            status, reply = call("POST", f"/api/sessions/{sid}/messages", {"text": text})
            if status != 200:
                problems.append(f"patient {n} message {k}: HTTP {status} {reply}")
                return
            if expected is not None and reply["intent"] != expected:
                problems.append(f"patient {n} message {k}: {text!r} answered {reply['intent']}, wanted {expected}")
            if text == CRISIS and reply["escalation"] != "crisis":
                problems.append(f"patient {n}: crisis not recognised")
            # Replies to distress ("I feel so alone") show the crisis line of their own (help_lines); others only in a crisis.
            own = reply["intent"] in HELP_LINES
            if k > 0 and (bool(reply["resources"]) != in_crisis) and not (own and reply["resources"]):
                problems.append(f"patient {n} message {k}: crisis resources {'missing' if in_crisis else 'leaked'}")
            previous = reply
        status, _ = call("DELETE", f"/api/sessions/{sid}")
        if status != 204:
            problems.append(f"patient {n}: DELETE gave {status}")
    except Exception as error:  # noqa: BLE001 - a failed patient is reported, not lost in a thread
        problems.append(f"patient {n}: {type(error).__name__}: {error}")
    finally:
        conn.close()


def test_fifty_patients_at_once(server: int) -> None:
    latencies: list[float] = []
    problems: list[str] = []
    start = threading.Barrier(SESSIONS)
    threads = [threading.Thread(target=patient, args=(server, n, start, latencies, problems)) for n in range(SESSIONS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - began
    assert not problems, "\n".join(problems[:20])
    assert len(latencies) == SESSIONS * (MESSAGES + 2)
    ms = sorted(x * 1000 for x in latencies)
    p50, p99 = statistics.median(ms), ms[int(len(ms) * 0.99) - 1]
    print(f"\nload: {SESSIONS} sessions x {MESSAGES} messages, {len(ms)} requests in {elapsed:.1f} s "
          f"({len(ms) / elapsed:.0f}/s): p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
    assert p99 < 5000, "a patient would wait more than 5 s for a reply"
