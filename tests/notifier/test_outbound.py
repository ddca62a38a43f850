"""Which addresses a subscriber's URL may reach: every class, every form, at the resolver seam.

The resolver is answered at notifier.outbound.resolve (names under .example.test); the real
connections are in test_outbound_https.py.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time

import pytest
from django.core.exceptions import ValidationError

from notifier import outbound, wire
from notifier.models import WebhookEndpoint
from notifier.outbound import Policy, Refused, Unreachable

NOT_PUBLIC = {
    "127.0.0.1": "a loopback address",
    "127.255.0.9": "a loopback address",
    "::1": "a loopback address",
    "10.0.0.5": "a private address",
    "172.16.4.4": "a private address",
    "172.31.255.254": "a private address",
    "192.168.1.1": "a private address",
    "100.64.0.1": "a shared (carrier-grade NAT) address",
    "100.127.255.254": "a shared (carrier-grade NAT) address",
    "169.254.1.1": "a link-local address",
    "fe80::1": "a link-local address",
    "169.254.169.254": "a cloud metadata address",
    "fd00:ec2::254": "a cloud metadata address",
    "fc00::1": "a unique-local address",
    "fd12:3456::1": "a unique-local address",
    "224.0.0.1": "a multicast address",
    "239.255.255.250": "a multicast address",
    "ff02::1": "a multicast address",
    "0.0.0.0": "an unspecified address",
    "::": "an unspecified address",
    "0.1.2.3": "a \u201cthis network\u201d address",
    "192.0.2.10": "a documentation address",
    "198.51.100.7": "a documentation address",
    "203.0.113.7": "a documentation address",
    "2001:db8::10": "a documentation address",
    "240.0.0.1": "a reserved address",
    "255.255.255.255": "a reserved address",
    "198.18.0.1": "a reserved address",  # benchmarking
    # IPv6 forms that carry an IPv4 address are judged by it.
    "::ffff:10.0.0.5": "a private address",
    "::ffff:127.0.0.1": "a loopback address",
    "::ffff:169.254.169.254": "a cloud metadata address",
    "::ffff:100.64.0.1": "a shared (carrier-grade NAT) address",
    "64:ff9b::a00:5": "a private address",  # NAT64 of 10.0.0.5
    "2002:a00:5::1": "a private address",  # 6to4 of 10.0.0.5
    "::a9fe:a9fe": "a cloud metadata address",  # IPv4-compatible 169.254.169.254
}
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.fixture
def dns(monkeypatch):
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC.items())
def test_every_class_of_address_that_is_not_public_is_named(address, kind):
    assert outbound.address_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_in_any_form_are_public(address):
    assert outbound.address_class(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC.items())
def test_a_name_resolving_to_any_such_address_is_refused_with_the_reason(dns, address, kind):
    dns["hooks.example.test"] = [address]

    with pytest.raises(Refused) as refused:
        outbound.check("https://hooks.example.test/in", Policy.SUBSCRIBER)

    assert str(refused.value) == f"refused: hooks.example.test resolves to {address}, {kind}"


def test_one_private_address_among_public_ones_is_enough_to_refuse(dns):
    dns["hooks.example.test"] = ["93.184.215.14", "2606:4700::1111", "10.0.0.5"]

    with pytest.raises(Refused, match=re.escape("resolves to 10.0.0.5, a private address")):
        outbound.check("https://hooks.example.test/in", Policy.SUBSCRIBER)


def test_a_literal_address_is_refused_as_itself():
    with pytest.raises(Refused) as refused:
        outbound.check("https://[::ffff:169.254.169.254]/latest", Policy.SUBSCRIBER)

    assert str(refused.value) == "refused: ::ffff:169.254.169.254 is a cloud metadata address"


def test_a_public_name_over_https_is_checked_and_pinned_to_its_first_address(dns):
    dns["hooks.example.test"] = ["93.184.215.14", "2606:4700::1111"]

    target = outbound.check("https://hooks.example.test:8443/in?x=1", Policy.SUBSCRIBER)

    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?x=1")
    assert target.host_header == "hooks.example.test:8443"


def test_plain_http_to_a_public_name_is_refused_for_subscribers(dns):
    dns["hooks.example.test"] = ["93.184.215.14"]

    with pytest.raises(Refused, match="is not https"):
        outbound.check("http://hooks.example.test/in", Policy.SUBSCRIBER)


def test_a_name_that_does_not_resolve_may_pass(dns):
    with pytest.raises(Unreachable, match=re.escape("gone.example.test does not resolve")):
        outbound.check("https://gone.example.test/in", Policy.SUBSCRIBER)


@pytest.mark.parametrize("url", ["ftp://files.example.test/x", "https:///path", "file:///etc"])
def test_what_is_not_an_http_address_is_refused(url):
    with pytest.raises(Refused):
        outbound.check(url, Policy.STAFF)


def test_staff_urls_may_be_private_and_plain_http(dns):
    dns["intranet.example.test"] = ["10.0.0.5"]

    target = outbound.check("http://intranet.example.test/alerts", Policy.STAFF)

    assert (target.address, target.port) == ("10.0.0.5", 80)


def test_the_setting_lets_loopback_through_and_nothing_else(settings, dns):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    dns["local.example.test"] = ["127.0.0.1", "::1"]
    dns["mixed.example.test"] = ["127.0.0.1", "10.0.0.5"]
    dns["half.example.test"] = ["127.0.0.1", "93.184.215.14"]

    assert outbound.check("http://local.example.test:8080/", Policy.SUBSCRIBER).port == 8080
    assert outbound.check("http://[::ffff:127.0.0.1]:8080/", Policy.SUBSCRIBER).port == 8080
    with pytest.raises(Refused, match=re.escape("10.0.0.5, a private address")):
        outbound.check("https://mixed.example.test/", Policy.SUBSCRIBER)
    with pytest.raises(Refused, match="is not https"):  # http only when every address is local
        outbound.check("http://half.example.test/", Policy.SUBSCRIBER)


def test_without_the_setting_loopback_is_refused(dns):
    dns["local.example.test"] = ["127.0.0.1"]

    with pytest.raises(Refused, match=re.escape("127.0.0.1, a loopback address")):
        outbound.check("https://local.example.test/", Policy.SUBSCRIBER)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.test/in", "The address must start with https://."),
        ("ftp://hooks.example.test/in", "Give an https:// address"),
        ("https://10.0.0.5/in", "10.0.0.5 is a private address; give a public address."),
        ("https://169.254.169.254/", "169.254.169.254 is a cloud metadata address"),
        ("https://[fd00::1]/", "fd00::1 is a unique-local address"),
        ("https://[::ffff:192.168.0.1]/", "::ffff:192.168.0.1 is a private address"),
        ("https://127.0.0.1:8000/", "127.0.0.1 is a loopback address"),
    ],
)
def test_the_edge_refuses_plain_http_and_literal_addresses_that_are_not_public(url, message):
    with pytest.raises(ValidationError) as refused:
        outbound.validate_subscriber_url(url)

    assert message in refused.value.messages[0]


def test_the_edge_takes_https_names_without_resolving_them(monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: pytest.fail("resolved"))

    outbound.validate_subscriber_url("https://hooks.example.test/in")
    outbound.validate_subscriber_url("https://93.184.215.14/in")


def test_the_edge_takes_loopback_and_its_plain_http_when_allowed(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True

    outbound.validate_subscriber_url("http://127.0.0.1:8000/hooks")
    outbound.validate_subscriber_url("http://localhost:8000/hooks")
    with pytest.raises(ValidationError):
        outbound.validate_subscriber_url("http://10.0.0.5/hooks")


def test_a_subscriber_endpoint_is_held_to_the_edge_rule_and_a_staff_one_is_not():
    subscribers = WebhookEndpoint(url="https://192.168.1.10/in", owner="subscriber")
    staffs = WebhookEndpoint(url="http://192.168.1.10/in", owner="staff")

    with pytest.raises(ValidationError) as refused:
        subscribers.clean()
    staffs.clean()

    assert refused.value.message_dict["url"] == [
        "192.168.1.10 is a private address; give a public address."
    ]


def test_a_request_goes_out_in_one_write_and_its_answer_is_read_over_a_kept_connection():
    ours, theirs = socket.socketpair()
    written: list[bytes] = []

    class Recording(socket.socket):
        def sendall(self, data, flags=0):  # type: ignore[override]
            written.append(bytes(data))
            return super().sendall(data, flags)

    ours = Recording(fileno=ours.detach())
    theirs.sendall(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 202 Accepted\r\nX-Request-Id: a\r\nx-request-id: b\r\n"
        b"Content-Length: 2\r\n\r\nok"
    )
    with ours, theirs:
        reply = wire.Connection(ours).exchange(
            "POST",
            "/x",
            {"Content-Type": "application/json"},
            b'{"a":1}',
            deadline=time.monotonic() + 5,
            limit=100,
        )
        head, _, body = theirs.recv(4096).partition(b"\r\n\r\n")
    assert len(written) == 1
    assert head.startswith(b"POST /x HTTP/1.1\r\n") and b"Content-Length: 7" in head
    assert body == b'{"a":1}'
    assert (reply.status, reply.reason, reply.body, reply.reusable) == (
        202,
        "Accepted",
        b"ok",
        True,
    )
    assert reply.headers.get("X-REQUEST-ID") == "a, b"


def test_answers_one_after_another_on_a_kept_connection_are_each_read_whole_and_alone():
    ours, theirs = socket.socketpair()
    answers = [
        b"HTTP/1.1 200 OK\r\nX-Id: 1\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 9\r\n\r\nslow down",
    ]
    replies = []
    with ours, theirs:
        connection = wire.Connection(ours)
        for answer in answers:
            theirs.sendall(answer)
            replies.append(
                connection.exchange(
                    "POST", "/", {}, b"{}", deadline=time.monotonic() + 5, limit=100
                )
            )
            theirs.recv(4096)
    assert [(r.status, r.body, dict(r.headers), r.reusable) for r in replies] == [
        (200, b"ok", {"x-id": "1", "content-length": "2"}, True),
        (204, b"", {}, True),
        (429, b"slow down", {"retry-after": "3", "content-length": "9"}, True),
    ]


@pytest.mark.parametrize(
    ("answer", "reusable", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", False, b"ok"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n0123456789ab", False, b"01234"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", True, b"ok"),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the close", False, b"until"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", True, b""),
    ],
)
def test_an_answer_is_kept_to_its_limit_and_its_connection_only_when_read_to_the_end(
    answer: bytes, reusable: bool, body: bytes
):
    ours, theirs = socket.socketpair()
    theirs.sendall(answer)
    if b"until the close" in answer:
        theirs.shutdown(socket.SHUT_WR)
    with ours, theirs:
        reply = wire.Connection(ours).exchange(
            "POST", "/", {}, b"", deadline=time.monotonic() + 5, limit=5
        )
    assert (reply.reusable, reply.body) == (reusable, body)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"", ConnectionResetError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", wire.ProtocolError),
        (b"SSH-2.0-OpenSSH_9.2\r\n", wire.ProtocolError),
    ],
)
def test_a_closed_or_broken_answer_is_an_error(answer: bytes, error: type[Exception]):
    ours, theirs = socket.socketpair()
    theirs.sendall(answer)
    theirs.shutdown(socket.SHUT_WR)
    with ours, theirs, pytest.raises(error):
        wire.Connection(ours).exchange("POST", "/", {}, b"", deadline=time.monotonic() + 5, limit=5)


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/a b", {}), ("/a\r\nX: y", {}), ("/", {"X-A": "b\r\nX-Injected: 1"}), ("/", {"X A": "b"})],
)
def test_a_request_that_could_smuggle_another_is_refused_before_anything_is_sent(path, headers):
    with pytest.raises(ValueError):
        wire.request_head("POST", path, headers, 0)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B1/x",
        "https://hooks.slack.com/services/T0/B1/y",
        "http://127.0.0.1:8080/hooks/1?api-version=1&sig=a%2Fb",
        "https://[2001:db8::1]:8443/in/",
        "https://Hooks.Example.COM/in",
        "https://bücher.example/in",
        "https://user:pw@example.com:444/in?x=1",
        "https://example.com/in?",
        "https://example.com/in#frag",
        "https://example.com/in?x=1#frag",
        "https://example.com/a\tb",
        " https://example.com/lead",
        "https://example.com?x=1",
        "https://example.com",
        "HTTPS://example.com/upper",
        "https://example.com:99999/in",
        "https://example.com/back\\slash",
    ],
)
def test_a_client_splits_a_url_as_split_does_whatever_it_split_before(url):
    def outcome(splitting):
        try:
            return splitting(url)
        except Refused as error:
            return str(error)

    client = outbound.Client()
    for seen in ("https://hooks.slack.com/services/T0/B1/z", "https://example.com/other"):
        client._split(seen)
    assert outcome(client._split) == outcome(outbound.split)
    assert outcome(client._split) == outcome(outbound.split)  # from what it kept
