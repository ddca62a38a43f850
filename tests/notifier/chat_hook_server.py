"""A real HTTPS server on loopback standing in for Slack's, Teams' and Discord's hook hosts.

The services' own names are answered at the resolver seam with 127.0.0.1 (which
OUTBOUND_ALLOW_LOOPBACK lets stand for a public address) and the server's certificate, from a
test CA the client is made to trust, carries them: the client connects, checks and posts as it
would to the real hosts. Each request is recorded (name, path, headers, JSON body); answers
come from `answers` in order, then 200 "ok".
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from notifier import outbound
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
class HookServer:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    # (status, body, headers) answered in turn; then 200 "ok".
    answers: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0

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
    names = ",".join(f"DNS:{name}" for name in NAMES)
    certificate, key = hook_certs.leaf("hooks", names=names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            state.connections += 1

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.received.append(
                    Received(
                        self.headers["Host"].rsplit(":", 1)[0],
                        self.path,
                        dict(self.headers.items()),
                        json.loads(raw),
                    )
                )
                status, body, headers = state.answers.pop(0) if state.answers else (200, b"ok", {})
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    trusting = ssl.create_default_context(cafile=str(hook_certs.ca))
    monkeypatch.setattr(outbound, "tls_context", lambda: trusting)
    answers = {name: "127.0.0.1" for name in NAMES}
    monkeypatch.setattr(
        outbound, "resolve", lambda host, port: [ipaddress.ip_address(answers[host])]
    )
    state.dns = answers  # type: ignore[attr-defined]
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
