"""Telegram's Bot API, faked at the HTTP layer on loopback.

It records every request as it came over the wire and answers as the Bot API does: JSON with
`ok`, a message per sendMessage (ids counting up per chat), 401 for a token it does not know.
`answers` per chat id are given first, in order: (status, JSON) to answer instead of sending,
or HANG to keep the client waiting until the test sets `release`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
HANG = "hang"
METHOD = re.compile(r"^/bot([^/]+)/(\w+)$")
BLOCKED = (
    403,
    {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class BotApi:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[int, list[Any]] = field(default_factory=dict)
    # What each chat holds: (message id, the sendMessage body), one per message sent.
    chats: dict[int, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def store(self, body: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.setdefault(body["chat_id"], [])
        message_id = 100 + len(chat)
        chat.append((message_id, body))
        return {
            "message_id": message_id,
            "date": 1_800_000_000,
            "chat": {"id": body["chat_id"], "type": "private"},
            "text": "(the text as Telegram parsed it)",
        }


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    state = BotApi()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code: int, document: dict[str, Any]) -> None:
            data = json.dumps(document).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.received.append(Received("POST", self.path, dict(self.headers), body))
                match = METHOD.match(self.path)
                document = json.loads(body) if match else {}
                planned = state.answers.get(document.get("chat_id", 0), [])
                hang = bool(planned) and planned[0] == HANG
                if hang:
                    planned.pop(0)
                else:
                    self.respond(match, document, planned)
            if hang:
                state.release.wait(timeout=30)
                self.close_connection = True

        def respond(
            self, match: re.Match[str] | None, document: dict[str, Any], planned: list
        ) -> None:
            if not match:
                self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            elif match[1] != TOKEN:
                self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            elif planned:
                self.answer(*planned.pop(0))
            elif match[2] == "sendMessage":
                self.answer(200, {"ok": True, "result": state.store(document)})
            elif match[2] == "setWebhook":
                self.answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
            else:
                self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
