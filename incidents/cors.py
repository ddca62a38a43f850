"""Open to any origin: the public, read-only, cookie-free resources (API, feeds, calendar, badges).

Never for the console, staff pages or anything with cookies or CSRF: `*` lets any site's
script read the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from statuspage.methods import allow_methods

View = Callable[..., HttpResponse]


def allow_any_origin(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response["Access-Control-Max-Age"] = "86400"
    return response


def open_to_any_origin(view: View) -> View:
    """`view` with the CORS headers on every answer, and a preflight (OPTIONS) answered."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            return allow_any_origin(HttpResponse(status=204))
        return allow_any_origin(view(request, *args, **kwargs))

    return wrapper


def public_read(view: View) -> View:
    """A read-only resource (GET and HEAD, other methods 405) open to any origin."""
    return allow_methods(["GET", "HEAD", "OPTIONS"])(open_to_any_origin(require_safe(view)))
