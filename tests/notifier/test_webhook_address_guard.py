"""A subscriber's webhook goes only to public addresses: resolved once, checked, connected to.

The resolver is faked at its seam (notifier.outbound.resolve); the receiver is a real HTTP
server on loopback, reached because OUTBOUND_ALLOW_LOOPBACK stands in for a public address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import pytest

from notifier import dispatch, outbound
from notifier.models import DeliveryState, Notice, WebhookEndpoint
from tests.notifier import test_webhooks as hooks
from tests.notifier.expanding import write_deliveries

pytestmark = pytest.mark.django_db

receiver = hooks.receiver
imap = hooks.imap
only_webhooks = hooks.only_webhooks


class FakeDns:
    """The outbound module's resolver: answers for the example names, one answer per lookup
    (the last repeats); None: no such name."""

    def __init__(self, answers: dict[str, list[str | None]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list:
        self.asked.append(host)
        queue = self.answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(address)]


@pytest.fixture
def dns(monkeypatch) -> Callable[..., FakeDns]:
    def answering(**answers: list[str | None]) -> FakeDns:
        fake = FakeDns({k.replace("_", "."): v for k, v in answers.items()})
        monkeypatch.setattr(outbound, "resolve", fake)
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
    write_deliveries()
    dispatch.run([hooks.webhook_delivery(notice).pk])
    return hooks.webhook_delivery(notice)


def test_a_name_that_resolves_to_a_private_address_is_refused_for_good(receiver, imap, dns):
    dns(intranet_example_com=["10.0.0.5"])
    subscriber_endpoint(receiver, "intranet.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.FAILED
    assert "refused: intranet.example.com resolves to 10.0.0.5, a private address" in (
        delivery.last_error
    )
    assert receiver.received == []


def test_a_name_that_does_not_resolve_is_tried_again_not_taken_for_public(receiver, imap, dns):
    dns(gone_example_com=[None])
    subscriber_endpoint(receiver, "gone.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.RETRYING
    assert "gone.example.com does not resolve" in delivery.last_error
    assert receiver.received == []


def test_the_post_goes_to_the_address_that_was_checked_not_a_second_answer(
    settings, receiver, imap, dns, monkeypatch
):
    # The loopback receiver stands for a public server (the setting); a second lookup would
    # answer another loopback address where nothing listens (a rebinding name's other answer).
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    lookups = dns(hooks_example_com=["127.0.0.1", "127.0.0.2"])

    def no_second_lookup(*args, **kwargs):
        raise AssertionError("the name was resolved again")

    monkeypatch.setattr(socket, "getaddrinfo", no_second_lookup)
    endpoint = subscriber_endpoint(receiver, "hooks.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert lookups.asked == ["hooks.example.com"]
    [received] = receiver.received
    assert received.headers["Host"] == endpoint.url.split("/")[2]  # the name, not the address


def test_a_subscriber_endpoint_over_plain_http_to_a_public_name_is_refused(
    settings, receiver, imap, dns
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # loopback would pass: the scheme alone refuses
    dns(hooks_example_com=["93.184.215.14"])
    subscriber_endpoint(receiver, "hooks.example.com")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.FAILED
    assert "is not https (subscriber addresses must be)" in delivery.last_error


def test_a_staff_endpoint_may_post_to_a_private_name(receiver, imap, dns, monkeypatch):
    # Staff run the machines behind their own endpoints: the name's loopback answer is taken.
    dns(intranet_example_com=["127.0.0.1"])
    port = receiver.url.split(":")[2].split("/")[0]
    WebhookEndpoint.objects.create(url=f"http://intranet.example.com:{port}/hooks/")

    delivery = send_one(imap)

    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert len(receiver.received) == 1
