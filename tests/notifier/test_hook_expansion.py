"""Chat hooks and webhooks expand as email does: the publish writes one Expansion row, a
worker writes one delivery per subscribed hook or endpoint, once, however often it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import actions
from incidents.models import Component, ComponentStatus, Incident
from notifier import expansion, tasks
from notifier.models import (
    ContactPoint,
    Delivery,
    Expansion,
    Notice,
    Subscriber,
    WebhookEndpoint,
)
from tests.factories import make_component
from tests.notifier.expanding import expansion_killed_after_its_second_chunk

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

CHAT_SERVICES = ("slack", "teams", "discord")


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Delivery ids handed to the broker, in order (nothing is sent)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", ids.extend)
    return ids


@pytest.fixture
def small_chunks(monkeypatch, settings) -> None:
    """Chunks of 2, then 3: a handful of hooks takes several, as 10,000 would."""
    settings.DELIVERY_BATCH_SIZE = 2
    monkeypatch.setattr(expansion, "LATER_CHUNK", 3)


def publish(imap: Component, channel: str) -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="We are investigating.",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        channels=[channel],
    )


def hooks_on(channel: str, imap: Component, smtp: Component) -> set[str]:
    """Hooks of `channel` for readers of everything, of IMAP and of SMTP, and one reader's on
    another service; returns the targets an IMAP outage reaches (the first two kinds)."""
    expected = set()
    for n in range(4):
        for follows in ([], [imap], [smtp]):
            reader = Subscriber.objects.create()
            reader.components.set(follows)
            point = ContactPoint.objects.create(
                subscriber=reader, channel=channel, address=f"https://hooks.example/{n}/{follows}"
            )
            if follows != [smtp]:
                expected.add(str(point.pk))
    other = next(service for service in CHAT_SERVICES if service != channel)
    ContactPoint.objects.create(
        subscriber=Subscriber.objects.create(), channel=other, address="https://hooks.example/o"
    )
    return expected


def endpoints(imap: Component, smtp: Component) -> set[str]:
    """Endpoints of everything, of IMAP, of IMAP and POP (one delivery, not one per component
    matched), of SMTP and a disabled one; returns the targets an outage of IMAP and POP reaches."""
    pop = make_component("POP")
    expected = set()
    for n in range(3):
        for components in ([], [imap], [imap, pop], [smtp]):
            endpoint = WebhookEndpoint.objects.create(url=f"https://example.com/hooks/{n}")
            endpoint.components.set(components)
            if components != [smtp]:
                expected.add(str(endpoint.pk))
    WebhookEndpoint.objects.create(url="https://example.com/off", disabled_at=timezone.now())
    return expected


def audience(channel: str) -> tuple[Component, set[str]]:
    """The component the incident is about, and the targets its notice must reach."""
    imap, smtp = make_component("IMAP"), make_component("SMTP")
    if channel == "webhook":
        return imap, endpoints(imap, smtp)
    return imap, hooks_on(channel, imap, smtp)


def publish_about(imap: Component, channel: str) -> Incident:
    if channel != "webhook":
        return publish(imap, channel)
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="We are investigating.",
        component_statuses={
            imap: ComponentStatus.MAJOR_OUTAGE,
            Component.objects.get(name="POP"): ComponentStatus.MAJOR_OUTAGE,
        },
        channels=[channel],
    )


@pytest.mark.parametrize("channel", [*CHAT_SERVICES, "webhook"])
def test_the_publish_writes_one_row_and_the_worker_one_delivery_per_hook_once(
    channel, queued, small_chunks, monkeypatch, settings
):
    imap, expected = audience(channel)

    with CaptureQueriesContext(connection) as publishing:
        incident = publish_about(imap, channel)

    delivery_table = Delivery._meta.db_table
    assert not [q for q in publishing.captured_queries if delivery_table in q["sql"]]
    assert not Delivery.objects.exists()
    [mailing] = Expansion.objects.all()
    assert (mailing.channel, mailing.notice.incident, mailing.done_at) == (channel, incident, None)

    # The worker dies after writing its second chunk, before queueing it.
    expansion_killed_after_its_second_chunk(monkeypatch, mailing.pk)
    assert Delivery.objects.count() == 5 and len(queued) == 2

    # Its claim runs out; the next run finishes the list, writing nothing twice.
    a_while_ago = timezone.now() - timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    Expansion.objects.update(claimed_at=a_while_ago)
    assert expansion.expand_mailing_list(mailing.pk) == len(expected) - 2

    rows = Delivery.objects.filter(notice__incident=incident, channel=channel)
    targets = list(rows.values_list("target", flat=True))
    assert sorted(targets) == sorted(expected) and len(set(targets)) == len(targets)
    assert sorted(queued) == sorted(rows.values_list("id", flat=True))
    assert not rows.filter(enqueued_at=None).exists()
    assert expansion.expand_mailing_list(mailing.pk) == 0  # done: a duplicate task does nothing
    assert rows.count() == len(expected)


@pytest.mark.parametrize("channel", ["slack", "webhook"])
def test_with_the_broker_down_at_publish_the_sweeper_expands_the_hooks(
    channel, queued, monkeypatch
):
    started: list[int] = []
    monkeypatch.setattr(tasks.expand, "delay", started.append)
    imap, expected = audience(channel)
    publish_about(imap, channel)
    [mailing] = Expansion.objects.all()

    tasks.sweep()
    assert started == []  # too recent: the publish's own task may come
    Expansion.objects.update(created_at=timezone.now() - timedelta(hours=1))
    tasks.sweep()
    assert started == [mailing.pk]

    tasks.expand(mailing.pk)  # what the worker does with it
    assert sorted(Delivery.objects.values_list("target", flat=True)) == sorted(expected)
    assert len(queued) == len(expected)


def test_the_hooks_are_queued_before_a_longer_mailing_list(queued):
    imap = make_component("IMAP")
    Subscriber.objects.bulk_create(Subscriber(email=f"r{n}@example.com") for n in range(6))
    reader = Subscriber.objects.create()
    for n in range(2):
        ContactPoint.objects.create(
            subscriber=reader, channel="slack", address=f"https://hooks.example/{n}"
        )
    incident = actions.open_incident(
        title="Email services down because of DDoS",
        body="We are investigating.",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        channels=["email", "slack"],
    )
    notice = Notice.objects.get(incident=incident)
    # The mailing list was written first, as the registry names email first.
    assert list(Expansion.objects.values_list("channel", flat=True)) == ["email", "slack"]

    assert tasks.dispatch_notice(notice.pk) == 8

    channels = dict(Delivery.objects.values_list("id", "channel"))
    assert [channels[pk] for pk in queued] == ["slack"] * 2 + ["email"] * 6
