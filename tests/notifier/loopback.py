"""What every fake third-party server of the tests shares: a real HTTP server on a free loopback
port (over TLS with a certificate of the test authority where the client checks one), the
requests as they came, a condition to wait on for them, and the outbound client pointed at it.

Each fake (telegram_bot_api.py, matrix_homeserver.py, sms_provider.py, push_service.py,
chat_hook_server.py) keeps only its own routes and answers.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

import pytest

from notifier import outbound
from tests.servers.certificates import TestCertificates

HANG = "hang"  # a planned answer: none until the test sets the fake's `release`
Request = TypeVar("Request")
Found = TypeVar("Found")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fake(Generic[Request]):
    """The requests a fake received; `release` ends every HANG, as does the fake's stop."""

    received: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the fake while a request changes what it holds; whoever waits is told after."""
        with self.changed:
            yield
            self.changed.notify_all()

    def wait_for(self, check: Callable[[], Found], timeout: float = 30) -> Found:
        """`check()` once true, or its last (false) value after `timeout` seconds."""
        with self.changed:
            return self.changed.wait_for(check, timeout)


class FakeHandler(BaseHTTPRequestHandler):
    """A request handler that reads whole bodies, answers in one go, and logs nothing."""

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] = {}) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, document: Any) -> None:
        self.reply(status, json.dumps(document).encode(), {"Content-Type": "application/json"})

    def answer_in_turn(
        self, fake: Fake[Request], request: Request, planned: list[Any], answer: Callable[[], None]
    ) -> None:
        """Record `request` and `answer()` it, holding the fake; but where HANG is the next of
        the `planned` answers, that is used up and nothing is answered until `release`."""
        with fake.changing():
            fake.received.append(request)
            hang = bool(planned) and planned[0] == HANG
            if hang:
                planned.pop(0)
            else:
                answer()
        if hang:
            fake.release.wait(timeout=30)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler],
    *,
    tls: ssl.SSLContext | None = None,
    release: threading.Event | None = None,
) -> Iterator[int]:
    """`handler` on a free loopback port (its number given) until the block ends, when
    `release` is set first so that no request is left hanging."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def server_tls(certs: TestCertificates, label: str, names: Iterable[str]) -> ssl.SSLContext:
    """A server context whose certificate, signed by `certs`' authority, carries `names`."""
    certificate, key = certs.leaf(label, names=",".join(f"DNS:{name}" for name in names))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context


def reach_by_names(
    settings: Any, monkeypatch: pytest.MonkeyPatch, certs: TestCertificates, dns: dict[str, str]
) -> None:
    """Let notifier.outbound reach a fake as a real host: loopback allowed, `certs`' authority
    trusted, and each name in `dns` resolving to its address (the test may change them)."""
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    trusting = ssl.create_default_context(cafile=str(certs.ca))
    monkeypatch.setattr(outbound, "tls_context", lambda: trusting)

    def resolve(host: str, port: int) -> list[outbound.Address]:
        if host not in dns:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a name of this test")
        return [ipaddress.ip_address(dns[host])]

    monkeypatch.setattr(outbound, "resolve", resolve)
