"""Cache public pages under the publication token.

A cached page is the exact bytes the view rendered; any change to public
data moves the token, so there is nothing to invalidate. The site-zone date
is part of the key because pages say "today" and list the last seven days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from incidents import timefmt
from incidents.models import PublicationState

CACHE_ALIAS = "pages"
View = Callable[..., HttpResponse]


def page_key(request: HttpRequest, token: str) -> str:
    today = timefmt.in_zone(timezone.now()).date().isoformat()
    htmx = "htmx" if request.headers.get("HX-Request") == "true" else "full"
    raw = f"{token}|{today}|{htmx}|{request.get_full_path()}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_page(view: View) -> View:
    """Serve GET/HEAD from the page cache; render and store on a miss (200s only)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = page_key(request, PublicationState.current_token())
        cache = caches[CACHE_ALIAS]
        stored = cache.get(key)
        if stored is not None:
            content, headers = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            headers = [(name, value) for name, value in response.items()]
            cache.set(key, (response.content, headers))
        return response

    return wrapper
