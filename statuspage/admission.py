"""Staff first: public requests take one of a few slots per process; staff requests never wait.

Under a flood on the public page every worker thread would otherwise share the
interpreter lock with dozens of public renders, and an update posted from the
console would crawl at the very moment it matters. Public requests beyond the
slots wait asleep (costing no CPU) until one frees; staff, admin and staff-API
requests go straight through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

STAFF_PREFIXES = ("/staff/", "/admin/", "/api/staff/")


class PublicAdmissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        slots = settings.PUBLIC_CONCURRENCY
        self.slots = threading.BoundedSemaphore(slots) if slots else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None or request.path_info.startswith(STAFF_PREFIXES):
            return self.get_response(request)
        if not self.slots.acquire(timeout=settings.PUBLIC_QUEUE_SECONDS):
            return busy()
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


def busy() -> HttpResponse:
    """Still an answer a reader can use: where else the status is published."""
    body = render_to_string("503.html", {"mirror_url": settings.MIRROR_BASE_URL})
    return HttpResponse(
        body, status=503, headers={"Retry-After": "10", "Cache-Control": "no-store"}
    )
