"""`psychoed serve`: the kiosk page and its JSON API (Starlette on uvicorn), or JSON lines with --stdio.

Starlette and uvicorn are imported inside functions, so `--stdio` and the terminal chat never load them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content import load_content
from ..dialogue import Bot
from ..errors import ConfigError
from ..menu import topics
from ..sessions import SessionStore
from .guard import Guard, security_headers
from .openapi import openapi
from .payloads import info, max_chars, paragraphs, text_problem

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

WEB = Path(__file__).with_name("web")
MAX_BODY = 16 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
PHONE = re.compile(r"\d[\d -]*\d")


class ApiError(Exception):
    """A request the API refuses, with the status and the message the client gets as JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def phones(bot: Bot) -> list[str]:
    """The region's help numbers as written in its help lines ("988", "1-800-222-1222", "116 123"), longest first."""
    found = {m.group() for value in bot.lines.values() for m in PHONE.finditer(value)
             if sum(c.isdigit() for c in m.group()) >= 3}
    return sorted(found, key=len, reverse=True)


def _with_numbers(text: str, numbers: Sequence[str]) -> str:
    """Escaped HTML with each help number as a tap-to-call link in large type: <a class="num" href="tel:988">."""
    if not numbers:
        return escape(text)
    pattern = re.compile(r"(?<![\d-])(" + "|".join(re.escape(n) for n in numbers) + r")(?![\d-])")
    out, last = [], 0
    for match in pattern.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        out += [escape(text[last:match.start()]), f'<a class="num" href="tel:{digits}">{escape(match.group())}</a>']
        last = match.end()
    return "".join(out) + escape(text[last:])


def _choice(question: str) -> str:
    return f'<button type="button" class="choice" data-ask="{escape(question)}">{escape(question)}</button>'


def render_page(bot: Bot) -> bytes:
    """index.html with the welcome, examples, crisis line, disclaimer and topics filled in, so they show even
    without script."""
    numbers = phones(bot)
    # Single line breaks in content are only wrapping; blank lines separate paragraphs.
    welcome = "".join(f"<p>{_with_numbers(p, numbers)}</p>" for p in paragraphs(bot.welcome).split("\n\n"))
    topic_list = "".join(
        f'<section class="topic" data-topic="{escape(name)}"><h3>{escape(name)}</h3>'
        f'<div class="choices">{"".join(_choice(q) for q in questions)}</div></section>'
        for name, questions in topics(bot).items())
    fields = {
        "idle_timeout": f"{bot.idle_timeout:g}",
        "max_chars": str(max_chars(bot)),
        "phones": escape("|".join(numbers)),
        "crisis_line": _with_numbers(bot.crisis_line, numbers),
        "welcome": welcome,
        "examples": "".join(_choice(q) for q in bot.examples),
        "disclaimer": escape(paragraphs(bot.disclaimer)),
        "topics": topic_list,
    }
    page = (WEB / "index.html").read_text("utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], page).encode("utf-8")


async def read_json(request: Request) -> Any:
    """The request body as JSON (Content-Type application/json, UTF-8), at most MAX_BODY bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, 'send the message as JSON, with the header Content-Type: application/json; '
                            'for example {"text": "your question"}')
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not valid UTF-8; send JSON encoded as UTF-8") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(400, 'the body is not valid JSON; send {"text": "your question"}') from None


def create_app(bot: Bot | None = None, *, idle_timeout: float | None = None, max_sessions: int = 1000,
               frame_ancestors: Sequence[str] = (), allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The kiosk web app: the page at /, the JSON API under /api, /healthz and /openapi.json."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    if bot is None:
        bot = Bot(idle_timeout=idle_timeout)
    elif idle_timeout is not None and idle_timeout != bot.idle_timeout:
        raise ValueError("idle_timeout belongs to the Bot: pass Bot(idle_timeout=...) instead")
    headers = security_headers(frame_ancestors)
    store = SessionStore(bot, max_sessions=max_sessions)
    page = render_page(bot)
    spec = openapi(bot)

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def api_info(request: Request) -> Response:
        return JSONResponse(info(bot))

    async def api_openapi(request: Request) -> Response:
        return JSONResponse(spec)

    async def start(request: Request) -> Response:
        return JSONResponse({"id": store.create(), "idle_timeout": bot.idle_timeout}, 201)

    async def message(request: Request) -> Response:
        data = await read_json(request)
        if not isinstance(data, dict) or "text" not in data:
            raise ApiError(422, 'send a JSON object with a "text" field: {"text": "your question"}')
        problem = text_problem(bot, data["text"])
        if problem is not None:
            raise ApiError(422, problem)
        session = store.get(request.path_params["id"])
        if session is None:
            raise ApiError(404, "no such session: it ended or expired; start a new one with POST /api/sessions")
        # Matching is CPU work; a worker thread keeps the event loop answering other kiosks meanwhile.
        reply = await run_in_threadpool(session.send, data["text"])
        return JSONResponse(reply.to_dict())

    async def touch(request: Request) -> Response:
        # A patient reading or scrolling is still there: keep their conversation without a message.
        session = store.get(request.path_params["id"])
        if session is None:
            raise ApiError(404, "no such session: it ended or expired; start a new one with POST /api/sessions")
        session.touch()
        return Response(status_code=204)

    async def end(request: Request) -> Response:
        if not store.end(request.path_params["id"]):
            raise ApiError(404, "no such session: it already ended or expired")
        return Response(status_code=204)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse({"error": exc.message}, exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "something went wrong on the kiosk server; please try again"}, 500)

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/openapi.json", api_openapi),
        Route("/api/info", api_info),
        Route("/api/sessions", start, methods=["POST"]),
        Route("/api/sessions/{id}/messages", message, methods=["POST"]),
        Route("/api/sessions/{id}/touch", touch, methods=["POST"]),
        Route("/api/sessions/{id}", end, methods=["DELETE"]),
        Mount("/static", StaticFiles(directory=WEB), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, headers=headers, allowed_hosts=allowed_hosts,
                               files=[f"/static/{f.name}" for f in WEB.iterdir()])],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
    )
    app.state.sessions = store
    app.state.bot = bot
    return app


def uvicorn_config(app: Starlette, host: str, port: int) -> Any:
    """uvicorn settings for the kiosk: our own access log (uvicorn's would log query strings), no server header."""
    import uvicorn
    return uvicorn.Config(app, host=host, port=port, access_log=False, server_header=False, proxy_headers=False,
                          log_config=None, lifespan="off", ws="none", timeout_graceful_shutdown=5)


@contextlib.contextmanager
def running(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve app on a background thread (port 0 picks a free one); yields the base URL."""
    import uvicorn
    server = uvicorn.Server(uvicorn_config(app, host, port))
    thread = threading.Thread(target=server.run, name="psychoed-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the kiosk server did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://[{host}]:{bound}" if ":" in host else f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(10)


def serve(*, host: str = "127.0.0.1", port: int = 8080, content: str | None = None, region: str | None = None,
          idle_timeout: float | None = None, max_sessions: int = 1000, frame_ancestors: Sequence[str] = (),
          stdio: bool = False) -> int:
    """`psychoed serve`: the kiosk over HTTP until stopped, or JSON lines on stdio until stdin closes."""
    bot = Bot(load_content(content) if content else None, region=region, idle_timeout=idle_timeout)
    if stdio:
        from .stdio import run
        return run(bot, max_sessions=max_sessions)
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise ConfigError("the web server needs starlette and uvicorn: pip install starlette uvicorn") from None
    name = host.lower()
    wildcard = name in ("0.0.0.0", "::", "")
    allowed = None if wildcard else [*LOOPBACK, name]
    try:
        app = create_app(bot, max_sessions=max_sessions, frame_ancestors=frame_ancestors, allowed_hosts=allowed)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    sock = listen(host, port)  # before uvicorn, so a busy port is one clear line rather than its log and exit 3
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if name not in LOOPBACK:
        print(f"psychoed serve: listening on {host}: other machines on the network can reach this kiosk",
              file=sys.stderr)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"psychoed serve: the kiosk is at http://{shown}:{bound}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn_config(app, host, port)).run(sockets=[sock])
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or a ConfigError that says what to do (a busy port: pass --port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host!r}: {exc.strerror}; pass --host with this machine's address") \
            from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart at once after a stop
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} is in use (another psychoed serve, or another program); "
                              f"pass --port with a free one, e.g. --port {port + 1 if port < 65535 else 8080}") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(f"no permission to listen on port {port}; pass --port 1024 or above") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
