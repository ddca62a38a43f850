"""Celery tasks: they carry delivery ids and leave every decision to the dispatcher."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone, translation

from notifier import dispatch, expansion, journal, subscriptions
from notifier.models import Delivery, DeliveryState, Expansion
from notifier.queueing import enqueue_deliveries, queue_once
from notifier.signed_links import BadToken, SubscribeRequest

logger = logging.getLogger(__name__)

RETRYING_TASK: dict[str, Any] = {"bind": True, "acks_late": True, "max_retries": None}
SWEEP_PAGE = 2000


@shared_task(name="notifier.dispatch_notice", acks_late=True)
def dispatch_notice(notice_id: int) -> int:
    """Split a notice's deliveries into tasks: single sends first, then its expansions
    (email, chat hooks, webhooks), the shortest first."""
    queued = enqueue_deliveries(Delivery.objects.filter(notice_id=notice_id))
    for expansion_id in expansion.shortest_first(notice_id):
        queued += expansion.expand_mailing_list(expansion_id)
    return queued


@shared_task(name="notifier.expand", acks_late=True)
def expand(expansion_id: int) -> int:
    return expansion.expand_mailing_list(expansion_id)


def _run(task: Task, delivery_ids: list[int]) -> int:
    result = dispatch.run(delivery_ids)
    if result.retry_in is not None:
        # The rows are marked retrying; the dispatcher bounds attempts per delivery.
        raise task.retry(countdown=result.retry_in)
    return result.sent


@shared_task(name="notifier.deliver", **RETRYING_TASK)
def deliver(self: Task, delivery_id: int) -> int:
    return _run(self, [delivery_id])


@shared_task(name="notifier.deliver_batch", **RETRYING_TASK)
def deliver_batch(self: Task, delivery_ids: list[int]) -> int:
    return _run(self, delivery_ids)


@shared_task(name="notifier.sweep")
def sweep() -> int:
    """Re-queue deliveries nobody is working on: the broker was down, or a worker died.

    A page of ids at a time: a sweep after a long outage must not hold every id in memory
    (and send them as one statement's parameters) at once.
    """
    journal.recover()  # what a killed batch sent counts as sent before its claim is handed back
    now = timezone.now()
    pending_for = timedelta(seconds=settings.DELIVERY_STALE_SECONDS)
    moving = Delivery.objects.being_sent_since(now - pending_for) or (
        Expansion.objects.filter(done_at=None, claimed_at__gt=now - pending_for).exists()
    )
    stale = Delivery.objects.stale(
        now,
        pending_for=pending_for,
        sending_for=timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS),
        queue_moving=moving,
    ).order_by("id")
    dead_claims = now - timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    seen = queued = last = 0
    while seen < settings.DELIVERY_SWEEP_LIMIT:
        size = min(SWEEP_PAGE, settings.DELIVERY_SWEEP_LIMIT - seen)
        page = list(stale.filter(pk__gt=last).values_list("id", flat=True)[:size])
        if not page:
            break
        seen, last = seen + len(page), page[-1]
        # A claim older than the timeout belongs to a dead worker: hand it back.
        Delivery.objects.filter(
            pk__in=page, state=DeliveryState.SENDING, claimed_at__lte=dead_claims
        ).update(state=DeliveryState.PENDING, claimed_by="")
        queued += enqueue_deliveries(Delivery.objects.filter(pk__in=page))
    for expansion_id in expansion.stale_expansions(now, queue_moving=moving):
        Expansion.objects.filter(pk=expansion_id).update(enqueued_at=now)
        expand.delay(expansion_id)
        logger.info("Sweeper queued expansion %s", expansion_id)
    if queued:
        logger.info("Sweeper re-queued %s deliveries", queued)
    return queued


@shared_task(
    name="notifier.send_confirmation",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=8,
)
def send_confirmation(
    email: str,
    component_ids: list[int],
    subscriber_id: int | None = None,
    subscriber_key_hash: str = "",
    language: str = "",
) -> None:
    # The last two name the reader adding this address from their own page (tasks queued
    # before readers had pages have neither).
    wish = SubscribeRequest(
        email,
        tuple(component_ids),
        subscriber_id=subscriber_id,
        subscriber_key_hash=subscriber_key_hash,
    )
    try:
        # In the language of the page the reader asked from, so its link leads back to it.
        with translation.override(language or settings.LANGUAGE_CODE):
            mail = subscriptions.confirmation_email(wish)
    except BadToken:
        logger.info("The reader left before their confirmation mail was sent; none sent")
        return
    mail.send()


def request_confirmation(wish: SubscribeRequest) -> None:
    """Queue the confirmation mail; with the broker down, send it from the request instead."""
    try:
        queue_once(
            send_confirmation,
            wish.email,
            list(wish.component_ids),
            wish.subscriber_id,
            wish.subscriber_key_hash,
            translation.get_language(),
        )
    except Exception:
        logger.warning("Broker unreachable: sending the confirmation mail directly")
        subscriptions.confirmation_email(wish).send()
