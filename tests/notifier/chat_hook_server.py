"""A real HTTPS server on loopback standing in for Slack's, Teams' and Discord's hook hosts.

The services' own names are answered at the resolver seam with 127.0.0.1 (which
OUTBOUND_ALLOW_LOOPBACK lets stand for a public address) and the server's certificate, from a
test CA the client is made to trust, carries them: the client connects, checks and posts as it
would to the real hosts. Each request is recorded (name, path, headers, JSON body); answers
come from `answers` in order, then 200 "ok".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.notifier.loopback import Fake, FakeHandler, reach_by_names, server_tls, serving
from tests.servers.certificates import TestCertificates

SLACK, TEAMS, DISCORD = "hooks.slack.com", "prod-07.westeurope.logic.azure.com", "discord.com"
NAMES = (SLACK, TEAMS, DISCORD)


@dataclass
class Received:
    host: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HookServer(Fake[Received]):
    port: int = 0
    # (status, body, headers) answered in turn; then 200 "ok".
    answers: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    connections: int = 0
    # The address each name resolves to: a test may make one private.
    dns: dict[str, str] = field(default_factory=lambda: {name: "127.0.0.1" for name in NAMES})

    def url(self, name: str, path: str) -> str:
        return f"https://{name}:{self.port}{path}"

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers.append((status, body, headers))


@pytest.fixture(scope="module")
def hook_certs(tmp_path_factory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("hook-certs"))


@pytest.fixture
def hook_server(hook_certs: TestCertificates, settings, monkeypatch) -> Iterator[HookServer]:
    state = HookServer()

    class Handler(FakeHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            state.connections += 1

        def do_POST(self) -> None:
            host = self.headers["Host"].rsplit(":", 1)[0]
            request = Received(host, self.path, dict(self.headers.items()), json.loads(self.body()))
            with state.changing():
                state.received.append(request)
                status, body, headers = state.answers.pop(0) if state.answers else (200, b"ok", {})
            self.reply(status, body, headers)

    reach_by_names(settings, monkeypatch, hook_certs, state.dns)
    with serving(Handler, tls=server_tls(hook_certs, "hooks", NAMES)) as port:
        state.port = port
        yield state
