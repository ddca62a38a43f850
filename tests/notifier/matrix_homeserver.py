"""A Matrix homeserver's send endpoint, faked at the HTTP layer on loopback.

It records every request as it came over the wire and answers as the client-server API v3
does: an event id per (access token, transaction id), the same one again for a repeated
transaction, 401 M_UNKNOWN_TOKEN for a token it does not know. `answers` per room are
given first, in order: (status, JSON) to answer without sending, LOSE_ANSWER to send the
message and drop the connection before answering, or HANG to keep the client waiting.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

TOKEN = "syt_c3RhdHVz_secret"
LOSE_ANSWER = "lose-answer"
HANG = "hang"  # answer nothing until the test sets `release`
SEND = re.compile(r"^/_matrix/client/v3/rooms/([^/]+)/send/m\.room\.message/([^/]+)$")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass(frozen=True)
class Event:
    room: str
    event_id: str
    content: dict[str, Any]


@dataclass
class Homeserver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[Any]] = field(default_factory=dict)
    # What the rooms hold: one event per message sent, whatever the retries.
    timeline: list[Event] = field(default_factory=list)
    by_transaction: dict[tuple[str, str], str] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def in_room(self, room: str) -> list[Event]:
        return [event for event in self.timeline if event.room == room]

    def store(self, token: str, room: str, txn: str, content: dict[str, Any]) -> str:
        key = (token, txn)
        if key not in self.by_transaction:
            event_id = f"$event{len(self.timeline) + 1}"
            self.timeline.append(Event(room, event_id, content))
            self.by_transaction[key] = event_id
        return self.by_transaction[key]


@pytest.fixture
def homeserver() -> Iterator[Homeserver]:
    state = Homeserver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code: int, document: dict[str, Any]) -> None:
            data = json.dumps(document).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.received.append(Received("PUT", self.path, dict(self.headers), body))
                match = SEND.match(self.path)
                planned = state.answers.get(unquote(match[1]), []) if match else []
                hang = bool(planned) and planned[0] == HANG
                if hang:
                    planned.pop(0)
                else:
                    self.respond(body)
            if hang:
                state.release.wait(timeout=30)
                self.close_connection = True

        def respond(self, body: bytes) -> None:
            match = SEND.match(self.path)
            if not match:
                self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
                return
            room, txn = unquote(match[1]), unquote(match[2])
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token != TOKEN:
                self.answer(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token"})
                return
            planned = state.answers.get(room, [])
            answer = planned.pop(0) if planned else None
            if answer == LOSE_ANSWER:
                state.store(token, room, txn, json.loads(body))
                self.close_connection = True  # nothing written: the client sees it drop
                return
            if answer is not None:
                self.answer(*answer)
                return
            self.answer(200, {"event_id": state.store(token, room, txn, json.loads(body))})

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
