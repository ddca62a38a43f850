"""What a component's page shows, in a fixed number of queries however long its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone

from incidents import timefmt
from incidents.models import Component, Incident, Maintenance, MaintenanceStatus
from incidents.models.probe_times import ProbeTimes, response_times
from incidents.models.uptime import (
    UptimeHistory,
    Weights,
    histories,
    history_from,
    uptime,
)

SPANS = (30, 90, 365)
BAR_DAYS = 90
RECENT_ITEMS = 10
RESPONSE_HOURS = 48


@dataclass
class Span:
    days: int
    ratio: float | None


@dataclass
class ComponentPage:
    component: Component
    bars: UptimeHistory
    spans: list[Span]
    incidents: list[Incident]
    uptime_incidents: dict[int, Incident]
    maintenance: list[Maintenance]
    probes: list[ProbeTimes]
    probes_since: datetime
    now: datetime
    weights: Weights
    updated_at: datetime | None = field(default=None)


def component_page(pk: int, now: datetime | None = None) -> ComponentPage:
    now = now or timezone.now()
    component = get_object_or_404(Component.objects.select_related("group"), pk=pk)
    today = timefmt.in_zone(now).date()
    weights = Weights.from_settings()
    year = histories([pk], today, max(SPANS), weights)[pk]
    spans = [Span(n, uptime((d.seconds for d in year.days[-n:]), weights)) for n in SPANS]
    bar_days = year.days[-BAR_DAYS:]
    bars = history_from({d.day: d.seconds for d in bar_days}, [d.day for d in bar_days], weights)
    incidents = list(
        Incident.objects.filter(affected__component_id=pk)
        .order_by("-started_at", "-id")
        .distinct()[:RECENT_ITEMS]
    )
    shown = {i.pk: i for i in incidents}
    wanted = {p for d in bars.days for p in d.incident_ids} - shown.keys()
    extra = Incident.objects.only("id", "title", "impact").in_bulk(wanted) if wanted else {}
    maintenance = list(
        Maintenance.objects.filter(components=component)
        .exclude(status=MaintenanceStatus.CANCELLED)
        .order_by("-scheduled_start", "-id")[:RECENT_ITEMS]
    )
    since = now - timedelta(hours=RESPONSE_HOURS)
    page = ComponentPage(
        component=component,
        bars=bars,
        spans=spans,
        incidents=incidents,
        uptime_incidents={**shown, **extra},
        maintenance=maintenance,
        probes=response_times(pk, since),
        probes_since=since,
        now=now,
        weights=weights,
    )
    moments = [component.updated_at, *(i.updated_at for i in incidents)]
    page.updated_at = max([*moments, *(m.updated_at for m in maintenance)])
    return page
