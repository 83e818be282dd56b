"""Around every response of the kiosk server: security headers, a Host check and an access log that keeps no secrets."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

ORIGIN = re.compile(r"'self'|https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?")
SESSION_PATH = re.compile(r"/api/sessions/[^/]+(/messages)?")
KNOWN_PATHS = frozenset({"/", "/healthz", "/openapi.json", "/api/info", "/api/sessions"})
access_log = logging.getLogger("psychoed.access")


def security_headers(frame_ancestors: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """Headers for every response; frames are refused unless the origins are listed."""
    for origin in frame_ancestors:
        if not ORIGIN.fullmatch(origin):
            raise ValueError(f"--frame-ancestors: {origin!r} is not an origin like https://portal.example.org")
    ancestors = " ".join(frame_ancestors) or "'none'"
    csp = f"default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        # A kiosk is shared: nothing a patient saw may come back from a cache for the next one.
        "cache-control": "no-store",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if not frame_ancestors:
        headers["x-frame-options"] = "DENY"  # for browsers that predate frame-ancestors
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def same_origin(origin: bytes, host: str) -> bool:
    """Whether an Origin header names the site this request was sent to (its Host header, port included).

    "null" (a sandboxed frame, a file: page) is never the same origin. The scheme is not compared, so a kiosk
    behind a TLS proxy (https outside, http here) still recognises its own page.
    """
    text = origin.decode("latin-1").strip().lower()
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("http", "https") or not host:
        return False
    netloc = rest.split("/", 1)[0]
    default = {"http": ":80", "https": ":443"}[scheme]
    return netloc.removesuffix(default) == host.removesuffix(default)


class Guard:
    """ASGI middleware: security headers, a host check, and an access log with no bodies, queries or ids."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]], allowed_hosts: Sequence[str] | None,
                 files: Sequence[str] = ()) -> None:
        self.app = app
        self.headers = headers
        self.names = {name for name, _ in headers}
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
        self.files = KNOWN_PATHS | set(files)  # paths safe to log as they are

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                from starlette.responses import JSONResponse
                await JSONResponse({"error": refusal[1]}, refusal[0])(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %.1fms", scope["method"], self._log_path(scope["path"]), status, ms)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        name = host[: host.find("]") + 1] if host.startswith("[") else host.rsplit(":", 1)[0]
        # A page elsewhere that rebinds its DNS name to 127.0.0.1 would otherwise count as same-origin.
        if self.allowed_hosts is not None and name not in self.allowed_hosts:
            return 400, "unknown Host header; open the kiosk at its local address"
        # Other sites must not be able to start or end sessions (and so evict a patient's session), nor send
        # messages. Browsers say where a request comes from in Sec-Fetch-Site and, for every cross-origin write,
        # in Origin: a request without either did not come from a page on another site.
        if scope["method"] in ("POST", "DELETE", "PUT", "PATCH"):
            site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
            origin = headers.get(b"origin")
            if site in ("cross-site", "same-site") or (origin is not None and not same_origin(origin, host)):
                return 403, "requests from other sites are refused"
        return None

    def _log_path(self, path: str) -> str:
        # Session ids are bearer tokens and unknown paths may hold anything a person typed, so neither is logged.
        if SESSION_PATH.fullmatch(path):
            return "/api/sessions/{id}" + ("/messages" if path.endswith("/messages") else "")
        if path in self.files:
            return path
        return "(other path)"


