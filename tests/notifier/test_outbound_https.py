"""Posting to a subscriber's URL against a real local HTTPS server (certificates from a test CA).

The name hooks.example.test is answered at the resolver seam with the server's loopback
address, which OUTBOUND_ALLOW_LOOPBACK lets stand for a public one.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from notifier import outbound
from notifier.outbound import MAX_ANSWER_BYTES, Client, Policy, Refused, Unreachable
from tests.notifier.loopback import FakeHandler, server_tls, serving
from tests.servers.certificates import TestCertificates

NAME = "hooks.example.test"


@dataclass
class Server:
    port: int = 0
    mode: str = "ok"  # ok, big, drip, redirect
    sni: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, name: str = NAME, path: str = "/in") -> str:
        return f"https://{name}:{self.port}{path}"


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def server(certs: TestCertificates) -> Iterator[Server]:
    state = Server()
    context = server_tls(certs, "hooks", [NAME])
    context.sni_callback = lambda sock, name, ctx: state.sni.append(name)

    class Handler(FakeHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so a kept connection can be seen

        def setup(self) -> None:
            super().setup()
            state.connections += 1

        def do_POST(self) -> None:
            self.body()
            state.hosts.append(self.headers["Host"])
            try:
                getattr(self, f"answer_{state.mode}")()
            except OSError:
                self.close_connection = True  # the client hung up: what a limit does

        def answer_ok(self) -> None:
            self.answer(200, b'{"id": "rcpt-1"}')

        def answer_redirect(self) -> None:
            self.answer(302, b"", Location=f"https://{NAME}:{state.port}/elsewhere")

        def answer_big(self) -> None:
            self.answer(200, b"x" * (1024 * 1024))

        def answer_drip(self) -> None:
            # Each byte comes well within any read timeout; only a limit on the whole stops it.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            for _ in range(100):
                if state.stop.wait(0.05):
                    break
                self.wfile.write(b"a")
            self.close_connection = True

        def answer(self, code: int, body: bytes, **headers: str) -> None:
            self.reply(code, body, headers)

    with serving(Handler, tls=context, release=state.stop) as port:
        state.port = port
        yield state


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch, certs):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    trusting = ssl.create_default_context(cafile=str(certs.ca))
    monkeypatch.setattr(outbound, "tls_context", lambda: trusting)


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    answers = {NAME: ["127.0.0.1"], "other.example.test": ["127.0.0.1"]}
    asked: list[str] = []

    def resolve(host: str, port: int) -> list:
        asked.append(host)
        queue = answers[host]
        return [ipaddress.ip_address(queue.pop(0) if len(queue) > 1 else queue[0])]

    monkeypatch.setattr(outbound, "resolve", resolve)
    answers["asked"] = asked
    return answers


def post(client: Client, url: str) -> outbound.Answer:
    return client.post(url, b"{}", {"Content-Type": "application/json"}, policy=Policy.SUBSCRIBER)


def test_the_name_goes_in_sni_and_host_and_its_certificate_is_checked(server, dns):
    with Client() as client:
        answer = post(client, server.url())

    assert (answer.status, answer.body) == (200, b'{"id": "rcpt-1"}')
    assert server.sni == [NAME]
    assert server.hosts == [f"{NAME}:{server.port}"]


def test_a_certificate_for_another_name_is_not_accepted(server, dns):
    with Client() as client, pytest.raises(Unreachable, match="CERTIFICATE_VERIFY_FAILED"):
        post(client, server.url("other.example.test"))

    assert server.hosts == []


def test_the_answer_is_read_only_up_to_its_limit_and_the_connection_is_not_kept(server, dns):
    server.mode = "big"

    with Client() as client:
        first = post(client, server.url())
        server.mode = "ok"
        post(client, server.url())

    assert len(first.body) == MAX_ANSWER_BYTES == 64 * 1024
    assert server.connections == 2


def test_a_server_that_drips_its_answer_is_cut_off_at_the_time_limit(settings, server, dns):
    settings.OUTBOUND_HTTP_TIMEOUT = 1
    server.mode = "drip"

    started = time.monotonic()
    with Client() as client, pytest.raises(Unreachable) as failed:
        post(client, server.url())
    took = time.monotonic() - started

    assert str(failed.value) == f"Cannot reach {NAME}: no complete answer within 1 s"
    assert 0.9 < took < 1.8


def test_a_redirect_is_the_answer_and_is_not_followed(server, dns):
    server.mode = "redirect"

    with Client() as client:
        answer = post(client, server.url())

    assert answer.status == 302
    assert answer.headers["Location"].endswith("/elsewhere")
    assert server.hosts == [f"{NAME}:{server.port}"]


def test_posts_to_one_name_share_a_connection_checked_once_while_it_stays_open(server, dns):
    with Client() as client:
        post(client, server.url())
        post(client, server.url(path="/again"))
        client.close()
        post(client, server.url(path="/after"))

    assert server.connections == 2
    assert dns["asked"] == [NAME, NAME]


def test_a_name_that_turns_private_is_refused_once_the_kept_connection_is_gone(server, dns):
    with Client() as client:
        post(client, server.url())
        dns[NAME] = ["10.0.0.5"]
        # The kept connection goes only to the address checked when it opened, whatever the
        # name answers now; a new connection is checked anew.
        post(client, server.url())
        client.close()
        with pytest.raises(Refused, match=re.escape(f"{NAME} resolves to 10.0.0.5")):
            post(client, server.url())

    assert server.connections == 1
    assert len(server.hosts) == 2
