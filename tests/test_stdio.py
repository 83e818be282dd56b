"""`psychoed serve --stdio` as a host program sees it: a real child process speaking JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bot import load_content

CONTENT = load_content()
QUESTION = {i.id: i.question for i in CONTENT.intents}
INTENT_OF = {q: i for i, q in QUESTION.items()}
CBT = QUESTION["therapy_cbt"]
COMMAND = [sys.executable, "-m", "bot", "serve", "--stdio"]


def converse(*lines: str | bytes) -> tuple[list[dict[str, Any]], str]:
    """Send all lines, close stdin, and return the parsed output lines and stderr."""
    data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    done = subprocess.run(COMMAND, input=data, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    out = [json.loads(line) for line in done.stdout.decode("ascii").splitlines()]
    return out, done.stderr.decode()


def msg(session: str, text: Any) -> str:
    return json.dumps({"session": session, "text": text})


def test_one_reply_per_line_in_order_with_the_session_named() -> None:
    out, err = converse(msg("a", CBT), msg("b", "i want to kill myself"))
    assert [o["session"] for o in out] == ["a", "b"]
    assert out[0]["kind"] == "answer" and out[0]["intent"] == "therapy_cbt" and out[0]["source_title"]
    assert out[1]["escalation"] == "crisis" and "988" in out[1]["body"]
    assert err == ""


def test_sessions_are_isolated_and_reset_forgets() -> None:
    out, _ = converse(msg("a", CBT), msg("b", QUESTION["combined_treatment"]), msg("a", "1"), msg("b", "1"),
                      json.dumps({"session": "a", "reset": True}), msg("a", "1"))
    first_a, first_b, pick_a, pick_b, reset, after = out
    assert pick_a["intent"] == INTENT_OF[first_a["suggestions"][0]]
    assert pick_b["intent"] == INTENT_OF[first_b["suggestions"][0]]
    assert reset == {"session": "a", "reset": True}
    assert after["intent"] != pick_a["intent"] and after["kind"] != "answer", "after a reset, '1' picks nothing"


def test_bad_lines_get_an_error_and_the_process_keeps_going() -> None:
    out, err = converse(
        "this is not json",
        b'{"session": "a", "text": "caf\xe9"}',              # not UTF-8
        "[1, 2]",
        json.dumps({"text": "no session"}),
        json.dumps({"session": "", "text": "empty id"}),
        json.dumps({"session": "a"}),
        msg("a", 42),
        msg("a", "x" * 1001),
        json.dumps({"session": "a", "reset": True, "text": "both"}),
        "",                                                   # blank lines are skipped, not answered
        "x" * 20000,                                          # over 16 KB
        msg("a", CBT),
    )
    assert len(out) == 11
    *errors, last = out
    assert all(set(e) == {"error", "session"} and e["error"] for e in errors)
    assert [e["session"] for e in errors] == [None, None, None, None, None, "a", "a", "a", "a", None]
    assert "1000" in errors[7]["error"] and "16 KB" in errors[9]["error"]
    assert "UTF-8" in errors[1]["error"] and "JSON object" not in errors[1]["error"]
    assert last["intent"] == "therapy_cbt"
    assert "Traceback" not in err


def test_info_gives_what_a_host_shows_first() -> None:
    out, _ = converse(json.dumps({"info": True}))
    info = out[0]["info"]
    assert info["disclaimer"] and info["crisis_line"] and info["examples"] and info["welcome"]
    assert info["idle_timeout"] == 120 and info["max_chars"] == 1000


def test_replies_arrive_line_by_line_while_stdin_stays_open() -> None:
    proc = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin and proc.stdout
    try:
        for text in (CBT, "1"):
            proc.stdin.write(msg("kiosk-1", text) + "\n")
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline())  # a host waits for each reply before the next message
            assert reply["session"] == "kiosk-1" and reply["kind"] == "answer"
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0


def test_nothing_the_patient_typed_reaches_stderr() -> None:
    secret = "Zebedee took sertraline"
    _, err = converse(msg("a", secret), "{broken " + secret, msg("a", 5))
    assert "Zebedee" not in err


def test_stdio_does_not_load_the_web_server() -> None:
    probe = ("import sys, io; sys.stdin = io.TextIOWrapper(io.BytesIO(b''));"
             " from bot.cli import main; main(['serve', '--stdio']);"
             " print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_number_out_of_range_gets_the_sessions_one_reply_and_keeps_the_list() -> None:
    out, _ = converse(msg("a", CBT), msg("a", "7"), msg("a", "1"))
    first, wrong, picked = out
    assert wrong["kind"] == "clarify" and "There is no question 7 here" in wrong["body"]
    assert wrong["suggestions"] == first["suggestions"]
    assert picked["intent"] == INTENT_OF[first["suggestions"][0]]
