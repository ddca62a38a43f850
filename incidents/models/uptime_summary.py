"""The status page's read of the bars: the days worth telling and one sum per component.

Nearly every day is quiet (fully up, no incident), and the page needs of a quiet day only
that it has data. Each component's last 90 days are rolled up into one row, its window
(`UptimeWindow`: the sums, the range of days with data, the days worth telling), and the
page reads those, one row per component, in one query.

A component without today's window (in the hour after midnight, before the hourly rollup)
is read from its rows: one query brings, per component, the sums of its days in the range,
its first and last day and how many rows it has, and beside them (UNION ALL) only the days
that are not quiet. A component whose rows have gaps (a day never rolled up) is read day by
day (`histories`), one query for all such.

The API and the component page read every day (`incidents.models.uptime.histories`): they
show each day's seconds. The formula and its results are the same (tests compare them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import connection

from incidents.models.history import UptimeDay
from incidents.models.uptime import (
    DaySeconds,
    DayUptime,
    UptimeHistory,
    Weights,
    day_range,
    histories,
)
from incidents.models.uptime_strip import Strip
from incidents.models.uptime_window import UptimeWindow, told_uptimes

SUMS, DAY = 0, 1
# Written as SQL, not built with the ORM: building and compiling this union of annotated
# querysets cost some 3 ms per page on the benchmark machine, three times running it.
# Portable between SQLite and PostgreSQL; dates and ids are read as text (no converters).
# A quiet row has no second in any status but operational, so the sums of those columns are
# the sums over the told rows (added up in Python): the first part sums only the observed
# seconds, which reads faster.
SQL = """
SELECT component_id, 0, CAST(MIN(day) AS TEXT), SUM(observed_seconds), 0, 0, 0, 0,
       CAST(MAX(day) AS TEXT), CAST(COUNT(*) AS TEXT)
  FROM {table} WHERE component_id IN ({ids}) AND day >= %s AND day <= %s
 GROUP BY component_id
UNION ALL
SELECT component_id, 1, CAST(day AS TEXT), observed_seconds,
       major_outage_seconds, partial_outage_seconds,
       degraded_performance_seconds, under_maintenance_seconds,
       worst_status, CAST(incident_ids AS TEXT)
  FROM {table} WHERE component_id IN ({ids}) AND day >= %s AND day <= %s
   AND NOT (worst_status = 'operational' AND CAST(incident_ids AS TEXT) = '[]'
            AND observed_seconds > 0 AND major_outage_seconds = 0
            AND partial_outage_seconds = 0 AND degraded_performance_seconds = 0
            AND under_maintenance_seconds = 0)
"""


def _query(ids: list[int], first: date, last: date) -> list[tuple[Any, ...]]:
    """Per component the sums of its days in the range (with its first and last day and how
    many rows), then the days that are not quiet (fully up, no incident)."""
    if not ids:
        return []
    table = connection.ops.quote_name(UptimeDay._meta.db_table)
    sql = SQL.format(table=table, ids=", ".join(["%s"] * len(ids)))
    bounds = [connection.ops.adapt_datefield_value(d) for d in (first, last)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *bounds, *ids, *bounds])
        return cursor.fetchall()


def bar_histories(
    component_ids: Iterable[int], last: date, count: int, weights: Weights | None = None
) -> dict[int, UptimeHistory]:
    """`bar_strips`, each day one by one."""
    return {
        pk: strip.history() for pk, strip in bar_strips(component_ids, last, count, weights).items()
    }


WINDOWS_SQL = """
SELECT component_id, CAST(covered_from AS TEXT), CAST(covered_to AS TEXT), observed_seconds,
       major_outage_seconds, partial_outage_seconds, degraded_performance_seconds,
       under_maintenance_seconds, told_days
  FROM {table} WHERE component_id IN ({ids}) AND first_day = %s AND last_day = %s
"""


def bar_strips(
    component_ids: Iterable[int], last: date, count: int, weights: Weights | None = None
) -> dict[int, Strip]:
    """Each component's last `count` days up to `last`: their windows in one query; the rows
    of those without that window in one more (`row_strips`)."""
    weights = weights or Weights.from_settings()
    ids = list(component_ids)
    found = window_strips(ids, last, count, weights)
    if missing := [pk for pk in ids if pk not in found]:
        found.update(row_strips(missing, last, count, weights))
    return {pk: found[pk] for pk in ids}


def window_strips(ids: list[int], last: date, count: int, weights: Weights) -> dict[int, Strip]:
    """The strips of the components whose window is these days (one query); others left out."""
    if not ids:
        return {}
    days, by_text = _window(last, count)
    table = connection.ops.quote_name(UptimeWindow._meta.db_table)
    sql = WINDOWS_SQL.format(table=table, ids=", ".join(["%s"] * len(ids)))
    bounds = [connection.ops.adapt_datefield_value(d) for d in (days[0], last)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *bounds])
        rows = cursor.fetchall()
    found = {}
    for pk, start, end, observed, major, partial, degraded, maintenance, told_text in rows:
        told = told_uptimes(told_text, by_text, weights)
        total = DaySeconds(days[0], observed, major, partial, degraded, maintenance)
        covered = (_day(start, by_text), _day(end, by_text)) if start else None
        found[pk] = Strip(days, _ratio(total, weights), covered, told, weights)
    return found


def _day(text: str, by_text: dict[str, date]) -> date:
    return by_text.get(text[:10]) or date.fromisoformat(text[:10])


def row_strips(
    component_ids: Iterable[int], last: date, count: int, weights: Weights | None = None
) -> dict[int, Strip]:
    """Each component's last `count` days up to `last`, from its rows: one query, and one
    more only for components whose rows have gaps."""
    weights = weights or Weights.from_settings()
    ids = list(component_ids)
    days, by_text = _window(last, count)
    sums: dict[int, tuple[Any, ...]] = {}
    told: dict[int, dict[date, DayUptime]] = {pk: {} for pk in ids}
    for component_id, kind, day_text, *values, status, ids_text in _query(ids, days[0], last):
        if kind == SUMS:
            sums[component_id] = (day_text, status, int(ids_text), *values)
        else:
            seconds = DaySeconds.from_values((by_text[day_text[:10]], *values, status, ids_text))
            told[component_id][seconds.day] = DayUptime(seconds, _ratio(seconds, weights))
    gaps = [pk for pk in ids if pk in sums and not _contiguous(sums[pk])]
    found = {
        pk: Strip.from_history(history)
        for pk, history in (histories(gaps, last, count, weights) if gaps else {}).items()
    }
    for pk in ids:
        if pk not in found:
            found[pk] = _strip(sums.get(pk), told[pk], days, weights)
    return found


@lru_cache(maxsize=16)
def _window(last: date, count: int) -> tuple[tuple[date, ...], dict[str, date]]:
    """The window's days, oldest first, and each by its ISO text (the query reads dates so)."""
    days = tuple(day_range(last, count))
    return days, {day.isoformat(): day for day in days}


def _ratio(seconds: DaySeconds, weights: Weights) -> float | None:
    counted = seconds.counted
    return max(0.0, 1 - seconds.weighted_down(weights) / counted) if counted > 0 else None


def _contiguous(summed: tuple[Any, ...]) -> bool:
    first, last = date.fromisoformat(summed[0][:10]), date.fromisoformat(summed[1][:10])
    return (last - first).days + 1 == summed[2]


def _strip(
    summed: tuple[Any, ...] | None,
    told: dict[date, DayUptime],
    days: tuple[date, ...],
    weights: Weights,
) -> Strip:
    if summed is None:
        return Strip(days, None, None, {}, weights)
    first, last = date.fromisoformat(summed[0][:10]), date.fromisoformat(summed[1][:10])
    total = DaySeconds(first, summed[3])
    for day in told.values():
        total.major_outage += day.seconds.major_outage
        total.partial_outage += day.seconds.partial_outage
        total.degraded_performance += day.seconds.degraded_performance
        total.under_maintenance += day.seconds.under_maintenance
    return Strip(days, _ratio(total, weights), (first, last), told, weights)
