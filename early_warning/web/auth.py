"""Sessions and protection against cross-site request forgery.

A session lives in the server's memory, keyed by a random id kept in an HttpOnly,
SameSite=Lax cookie; it holds the Moodle username, a CSRF token and, on
PostgreSQL with password sign-in, the user's own database connection (the password
itself is never kept). Sessions end after ``session_minutes`` idle, on sign-out,
and when the app restarts.

CSRF: every form that changes something carries the session's token (the sign-in
form, before any session, carries the token of a short-lived pre-session cookie);
:func:`check_csrf` compares in constant time and the request is refused otherwise.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

SESSION_COOKIE = "ew_session"
PRESESSION_COOKIE = "ew_signin"


@dataclass
class Session:
    id: str
    username: str
    csrf: str
    mode: str  # demo | password | proxy
    connection: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_seen: float = field(default_factory=time.monotonic)
    #: True while the pages show answers remembered from before a rebuild (PostgreSQL)
    stale: bool = False


class SessionStore:
    def __init__(self, idle_minutes: int = 60, on_close=None):
        self.idle_seconds = idle_minutes * 60
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._on_close = on_close

    def create(self, username: str, mode: str, connection: Any = None) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            username=username,
            csrf=secrets.token_urlsafe(32),
            mode=mode,
            connection=connection,
        )
        with self._lock:
            self._sessions[session.id] = session
        self._expire()
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.monotonic()
        if now - session.last_seen > self.idle_seconds:
            self.drop(session.id)
            return None
        session.last_seen = now
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None and self._on_close is not None:
            self._on_close(session)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            stale = [s.id for s in self._sessions.values() if now - s.last_seen > self.idle_seconds]
        for session_id in stale:
            self.drop(session_id)

    def close_all(self) -> None:
        with self._lock:
            ids = list(self._sessions)
        for session_id in ids:
            self.drop(session_id)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check_csrf(expected: str | None, given: str | None) -> bool:
    """True when a form's token matches the expected one (constant-time)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
