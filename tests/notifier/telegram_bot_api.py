"""Telegram's Bot API, faked at the HTTP layer on loopback.

It records every request as it came over the wire and answers as the Bot API does: JSON with
`ok`, a message per sendMessage (ids counting up per chat), 401 for a token it does not know.
`answers` per chat id are given first, in order: (status, JSON) to answer instead of sending,
or HANG (tests/notifier/loopback.py) to keep the client waiting until the test sets `release`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.notifier.loopback import Fake, FakeHandler, Received, serving

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
METHOD = re.compile(r"^/bot([^/]+)/(\w+)$")
BLOCKED = (
    403,
    {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
)


@dataclass
class BotApi(Fake[Received]):
    url: str = ""
    answers: dict[int, list[Any]] = field(default_factory=dict)
    # What each chat holds: (message id, the sendMessage body), one per message sent.
    chats: dict[int, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)

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

    class Handler(FakeHandler):
        def do_POST(self) -> None:
            body = self.body()
            match = METHOD.match(self.path)
            document = json.loads(body) if match else {}
            planned = state.answers.get(document.get("chat_id", 0), [])
            request = Received("POST", self.path, dict(self.headers), body)
            self.answer_in_turn(
                state, request, planned, lambda: self.respond(match, document, planned)
            )

        def respond(
            self, match: re.Match[str] | None, document: dict[str, Any], planned: list
        ) -> None:
            if not match:
                self.reply_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            elif match[1] != TOKEN:
                self.reply_json(
                    401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                )
            elif planned:
                self.reply_json(*planned.pop(0))
            elif match[2] == "sendMessage":
                self.reply_json(200, {"ok": True, "result": state.store(document)})
            elif match[2] == "setWebhook":
                self.reply_json(200, {"ok": True, "result": True, "description": "Webhook was set"})
            else:
                self.reply_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    with serving(Handler, release=state.release) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
