"""Roll a component's status periods up into one UptimeDay row per day in the site's zone.

Days run from local midnight to local midnight, found with zoneinfo, so the day clocks go
forward is 23 hours long and the day they go back 25. All arithmetic is on epoch seconds:
subtracting two datetimes of the same zone counts wall-clock time, which is wrong on
those days.

The functions take the models they write as arguments, so migrations call them with their
historical models; `HistoryModels.current()` gives today's.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from incidents.uptime.models import HistoryModels
from incidents.uptime.window import roll_up_window

# The columns of UptimeDay per status (operational is the rest of observed_seconds), and
# the order of badness the page's overall status uses.
SECONDS_COLUMN = {
    "degraded_performance": "degraded_performance_seconds",
    "partial_outage": "partial_outage_seconds",
    "major_outage": "major_outage_seconds",
    "under_maintenance": "under_maintenance_seconds",
}
RANK = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}
OPEN_INCIDENT_STATUSES = ("investigating", "identified", "monitoring")


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.SITE_TIME_ZONE)


def day_of(moment: datetime, zone: ZoneInfo | None = None) -> date:
    return moment.astimezone(zone or site_zone()).date()


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """Local midnight at the start of `day` and of the next day, as aware datetimes."""
    zone = zone or site_zone()
    return (
        datetime.combine(day, time(), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(), tzinfo=zone),
    )


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() // 1)


@dataclass
class _Span:
    start: int
    end: int | None  # None: still going on
    status: str = ""
    incident_id: int | None = None


@dataclass
class DayTotals:
    day: date
    observed_seconds: int = 0
    seconds: dict[str, int] = field(default_factory=dict)
    worst_status: str = "operational"
    incident_ids: list[int] = field(default_factory=list)

    def as_row(self, model: Any, component_id: int, computed_at: datetime) -> Any:
        return model(
            component_id=component_id,
            day=self.day,
            observed_seconds=self.observed_seconds,
            worst_status=self.worst_status,
            incident_ids=self.incident_ids,
            computed_at=computed_at,
            **{SECONDS_COLUMN[s]: n for s, n in self.seconds.items() if s in SECONDS_COLUMN},
        )


def _overlap(span: _Span, low: int, high: int) -> int:
    end = high if span.end is None else min(span.end, high)
    return end - max(span.start, low)


def _touches(span: _Span, low: int, high: int) -> bool:
    """Whether the span overlaps [low, high); one opened and resolved at once, if in it."""
    if span.end == span.start:
        return low <= span.start < high
    return _overlap(span, low, high) > 0


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def count_days(
    periods: list[_Span],
    incidents: list[_Span],
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> list[DayTotals]:
    """Each day's totals from periods sorted by start; days with nothing observed are left out.

    `incidents` are the component's incidents from start to resolution: an incident counts
    on a day it was open even if it changed no status (the component was already down).
    """
    if not periods:
        return []
    history_start, now_s = periods[0].start, _seconds(now)
    assert now_s is not None
    # One sweep over the days: spans are taken up as their start comes and dropped once
    # ended, so each day looks only at what can touch it (not the whole history).
    waiting = sorted((i for i in incidents if i.incident_id), key=lambda i: i.start)
    open_incidents: list[_Span] = []
    totals, first, next_incident = [], 0, 0
    for day in _days(first_day, last_day):
        low, high = (_seconds(bound) for bound in day_bounds(day, zone))
        assert low is not None and high is not None
        low, high = max(low, history_start), min(high, now_s)
        if high <= low:
            continue
        while first < len(periods) and (periods[first].end or high) <= low:
            first += 1
        total = DayTotals(day, observed_seconds=high - low)
        ids: set[int] = set()
        worst = "operational"
        for index in range(first, len(periods)):
            span = periods[index]
            if span.start >= high:
                break
            if (seconds := _overlap(span, low, high)) <= 0:
                continue
            total.seconds[span.status] = total.seconds.get(span.status, 0) + seconds
            worst = max(worst, span.status, key=RANK.__getitem__)
            if span.incident_id is not None and span.status != "operational":
                ids.add(span.incident_id)  # not the calm after it: that is nobody's incident
        while next_incident < len(waiting) and waiting[next_incident].start < high:
            open_incidents.append(waiting[next_incident])
            next_incident += 1
        ids.update(
            i.incident_id for i in open_incidents if i.incident_id and _touches(i, low, high)
        )
        # Ended by this day's end: no later day (from its end on) can touch them.
        open_incidents = [i for i in open_incidents if i.end is None or i.end > high]
        total.worst_status, total.incident_ids = worst, sorted(ids)
        totals.append(total)
    return totals


def _incident_spans(
    models: HistoryModels, component_id: int, start: datetime, end: datetime
) -> list[_Span]:
    rows = (
        models.IncidentComponent.objects.filter(
            component_id=component_id, incident__started_at__lt=end
        )
        .exclude(incident__resolved_at__lt=start)
        .values_list(
            "incident_id",
            "incident__started_at",
            "incident__resolved_at",
            "incident__status",
            "incident__updated_at",
        )
    )
    spans = []
    for incident_id, started, resolved, status, updated in rows:
        if resolved is None and status not in OPEN_INCIDENT_STATUSES:
            resolved = updated  # closed without a recorded resolution time
        spans.append(_Span(_seconds(started) or 0, _seconds(resolved), incident_id=incident_id))
    return spans


def roll_up_days(
    component_id: int,
    first_day: date,
    last_day: date,
    *,
    now: datetime | None = None,
    models: HistoryModels | None = None,
) -> list[Any]:
    """Recompute the component's UptimeDay rows for first_day..last_day (site zone), and its
    window (`UptimeWindow`); the rows.

    Today's row is partial (observed up to `now`); days before the component's history or
    after `now` get no row.
    """
    models = models or HistoryModels.current()
    now, zone = now or timezone.now(), site_zone()
    low, high = day_bounds(first_day, zone)[0], day_bounds(last_day, zone)[1]
    periods = [
        _Span(_seconds(start) or 0, _seconds(end), status, incident_id)
        for start, end, status, incident_id in models.StatusPeriod.objects.filter(
            component_id=component_id, started_at__lt=high
        )
        .exclude(ended_at__lte=low)
        .order_by("started_at", "pk")
        .values_list("started_at", "ended_at", "status", "incident_id")
    ]
    totals = count_days(
        periods,
        _incident_spans(models, component_id, low, high),
        first_day,
        last_day,
        now=now,
        zone=zone,
    )
    rows = [t.as_row(models.UptimeDay, component_id, now) for t in totals]
    models.UptimeDay.objects.filter(
        component_id=component_id, day__gte=first_day, day__lte=last_day
    ).delete()
    models.UptimeDay.objects.bulk_create(rows, batch_size=1000)
    roll_up_window(component_id, now=now, models=models)
    return rows


def roll_up_history(
    component_ids: Iterable[int] | None = None,
    *,
    now: datetime | None = None,
    models: HistoryModels | None = None,
) -> int:
    """Recompute every day of the components' histories (all components by default)."""
    models = models or HistoryModels.current()
    now = now or timezone.now()
    ids = models.component_ids(component_ids)
    written = 0
    for component_id in ids:
        first = (
            models.StatusPeriod.objects.filter(component_id=component_id)
            .order_by("started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        models.UptimeDay.objects.filter(component_id=component_id).delete()
        if first is not None:
            written += len(
                roll_up_days(component_id, day_of(first), day_of(now), now=now, models=models)
            )
        else:
            roll_up_window(component_id, now=now, models=models)
    return written


# Component id -> the earliest moment whose day changed, while a batch is open.
_batch: contextvars.ContextVar[dict[int, datetime] | None] = contextvars.ContextVar(
    "uptime_batch", default=None
)


def refresh_uptime(component_ids: Iterable[int], since: datetime) -> None:
    """The components' days from `since`'s to today changed: recompute them now, or at the
    end of the open `uptime_batch`."""
    pending = _batch.get()
    if pending is not None:
        for component_id in component_ids:
            pending[component_id] = min(since, pending.get(component_id, since))
        return
    now = timezone.now()
    for component_id in component_ids:
        roll_up_days(component_id, day_of(since), day_of(now), now=now)


@contextmanager
def uptime_batch() -> Iterator[None]:
    """Recompute the days changed inside once, at the end: for writers of long history
    (the demo, importers) whose every backdated change would otherwise redo years of days."""
    if _batch.get() is not None:
        yield  # the outer batch recomputes
        return
    pending: dict[int, datetime] = {}
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    now = timezone.now()
    for component_id, since in pending.items():
        roll_up_days(component_id, day_of(since), day_of(now), now=now)


def roll_up_recent(now: datetime | None = None) -> int:
    """Yesterday's and today's rows of every component (the beat: hourly, so the day that
    just ended is closed within the hour and today's partial row stays fresh); rows written.

    A component no change has touched yet gets its history first, from its creation.
    """
    from incidents.models import Component, StatusPeriod, UptimeDay

    now = now or timezone.now()
    today = day_of(now)
    yesterday = today - timedelta(days=1)
    written = 0
    for component in Component.objects.only("pk", "status", "created_at"):
        first = StatusPeriod.objects.start_history(component, component.status)
        if first is not None:
            since = day_of(first.started_at)
        else:
            # A component whose status never changed has days nobody rolled up yet: fill
            # them from its last row (or its history's start), never leaving a gap behind.
            last_row = (
                UptimeDay.objects.filter(component=component)
                .order_by("-day")
                .values_list("day", flat=True)
                .first()
            )
            if last_row is None:
                started = (
                    StatusPeriod.objects.filter(component=component)
                    .order_by("started_at")
                    .values_list("started_at", flat=True)
                    .first()
                )
                since = day_of(started) if started else yesterday
            else:
                since = min(last_row, yesterday)
        written += len(roll_up_days(component.pk, since, today, now=now))
    return written
