"""Recording a publish: a Notice and its deliveries, written with the domain change.

Actions call `record_notice` inside their transaction; the deliveries are
handed to the workers only after the transaction commits. If the broker is
unreachable then, the sweeper finds the pending rows later: nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
)
from notifier.channels import Channel, all_channels
from notifier.models import CLAIMABLE_STATES, Delivery, Notice

logger = logging.getLogger(__name__)


def default_channels(notice: Notice) -> list[Channel]:
    return [c for c in all_channels() if c.is_configured() and c.fits(notice)]


def record_notice(
    kind: str,
    *,
    channels: Iterable[str] | None = None,
    incident: Incident | None = None,
    incident_update: IncidentUpdate | None = None,
    maintenance: Maintenance | None = None,
    maintenance_update: MaintenanceUpdate | None = None,
    post: Post | None = None,
    component: Component | None = None,
    status_change: tuple[str, str] = ("", ""),
) -> Notice | None:
    """Write the notice and one pending delivery per target; enqueue them after commit.

    `channels`: names to use; None means every configured channel the notice
    fits; an empty list records nothing (a backfill, the demo data).
    `status_change`: a component notice's old and new status.
    """
    if channels is not None and not list(channels):
        return None
    notice = Notice.objects.create(
        kind=kind,
        incident=incident,
        incident_update=incident_update,
        maintenance=maintenance,
        maintenance_update=maintenance_update,
        post=post,
        component=component,
        old_status=status_change[0],
        new_status=status_change[1],
    )
    chosen = default_channels(notice)
    if channels is not None:
        wanted = set(channels)
        chosen = [c for c in all_channels() if c.name in wanted and c.is_configured()]
    for channel in chosen:
        channel.create_deliveries(notice)
    notice.channels = [c.name for c in chosen]
    notice.save(update_fields=["channels"])
    transaction.on_commit(lambda: enqueue_notice(notice.pk))
    return notice


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
    from notifier import tasks

    try:
        queue_once(tasks.dispatch_notice, notice_id)
    except Exception:  # the broker is down: the sweeper will pick the deliveries up
        logger.exception("Could not enqueue notice %s; the sweeper will retry", notice_id)


def enqueue_deliveries(rows: QuerySet[Delivery]) -> int:
    """Queue the claimable ones of `rows`: single sends first, so a large mailing delays nothing."""
    from notifier import tasks

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
                tasks.deliver.delay(delivery_id)
                queued += 1
    return queued


def queue_batches(ids: list[int], *, marked: bool = False) -> int:
    """Queue deliveries of a batch channel, DELIVERY_BATCH_SIZE to a task, in this order.

    `marked`: their enqueued_at is set already (the expansion writes it with the rows).
    """
    from notifier import tasks

    for chunk in _chunks(ids, settings.DELIVERY_BATCH_SIZE):
        if not marked:
            _mark_enqueued(chunk)
        tasks.deliver_batch.delay(chunk)
    return len(ids)


def _mark_enqueued(ids: list[int]) -> None:
    # Marked before sending to the broker: a task may start before this call returns.
    Delivery.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
