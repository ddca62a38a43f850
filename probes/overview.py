"""What the console shows of each probe: its last result per location, its uptime over 24 hours
and 30 days, and its response times per hour over the last day, in a fixed number of queries
however many results there are.

Uptime counts results: those that succeeded over all of them. The last 48 hours come from the
raw results; older hours from the hourly rollups (ProbeHour), and an hour present in both is
counted once, from its rollup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Max, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from incidents.models import Probe, ProbeAlert, ProbeHour, ProbeResult

RAW_KEPT = timedelta(hours=48)
CHART_HOURS = 24
CHART_WIDTH, CHART_HEIGHT = 240, 48


@dataclass
class Tally:
    count: int = 0
    failures: int = 0

    def add(self, count: int, failures: int) -> None:
        self.count += count
        self.failures += failures

    @property
    def percent(self) -> float | None:
        return None if not self.count else 100 * (self.count - self.failures) / self.count


@dataclass
class ProbeOverview:
    probe: Probe
    last_results: list[ProbeResult] = field(default_factory=list)
    day: Tally = field(default_factory=Tally)
    month: Tally = field(default_factory=Tally)
    chart: Chart | None = None
    alert: ProbeAlert | None = None


@dataclass(frozen=True)
class Chart:
    """An SVG polyline of the average response time per hour (the slowest hour at the top)."""

    points: str
    slowest_ms: float
    fastest_ms: float
    hours: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @classmethod
    def of(cls, hourly_ms: dict[datetime, float], start: datetime) -> Chart:
        """The chart of the hours from `start` (the first hour of the last CHART_HOURS)."""
        hours = sorted(hourly_ms)
        values = [hourly_ms[hour] for hour in hours]
        top = max(values) or 1.0
        step = CHART_WIDTH / max(1, CHART_HOURS - 1)
        points = []
        for hour, value in zip(hours, values, strict=True):
            x = (hour - start).total_seconds() / 3600 * step
            y = CHART_HEIGHT - 2 - (value / top) * (CHART_HEIGHT - 4)
            points.append(f"{max(0.0, x):.1f},{y:.1f}")
        return cls(" ".join(points), max(values), min(values), len(hours))


def probe_overviews(probes: list[Probe], now: datetime | None = None) -> list[ProbeOverview]:
    now = now or timezone.now()
    overviews = {probe.pk: ProbeOverview(probe) for probe in probes}
    ids = list(overviews)
    _last_results(overviews, ids)
    _uptime(overviews, ids, now)
    _hourly_times(overviews, ids, now)
    for alert in ProbeAlert.objects.filter(probe_id__in=ids, closed_at__isnull=True):
        overviews[alert.probe_id].alert = alert
    return list(overviews.values())


def _last_results(overviews: dict[int, ProbeOverview], ids: list[int]) -> None:
    latest = (
        ProbeResult.objects.filter(probe_id__in=ids)
        .values("probe_id", "location")
        .annotate(last=Max("started_at"))
        .order_by()
    )
    wanted = Q(pk__in=[])
    for row in latest:
        wanted |= Q(probe_id=row["probe_id"], location=row["location"], started_at=row["last"])
    for result in ProbeResult.objects.filter(wanted).order_by("location", "-pk"):
        rows = overviews[result.probe_id].last_results
        if not any(r.location == result.location for r in rows):
            rows.append(result)


def _uptime(overviews: dict[int, ProbeOverview], ids: list[int], now: datetime) -> None:
    raw = (
        ProbeResult.objects.filter(probe_id__in=ids, started_at__gt=now - RAW_KEPT)
        .annotate(hour=TruncHour("started_at"))
        .values("probe_id", "location", "hour")
        .annotate(count=Count("pk"), failures=Count("pk", filter=Q(ok=False)))
        .order_by()
    )
    hours = ProbeHour.objects.filter(probe_id__in=ids, hour__gte=now - timedelta(days=30))
    rolled = set(hours.values_list("probe_id", "location", "hour"))
    day_start = now - timedelta(hours=24)
    for row in raw:
        key = (row["probe_id"], row["location"], row["hour"])
        overview = overviews[row["probe_id"]]
        if key not in rolled:
            overview.month.add(row["count"], row["failures"])
    for row in hours.values("probe_id").annotate(count=Sum("count"), failures=Sum("failures")):
        overviews[row["probe_id"]].month.add(row["count"] or 0, row["failures"] or 0)
    day = (
        ProbeResult.objects.filter(probe_id__in=ids, started_at__gt=day_start)
        .values("probe_id")
        .annotate(count=Count("pk"), failures=Count("pk", filter=Q(ok=False)))
        .order_by()
    )
    for row in day:
        overviews[row["probe_id"]].day.add(row["count"], row["failures"])


def _hourly_times(overviews: dict[int, ProbeOverview], ids: list[int], now: datetime) -> None:
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=CHART_HOURS - 1)
    rows = (
        ProbeResult.objects.filter(
            probe_id__in=ids, started_at__gte=start, ok=True, duration_ms__isnull=False
        )
        .annotate(hour=TruncHour("started_at"))
        .values("probe_id", "hour")
        .annotate(ms=Avg("duration_ms"))
        .order_by()
    )
    per_probe: dict[int, dict[datetime, float]] = defaultdict(dict)
    for row in rows:
        per_probe[row["probe_id"]][row["hour"]] = row["ms"]
    for probe_id, hourly in per_probe.items():
        overviews[probe_id].chart = Chart.of(hourly, start)
