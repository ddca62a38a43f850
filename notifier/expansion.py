"""Turning a notice's mailing list into deliveries, in the worker, a chunk at a time.

The publish only writes an Expansion row (notifier/channels/email.py), so it commits in
milliseconds however long the list. A worker then writes the deliveries in chunks of
subscribers, in id order, and queues each chunk's batches before writing the next: the
first mail leaves after the first small chunk, while the rest is still being written.

Nothing is lost and nothing doubles: the row is claimed like a delivery (a conditional
UPDATE; a claim older than DELIVERY_SENDING_TIMEOUT_SECONDS belongs to a dead worker);
a re-run after a crash starts from the first subscriber again, and the unique
(notice, channel, target) constraint makes every row it already wrote a no-op; rows
written but never queued (the crash came in between) are queued by the re-run or, failing
that, by the sweeper, as any delivery never queued.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifier.channels import channel_named
from notifier.models import CLAIMABLE_STATES, Delivery, Expansion

logger = logging.getLogger(__name__)

# The first chunk is one batch, so a worker can start sending it at once; the later ones
# are larger, as the rows are written far faster than they are sent.
LATER_CHUNK = 5000


def claim(expansion_id: int) -> bool:
    """Whether this worker won the expansion (nobody holds it, or its holder died)."""
    now = timezone.now()
    dead = now - timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    return bool(
        Expansion.objects.filter(pk=expansion_id, done_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lte=dead))
        .update(claimed_at=now)
    )


def expand(expansion_id: int) -> int:
    """Write and queue the deliveries of one expansion; returns how many were queued."""
    from notifier.ledger import queue_batches

    if not claim(expansion_id):
        return 0
    expansion = Expansion.objects.select_related("notice").get(pk=expansion_id)
    channel = channel_named(expansion.channel)
    rows = Delivery.objects.filter(notice_id=expansion.notice_id, channel=expansion.channel)
    queued, after, size = 0, 0, settings.DELIVERY_BATCH_SIZE
    while page := channel.expand_page(expansion.notice, after, size):  # type: ignore[attr-defined]
        fresh = rows.filter(
            target__in=[str(pk) for pk in page],
            enqueued_at=None,
            state__in=CLAIMABLE_STATES,
        )
        queued += queue_batches(list(fresh.order_by("id").values_list("id", flat=True)))
        # Renewed per chunk, so the sweeper does not take a long list from a live worker.
        Expansion.objects.filter(pk=expansion_id).update(claimed_at=timezone.now())
        after, size = page[-1], LATER_CHUNK
    Expansion.objects.filter(pk=expansion_id).update(done_at=timezone.now())
    return queued


def stale(now: datetime, *, queue_moving: bool) -> list[int]:
    """Expansions nobody works on: never started (the broker was down), or their worker died."""
    pending_for = timedelta(seconds=settings.DELIVERY_STALE_SECONDS)
    sending_for = timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    never_queued = Q(claimed_at=None, enqueued_at=None, created_at__lte=now - pending_for)
    dead = Q(claimed_at__lte=now - sending_for)
    waiting = Q(claimed_at=None, enqueued_at__lte=now - pending_for)
    condition = never_queued | dead if queue_moving else never_queued | dead | waiting
    return list(
        Expansion.objects.filter(condition, done_at=None)
        .order_by("id")
        .values_list("id", flat=True)
    )
