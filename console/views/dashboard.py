"""The first page staff see: what is wrong now, what is planned, what went out."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from console.access import editor_view
from console.views.deliveries import live_context, live_notices, recent_notices
from console.views.probes import open_alerts
from incidents.models import Component, Incident, Maintenance, overall_status
from notifier.mirror.models import MirrorTarget
from probes.certificates import expiring_certificates
from statuspage.http_types import HtmxRequest

RECENT_DELIVERIES = "recent-deliveries"
PROBE_ALERTS = "probe-alerts"


def probe_alerts_context() -> dict[str, object]:
    return {
        "probe_alerts": open_alerts(),
        "certificates": expiring_certificates(),
        "probe_alerts_id": PROBE_ALERTS,
    }


@editor_view
def dashboard(request: HtmxRequest) -> HttpResponse:
    notices = recent_notices(10)
    if request.htmx.target == RECENT_DELIVERIES:
        return live_notices(request, notices, RECENT_DELIVERIES)
    if request.htmx.target == PROBE_ALERTS:
        return render(request, "console/probes/_live_alerts.html", probe_alerts_context())
    components = Component.objects.select_related("group").order_by(
        "group__position", "group__name", "position", "name"
    )
    return render(
        request,
        "console/dashboard.html",
        {
            "overall": overall_status(),
            "open_incidents": Incident.objects.unresolved().prefetch_related("updates"),
            "active_maintenance": Maintenance.objects.active(),
            "upcoming_maintenance": Maintenance.objects.upcoming()[:10],
            # Postponed: readers were promised a new time, so it stays in sight until set.
            "postponed_maintenance": Maintenance.objects.awaiting_new_window()[:10],
            "components": components,
            # Pages the static mirror holds old or lacks: a stored row its page cannot show.
            "mirror_gaps": [target for target in MirrorTarget.objects.all() if target.unrendered],
            **live_context(notices, RECENT_DELIVERIES),
            **probe_alerts_context(),
        },
    )
