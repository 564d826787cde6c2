"""A fake Telegram Bot API server on 127.0.0.1, for tests and demos.

It answers ``POST /bot<token>/sendMessage`` like Telegram does and records what
it received and what it "delivered". Its answers can be scripted:

* ``script``: answers for the next requests, in order (then the default);
* ``by_chat``: a fixed answer for a chat id (e.g. a student who blocked the bot);
* ``hold``: hang after delivering the next message, until released (lets a test
  kill the sender between sending and recording).

Answers: :func:`ok` (the default), :func:`too_many_requests`, :func:`server_error`,
:func:`blocked`, :func:`chat_not_found`, ``DROP`` (deliver, then close the
connection without an answer). Wrong token: 401; other methods: 404.

Try the sender without Telegram::

    python -m early_warning.notify.fake_api --port 8081 --token 123:fake &
    TELEGRAM_API_BASE=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=123:fake \\
        python -m early_warning.notify --duckdb target/early_warning.duckdb
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")

#: Scripted answer: deliver the message, then close the connection without answering.
DROP = "drop"


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict | None = None  # None for a success: built from the message
    delivers: bool = False


def ok() -> Answer:
    return Answer(200, None, delivers=True)


def too_many_requests(retry_after: float = 1) -> Answer:
    return Answer(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        },
    )


def server_error(status: int = 500) -> Answer:
    return Answer(
        status, {"ok": False, "error_code": status, "description": "Internal Server Error"}
    )


def blocked() -> Answer:
    return Answer(
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )


def chat_not_found() -> Answer:
    return Answer(
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    )


class FakeBotApi:
    """The server, its script and its records. Use as a context manager."""

    def __init__(self, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self.script: deque = deque()
        self.by_chat: dict[str, Answer] = {}
        self.requests: list[dict] = []  # every sendMessage request: chat_id, text, path
        self.delivered: list[tuple[str, str]] = []  # (chat_id, text) of delivered messages
        self.received = threading.Event()  # set on every request
        self.hold = False  # hang after delivering the next message ...
        self.held = threading.Event()  # ... set once it hangs
        self.release = threading.Event()  # ... until this is set
        self._lock = threading.Lock()
        self._message_id = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def delivered_count(self, chat_id: str, text: str) -> int:
        return sum(1 for d in self.delivered if d == (str(chat_id), text))

    # --- request handling ------------------------------------------------------------------

    def _answer_for(self, chat_id: str):
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.by_chat.get(chat_id, ok())

    def _deliver(self, chat_id: str, text: str) -> int:
        with self._lock:
            self._message_id += 1
            self.delivered.append((chat_id, text))
            return self._message_id

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 -- http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                match = _PATH.match(self.path)
                if not match or match["method"] != "sendMessage":
                    self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                if match["token"] != fake.token:
                    self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                try:
                    data = json.loads(raw.decode("utf-8"))
                    chat_id, text = str(data["chat_id"]), str(data["text"])
                except (ValueError, KeyError, TypeError):
                    self._send(
                        400,
                        {"ok": False, "error_code": 400, "description": "Bad Request: bad JSON"},
                    )
                    return
                with fake._lock:
                    fake.requests.append({"chat_id": chat_id, "text": text, "path": self.path})
                fake.received.set()
                answer = fake._answer_for(chat_id)
                if answer == DROP:
                    fake._deliver(chat_id, text)
                    self.close_connection = True
                    self.connection.close()
                    return
                if not answer.delivers:
                    self._send(answer.status, answer.payload)
                    return
                message_id = fake._deliver(chat_id, text)
                if fake.hold:
                    fake.hold = False
                    fake.held.set()
                    fake.release.wait(timeout=30)
                self._send(
                    200,
                    {
                        "ok": True,
                        "result": {
                            "message_id": message_id,
                            "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else 0},
                            "text": text,
                        },
                    },
                )

        return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.notify.fake_api",
        description="Serve a fake Telegram Bot API on 127.0.0.1 that prints what it delivers.",
    )
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123:fake", help="the only token it accepts")
    args = parser.parse_args(argv)
    server = FakeBotApi(args.token, port=args.port)
    print(f"fake Bot API on {server.base_url} (Ctrl-C to stop)", flush=True)
    original = server._deliver

    def deliver_and_print(chat_id: str, text: str) -> int:
        message_id = original(chat_id, text)
        print(f"delivered #{message_id} to {chat_id}: {text}", flush=True)
        return message_id

    server._deliver = deliver_and_print
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
