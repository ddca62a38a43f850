"""The public read API at /api/v2/, in Statuspage's shape: cached, conditional, open to any origin.

Each document is rendered once per publication token (incidents.page_cache),
so a poll costs one query while nothing changes; ConditionalGetMiddleware
answers If-None-Match and If-Modified-Since with 304.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import path, re_path
from django.utils.http import http_date

from incidents.api import documents, uptime
from incidents.api.serializers import parse_public_id
from incidents.cors import allow_any_origin
from incidents.models import Incident, Maintenance
from incidents.page_cache import cached_page
from statuspage.methods import allow_methods

# Seconds a reader (or a proxy) may reuse an answer: short, a status page must be current.
MAX_AGE = 30
JSON_TYPE = "application/json"

Builder = Callable[[datetime], dict[str, Any]]

# Path under /api/v2/, URL name, the document.
DOCUMENTS: list[tuple[str, str, Builder]] = [
    ("summary.json", "api_v2_summary", documents.summary),
    ("status.json", "api_v2_status", documents.status),
    ("components.json", "api_v2_components", documents.components),
    ("incidents.json", "api_v2_incidents", documents.incidents),
    ("incidents/unresolved.json", "api_v2_incidents_unresolved", documents.unresolved_incidents),
    (
        "scheduled-maintenances.json",
        "api_v2_scheduled_maintenances",
        documents.scheduled_maintenances,
    ),
    (
        "scheduled-maintenances/upcoming.json",
        "api_v2_scheduled_maintenances_upcoming",
        documents.upcoming_maintenances,
    ),
    (
        "scheduled-maintenances/active.json",
        "api_v2_scheduled_maintenances_active",
        documents.active_maintenances,
    ),
]


def json_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _method_not_allowed() -> HttpResponse:
    response = HttpResponse(
        json_bytes({"error": "method_not_allowed", "message": "This document is read-only."}),
        content_type=JSON_TYPE,
        status=405,
    )
    response["Allow"] = "GET, HEAD, OPTIONS"
    return allow_any_origin(response)


def document_view(build: Builder) -> Callable[[HttpRequest], HttpResponse]:
    def render(request: HttpRequest) -> HttpResponse:
        changed_at = documents.last_change()
        response = HttpResponse(json_bytes(build(changed_at)), content_type=JSON_TYPE)
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
        response["Last-Modified"] = http_date(changed_at.timestamp())
        return allow_any_origin(response)

    cached = cached_page(render)

    def view(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":
            return allow_any_origin(HttpResponse(status=204))
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed()
        # Query strings (cache-busters such as ?_=1700000000) change nothing: cached_page
        # keys on the path, so they share one cached copy.
        return cached(request)

    view.__name__ = view.__qualname__ = f"{build.__name__}_view"
    return allow_methods(["GET", "HEAD", "OPTIONS"])(view)


def api_id_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """/incidents/i8 or /maintenance/m4 (the API's ids) to the page that item lives on.

    Statuspage serves every item at {page.url}/incidents/{id}, and clients build that
    link when shortlink is empty; an unknown id stays a 404.
    """
    for kind, model in (("i", Incident), ("m", Maintenance)):
        pk = parse_public_id(kind, code)
        if pk is not None:
            item = model.objects.filter(pk=pk).first()
            if item is not None:
                return HttpResponsePermanentRedirect(item.get_absolute_url())
    raise Http404("No incident or maintenance has this id.")


urlpatterns = [path(route, document_view(build), name=name) for route, name, build in DOCUMENTS]
urlpatterns += [
    path(
        "components/<int:pk>/uptime.json",
        uptime.component_uptime,
        name="api_v2_component_uptime",
    ),
    re_path(r"^components/c(?P<pk>[0-9]{1,18})/uptime\.json$", uptime.component_uptime_by_api_id),
]
