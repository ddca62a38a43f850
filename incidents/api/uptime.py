"""/api/v2/components/<id>/uptime.json: a component's days and the formula's totals.

An extension (Statuspage has no such document); the Statuspage documents keep their
shape. `?days=` picks the range (1 to 365, 90 by default); other parameters are ignored.
"""

from __future__ import annotations

import json
import re
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone

from incidents import timefmt
from incidents.api.serializers import Json, public_id
from incidents.cors import allow_any_origin
from incidents.models import Component
from incidents.models.uptime import DaySeconds, UptimeHistory, histories
from incidents.page_cache import cached_page_reading
from statuspage.methods import allow_methods

DEFAULT_DAYS, MAX_DAYS = 90, 365
DAYS = re.compile(r"[0-9]{1,3}")
MAX_AGE = 30


def _json(data: object, status: int = 200) -> HttpResponse:
    """Written as the other documents are (incidents.api.public.json_bytes)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return allow_any_origin(HttpResponse(body, content_type="application/json", status=status))


def error(status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    """The API's error body, as statuspage.errors writes it for the rest of /api/."""
    response = _json({"error": code, "message": message, "field": field}, status)
    response["Cache-Control"] = "no-store"
    return response


def _seconds(day: DaySeconds) -> Json:
    return {status: seconds for status, seconds in day.seconds_by_status().items()}


def document(component: Component, history: UptimeHistory, today: date) -> Json:
    weights = history.weights
    days = [
        {
            "date": d.day.isoformat(),
            "uptime": d.ratio,
            "worst_status": d.status,
            "observed_seconds": d.seconds.observed,
            "seconds": _seconds(d.seconds),
            "incident_ids": [public_id("i", pk) for pk in d.incident_ids],
        }
        for d in history.days
    ]
    totals: dict[str, int] = {}
    for d in history.days:
        for status, seconds in d.seconds.seconds_by_status().items():
            totals[status] = totals.get(status, 0) + seconds
    return {
        "component": {"id": public_id("c", component.pk), "name": str(component.localized("name"))},
        "time_zone": settings.SITE_TIME_ZONE,
        "from": history.first_day.isoformat(),
        "to": today.isoformat(),
        "totals": {
            "uptime": history.ratio,
            "observed_seconds": sum(d.seconds.observed for d in history.days),
            "seconds": totals,
            "days_with_data": sum(1 for d in history.days if d.seconds.observed),
        },
        "formula": "1 - weighted downtime / (observed seconds - maintenance seconds)",
        "weights": {
            "major_outage": weights.major_outage,
            "partial_outage": weights.partial_outage,
            "degraded_performance": weights.degraded_performance,
            "under_maintenance": None,  # left out of the count, not weighted
        },
        "days": days,
    }


def _days(request: HttpRequest) -> int | None:
    raw = request.GET.get("days", str(DEFAULT_DAYS))
    if not DAYS.fullmatch(raw) or not 1 <= int(raw) <= MAX_DAYS:
        return None
    return int(raw)


@cached_page_reading("days")
def _render(request: HttpRequest, pk: int) -> HttpResponse:
    count = _days(request)
    if count is None:
        return error(
            400, "invalid", f"days must be a whole number from 1 to {MAX_DAYS}.", field="days"
        )
    component = Component.objects.filter(pk=pk).first()
    if component is None:
        return error(404, "not_found", "No component has this id.")
    today = timefmt.in_zone(timezone.now()).date()
    response = _json(document(component, histories([pk], today, count)[pk], today))
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@allow_methods(["GET", "HEAD", "OPTIONS"])
def component_uptime(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "OPTIONS":
        return allow_any_origin(HttpResponse(status=204))
    return _render(request, pk)


@allow_methods(["GET", "HEAD", "OPTIONS"])
def component_uptime_by_api_id(request: HttpRequest, pk: int) -> HttpResponse:
    """The same document at the component's API id ("c3"), as components.json names it."""
    query = request.GET.urlencode()
    target = reverse("api_v2_component_uptime", args=[pk])
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
