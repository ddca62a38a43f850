"""A subscriber's webhook goes only to public addresses: resolved once, checked, connected to.

The resolver is faked at its boundary (socket.getaddrinfo) for the example names only; the
receiver is a real HTTP server on loopback.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
import requests

from notifier import dispatch
from notifier.channels import webhook
from notifier.models import DeliveryState, Notice, WebhookEndpoint
from tests.notifier import test_webhooks as hooks

pytestmark = pytest.mark.django_db

receiver = hooks.receiver
imap = hooks.imap
only_webhooks = hooks.only_webhooks


class FakeDns:
    """Answers for some names, one answer per lookup (the last repeats); None: no such name."""

    def __init__(self, real: Callable, answers: dict[str, list[str | None]]) -> None:
        self.real, self.answers = real, answers
        self.asked: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.asked.append(host)
        queue = self.answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]


@pytest.fixture
def dns(monkeypatch) -> Callable[..., FakeDns]:
    def answering(**answers: list[str | None]) -> FakeDns:
        fake = FakeDns(socket.getaddrinfo, {k.replace("_", "."): v for k, v in answers.items()})
        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return fake

    return answering


def subscriber_endpoint(receiver, name: str) -> WebhookEndpoint:
    port = receiver.url.split(":")[2].split("/")[0]
    return WebhookEndpoint.objects.create(
        url=f"http://{name}:{port}/hooks/",
        contact_email="reader@example.com",
        owner=WebhookEndpoint.Owner.SUBSCRIBER,
    )


def send_one(imap):
    notice = Notice.objects.get(incident=hooks.open_ddos(imap))
    dispatch.run([hooks.webhook_delivery(notice).pk])
    return hooks.webhook_delivery(notice)


def test_a_name_that_resolves_to_a_private_address_is_refused(receiver, imap, dns):
    dns(intranet_example_com=["10.0.0.5"])
    subscriber_endpoint(receiver, "intranet.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.FAILED
    assert "intranet.example.com is not a public address" in delivery.last_error
    assert receiver.received == []


def test_a_name_that_does_not_resolve_is_not_taken_for_public(receiver, imap, dns):
    dns(gone_example_com=[None])
    subscriber_endpoint(receiver, "gone.example.com")

    delivery = send_one(imap)

    assert delivery.state != DeliveryState.SENT
    assert "gone.example.com does not resolve" in delivery.last_error
    assert receiver.received == []


def test_the_post_goes_to_the_address_that_was_checked_not_a_second_answer(
    receiver, imap, dns, monkeypatch
):
    # The loopback receiver stands for a public server; a second lookup would answer another
    # loopback address where nothing listens (a rebinding name's private answer).
    monkeypatch.setattr(webhook, "is_public_address", lambda a: str(a) == "127.0.0.1")
    lookups = dns(hooks_example_com=["127.0.0.1", "127.0.0.2"])
    endpoint = subscriber_endpoint(receiver, "hooks.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert lookups.asked == ["hooks.example.com"]
    [received] = receiver.received
    assert received.headers["Host"] == endpoint.url.split("/")[2]  # the name, not the address


def test_https_keeps_the_name_for_sni_and_the_certificate_check():
    with webhook.pinned_session("203.0.113.7") as session:
        request = requests.Request("POST", "https://hooks.example.com/in").prepare()
        adapter = session.get_adapter(request.url)
        host, pool = adapter.build_connection_pool_key_attributes(request, True, None)

    assert host == {"scheme": "https", "host": "203.0.113.7", "port": None}
    assert pool["server_hostname"] == pool["assert_hostname"] == "hooks.example.com"
    assert pool["cert_reqs"] == "CERT_REQUIRED"
