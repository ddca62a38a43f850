"""A Matrix homeserver's send endpoint, faked at the HTTP layer on loopback.

It records every request as it came over the wire and answers as the client-server API v3
does: an event id per (access token, transaction id), the same one again for a repeated
transaction, 401 M_UNKNOWN_TOKEN for a token it does not know. `answers` per room are
given first, in order: (status, JSON) to answer without sending, LOSE_ANSWER to send the
message and drop the connection before answering, or HANG (tests/notifier/loopback.py) to
keep the client waiting until the test sets `release`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

from tests.notifier.loopback import Fake, FakeHandler, Received, serving

TOKEN = "syt_c3RhdHVz_secret"
LOSE_ANSWER = "lose-answer"
SEND = re.compile(r"^/_matrix/client/v3/rooms/([^/]+)/send/m\.room\.message/([^/]+)$")


@dataclass(frozen=True)
class Event:
    room: str
    event_id: str
    content: dict[str, Any]


@dataclass
class Homeserver(Fake[Received]):
    url: str = ""
    answers: dict[str, list[Any]] = field(default_factory=dict)
    # What the rooms hold: one event per message sent, whatever the retries.
    timeline: list[Event] = field(default_factory=list)
    by_transaction: dict[tuple[str, str], str] = field(default_factory=dict)

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

    class Handler(FakeHandler):
        def do_PUT(self) -> None:
            body = self.body()
            match = SEND.match(self.path)
            planned = state.answers.get(unquote(match[1]), []) if match else []
            request = Received("PUT", self.path, dict(self.headers), body)
            self.answer_in_turn(state, request, planned, lambda: self.respond(body))

        def respond(self, body: bytes) -> None:
            match = SEND.match(self.path)
            if not match:
                self.reply_json(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
                return
            room, txn = unquote(match[1]), unquote(match[2])
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token != TOKEN:
                self.reply_json(
                    401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token"}
                )
                return
            planned = state.answers.get(room, [])
            answer = planned.pop(0) if planned else None
            if answer == LOSE_ANSWER:
                state.store(token, room, txn, json.loads(body))
                self.close_connection = True  # nothing written: the client sees it drop
                return
            if answer is not None:
                self.reply_json(*answer)
                return
            self.reply_json(200, {"event_id": state.store(token, room, txn, json.loads(body))})

    with serving(Handler, release=state.release) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
