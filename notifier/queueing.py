"""Handing deliveries to the workers: which task carries which rows, in what order.

Tasks are looked up by name in the Celery app, so this module and the tasks
that call it (notifier/tasks.py) do not import each other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from celery import current_app
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from notifier.models import CLAIMABLE_STATES, Delivery
from notifier.registry import all_channels

logger = logging.getLogger(__name__)


def _task(name: str) -> Any:
    return current_app.tasks[name]


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def queue_once(task: Any, *args: object) -> None:
    """Queue a task with a single try at the broker; raise at once when it is unreachable.

    Kombu would retry the connection with pauses of 2 s, then 4 s, until
    CELERY_BROKER_CONNECTION_TIMEOUT has passed: 6 s for the default 3 s, spent inside
    a publish or a subscribe request. Whoever calls this has a fallback instead.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args)
        return
    with task.app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)
        task.apply_async(args, connection=connection)


def enqueue_notice(notice_id: int) -> None:
    """Hand a notice's deliveries to the workers; a broker outage is logged, not raised."""
    try:
        queue_once(_task("notifier.dispatch_notice"), notice_id)
    except Exception:  # the broker is down: the sweeper will pick the deliveries up
        logger.exception("Could not enqueue notice %s; the sweeper will retry", notice_id)


def enqueue_deliveries(rows: QuerySet[Delivery]) -> int:
    """Queue the claimable ones of `rows`: single sends first, so a large mailing delays nothing."""
    by_channel: dict[str, list[int]] = {}
    claimable = rows.filter(state__in=CLAIMABLE_STATES).order_by("id")
    for delivery_id, channel in claimable.values_list("id", "channel").iterator(chunk_size=5000):
        by_channel.setdefault(channel, []).append(delivery_id)
    batch_channels = {c.name for c in all_channels() if c.batch}
    queued = 0
    for name, ids in sorted(by_channel.items(), key=lambda item: item[0] in batch_channels):
        if name in batch_channels:
            queued += queue_batches(ids)
        else:
            for delivery_id in ids:
                _mark_enqueued([delivery_id])
                _task("notifier.deliver").delay(delivery_id)
                queued += 1
    return queued


def queue_batches(ids: list[int], *, marked: bool = False) -> int:
    """Queue deliveries of a batch channel, DELIVERY_BATCH_SIZE to a task, in this order.

    `marked`: their enqueued_at is set already (the expansion writes it with the rows).
    """
    for chunk in _chunks(ids, settings.DELIVERY_BATCH_SIZE):
        if not marked:
            _mark_enqueued(chunk)
        _task("notifier.deliver_batch").delay(chunk)
    return len(ids)


def _mark_enqueued(ids: list[int]) -> None:
    # Marked before sending to the broker: a task may start before this call returns.
    Delivery.objects.filter(pk__any_of=ids).update(enqueued_at=timezone.now())
