"""Twilio's and 46elks' send endpoints, faked at the HTTP layer on loopback.

One server answers both: POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does (201
and the message's JSON, or a JSON error) and POST /a1/sms as 46elks does (200 and JSON, or a
line of text). Every request is recorded as it came over the wire. `answers` are given first,
in order: (status, body bytes, headers) to answer instead of sending, or HANG
(tests/notifier/loopback.py) to keep the client waiting until `release` is set.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.notifier import loopback
from tests.notifier.loopback import Fake, FakeHandler, serving

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-secret"
TWILIO_FROM = "+4759440000"
ELKS_USER = "u0123456789abcdef"
ELKS_PASSWORD = "elks-password-secret"
ELKS_FROM = "RunboxStat"
INBOUND_SECRET = "inbound-secret-7d1f"
TWILIO_SEND = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


@dataclass(frozen=True)
class Received(loopback.Received):
    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True, strict_parsing=True)

    @property
    def basic_auth(self) -> tuple[str, str]:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


def twilio_error(status: int, code: int, message: str) -> tuple[int, bytes, dict[str, str]]:
    document = {"code": code, "message": message, "more_info": "", "status": status}
    return status, json.dumps(document).encode(), {"Content-Type": "application/json"}


@dataclass
class Provider(Fake[Received]):
    url: str = ""
    answers: list[Any] = field(default_factory=list)
    # What reached phones: (to, text), one per message accepted.
    delivered: list[tuple[str, str]] = field(default_factory=list)

    def texts_to(self, number: str) -> list[str]:
        return [text for to, text in self.delivered if to == number]


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as state:
        yield state


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The fake on a free loopback port until the block ends (journeys keep one per run)."""
    state = Provider()

    class Handler(FakeHandler):
        def do_POST(self) -> None:
            request = Received("POST", self.path, dict(self.headers), self.body())
            planned = state.answers

            def answer() -> None:
                self.reply(*(planned.pop(0) if planned else self.accept(request)))

            self.answer_in_turn(state, request, planned, answer)

        def accept(self, received: Received) -> tuple[int, bytes, dict[str, str]]:
            form = {name: values[0] for name, values in received.form.items()}
            json_type = {"Content-Type": "application/json"}
            if TWILIO_SEND.match(received.path):
                if received.basic_auth != (TWILIO_SID, TWILIO_TOKEN):
                    return twilio_error(401, 20003, "Authenticate")
                state.delivered.append((form["To"], form["Body"]))
                sid = f"SM{len(state.delivered):032x}"
                return 201, json.dumps({"sid": sid, "status": "queued"}).encode(), json_type
            if received.path == "/a1/sms":
                if received.basic_auth != (ELKS_USER, ELKS_PASSWORD):
                    return 401, b"API access requires Basic HTTP authentication", {}
                state.delivered.append((form["to"], form["message"]))
                document = {"id": f"s{len(state.delivered):08x}", "status": "created"}
                return 200, json.dumps(document).encode(), json_type
            return 404, b"Not found", {}

    with serving(Handler, release=state.release) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state


@pytest.fixture
def twilio(settings, provider: Provider) -> Provider:
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_API_URL = provider.url
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.SMS_INBOUND_SECRET = ""
    return provider


@pytest.fixture
def elks(settings, provider: Provider) -> Provider:
    settings.SMS_PROVIDER = "46elks"
    settings.ELKS_API_URL = provider.url
    settings.ELKS_API_USERNAME = ELKS_USER
    settings.ELKS_API_PASSWORD = ELKS_PASSWORD
    settings.ELKS_FROM = ELKS_FROM
    settings.SMS_INBOUND_SECRET = INBOUND_SECRET
    return provider
