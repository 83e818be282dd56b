"""Sessions by id, shared by every front end that serves several patients (the kiosk's HTTP API and stdio)."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from .dialogue import Bot, Session


class SessionStore:
    """Sessions by id, least recently used first. Thread-safe."""

    def __init__(self, bot: Bot, *, max_sessions: int = 1000) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.bot = bot
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._purge()
            return len(self._sessions)

    def create(self) -> str:
        """A new session with an id nobody can guess (192 random bits)."""
        with self._lock:
            self._purge()
            sid = secrets.token_urlsafe(24)
            self._add(sid, self.bot.session())
            return sid

    def get(self, sid: str) -> Session | None:
        """The live session with this id, or None if it never existed, ended or expired."""
        with self._lock:
            self._purge()
            session = self._sessions.get(sid)
            if session is None:
                return None
            if session.expired:
                # Expired sessions are gone for good: a new patient must not inherit the old context.
                self._drop(sid)
                return None
            self._sessions.move_to_end(sid)
            return session

    def open(self, name: str) -> Session:
        """The session a host named, created on first use (for the stdio protocol, where the host picks ids)."""
        with self._lock:
            self._purge()
            session = self._sessions.get(name)
            if session is None:
                session = self.bot.session()
                self._add(name, session)
            else:
                self._sessions.move_to_end(name)
            return session

    def end(self, sid: str) -> bool:
        """Forget a session now; False if there was no such session."""
        with self._lock:
            if sid not in self._sessions:
                return False
            self._drop(sid)
            return True

    # Callers hold the lock for everything below.
    def _add(self, sid: str, session: Session) -> None:
        self._sessions[sid] = session
        while len(self._sessions) > self.max_sessions:
            self._drop(next(iter(self._sessions)))

    def _purge(self) -> None:
        # Least recently used come first, so expired sessions gather at the front.
        while self._sessions:
            sid, session = next(iter(self._sessions.items()))
            if not session.expired:
                break
            self._drop(sid)

    def _drop(self, sid: str) -> None:
        # Wipe the context as well, in case a request still holds the Session object.
        self._sessions.pop(sid).reset()
