"""Roll a component's `UptimeDay` rows up into its `UptimeWindow`: the status page's 90 days.

Every writer of the rows calls this in the same step: `days.roll_up_days` (each change, the
hourly beat, the importers' and the demo's batches), `days.roll_up_history`, a restore, and
the signal on a row saved or deleted as a model. Like days.py, it takes the models it reads
and writes, so a migration can hand its historical ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from incidents import timefmt
from incidents.models.uptime import ROW_COLUMNS, DaySeconds
from incidents.models.uptime_window import WINDOW_DAYS, told_text
from incidents.uptime.models import HistoryModels

ONE_DAY = timedelta(days=1)
SUMMED = (
    "observed_seconds",
    "major_outage_seconds",
    "partial_outage_seconds",
    "degraded_performance_seconds",
    "under_maintenance_seconds",
)


def is_quiet(seconds: DaySeconds) -> bool:
    """Observed, fully up and no incident: a day the window tells by its sums alone."""
    return (
        seconds.worst_status == "operational"
        and seconds.observed > 0
        and not seconds.incident_ids
        and not (
            seconds.major_outage
            or seconds.partial_outage
            or seconds.degraded_performance
            or seconds.under_maintenance
        )
    )


def window_fields(rows: Sequence[DaySeconds], first_day: date, last_day: date) -> dict[str, Any]:
    """A window's columns from its rows (oldest first, each within first_day..last_day)."""
    told: list[DaySeconds] = []
    sums = dict.fromkeys(SUMMED, 0)
    previous: date | None = None
    for seconds in rows:
        if previous is not None:
            missing = previous + ONE_DAY
            while missing < seconds.day:  # a day never rolled up, between two that were
                told.append(DaySeconds(missing))
                missing += ONE_DAY
        previous = seconds.day
        sums["observed_seconds"] += seconds.observed
        sums["major_outage_seconds"] += seconds.major_outage
        sums["partial_outage_seconds"] += seconds.partial_outage
        sums["degraded_performance_seconds"] += seconds.degraded_performance
        sums["under_maintenance_seconds"] += seconds.under_maintenance
        if not is_quiet(seconds):
            told.append(seconds)
    return {
        "first_day": first_day,
        "last_day": last_day,
        "covered_from": rows[0].day if rows else None,
        "covered_to": rows[-1].day if rows else None,
        **sums,
        "told_days": told_text(told),
    }


def roll_up_window(
    component_id: int, *, now: datetime | None = None, models: HistoryModels | None = None
) -> None:
    """Write the component's window: its last WINDOW_DAYS days up to `now`'s (site zone)."""
    models = models or HistoryModels.current()
    if models.UptimeWindow is None:  # a migration from before the windows
        return
    now = now or timezone.now()
    last_day = timefmt.in_zone(now).date()  # the status page's today
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    rows = [
        DaySeconds.from_values(values)
        for values in models.UptimeDay.objects.filter(
            component_id=component_id, day__gte=first_day, day__lte=last_day
        )
        .order_by("day")
        .values_list(*ROW_COLUMNS)
    ]
    fields = window_fields(rows, first_day, last_day)
    # Written in bulk, as the days are: no signal, so the publication token moves only when
    # the days' writer says so.
    models.UptimeWindow.objects.bulk_create(
        [models.UptimeWindow(component_id=component_id, computed_at=now, **fields)],
        update_conflicts=True,
        unique_fields=["component"],
        update_fields=[*fields, "computed_at"],
    )


def roll_up_windows(
    component_ids: Iterable[int] | None = None,
    *,
    now: datetime | None = None,
    models: HistoryModels | None = None,
) -> int:
    """Write the windows of these components (all by default); how many."""
    models = models or HistoryModels.current()
    now = now or timezone.now()
    ids = models.component_ids(component_ids)
    for component_id in ids:
        roll_up_window(component_id, now=now, models=models)
    return len(ids)
