"""A minimal Telegram Bot API client: ``sendMessage`` over plain HTTP (standard library).

The request goes through :mod:`http.client` in three explicit phases so that every
failure can be told apart by what it means for delivery:

* connecting fails (refused, DNS, TLS, connect timeout), or writing the request
  fails: Telegram cannot have processed it -- **not sent**, safe to retry;
* the request was written but no answer came (read timeout, connection reset):
  Telegram may have delivered it -- **unknown**, never retried automatically;
* an HTTP answer came: classified by status and Telegram's ``description``.

The bot token is part of the URL path (``/bot<token>/sendMessage``). It is never
printed: every text this module returns passes through :meth:`BotApi.mask`, and
the object's ``repr`` hides it.
"""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

#: Where the Bot API lives unless TELEGRAM_API_BASE says otherwise.
DEFAULT_API_BASE = "https://api.telegram.org"
#: Environment variables the sender reads.
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_BASE_ENV = "TELEGRAM_API_BASE"

_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_INTEGER = re.compile(r"-?[0-9]+")
MASK = "***"


class Outcome(StrEnum):
    """What one sendMessage call means for the message."""

    SENT = "sent"  # Telegram accepted it (message_id known)
    RATE_LIMITED = "rate_limited"  # 429: not sent; wait retry_after, then retry
    TRANSIENT = "transient"  # 5xx, or the request never reached Telegram: not sent, retry later
    PERMANENT = "permanent"  # 400/403 (chat not found, bot blocked, ...): never retry this message
    FATAL = "fatal"  # 401/404/3xx: token or API base is wrong; stop the whole run
    UNKNOWN = "unknown"  # request sent, no usable answer: it may have been delivered


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    http_status: int | None = None
    message_id: int | None = None
    description: str | None = None
    retry_after: float | None = None


class TelegramConfigError(ValueError):
    """The token or the API base URL cannot be used (the message never holds the token)."""


def looks_like_token(token: str) -> bool:
    """True for the shape of a Bot API token: ``<digits>:<letters, digits, _ or ->``."""
    return bool(_TOKEN.fullmatch(token or ""))


def classify(http_status: int, payload: dict | None, retry_after_header: str | None = None):
    """The Outcome of an HTTP answer of the Bot API (a pure function).

    ``payload`` is the decoded JSON body (``{"ok": ..., "error_code": ...,
    "description": ..., "parameters": {"retry_after": ...}}``) or None when the
    body was not JSON.
    """
    payload = payload if isinstance(payload, dict) else {}
    description = payload.get("description")
    if http_status == 200 and payload.get("ok") is True:
        result = payload.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if isinstance(message_id, int):
            return SendResult(Outcome.SENT, http_status, message_id=message_id)
        return SendResult(
            Outcome.UNKNOWN, http_status, description="answer 200 without a message_id"
        )
    if http_status == 200:
        # 200 with a body that is not a Bot API answer: it may or may not have gone out.
        return SendResult(
            Outcome.UNKNOWN, http_status, description=description or "answer 200 not understood"
        )
    if http_status == 429:
        parameters = payload.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        if retry_after is None and retry_after_header:
            try:
                retry_after = float(retry_after_header)
            except ValueError:
                retry_after = None
        return SendResult(
            Outcome.RATE_LIMITED,
            http_status,
            description=description or "Too Many Requests",
            retry_after=float(retry_after) if retry_after is not None else 1.0,
        )
    if http_status >= 500:
        return SendResult(Outcome.TRANSIENT, http_status, description=description)
    if http_status in (401, 404) or 300 <= http_status < 400:
        # 401: token revoked or wrong; 404: wrong token format or API base path.
        return SendResult(
            Outcome.FATAL,
            http_status,
            description=(description or "") + " (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE)",
        )
    # 400 chat not found, 403 bot was blocked by the user / user is deactivated, other 4xx
    return SendResult(Outcome.PERMANENT, http_status, description=description)


class BotApi:
    """``sendMessage`` of one bot. ``base_url`` e.g. https://api.telegram.org or a local server."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_API_BASE,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        if not looks_like_token(token):
            raise TelegramConfigError(
                f"{TOKEN_ENV} does not look like a bot token (<digits>:<letters>); "
                "it is not shown here"
            )
        self._token = token
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TelegramConfigError(
                f"{API_BASE_ENV} must be an http(s) URL such as {DEFAULT_API_BASE}, got "
                f"{self.mask(base_url)!r}"
            )
        try:
            port = parts.port
        except ValueError as error:
            raise TelegramConfigError(f"{API_BASE_ENV}: {self.mask(str(error))}") from None
        self.base_url = self.mask(base_url.rstrip("/"))
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._prefix = parts.path.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def __repr__(self) -> str:
        return f"BotApi(base_url={self.base_url!r}, token={MASK!r})"

    def mask(self, text: object) -> str:
        """``text`` with the token replaced by ***."""
        text = str(text)
        return text.replace(self._token, MASK) if self._token else text

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.connect_timeout)

    def send_message(self, chat_id: str, text: str) -> SendResult:
        """Send ``text`` (plain text) to ``chat_id``; never raises for network or HTTP errors."""
        chat = int(chat_id) if _INTEGER.fullmatch(str(chat_id)) else str(chat_id)
        body = json.dumps({"chat_id": chat, "text": text}, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(body)),
            "User-Agent": "early-warning-notify",
        }
        path = f"{self._prefix}/bot{self._token}/sendMessage"
        connection = self._connection()
        try:
            try:
                connection.connect()
            except OSError as error:
                return SendResult(
                    Outcome.TRANSIENT,
                    description=f"cannot connect to the Bot API: {self._error_text(error)}",
                )
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout)
            try:
                connection.request("POST", path, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as error:
                return SendResult(
                    Outcome.TRANSIENT,
                    description=f"request not sent completely: {self._error_text(error)}",
                )
            try:
                response = connection.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as error:
                return SendResult(
                    Outcome.UNKNOWN,
                    description="request sent but no answer (it may have been delivered): "
                    + self._error_text(error),
                )
            try:
                payload = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                payload = None
            result = classify(response.status, payload, response.getheader("Retry-After"))
            description = result.description
            if description is None and payload is None:
                description = f"HTTP {response.status} {response.reason}"
            return SendResult(
                result.outcome,
                result.http_status,
                result.message_id,
                self.mask(description) if description is not None else None,
                result.retry_after,
            )
        finally:
            connection.close()

    def _error_text(self, error: BaseException) -> str:
        return self.mask(str(error) or type(error).__name__)
