"""The mailing list, expanded by a worker idempotently; the sweeper and give-up rules around it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import actions
from incidents.models import ComponentStatus, Incident
from notifier import dispatch, expansion, tasks
from notifier.models import Delivery, DeliveryState, Expansion, Subscriber
from tests.factories import make_component
from tests.notifier.expanding import expansion_killed_after_its_second_chunk

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Delivery ids handed to the broker, in order (nothing is sent)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", ids.extend)
    return ids


def publish() -> Incident:
    return actions.open_incident(
        title="Email services down because of DDoS",
        body="We are investigating.",
        component_statuses={make_component("IMAP"): ComponentStatus.MAJOR_OUTAGE},
        channels=["email"],
    )


def subscribe(count: int) -> None:
    Subscriber.objects.bulk_create(Subscriber(email=f"r{n}@example.com") for n in range(count))


def test_the_publish_writes_one_row_and_the_worker_writes_a_delivery_per_subscriber(queued):
    subscribe(7)
    publish()
    assert not Delivery.objects.exists()
    [mailing] = Expansion.objects.all()

    assert expansion.expand_mailing_list(mailing.pk) == 7

    targets = sorted(int(t) for t in Delivery.objects.values_list("target", flat=True))
    assert targets == sorted(Subscriber.objects.values_list("id", flat=True))
    assert sorted(queued) == sorted(Delivery.objects.values_list("id", flat=True))
    mailing.refresh_from_db()
    assert mailing.done_at is not None
    assert expansion.expand_mailing_list(mailing.pk) == 0  # done: a duplicate task does nothing


def test_an_expansion_that_crashed_halfway_is_finished_by_the_next_without_duplicates(
    queued, monkeypatch, settings
):
    settings.DELIVERY_BATCH_SIZE = 2
    monkeypatch.setattr(expansion, "LATER_CHUNK", 3)
    subscribe(10)
    publish()
    [mailing] = Expansion.objects.all()
    expansion_killed_after_its_second_chunk(monkeypatch, mailing.pk)
    assert Delivery.objects.count() == 5 and len(queued) == 2

    assert expansion.expand_mailing_list(mailing.pk) == 0  # the claim is alive: hands off
    a_while_ago = timezone.now() - timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    Expansion.objects.update(claimed_at=a_while_ago)
    assert expansion.expand_mailing_list(mailing.pk) == 8

    assert Delivery.objects.count() == 10
    assert sorted(queued) == sorted(Delivery.objects.values_list("id", flat=True))
    assert len(set(queued)) == 10


def test_with_the_broker_down_at_publish_the_sweeper_expands_the_list(queued, monkeypatch):
    started: list[int] = []
    monkeypatch.setattr(tasks.expand, "delay", started.append)
    subscribe(3)
    publish()
    [mailing] = Expansion.objects.all()

    assert tasks.sweep() == 0 and started == []  # too recent: the publish's own task may come
    Expansion.objects.update(created_at=timezone.now() - timedelta(hours=1))
    tasks.sweep()
    assert started == [mailing.pk]
    tasks.sweep()
    assert started == [mailing.pk]  # queued once, and marked so

    tasks.expand(mailing.pk)  # what the worker does with it
    assert len(queued) == 3


def test_the_sweeper_leaves_batches_waiting_their_turn_while_the_workers_are_busy(queued):
    subscribe(6)
    publish()
    expansion.expand_mailing_list(Expansion.objects.get().pk)
    queued.clear()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.update(created_at=an_hour_ago, enqueued_at=an_hour_ago)
    busy = Delivery.objects.order_by("id").first()
    Delivery.objects.filter(pk=busy.pk).update(
        state=DeliveryState.SENDING, claimed_at=timezone.now(), claimed_by="live-worker"
    )

    assert tasks.sweep() == 0

    Delivery.objects.filter(pk=busy.pk).update(state=DeliveryState.SENT)
    assert tasks.sweep() == 5  # the queue stopped moving: these were lost by the broker
    assert busy.pk not in queued


def test_a_transient_failure_retries_until_the_delivery_is_too_old_however_many_tries(
    settings, inbox, queued
):
    subscribe(1)
    publish()
    expansion.expand_mailing_list(Expansion.objects.get().pk)
    delivery = Delivery.objects.get()
    Delivery.objects.update(attempts=50)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = port + 1 if port < 65535 else port - 1  # nobody listens there

    result = dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert result.retry_in is not None
    assert delivery.state == DeliveryState.RETRYING and delivery.attempts == 51

    settings.DELIVERY_GIVE_UP_AFTER = 6 * 3600
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=6, seconds=1))
    result = dispatch.run([delivery.pk])
    delivery.refresh_from_db()
    assert result.retry_in is None and result.failed == 1
    assert delivery.state == DeliveryState.FAILED
    assert "Cannot reach the mail server" in delivery.last_error


def test_backoff_is_capped(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS, settings.DELIVERY_RETRY_MAX_SECONDS = 10, 600
    assert max(dispatch.backoff(attempt) for attempt in range(1, 200)) <= 600
