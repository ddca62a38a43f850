"""Response times of a component's probes, read from the hourly rollups (`ProbeHour`).

Several locations may watch one probe; an hour shows the slowest location's median and
p95 (what the worst-placed reader saw) and the results and failures of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.models.probes import Probe, ProbeHour


@dataclass
class HourTimes:
    hour: datetime
    median_ms: float | None
    p95_ms: float | None
    count: int
    failures: int


@dataclass
class ProbeTimes:
    probe: Probe
    hours: list[HourTimes]

    @property
    def measured(self) -> list[HourTimes]:
        return [h for h in self.hours if h.median_ms is not None]

    @property
    def median_ms(self) -> float | None:
        """The median of the hourly medians: a typical hour."""
        values = sorted(h.median_ms for h in self.measured if h.median_ms is not None)
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

    @property
    def worst_p95_ms(self) -> float | None:
        values = [h.p95_ms for h in self.hours if h.p95_ms is not None]
        return max(values) if values else None

    @property
    def failures(self) -> int:
        return sum(h.failures for h in self.hours)

    @property
    def count(self) -> int:
        return sum(h.count for h in self.hours)


def _slowest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def response_times(component_id: int, since: datetime) -> list[ProbeTimes]:
    """Each enabled probe of the component with its hours since `since` (two queries)."""
    probes = list(Probe.objects.enabled().filter(component_id=component_id))
    by_probe: dict[int, dict[datetime, HourTimes]] = {p.pk: {} for p in probes}
    rows = ProbeHour.objects.filter(probe__in=probes, hour__gte=since).order_by("hour")
    for row in rows:
        hours = by_probe[row.probe_id]
        seen = hours.get(row.hour)
        if seen is None:
            hours[row.hour] = HourTimes(
                row.hour, row.median_ms, row.p95_ms, row.count, row.failures
            )
        else:
            seen.median_ms = _slowest(seen.median_ms, row.median_ms)
            seen.p95_ms = _slowest(seen.p95_ms, row.p95_ms)
            seen.count += row.count
            seen.failures += row.failures
    return [ProbeTimes(p, list(by_probe[p.pk].values())) for p in probes]
