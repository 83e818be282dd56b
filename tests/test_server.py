"""The kiosk HTTP API in process: every endpoint, every error, isolation, expiry, eviction, headers and privacy."""

from __future__ import annotations

import html
import json
import logging
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from serving import free_port, wait_until_serving
from starlette.testclient import TestClient

from bot import Bot, Reply, load_content
from bot.cli import main as cli
from bot.kiosk.app import create_app
from bot.sessions import SessionStore

CONTENT = load_content()
BOT = Bot(CONTENT)
QUESTION = {i.id: i.question for i in CONTENT.intents}
INTENT_OF = {q: i for i, q in QUESTION.items()}
CBT = QUESTION["therapy_cbt"]
CRISIS = "i want to kill myself"
REPLY_KEYS = {f.name for f in fields(Reply)}
WEB = Path(__file__).resolve().parent.parent / "bot" / "web"


def paragraphs(text: str) -> str:
    """What the API sends for wrapped content: paragraphs apart by blank lines, no line breaks inside them."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(BOT)) as c:
        yield c


def start(client: TestClient) -> str:
    r = client.post("/api/sessions")
    assert r.status_code == 201
    return str(r.json()["id"])


def say(client: TestClient, sid: str, text: str) -> dict:
    r = client.post(f"/api/sessions/{sid}/messages", json={"text": text})
    assert r.status_code == 200, r.text
    return dict(r.json())


# -- the page and the read-only endpoints -------------------------------------------------------------------

def test_page_shows_welcome_examples_crisis_line_and_disclaimer(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="en">' in page
    assert html.escape(BOT.disclaimer) in page
    assert re.sub(r"<[^>]+>", "", page).count(html.unescape(BOT.crisis_line)) >= 1
    for example in BOT.examples:
        assert f'data-ask="{html.escape(example)}"' in page
    assert 'data-idle-timeout="120"' in page and "{{" not in page


def test_page_and_assets_need_no_network_and_no_inline_code(client: TestClient) -> None:
    page = client.get("/").text
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert not re.search(r"<script[^>]*>\s*[^<\s]", page), "inline script would break the CSP"
    assert "<style" not in page and " style=" not in page
    for name, kind in (("app.js", "javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
        text = re.sub(r'xmlns="[^"]*"', "", r.text)  # an XML namespace is a name, not a request
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), f"{name} loads something remote"
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_healthz_info_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    data = client.get("/api/info").json()
    assert data["welcome"] == paragraphs(BOT.welcome) and data["disclaimer"] == paragraphs(BOT.disclaimer)
    assert data["crisis_line"] == BOT.crisis_line and data["examples"] == list(BOT.examples)
    assert data["idle_timeout"] == 120 and data["max_chars"] == 1000
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/healthz", "/api/info", "/api/sessions", "/api/sessions/{id}/messages",
                                  "/api/sessions/{id}/touch", "/api/sessions/{id}"}
    statuses = set(spec["paths"]["/api/sessions/{id}/messages"]["post"]["responses"])
    assert statuses == {"200", "400", "403", "404", "413", "415", "422"}
    assert set(spec["components"]["schemas"]["Reply"]["properties"]) == REPLY_KEYS


# -- sessions -------------------------------------------------------------------------------------------------

def test_session_ids_are_long_random_and_distinct(client: TestClient) -> None:
    ids = {start(client) for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", i) for i in ids)


def test_a_message_gets_the_full_reply(client: TestClient) -> None:
    sid = start(client)
    reply = say(client, sid, CBT)
    assert set(reply) == REPLY_KEYS
    assert reply["kind"] == "answer" and reply["intent"] == "therapy_cbt"
    assert reply["source_title"] and reply["disclaimer"] == BOT.disclaimer
    assert reply["suggestions"] and reply["escalation"] is None


def test_sessions_never_see_each_others_context(client: TestClient) -> None:
    a, b = start(client), start(client)
    first_a, first_b = say(client, a, CBT), say(client, b, QUESTION["combined_treatment"])
    # "1" picks the first suggestion of that session's own last reply, whatever the other session said.
    assert say(client, a, "1")["intent"] == INTENT_OF[first_a["suggestions"][0]]
    assert say(client, b, "1")["intent"] == INTENT_OF[first_b["suggestions"][0]]
    assert say(client, a, CRISIS)["escalation"] == "crisis"
    assert "988" in (say(client, a, CBT)["resources"] or ""), "crisis resources stay visible in that session"
    assert say(client, b, CBT)["resources"] is None, "and never appear in another patient's session"


def test_crisis_reply_has_the_numbers(client: TestClient) -> None:
    reply = say(client, start(client), CRISIS)
    assert reply["kind"] == "escalation" and reply["escalation"] == "crisis"
    assert "988" in reply["body"] and "911" in reply["body"]


def test_delete_ends_the_session(client: TestClient) -> None:
    sid = start(client)
    say(client, sid, CBT)
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    r = client.post(f"/api/sessions/{sid}/messages", json={"text": "1"})
    assert r.status_code == 404 and "POST /api/sessions" in r.json()["error"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def test_idle_sessions_expire() -> None:
    clock = Clock()
    app = create_app(Bot(CONTENT, clock=clock, idle_timeout=10))
    with TestClient(app) as client:
        kept, idle = start(client), start(client)
        for _ in range(3):  # each message restarts the idle clock
            clock.now += 8
            say(client, kept, CBT)
        r = client.post(f"/api/sessions/{idle}/messages", json={"text": CBT})
        assert r.status_code == 404, "idle for 24 s with a 10 s timeout"
        clock.now += 10.5
        assert client.post(f"/api/sessions/{kept}/messages", json={"text": CBT}).status_code == 404
        assert len(app.state.sessions) == 0, "expired sessions are dropped, not kept in memory"


def test_touch_keeps_a_reading_patient_session() -> None:
    clock = Clock()
    app = create_app(Bot(CONTENT, clock=clock, idle_timeout=10))
    with TestClient(app) as client:
        sid = start(client)
        say(client, sid, "what is cymbalta")
        for _ in range(3):  # reading and scrolling for 24 s with a 10 s timeout
            clock.now += 8
            assert client.post(f"/api/sessions/{sid}/touch").status_code == 204
        follow_up = say(client, sid, "what is it again")
        assert follow_up["intent"] == "medication_info" and "duloxetine" in follow_up["text"].lower()
        clock.now += 10.5
        r = client.post(f"/api/sessions/{sid}/touch")
        assert r.status_code == 404, "a touch does not bring an expired session back"
        assert client.post("/api/sessions/nope/touch").status_code == 404


def test_oldest_session_is_evicted_beyond_the_bound() -> None:
    with TestClient(create_app(BOT, max_sessions=3)) as client:
        a, b, c = start(client), start(client), start(client)
        say(client, a, CBT)  # a is now the most recently used
        d = start(client)
        assert client.post(f"/api/sessions/{b}/messages", json={"text": CBT}).status_code == 404
        for sid in (a, c, d):
            say(client, sid, CBT)


def test_store_is_thread_safe_and_bounded() -> None:
    store = SessionStore(BOT, max_sessions=50)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(200):
                sid = store.create()
                store.get(sid)
                store.end(sid) if len(sid) % 2 else None
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(store) <= 50


# -- errors ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"{", b"", b"{'text': 'hi'}", b"\xff\xfe\x00", b"[" * 5000 + b"]" * 5000])
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    r = client.post(f"/api/sessions/{start(client)}/messages", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


@pytest.mark.parametrize("payload", [{"text": 5}, {"text": None}, {"text": ["a"]}, {}, {"message": "hi"}, ["hi"],
                                     "hi", {"text": "x" * 1001}])
def test_missing_wrong_or_long_text_is_422(client: TestClient, payload: object) -> None:
    r = client.post(f"/api/sessions/{start(client)}/messages", json=payload)
    assert r.status_code == 422 and "text" in r.json()["error"]


def test_text_at_the_limit_is_answered(client: TestClient) -> None:
    reply = say(client, start(client), ("what is cbt " * 100)[:1000])
    assert reply["kind"] in ("answer", "clarify", "fallback") and reply["notice"] is None


def test_body_over_16_kb_is_413(client: TestClient) -> None:
    sid = start(client)
    big = b'{"text": "' + b"a" * (16 * 1024) + b'"}'
    json_type = {"content-type": "application/json"}
    assert client.post(f"/api/sessions/{sid}/messages", content=big, headers=json_type).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading too
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 1024
        yield b'"}'

    r = client.post(f"/api/sessions/{sid}/messages", content=chunks(), headers=json_type)
    assert r.status_code == 413 and "16 KB" in r.json()["error"]


def test_unknown_session_paths_and_methods_are_json_errors(client: TestClient) -> None:
    assert client.post("/api/sessions/not-a-session/messages", json={"text": "hi"}).status_code == 404
    assert client.delete("/api/sessions/not-a-session").status_code == 404
    for r in (client.get("/nowhere"), client.get("/static/missing.js")):
        assert r.status_code == 404 and r.json()["error"]
    r = client.get("/api/sessions")
    assert r.status_code == 405 and r.json()["error"]


def test_a_server_fault_is_a_json_500_without_details(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.dialogue import Session

    def broken(self: Session, text: object) -> Reply:
        raise RuntimeError("internal detail that must not reach the page")

    monkeypatch.setattr(Session, "send", broken)
    with TestClient(create_app(BOT), raise_server_exceptions=False) as client:
        r = client.post(f"/api/sessions/{start(client)}/messages", json={"text": "hello"})
    assert r.status_code == 500 and "internal detail" not in r.text and "Traceback" not in r.text
    assert r.json()["error"]


# -- headers and privacy ------------------------------------------------------------------------------------

def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    sid = start(client)
    responses = [client.get("/"), client.get("/static/app.js"), client.get("/api/info"), client.get("/nowhere"),
                 client.post(f"/api/sessions/{sid}/messages", json={"text": CBT}),
                 client.post(f"/api/sessions/{sid}/messages", content=b"{", headers={"content-type": "application/json"}),
                 client.delete(f"/api/sessions/{sid}")]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"
        assert "server" not in r.headers


def test_frame_ancestors_allow_only_the_given_origins() -> None:
    origins = ["https://portal.example.org", "https://*.clinic.example"]
    with TestClient(create_app(BOT, frame_ancestors=origins)) as client:
        r = client.get("/")
    assert "frame-ancestors https://portal.example.org https://*.clinic.example" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers
    for bad in ("portal.example.org; script-src *", "javascript:alert(1)", "*"):
        with pytest.raises(ValueError, match="not an origin"):
            create_app(BOT, frame_ancestors=[bad])


def test_other_hosts_and_sites_are_refused() -> None:
    with TestClient(create_app(BOT, allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1:8080") as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/", headers={"host": "rebound.example"})
        assert r.status_code == 400 and "Host" in r.json()["error"]
        r = c.post("/api/sessions", headers={"sec-fetch-site": "cross-site"})
        assert r.status_code == 403 and r.headers["cache-control"] == "no-store"
        assert c.post("/api/sessions", headers={"sec-fetch-site": "same-origin"}).status_code == 201


@pytest.mark.parametrize("method, path", [("POST", "/api/sessions"), ("POST", "/api/sessions/{sid}/messages"),
                                          ("POST", "/api/sessions/{sid}/touch"), ("DELETE", "/api/sessions/{sid}")])
@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver.evil.example", "null",
                                    "http://127.0.0.1:8080", "https://testserver:444"])
def test_writes_from_another_origin_are_403(client: TestClient, method: str, path: str, origin: str) -> None:
    sid = start(client)
    r = client.request(method, path.format(sid=sid), headers={"origin": origin}, json={"text": CBT})
    assert r.status_code == 403 and "other sites" in r.json()["error"]
    assert client.post(f"/api/sessions/{sid}/messages", json={"text": CBT}).status_code == 200, "still there"


@pytest.mark.parametrize("origin", [None, "http://testserver", "HTTP://TESTSERVER", "https://testserver",
                                    "http://testserver:80"])
def test_writes_from_the_kiosk_own_page_or_without_origin_are_allowed(client: TestClient, origin: str | None) -> None:
    headers = {"origin": origin} if origin else {}
    r = client.post("/api/sessions", headers=headers)
    assert r.status_code == 201
    sid = r.json()["id"]
    assert client.post(f"/api/sessions/{sid}/messages", json={"text": CBT}, headers=headers).status_code == 200
    assert client.delete(f"/api/sessions/{sid}", headers=headers).status_code == 204


def test_reads_from_another_origin_are_not_refused(client: TestClient) -> None:
    assert client.get("/api/info", headers={"origin": "https://evil.example"}).status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/jsonp", "text/json"])
def test_a_message_body_must_be_sent_as_json(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post(f"/api/sessions/{start(client)}/messages", content=b'{"text": "what is cbt"}', headers=headers)
    assert r.status_code == 415 and "application/json" in r.json()["error"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=UTF-8"])
def test_json_with_or_without_a_charset_is_accepted(client: TestClient, content_type: str) -> None:
    r = client.post(f"/api/sessions/{start(client)}/messages", content=b'{"text": "what is cbt"}',
                    headers={"content-type": content_type})
    assert r.status_code == 200 and r.json()["intent"] == "therapy_cbt"


def test_a_body_that_is_not_utf8_says_so(client: TestClient) -> None:
    r = client.post(f"/api/sessions/{start(client)}/messages", content=b'{"text": "caf\xe9"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"] and "not valid JSON" not in r.json()["error"]


def test_info_welcome_is_paragraphs_without_the_terminal_line_breaks(client: TestClient) -> None:
    data = client.get("/api/info").json()
    assert "\n" in BOT.welcome, "the content wraps its welcome for the terminal"
    for paragraph in data["welcome"].split("\n\n"):
        assert paragraph and "\n" not in paragraph
    assert " ".join(data["welcome"].split()) == " ".join(BOT.welcome.split())


def test_info_lists_the_topics_to_browse(client: TestClient) -> None:
    from bot.menu import topics
    data = client.get("/api/info").json()
    assert data["topics"] == [{"topic": t, "questions": list(q)} for t, q in topics(BOT).items()]
    assert "Hello" not in [q for t in data["topics"] for q in t["questions"]]


def test_logs_hold_no_patient_text_queries_or_session_ids(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "my neighbour Zebedee takes sertraline"
    sid = start(client)
    client.post(f"/api/sessions/{sid}/messages?note=Zebedee", json={"text": secret})
    client.post(f"/api/sessions/{sid}/messages", json={"text": 5, "extra": secret})
    client.get(f"/{secret}")
    # Everything the server side logged (the test client logs its own requests, which are not the server's).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "Zebedee" not in logged and sid not in logged
    assert "POST /api/sessions/{id}/messages 200" in logged, "the access log still says what happened"


def test_idle_timeout_belongs_to_the_bot() -> None:
    with TestClient(create_app(idle_timeout=30)) as client:
        assert client.get("/api/info").json()["idle_timeout"] == 30
    with pytest.raises(ValueError, match="Bot"):
        create_app(BOT, idle_timeout=30)


# -- the command ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--port", "70000"], "--port"), (["--idle-timeout", "0"], "--idle-timeout"), (["--region", "xx"], "region"),
    (["--frame-ancestors", "not an origin"], "not an origin"), (["--content", "/nonexistent"], "intents/"),
])
def test_serve_rejects_bad_options_clearly(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_busy_port_is_one_line_that_says_pass_port() -> None:
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(port)], capture_output=True,
                              text=True, timeout=60, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} is in use" in lines[0] and "--port" in lines[0], done.stderr
    assert "ERROR" not in done.stderr and "Traceback" not in done.stderr


def test_serve_command_runs_on_loopback_and_logs_nothing_private() -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        request = urllib.request.Request(f"{base}/api/sessions", method="POST")
        sid = json.load(urllib.request.urlopen(request))["id"]
        request = urllib.request.Request(f"{base}/api/sessions/{sid}/messages?q=Zebedee", method="POST",
                                         data=b'{"text": "does Zebedee need CBT"}',
                                         headers={"content-type": "application/json"})
        assert urllib.request.urlopen(request).status == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert "127.0.0.1" in err and "Zebedee" not in out + err and sid not in out + err
    assert "/api/sessions/{id}/messages 200" in err and "Traceback" not in err


def test_a_number_out_of_range_gets_the_sessions_one_reply_and_keeps_the_list(client: TestClient) -> None:
    sid = start(client)
    first = say(client, sid, CBT)
    n = len(first["suggestions"])
    wrong = say(client, sid, str(n + 4))
    assert wrong["kind"] == "clarify" and f"There is no question {n + 4} here" in wrong["body"]
    assert wrong["suggestions"] == first["suggestions"], "the list is kept, not replaced"
    assert say(client, sid, "1")["intent"] == INTENT_OF[first["suggestions"][0]]
