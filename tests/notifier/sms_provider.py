"""Twilio's and 46elks' send endpoints, faked at the HTTP layer on loopback.

One server answers both: POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does (201
and the message's JSON, or a JSON error) and POST /a1/sms as 46elks does (200 and JSON, or a
line of text). Every request is recorded as it came over the wire. `answers` are given first,
in order: (status, body bytes, headers) to answer instead of sending, or HANG to keep the
client waiting until `release` is set.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-secret"
TWILIO_FROM = "+4759440000"
ELKS_USER = "u0123456789abcdef"
ELKS_PASSWORD = "elks-password-secret"
ELKS_FROM = "RunboxStat"
INBOUND_SECRET = "inbound-secret-7d1f"
HANG = "hang"
TWILIO_SEND = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

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
class Provider:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    # What reached phones: (to, text), one per message accepted.
    delivered: list[tuple[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

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
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received = Received("POST", self.path, dict(self.headers), body)
            with lock:
                state.received.append(received)
                planned = state.answers.pop(0) if state.answers else None
            if planned == HANG:
                state.release.wait(timeout=30)
                self.close_connection = True
                return
            if planned is not None:
                self.answer(*planned)
                return
            with lock:
                self.answer(*self.accept(received))

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
