"""Hourly figures from the raw results, and the pruning of what is past keeping."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings

from incidents.models import ProbeClaim, ProbeHour, ProbeResult


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def roll_up(now: datetime) -> int:
    """(Re)compute the current and the previous hour (UTC) per probe and location."""
    since = hour_of(now) - timedelta(hours=1)
    groups: dict[tuple[int, str, datetime], list[tuple[bool, float | None]]] = defaultdict(list)
    rows = ProbeResult.objects.filter(started_at__gte=since).values_list(
        "probe_id", "location", "started_at", "ok", "duration_ms"
    )
    for probe_id, location, started_at, ok, duration in rows.iterator(chunk_size=5000):
        groups[(probe_id, location, hour_of(started_at))].append((ok, duration))
    hours = [_hour(key, results) for key, results in groups.items()]
    ProbeHour.objects.bulk_create(
        hours,
        update_conflicts=True,
        unique_fields=["probe", "location", "hour"],
        update_fields=["count", "failures", "median_ms", "p95_ms"],
        batch_size=500,
    )
    return len(hours)


def _hour(key: tuple[int, str, datetime], results: list[tuple[bool, float | None]]) -> ProbeHour:
    probe_id, location, hour = key
    # Response times of successful runs only: a failure's time is often its timeout.
    times = sorted(duration for ok, duration in results if ok and duration is not None)
    return ProbeHour(
        probe_id=probe_id,
        location=location,
        hour=hour,
        count=len(results),
        failures=sum(1 for ok, _ in results if not ok),
        median_ms=statistics.median(times) if times else None,
        p95_ms=percentile(times, 95) if times else None,
    )


def percentile(ordered: list[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def prune(now: datetime) -> dict[str, int]:
    """Delete raw results past PROBE_RESULTS_KEEP_HOURS, hours past PROBE_HOURS_KEEP_DAYS."""
    results_before = now - timedelta(hours=settings.PROBE_RESULTS_KEEP_HOURS)
    hours_before = now - timedelta(days=settings.PROBE_HOURS_KEEP_DAYS)
    claims_before = now - timedelta(days=1)
    return {
        "results": ProbeResult.objects.filter(started_at__lt=results_before).delete()[0],
        "hours": ProbeHour.objects.filter(hour__lt=hours_before).delete()[0],
        "claims": ProbeClaim.objects.filter(due_at__lt=claims_before).delete()[0],
    }
