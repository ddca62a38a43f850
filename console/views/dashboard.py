"""The first page staff see: what is wrong now, what is planned, what went out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.access import editor_view
from incidents.models import Component, Incident, Maintenance
from notifier.models import Notice


@editor_view
def dashboard(request: HttpRequest) -> HttpResponse:
    components = Component.objects.select_related("group").order_by(
        "group__position", "group__name", "position", "name"
    )
    return render(
        request,
        "console/dashboard.html",
        {
            "overall": Component.objects.overall_status(),
            "open_incidents": Incident.objects.unresolved().prefetch_related("updates"),
            "active_maintenance": Maintenance.objects.active(),
            "upcoming_maintenance": Maintenance.objects.upcoming()[:10],
            # Postponed: readers were promised a new time, so it stays in sight until set.
            "postponed_maintenance": Maintenance.objects.awaiting_new_window()[:10],
            "components": components,
            "notices": Notice.objects.select_related("incident", "maintenance", "post").order_by(
                "-created_at", "-id"
            )[:10],
        },
    )
