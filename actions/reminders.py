"""Reminding subscribers a set time before a maintenance window starts, once per start."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import LONGEST_REMINDER_MINUTES, UPCOMING_MAINTENANCE_STATUSES, Maintenance
from notifier.ledger import record_notice
from notifier.models import NoticeKind


class Keep:
    """Leave the window's reminder lead as it is."""


KEEP = Keep()


def reminder_minutes(value: int | None) -> int | None:
    """A reminder lead as stored: minutes before the start, None (or 0) for no reminder."""
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            {"remind_minutes_before": "Give the reminder as whole minutes before the start."}
        )
    if value > LONGEST_REMINDER_MINUTES:
        raise ValidationError(
            {
                "remind_minutes_before": f"A reminder goes out at most {LONGEST_REMINDER_MINUTES} "
                "minutes (a week) before the start."
            }
        )
    return value


def reminded_by_announcement(
    start: datetime, remind_minutes_before: int | None, reminded_for: datetime | None = None
) -> datetime | None:
    """What reminded_for becomes when a window is announced for `start`: the start itself when
    the reminder time has already come (the announcement, minutes ahead, says it all and a
    reminder on the next tick would only repeat it), else as it was."""
    if remind_minutes_before and start - timedelta(minutes=remind_minutes_before) <= timezone.now():
        return start
    return reminded_for


def _claim_reminder(maintenance: Maintenance, now: datetime) -> bool:
    """Mark the window reminded of its current start, unless someone did first.

    One conditional UPDATE: of two workers (or a beat restarted mid-tick) exactly one
    changes the row; the other finds reminded_for already set and sends nothing. It also
    refuses a window moved or ended since it was read.
    """
    claimed = (
        Maintenance.objects.filter(
            pk=maintenance.pk,
            status__in=UPCOMING_MAINTENANCE_STATUSES,
            scheduled_start=maintenance.scheduled_start,
            scheduled_start__gt=now,
            remind_minutes_before__gt=0,
        )
        .exclude(reminded_for=maintenance.scheduled_start)
        .update(reminded_for=maintenance.scheduled_start)
    )
    return claimed == 1


@transaction.atomic
def remind_of_window(maintenance: Maintenance, now: datetime) -> bool:
    """Record the reminder of one window read as due, unless another worker did first."""
    if not _claim_reminder(maintenance, now):
        return False
    # The update that set the current window: what the webhook body is as of.
    update = maintenance.updates.order_by("-posted_at", "-id").first()
    record_notice(
        NoticeKind.MAINTENANCE_REMINDER,
        maintenance=maintenance,
        maintenance_update=update,
        created_at=now,
    )
    maintenance.reminded_for = maintenance.scheduled_start
    return True


def remind_due_maintenance(now: datetime | None = None) -> list[Maintenance]:
    """Remind subscribers of windows starting soon (the periodic task), once per start.

    A window whose start has passed is not reminded late (the beat was down): the notice
    that it started follows instead. Returns the windows reminded.
    """
    now = now or timezone.now()
    due = Maintenance.objects.due_for_reminder(now)
    return [maintenance for maintenance in due if remind_of_window(maintenance, now)]
