"""Cache public pages under the publication token.

A cached page is the exact bytes the view rendered; any change to public
data moves the token, so there is nothing to invalidate. The site-zone date
is part of the key because pages say "today" and list the last seven days.

A query string is not part of the key, except the parameters a view reads
(`cached_page_reading`): links shared on social networks and in newsletters
carry ?utm_source= and ?fbclid=, which must neither split the cache nor
bypass it. The view sees only the parameters it reads, so what it renders
always matches its key. Nor may the path's spelling split it: /incidents/007/
names the same incident as /incidents/7/, and is sent there.

The cache is bounded by entries and bytes (statuspage/bounded_cache.py), and a
render that fails (an unknown id, a 404) leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, QueryDict
from django.urls import NoReverseMatch
from django.utils import timezone

from incidents import timefmt
from incidents.models import PublicationState
from incidents.relative_links import LINKS_RELATIVE, make_links_relative
from statuspage.in_process import IN_PROCESS_RENDER
from statuspage.reversing import reversed_url

if TYPE_CHECKING:
    # What a QueryDict is when not made mutable, as request.GET is; the stubs alone name it.
    from django.http.request import _ImmutableQueryDict

CACHE_ALIAS = "pages"
View = Callable[..., HttpResponse]


def page_key(request: HttpRequest, token: str) -> str:
    today = timefmt.in_zone(timezone.now()).date().isoformat()
    htmx = "htmx" if request.headers.get("HX-Request") == "true" else "full"
    raw = f"{token}|{today}|{htmx}|{request.path}?{request.GET.urlencode()}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


_render_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _render_lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _render_locks.setdefault(key, threading.Lock())


def _response(stored: tuple[bytes, list[tuple[str, str]]]) -> HttpResponse:
    content, headers = stored
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    setattr(response, LINKS_RELATIVE, True)  # stored as the middleware would have made it
    return response


def only(query: QueryDict, names: tuple[str, ...]) -> _ImmutableQueryDict:
    """`query` keeping only the parameters `names`, in a fixed order."""
    return QueryDict(urlencode([(n, v) for n in sorted(names) for v in query.getlist(n)]))


def cached_page(view: View) -> View:
    """Serve GET/HEAD from the page cache; render and store on a miss (200s only)."""
    return cached_page_reading()(view)


def cached_page_reading(*params: str) -> Callable[[View], View]:
    """`cached_page` for a view that reads the query parameters `params`; others are ignored."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            request.GET = only(request.GET, params)
            canonical = canonical_path(request)
            if canonical is not None and canonical != request.path:
                query = request.GET.urlencode()
                return HttpResponsePermanentRedirect(f"{canonical}?{query}" if query else canonical)
            return _from_cache(request, lambda: view(request, *args, **kwargs))

        return wrapper

    return decorate


def canonical_path(request: HttpRequest) -> str | None:
    """The path the URL's own name and arguments spell (leading zeros dropped), if it has one."""
    match = request.resolver_match
    if match is None or not match.url_name:
        return None
    try:
        return reversed_url(match.view_name, match.args, match.kwargs)
    except NoReverseMatch:
        return None


def _from_cache(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    if request.META.get(IN_PROCESS_RENDER):
        # The mirror renders each page once, in a worker whose cache no reader reads: storing
        # a build's 3,000 pages would only push each other out.
        return make_links_relative(request, render())
    key = page_key(request, PublicationState.current_token())
    cache = caches[CACHE_ALIAS]
    if (stored := cache.get(key)) is not None:
        return _response(stored)
    # After a publish, many readers miss at once: one thread renders, the others wait.
    try:
        with _render_lock(key):
            if (stored := cache.get(key)) is not None:
                return _response(stored)
            response = make_links_relative(request, render())
            if response.status_code == 200 and not response.streaming:
                headers = [(name, value) for name, value in response.items()]
                cache.set(key, (response.content, headers))
    finally:  # also after an Http404: unknown ids must not pile up locks
        with _locks_guard:
            _render_locks.pop(key, None)
    return response
