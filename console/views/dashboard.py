"""The first page staff see: what is wrong now, what is planned, what went out."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from console.access import editor_view
from console.views.deliveries import live_context, live_notices, recent_notices
from incidents.models import Component, Incident, Maintenance, overall_status
from notifier.mirror.models import MirrorTarget
from statuspage.http_types import HtmxRequest

RECENT_DELIVERIES = "recent-deliveries"


@editor_view
def dashboard(request: HtmxRequest) -> HttpResponse:
    notices = recent_notices(10)
    if request.htmx.target == RECENT_DELIVERIES:
        return live_notices(request, notices, RECENT_DELIVERIES)
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
        },
    )
