"""A component's last 90 days as one row: what the status page's bars read.

`UptimeDay` keeps a row per component and day, and the status page draws 90 days of every
component: reading those 810 rows (sums over all of them, and the days worth telling) was
the largest part of the bars' cost. `UptimeWindow` rolls the same days up once more, per
component: the sums of their seconds, the range of days with a row, and only the days worth
telling, as text. It is written by the writers of `UptimeDay`, in the same step
(`incidents.uptime.window`), and a day's row saved or deleted as a model (the admin, a shell)
rolls its component's window up again (`incidents.signals`).

A window is for the day it was rolled up on. Until the hourly rollup writes the new day's
(within the hour after midnight), the page reads that component's rows instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from django.db import models

from incidents.models.components import Component
from incidents.models.uptime import DaySeconds, DayUptime, Weights

# The status page's bars: the window's length in days.
WINDOW_DAYS = 90


class UptimeWindow(models.Model):
    """The component's `UptimeDay` rows from `first_day` to `last_day` (inclusive), rolled up.

    A quiet day (fully up, observed, no incident) is told by the sums and `covered_*` alone:
    every day from `covered_from` to `covered_to` is one, unless `told_days` names it. The
    seconds are kept, not a percentage, as on `UptimeDay`: the formula's weights are settings.
    """

    component = models.OneToOneField(
        Component, on_delete=models.CASCADE, primary_key=True, related_name="uptime_window"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    # The first and last day with a row (None: no row in the window).
    covered_from = models.DateField(null=True, blank=True)
    covered_to = models.DateField(null=True, blank=True)
    # Sums over the window's rows.
    observed_seconds = models.PositiveIntegerField(default=0)
    major_outage_seconds = models.PositiveIntegerField(default=0)
    partial_outage_seconds = models.PositiveIntegerField(default=0)
    degraded_performance_seconds = models.PositiveIntegerField(default=0)
    under_maintenance_seconds = models.PositiveIntegerField(default=0)
    # The days worth telling, oldest first, as JSON (`told_text`): a day with lost uptime,
    # an incident, maintenance or nothing observed, and a day between covered ones without
    # a row (no data).
    told_days = models.TextField(default="[]", blank=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component_id} {self.first_day}..{self.last_day}"


def told_text(days: Iterable[DaySeconds]) -> str:
    """The told days as `UptimeWindow.told_days` keeps them: a list per day, compact."""
    return json.dumps(
        [
            [
                d.day.isoformat(),
                d.observed,
                d.major_outage,
                d.partial_outage,
                d.degraded_performance,
                d.under_maintenance,
                d.worst_status,
                list(d.incident_ids),
            ]
            for d in days
        ],
        separators=(",", ":"),
    )


def told_uptimes(text: str, dates: dict[str, date], weights: Weights) -> dict[date, DayUptime]:
    """`told_text` read back, each day with its uptime; `dates` gives each day by its ISO
    text (the window's days). The formula as `DaySeconds` reckons it, written out: a page
    reads some fifty of these."""
    major_weight, partial_weight = weights.major_outage, weights.partial_outage
    degraded_weight = weights.degraded_performance
    told = {}
    for text_day, observed, major, partial, degraded, maintenance, status, ids in json.loads(text):
        day = dates.get(text_day) or date.fromisoformat(text_day)
        counted = observed - maintenance
        down = major * major_weight + partial * partial_weight + degraded * degraded_weight
        told[day] = DayUptime(
            DaySeconds(day, observed, major, partial, degraded, maintenance, status, tuple(ids)),
            max(0.0, 1 - down / counted) if counted > 0 else None,
        )
    return told
