"""The one place that runs channels, records outcomes and decides retry or give up.

A worker claims deliveries with a conditional update, so two workers never
send the same message. Transient failures stop the batch and ask for a
retry with backoff until the delivery is DELIVERY_GIVE_UP_AFTER old (an SMTP
relay down for an hour must not fail the mails it would have carried);
permanent ones are recorded and never retried blindly.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation

from notifier import journal
from notifier.channels.base import TransportError, backoff, gives_up
from notifier.models import CLAIMABLE_STATES, Delivery, DeliveryState, Notice
from notifier.registry import channel_named

logger = logging.getLogger(__name__)

# Transient failures in a row after which a batch of independent targets stops all the same.
TRANSIENT_IN_A_ROW = 3


@dataclass(frozen=True)
class BatchResult:
    sent: int = 0
    failed: int = 0
    # Set when a transient failure stopped the batch: seconds to wait before trying again.
    retry_in: float | None = None
    error: str = ""


def claim(delivery_ids: Sequence[int]) -> list[Delivery]:
    """Move claimable deliveries to `sending` in one statement; returns those this worker won.

    The batch's random claim mark tells which rows this worker won when another
    worker raced it for some of them.
    """
    mark = secrets.token_hex(8)
    Delivery.objects.filter(pk__any_of=delivery_ids, state__in=CLAIMABLE_STATES).update(
        state=DeliveryState.SENDING,
        claimed_at=timezone.now(),
        claimed_by=mark,
        attempts=F("attempts") + 1,
    )
    # Only what sending needs: loading every column of every row costs more than the claim.
    deliveries = list(
        Delivery.objects.filter(pk__any_of=delivery_ids, claimed_by=mark)
        .only("id", "notice_id", "channel", "target", "attempts", "created_at", "claimed_by")
        .order_by("id")
    )
    # A batch is nearly always one notice's: load it once rather than joined to every row.
    notices = Notice.objects.in_bulk({d.notice_id for d in deliveries})
    for delivery in deliveries:
        delivery.notice = notices[delivery.notice_id]
    return deliveries


def _record(delivery: Delivery, state: str, **fields: object) -> None:
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
        state=state, **fields
    )


def _renew(deliveries: Sequence[Delivery]) -> None:
    """Show the sweeper this batch is alive: move its claim on the unsent rows forward."""
    Delivery.objects.filter(
        pk__any_of=[d.pk for d in deliveries],
        claimed_by=deliveries[0].claimed_by,
        state=DeliveryState.SENDING,
    ).update(claimed_at=timezone.now())


def _release(deliveries: Sequence[Delivery]) -> None:
    """Give back claimed deliveries that were not tried (the batch stopped before them)."""
    unsent = Delivery.objects.filter(pk__any_of=[d.pk for d in deliveries])
    unsent.filter(state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING, claimed_at=None, attempts=F("attempts") - 1
    )


def _speaking(language: str | None) -> AbstractContextManager[object]:
    if not language or language == translation.get_language():
        return nullcontext()
    return translation.override(language)


def run(delivery_ids: Sequence[int]) -> BatchResult:
    """Send these deliveries over one session of their channel, recording each outcome."""
    journal.recover()  # a batch killed mid-way: what it sent is sent, before anything is claimed
    deliveries = claim(delivery_ids)
    if not deliveries:
        return BatchResult()
    try:
        channel = channel_named(deliveries[0].channel)
    except KeyError as error:
        for delivery in deliveries:
            _record(delivery, DeliveryState.FAILED, last_error=str(error))
        return BatchResult(failed=len(deliveries))

    sent = failed = 0
    waits: list[float] = []  # retries of targets that failed alone, when the channel allows
    last_error, in_a_row = "", 0
    # A batch may outlast DELIVERY_SENDING_TIMEOUT_SECONDS on a slow server; renewing the
    # claim well within it keeps the sweeper from handing the rest to another worker.
    renew_every = settings.DELIVERY_SENDING_TIMEOUT_SECONDS / 3
    renewed = time.monotonic()
    try:
        channel.prepare(deliveries)
        with (
            journal.committed_lazily(),
            journal.Journal(deliveries[0].claimed_by) as record,
            channel.session() as session,
        ):
            for index, delivery in enumerate(deliveries):
                if time.monotonic() - renewed > renew_every:
                    _renew(deliveries[index:])
                    renewed = time.monotonic()
                try:
                    # Each reader in their own language (the worker's is the site's).
                    with _speaking(channel.language_of(delivery)):
                        reference = channel.send(delivery, session)
                except TransportError as error:
                    if gives_up(delivery, error):
                        _record(delivery, DeliveryState.FAILED, last_error=str(error))
                        failed += 1
                        continue
                    wait = backoff(delivery.attempts, error.retry_after)
                    _record(
                        delivery,
                        DeliveryState.RETRYING,
                        last_error=str(error),
                        next_attempt_at=timezone.now() + timedelta(seconds=wait),
                    )
                    waits.append(wait)
                    in_a_row += 1
                    if channel.independent_targets and in_a_row < TRANSIENT_IN_A_ROW:
                        # One hook failing says nothing of the others: the batch goes on, and
                        # its retry claims only what is still unsent. Several in a row look
                        # like the service itself failing: then the batch stops.
                        last_error = str(error)
                        continue
                    _release(deliveries[index + 1 :])
                    return BatchResult(sent, failed, retry_in=wait, error=str(error))
                in_a_row = 0
                record.sent(delivery, reference)
                sent += 1
    except TransportError as error:  # the session itself could not be opened
        return _session_failed(deliveries, error, sent, failed)
    except Exception as error:
        # A bug of ours, not the far end's: record it where staff look, and do not loop on it.
        logger.exception("Channel %s crashed on deliveries %s", channel.name, delivery_ids)
        Delivery.objects.filter(
            pk__any_of=[d.pk for d in deliveries], state=DeliveryState.SENDING
        ).update(state=DeliveryState.FAILED, last_error=f"Internal error: {error!r}")
        return BatchResult(sent, failed + len(deliveries) - sent)
    if waits:
        return BatchResult(sent, failed, retry_in=min(waits), error=last_error)
    return BatchResult(sent, failed)


def _session_failed(
    deliveries: Sequence[Delivery], error: TransportError, sent: int, failed: int
) -> BatchResult:
    final = [d.pk for d in deliveries if gives_up(d, error)]
    rest = [d.pk for d in deliveries if d.pk not in set(final)]
    Delivery.objects.filter(pk__any_of=final, state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED, last_error=str(error)
    )
    if not rest:
        return BatchResult(sent, failed + len(final))
    wait = backoff(max(d.attempts for d in deliveries), error.retry_after)
    Delivery.objects.filter(pk__any_of=rest, state=DeliveryState.SENDING).update(
        state=DeliveryState.RETRYING,
        last_error=str(error),
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )
    return BatchResult(sent, failed + len(final), retry_in=wait, error=str(error))
