"""Maintenance on time: the periodic task starts the windows that are due and completes
those that have ended, through the same acts staff use."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from django.utils import timezone

from actions.maintenance import complete_maintenance, start_maintenance
from actions.stock_texts import COMPLETED_ON_TIME_TEXT, STARTED_ON_TIME_TEXT, with_stock_text
from incidents.models import InvalidTransition, Maintenance, MaintenanceUpdate, StatusPeriod


def _on_time(maintenance: Maintenance, scheduled: datetime) -> datetime:
    """The scheduled time, or the last change of its components if one came later (the beat
    was late): history is written in time order."""
    last = StatusPeriod.objects.last_change(maintenance.components.all())
    return scheduled if last is None else max(scheduled, last)


def advance_maintenance(now: datetime | None = None) -> list[MaintenanceUpdate]:
    """Start windows that are due and complete those that have ended (the periodic task)."""
    now = now or timezone.now()
    updates = []
    started, started_translations = with_stock_text("", None, STARTED_ON_TIME_TEXT)
    completed, completed_translations = with_stock_text("", None, COMPLETED_ON_TIME_TEXT)
    for maintenance in Maintenance.objects.due_to_start(now):
        with suppress(InvalidTransition):  # another run, or staff, moved it first
            updates.append(
                start_maintenance(
                    maintenance,
                    body=started,
                    translations=started_translations,
                    posted_at=_on_time(maintenance, maintenance.scheduled_start),
                )
            )
    for maintenance in Maintenance.objects.due_to_complete(now):
        with suppress(InvalidTransition):
            updates.append(
                complete_maintenance(
                    maintenance,
                    body=completed,
                    translations=completed_translations,
                    posted_at=_on_time(maintenance, maintenance.scheduled_end),
                )
            )
    return updates
