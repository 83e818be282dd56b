"""`psychoed serve --stdio`: JSON lines for a host program that runs the bot as a child process.

In, one JSON object per line:
    {"session": "kiosk-1", "text": "what is cbt?"}    a message; the host names its sessions
    {"session": "kiosk-1", "reset": true}             forget that session's context now
    {"info": true}                                    welcome, examples, disclaimer, crisis line, limits
Out, one JSON object per line, in order: the reply (Reply.to_dict() plus "session"), {"session": ..., "reset": true},
{"info": {...}}, or {"error": "...", "session": ...} for a line that could not be used. Blank lines are ignored.
Nothing else is ever written to stdout, and nothing a patient typed is written anywhere else.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

from ..dialogue import Bot
from ..sessions import SessionStore
from .payloads import info, text_problem

MAX_LINE = 16 * 1024
MAX_ID = 200


def handle(store: SessionStore, line: bytes) -> dict[str, Any]:
    """The one object to write back for one input line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return {"error": "the line is not valid UTF-8; send JSON encoded as UTF-8", "session": None}
    try:
        request = json.loads(text)
    except (ValueError, RecursionError):
        return {"error": 'not a JSON object; send {"session": "...", "text": "..."} on one line', "session": None}
    if not isinstance(request, dict):
        return {"error": 'each line must be a JSON object like {"session": "...", "text": "..."}', "session": None}
    if request.get("info") is True:
        return {"info": info(store.bot)}
    sid = request.get("session")
    if not isinstance(sid, str) or not sid or len(sid) > MAX_ID:
        return {"error": f'"session" must be a string of 1 to {MAX_ID} characters naming the patient\'s session',
                "session": None}
    if request.get("reset") is True:
        if "text" in request:
            return {"error": 'send "reset" and "text" on separate lines', "session": sid}
        store.end(sid)
        return {"session": sid, "reset": True}
    if "text" not in request:
        return {"error": 'a line needs "text" (a message) or "reset": true', "session": sid}
    problem = text_problem(store.bot, request["text"])
    if problem is not None:
        return {"error": problem, "session": sid}
    reply = store.open(sid).send(request["text"])
    return {"session": sid, **reply.to_dict()}


def run(bot: Bot, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None, *, max_sessions: int = 1000) -> int:
    """Answer lines until end of input; 0 when the host closes stdin."""
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout
    store = SessionStore(bot, max_sessions=max_sessions)
    try:
        while True:
            # Read bytes with a limit, so one endless line cannot exhaust memory.
            line = source.readline(MAX_LINE + 1)
            if not line:
                return 0
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while (rest := source.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass
                out: dict[str, Any] = {"error": f"line over {MAX_LINE // 1024} KB was skipped", "session": None}
            elif not line.strip():
                continue
            else:
                out = handle(store, line)
            # ASCII-only JSON reads the same whatever encoding the host's pipe assumes.
            sink.write(json.dumps(out) + "\n")
            sink.flush()
    except BrokenPipeError:
        # The host went away; point stdout at nothing so the interpreter's last flush stays quiet.
        if sink is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
