"""Recording a publish: a Notice and its deliveries, written with the domain change.

Actions call `record_notice` inside their transaction; the deliveries are
handed to the workers (notifier/queueing.py) only after the transaction commits.
A channel whose audience may be long (email, the chat hooks, webhooks) writes one
Expansion row instead, which a worker turns into deliveries (notifier/expansion.py).
If the broker is unreachable then, the sweeper finds the pending rows later:
nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Post,
)
from notifier.channels.base import Channel
from notifier.models import Notice
from notifier.queueing import enqueue_notice
from notifier.registry import all_channels


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
    created_at: datetime | None = None,
) -> Notice | None:
    """Write the notice and one pending delivery per target (or an expansion per long
    audience); enqueue them after commit.

    `channels`: names to use; None means every configured channel the notice
    fits; an empty list records nothing (a backfill, the demo data).
    `status_change`: a component notice's old and new status.
    `created_at`: when the notice was due (a periodic task's `now`); the present by default.
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
        created_at=created_at or timezone.now(),
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
