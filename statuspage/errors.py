"""Error pages rendered with the site's layout (Django's defaults skip context processors),
JSON errors under /api/, and error logs that keep a traceback for the errors that are ours.

A database that is locked or unreachable (any OperationalError: SQLite's "database is
locked", a lost connection) is a passing condition, not a bug: every request answers
503 with Retry-After, JSON under /api/ and a short page elsewhere, rendered without the
database. Every other exception stays a 500.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

API_PREFIX = "/api/"
# A locked or unreachable database is usually back within seconds.
UNAVAILABLE_RETRY_SECONDS = 5

request_logger = logging.getLogger("django.request")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def json_error(status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    """The API's error body: {"error": code, "message": ..., "field": ...}."""
    body = {"error": code, "message": message, "field": field}
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    response = json_error(
        503,
        "unavailable",
        "The database is busy or unreachable; nothing was changed. Try again in a few seconds.",
    )
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


def busy_page(request: HttpRequest) -> HttpResponse:
    """The HTML 503 for a busy database; no context processors, so no query."""
    sent_a_form = request.method not in ("GET", "HEAD", "OPTIONS")
    body = render_to_string("busy.html", {"sent_a_form": sent_a_form})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def database_busy(request: HttpRequest, exception: OperationalError) -> HttpResponse:
    request_logger.warning(
        "Service Unavailable: %s (%s)",
        request.path,
        exception,
        extra={"status_code": 503, "request": request},
    )
    return unavailable(request) if is_api(request) else busy_page(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error(400, "invalid", "The request could not be read.")
    return render(request, "400.html", {"exception": exception}, status=400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error(403, "forbidden", "This request is not allowed.")
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api(request):
        return json_error(403, "forbidden", "Send the staff API a token, not a browser session.")
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error(404, "not_found", "There is no such API endpoint.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Raised outside a view (a middleware saving the session): Django calls this while
    # handling the exception, which is still sys.exc_info().
    if isinstance(sys.exc_info()[1], OperationalError):
        return unavailable(request) if is_api(request) else busy_page(request)
    if is_api(request):
        return json_error(500, "server_error", "Something went wrong on our side; it is logged.")
    from django.views import defaults

    # Django's own: it renders without context processors, which may need the broken database.
    return defaults.server_error(request)


class ApiErrorsAsJson:
    """A locked or unreachable database answers 503 with Retry-After on every page (JSON
    under /api/, busy.html elsewhere); any other exception inside /api/ answers a JSON 500.
    Each is logged as Django would; other exceptions elsewhere go on to Django's 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError):
            return database_busy(request, exception)
        if not is_api(request):
            return None
        request_logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        return server_error(request)


class ClientErrorsOnOneLine(logging.Formatter):
    """Format a client error (a 4xx) as its one-line message; server errors keep the traceback.

    Django logs BadRequest, PermissionDenied and every SuspiciousOperation
    (DisallowedHost, ...) with the exception attached. A reader's bad address
    is not a fault in the code, and a traceback for each would bury the ones
    that are.
    """

    def format(self, record: logging.LogRecord) -> str:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            # A copy: other handlers (error trackers) may still want the exception.
            record = logging.makeLogRecord(
                {**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None}
            )
        return super().format(record)
