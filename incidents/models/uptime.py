"""The published uptime formula, read from the daily rollups (`UptimeDay`).

uptime = 1 - weighted downtime / (observed seconds - maintenance seconds)

Each second in a status counts as down by that status's weight (settings; by default a
major outage fully, a partial outage 0.3, degraded performance not at all). Maintenance is
left out of both sides. A day nobody observed (before the component existed, or a day the
rollup has not reached) is "no data", never 100%. A group shows the worst of its members.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import CharField, TextField
from django.db.models.functions import Cast
from django.utils import formats
from django.utils.translation import gettext

from incidents.models.components import ComponentStatus
from incidents.models.history import UptimeDay
from incidents.models.status import component_status_rank

NO_DATA = "no_data"


@dataclass(frozen=True)
class Weights:
    major_outage: float
    partial_outage: float
    degraded_performance: float

    @classmethod
    def from_settings(cls) -> Weights:
        return cls(
            settings.UPTIME_WEIGHT_MAJOR_OUTAGE,
            settings.UPTIME_WEIGHT_PARTIAL_OUTAGE,
            settings.UPTIME_WEIGHT_DEGRADED_PERFORMANCE,
        )

    def as_dict(self) -> dict[str, float]:
        return {
            ComponentStatus.MAJOR_OUTAGE: self.major_outage,
            ComponentStatus.PARTIAL_OUTAGE: self.partial_outage,
            ComponentStatus.DEGRADED_PERFORMANCE: self.degraded_performance,
            ComponentStatus.UNDER_MAINTENANCE: 0.0,
        }


@dataclass(slots=True)
class DaySeconds:
    """One day's seconds in each status; a day without a row is all zeros (no data)."""

    day: date
    observed: int = 0
    major_outage: int = 0
    partial_outage: int = 0
    degraded_performance: int = 0
    under_maintenance: int = 0
    worst_status: str = NO_DATA
    incident_ids: tuple[int, ...] = ()

    @classmethod
    def from_row(cls, row: UptimeDay) -> DaySeconds:
        return cls(
            row.day,
            row.observed_seconds,
            row.major_outage_seconds,
            row.partial_outage_seconds,
            row.degraded_performance_seconds,
            row.under_maintenance_seconds,
            row.worst_status if row.observed_seconds else NO_DATA,
            tuple(int(pk) for pk in row.incident_ids or ()),
        )

    @classmethod
    def from_values(cls, values: tuple[Any, ...]) -> DaySeconds:
        """From a row of ROW_COLUMNS (no model instance: the page reads hundreds)."""
        day, observed, major, partial, degraded, maintenance, worst, ids = values
        return cls(
            day,
            observed,
            major,
            partial,
            degraded,
            maintenance,
            worst if observed else NO_DATA,
            _incident_ids(ids),
        )

    def weighted_down(self, weights: Weights) -> float:
        return (
            self.major_outage * weights.major_outage
            + self.partial_outage * weights.partial_outage
            + self.degraded_performance * weights.degraded_performance
        )

    @property
    def counted(self) -> int:
        """The seconds the formula counts: observed, less maintenance."""
        return max(0, self.observed - self.under_maintenance)

    def seconds_by_status(self) -> dict[str, int]:
        operational = self.observed - (
            self.major_outage
            + self.partial_outage
            + self.degraded_performance
            + self.under_maintenance
        )
        return {
            ComponentStatus.OPERATIONAL: max(0, operational),
            ComponentStatus.DEGRADED_PERFORMANCE: self.degraded_performance,
            ComponentStatus.PARTIAL_OUTAGE: self.partial_outage,
            ComponentStatus.MAJOR_OUTAGE: self.major_outage,
            ComponentStatus.UNDER_MAINTENANCE: self.under_maintenance,
        }


PLAIN_ID_LIST = re.compile(r"\[\s*[0-9]+(?:\s*,\s*[0-9]+)*\s*\]")


def _incident_ids(raw: str | list[int] | None) -> tuple[int, ...]:
    if not raw or raw == "[]":
        return ()
    if isinstance(raw, str) and PLAIN_ID_LIST.fullmatch(raw):
        # What the rollup writes, read without the JSON decoder (a page reads dozens).
        return tuple(int(pk) for pk in raw[1:-1].split(","))
    ids = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(int(pk) for pk in ids)


def uptime(days: Iterable[DaySeconds], weights: Weights) -> float | None:
    """The formula over any days; None when none of their seconds count (no data)."""
    counted = down = 0.0
    for day in days:
        counted += day.counted
        down += day.weighted_down(weights)
    if counted <= 0:
        return None
    return max(0.0, 1 - down / counted)


def worse_status(a: str, b: str) -> str:
    """The worse of two day statuses; any observed status beats "no data"."""
    if a == NO_DATA:
        return b
    if b == NO_DATA:
        return a
    return max(a, b, key=component_status_rank)


QUIET_STATUSES = frozenset({ComponentStatus.OPERATIONAL.value, NO_DATA})


class DayUptime:
    """A day and its uptime; `is_quiet` when there is nothing to tell (fully up, or no data,
    and no incident)."""

    __slots__ = ("day", "incident_ids", "is_quiet", "ratio", "seconds", "status")

    def __init__(self, seconds: DaySeconds, ratio: float | None) -> None:
        self.seconds = seconds
        self.ratio = ratio
        self.day = seconds.day
        self.status = seconds.worst_status
        self.incident_ids = seconds.incident_ids
        self.is_quiet = (
            not self.incident_ids
            and (ratio is None or ratio == 1.0)
            and self.status in QUIET_STATUSES
        )


@dataclass
class UptimeHistory:
    """A component's (or a group's) days, oldest first, and the formula over all of them."""

    days: list[DayUptime]
    ratio: float | None
    weights: Weights = field(repr=False)

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day

    @property
    def notable_days(self) -> list[DayUptime]:
        return [d for d in reversed(self.days) if not d.is_quiet]

    @property
    def quiet_count(self) -> int:
        return sum(1 for d in self.days if d.is_quiet)


def day_range(last: date, count: int) -> list[date]:
    return [last - timedelta(days=n) for n in range(count - 1, -1, -1)]


def history_from(
    seconds_by_day: dict[date, DaySeconds], days: Sequence[date], weights: Weights
) -> UptimeHistory:
    filled = [seconds_by_day.get(day) or DaySeconds(day) for day in days]
    counted = down = 0.0
    result = []
    for seconds in filled:
        day_counted, day_down = seconds.counted, seconds.weighted_down(weights)
        counted += day_counted
        down += day_down
        ratio = max(0.0, 1 - day_down / day_counted) if day_counted > 0 else None
        result.append(DayUptime(seconds, ratio))
    total = max(0.0, 1 - down / counted) if counted > 0 else None
    return UptimeHistory(result, total, weights)


ROW_COLUMNS = (
    "day",
    "observed_seconds",
    "major_outage_seconds",
    "partial_outage_seconds",
    "degraded_performance_seconds",
    "under_maintenance_seconds",
    "worst_status",
    "incident_ids",
)


def histories(
    component_ids: Iterable[int], last: date, count: int, weights: Weights | None = None
) -> dict[int, UptimeHistory]:
    """Each component's last `count` days up to `last`, in one query whatever the history."""
    weights = weights or Weights.from_settings()
    ids = list(component_ids)
    days = day_range(last, count)
    rows = UptimeDay.objects.filter(component_id__in=ids, day__gte=days[0], day__lte=last)
    by_component: dict[int, dict[date, DaySeconds]] = {pk: {} for pk in ids}
    # The day and the ids read as text, so no column needs converting: a page reads
    # hundreds of rows, and parsing each date and decoding each "[]" was most of its cost.
    by_text = {day.isoformat(): day for day in days}
    rows = rows.annotate(
        day_text=Cast("day", CharField()), ids_text=Cast("incident_ids", TextField())
    )
    columns = ["component_id", "day_text", *ROW_COLUMNS[1:-1], "ids_text"]
    for component_id, day_text, *values in rows.order_by().values_list(*columns):
        seconds = DaySeconds.from_values((by_text[day_text[:10]], *values))
        by_component[component_id][seconds.day] = seconds
    return {pk: history_from(by_component[pk], days, weights) for pk in ids}


def worst_day(member_days: tuple[DayUptime, ...]) -> DayUptime:
    """One day of a group: the worst member's seconds, the worst status, every incident.

    The worst member is the first with the lowest uptime (any with a ratio before none); the
    status the first of the worst observed ones. One pass: a page works out dozens of these.
    """
    first = member_days[0]
    worst, status, rank = first, NO_DATA, -1
    worst_ratio: float | None = None
    all_quiet = True
    incidents: set[int] = set()
    for day in member_days:
        if all_quiet and not (day.is_quiet and day.status == first.status):
            all_quiet = False
        ratio = day.ratio
        if ratio is not None and (worst_ratio is None or ratio < worst_ratio):
            worst, worst_ratio = day, ratio
        if day.status != NO_DATA and (day_rank := component_status_rank(day.status)) > rank:
            status, rank = day.status, day_rank
        incidents.update(day.incident_ids)
    if all_quiet:
        return first  # the common case: a quiet day in every member
    seconds = worst.seconds
    merged = DaySeconds(
        worst.day,
        seconds.observed,
        seconds.major_outage,
        seconds.partial_outage,
        seconds.degraded_performance,
        seconds.under_maintenance,
        status,
        tuple(sorted(incidents)),
    )
    return DayUptime(merged, worst.ratio)


def worst_of(members: Sequence[UptimeHistory]) -> UptimeHistory:
    """A group's history: each day the worst member's day, and the worst member's total."""
    if len(members) == 1:
        return members[0]
    days = [worst_day(d) for d in zip(*(m.days for m in members), strict=True)]
    ratios = [m.ratio for m in members if m.ratio is not None]
    return UptimeHistory(days, min(ratios) if ratios else None, members[0].weights)


def percent_text(ratio: float | None) -> str:
    """'99.95%', rounded down so that any downtime shows (never '100.00%' for 99.999%);
    in the reader's language ('99,95 %' in Norwegian)."""
    if ratio is None:
        return gettext("no data")
    if ratio >= 1:
        return gettext("%(percent)s%%") % {"percent": "100"}
    number = formats.number_format(math.floor(ratio * 10000) / 100, 2)
    return gettext("%(percent)s%%") % {"percent": number}


def status_text(status: str) -> str:
    """'partial outage', 'no data': a day's status in the reader's language, for a sentence."""
    if status == NO_DATA:
        return gettext("no data")
    return str(ComponentStatus(status).label).lower()
