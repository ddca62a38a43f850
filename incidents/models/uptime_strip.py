"""A bar strip's days told sparsely: what the status page draws, without a day object per bar.

Nearly every day of a strip is quiet. A `Strip` holds its window of dates, the range of
them that has data (`covered`: a quiet day there is fully up, outside it there is no data)
and, by date, only the days that differ from that (`told`: a day with lost uptime, an
incident, maintenance, or a row that observed nothing). The bars are written run by run
(`incidents.uptime_bars`), so a page of a dozen strips costs tens of steps, not a thousand.
`history()` gives the same days one by one, as `UptimeHistory` (tests compare the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from incidents.models.components import ComponentStatus
from incidents.models.uptime import (
    NO_DATA,
    DaySeconds,
    DayUptime,
    UptimeHistory,
    Weights,
    worst_day,
)

OPERATIONAL = ComponentStatus.OPERATIONAL.value
ONE_DAY = timedelta(days=1)
NOTHING_COVERED = (date.max, date.min)  # no day is in it


@lru_cache(maxsize=1024)
def quiet_day(day: date, status: str) -> DayUptime:
    """A day with nothing to tell: fully up (`operational`), or no data. The same for every
    component (and never changed), so made once."""
    if status == NO_DATA:
        return DayUptime(DaySeconds(day), None)
    return DayUptime(DaySeconds(day, worst_status=OPERATIONAL), 1.0)


@dataclass(frozen=True)
class Strip:
    days: Sequence[date]  # the window, oldest first
    ratio: float | None
    covered: tuple[date, date] | None
    told: dict[date, DayUptime]
    weights: Weights

    @property
    def count(self) -> int:
        return len(self.days)

    def quiet_status(self, day: date) -> str:
        """The status of an untold day: fully up inside `covered`, no data outside."""
        if self.covered is not None and self.covered[0] <= day <= self.covered[1]:
            return OPERATIONAL
        return NO_DATA

    def day(self, day: date) -> DayUptime:
        told = self.told.get(day)
        return told if told is not None else quiet_day(day, self.quiet_status(day))

    @property
    def notable_days(self) -> list[DayUptime]:
        """The days worth telling in text, newest first."""
        return [self.told[d] for d in sorted(self.told, reverse=True) if not self.told[d].is_quiet]

    @property
    def quiet_count(self) -> int:
        return self.count - len(self.notable_days)

    @property
    def incident_ids(self) -> set[int]:
        return {pk for day in self.told.values() for pk in day.incident_ids}

    def history(self) -> UptimeHistory:
        return UptimeHistory([self.day(d) for d in self.days], self.ratio, self.weights)

    @classmethod
    def from_history(cls, history: UptimeHistory) -> Strip:
        """Any history as a strip: every day that is not quiet and fully up is told."""
        told = {d.day: d for d in history.days if not (d.is_quiet and d.status == OPERATIONAL)}
        fully_up = [d.day for d in history.days if d.day not in told]
        covered = (fully_up[0], fully_up[-1]) if fully_up else None
        # An untold day inside `covered` reads as fully up: only ones that are, by construction.
        days = [d.day for d in history.days]
        return cls(days, history.ratio, covered, told, history.weights)


def _alone(
    day: date, members: Sequence[tuple[dict[date, DayUptime], date, date]]
) -> DayUptime | None:
    """The group's day when one member tells it with lost uptime and every other member was
    fully up: that member's day (what `worst_day` answers, without building the others').
    `members`: each one's told days and covered range (an empty range when it has none)."""
    teller = None
    for told_days, start, end in members:
        told = told_days.get(day)
        if told is not None:
            if teller is not None:
                return None
            teller = told
        elif not start <= day <= end:
            return None
    if teller is None or teller.ratio is None or teller.ratio >= 1.0:
        return None
    ids = teller.incident_ids
    if len(ids) < 2 or list(ids) == sorted(set(ids)):
        return teller
    return None


def worst_of_strips(members: Sequence[Strip]) -> Strip:
    """A group's strip: each day the worst member's day (as `uptime.worst_of`), and the worst
    member's total. Only the days some member tells are worked out one by one."""
    if len(members) == 1:
        return members[0]
    first = members[0]
    ratios = [m.ratio for m in members if m.ratio is not None]
    ranges_of = [(m.told, *(m.covered or NOTHING_COVERED)) for m in members]
    told = {}
    for day in sorted({d for m in members for d in m.told}):
        told[day] = _alone(day, ranges_of) or worst_day(
            tuple(
                told_days.get(day)
                or quiet_day(day, OPERATIONAL if start <= day <= end else NO_DATA)
                for told_days, start, end in ranges_of
            )
        )
    ranges = sorted(m.covered for m in members if m.covered is not None)
    covered = (ranges[0][0], max(end for _, end in ranges)) if ranges else None
    # Days between members' ranges that no member covers have no data.
    reach = ranges[0][1] if ranges else None
    for start, end in ranges[1:]:
        assert reach is not None
        day = reach + ONE_DAY
        while day < start:
            if day not in told and first.days[0] <= day <= first.days[-1]:
                told[day] = quiet_day(day, NO_DATA)
            day += ONE_DAY
        reach = max(reach, end)
    return Strip(first.days, min(ratios) if ratios else None, covered, told, first.weights)
