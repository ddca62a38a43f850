"""Turning a notice's long audience into deliveries, in the worker, a chunk at a time.

The channels that may reach many recipients (email subscribers, Slack, Teams and Discord
hooks, webhook endpoints: base.ExpandingChannel) write only an Expansion row during the
publish, so it commits in milliseconds however long the list. A worker then writes the
deliveries in chunks of the audience, in id order, and queues each chunk's batches before
writing the next: the first request leaves after the first small chunk, while the rest is
still being written.

Nothing is lost and nothing doubles: the row is claimed like a delivery (a conditional
UPDATE; a claim older than DELIVERY_SENDING_TIMEOUT_SECONDS belongs to a dead worker);
a re-run after a crash starts from the first recipient again, and the unique
(notice, channel, target) constraint makes every row it already wrote a no-op; rows
written but never queued (the crash came in between) lie above `queued_through`, so the
re-run queues them or, failing that, the sweeper does, as any delivery queued long ago
and still pending (rows are written with their enqueued_at set).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from notifier import queueing
from notifier.models import CLAIMABLE_STATES, Delivery, Expansion, Notice
from notifier.registry import channel_named

logger = logging.getLogger(__name__)

# The first chunk is one small batch, so another worker process starts sending while this
# one writes the rest (writing and claiming 500 rows before the first post took about 40 ms
# more than 100); the later ones are larger, as rows are written far faster than sent.
FIRST_CHUNK = 100
LATER_CHUNK = 5000


def claim_expansion(expansion_id: int) -> bool:
    """Whether this worker won the expansion (nobody holds it, or its holder died)."""
    now = timezone.now()
    dead = now - timedelta(seconds=settings.DELIVERY_SENDING_TIMEOUT_SECONDS)
    return bool(
        Expansion.objects.filter(pk=expansion_id, done_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lte=dead))
        .update(claimed_at=now)
    )


class _ListChannel(Protocol):
    """What expanding asks of a channel (base.ExpandingChannel gives it)."""

    def audience_ids(self, notice: Notice) -> Any: ...

    def expand_page(self, notice: Notice, after: int, limit: int) -> list[int]: ...


def shortest_first(notice_id: int) -> list[int]:
    """A notice's expansions not yet done, the one with the fewest recipients first.

    Each list's batches join the queue behind those of the lists expanded before it: a
    mailing list of 100,000 expanded first would keep the chat hooks and webhooks waiting
    until every mail had gone.
    """
    lists = list(
        Expansion.objects.filter(notice_id=notice_id, done_at=None).select_related("notice")
    )
    if len(lists) < 2:
        return [mailing.pk for mailing in lists]
    for mailing in lists[1:]:
        mailing.notice = lists[0].notice  # one notice: its components are looked up once
    sizes = {
        mailing.pk: cast(_ListChannel, channel_named(mailing.channel))
        .audience_ids(mailing.notice)
        .count()
        for mailing in lists
    }
    return sorted(sizes, key=lambda pk: (sizes[pk], pk))


def expand_mailing_list(expansion_id: int) -> int:
    """Write and queue the deliveries of one expansion; returns how many were queued."""
    if not claim_expansion(expansion_id):
        return 0
    expansion = Expansion.objects.select_related("notice").get(pk=expansion_id)
    # Only an expanding channel (email, the chat hooks, webhooks) writes expansions.
    channel = cast(_ListChannel, channel_named(expansion.channel))
    rows = Delivery.objects.filter(notice_id=expansion.notice_id, channel=expansion.channel)
    queued, after, size, chunks = 0, 0, min(FIRST_CHUNK, settings.DELIVERY_BATCH_SIZE), 0
    last_queued = expansion.queued_through
    while page := channel.expand_page(expansion.notice, after, size):
        # Every row of this notice not yet queued: the chunk just written (its ids are
        # above those queued before), and at the first pass any a crashed run left.
        fresh = rows.filter(id__gt=last_queued, state__in=CLAIMABLE_STATES)
        ids = list(fresh.order_by("id").values_list("id", flat=True))
        queued += queueing.queue_batches(ids, marked=True)
        last_queued = ids[-1] if ids else last_queued
        # Renewed per chunk, so the sweeper does not take a long list from a live worker.
        Expansion.objects.filter(pk=expansion_id).update(
            claimed_at=timezone.now(), queued_through=last_queued
        )
        after, size, chunks = page[-1], LATER_CHUNK, chunks + 1
        if chunks == 2:
            refresh_planner_statistics()
    Expansion.objects.filter(pk=expansion_id).update(done_at=timezone.now())
    if chunks > 2:
        refresh_planner_statistics()
    return queued


# A process analyses the ledger at most this often: a notice's lists come one after another.
ANALYZE_EVERY_SECONDS = 10.0
_analysed_at: float | None = None


def refresh_planner_statistics() -> None:
    """Tell PostgreSQL's planner that the ledger now holds many unsent rows.

    Its statistics date from when nearly every row was sent, so it takes "state is
    pending" for rare and claims a batch through the state index, reading every unsent
    row of the list for each batch of 200. Autovacuum would analyse the table only a
    minute or more after the list is sent. Once for a notice's lists is enough: each
    ANALYZE took 5 to 15 ms of a fan-out's first moments.
    """
    global _analysed_at
    if connection.vendor != "postgresql":
        return
    now = time.monotonic()
    if _analysed_at is not None and now - _analysed_at < ANALYZE_EVERY_SECONDS:
        return
    _analysed_at = now
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Delivery._meta.db_table)}")
    except DatabaseError:  # not the table's owner: the claims are slower, nothing else
        logger.warning("Could not ANALYZE the delivery ledger", exc_info=True)


def stale_expansions(now: datetime, *, queue_moving: bool) -> list[int]:
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
