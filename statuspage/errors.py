"""Error pages rendered with the site's layout (Django's defaults skip context processors),
and error logs that keep a traceback for the errors that are ours.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", {"exception": exception}, status=400)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


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
