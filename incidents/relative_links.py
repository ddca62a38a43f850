"""Make every site-internal link in HTML pages relative to the page itself.

The live site and the static mirror serve the same bytes (the mirror renders
through these same views and middleware), and a mirror must work on another
domain and under a path prefix: "/incidents/7/" seen from "/history/" becomes
"../incidents/7/". Feeds and JSON keep absolute URLs, which readers need.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Attributes that hold a URL we serve: links, assets, forms, htmx requests.
# Set on a response whose links are already relative to its address.
LINKS_RELATIVE = "links_relative"
SITE_PATH = re.compile(rb'(?P<attr>\s(?:href|src|action|data-hx-get)=")(?P<path>/(?!/)[^"]*)"')


def relative_path(target: str, page: str) -> str:
    """The relative reference from the page at `page` to `target` (both absolute paths)."""
    path, _, rest = target.partition("?")
    path, hash_mark, fragment = path.partition("#")
    page_dir = page if page.endswith("/") else posixpath.dirname(page) + "/"
    relative = posixpath.relpath(path, page_dir)
    if path.endswith("/") and relative != ".":
        relative += "/"
    elif relative == ".":
        relative = "./"
    suffix = (f"?{rest}" if rest else "") + (f"#{fragment}" if hash_mark else "")
    return relative + suffix


def relative_to(body: bytes, page: str) -> bytes:
    """`body` with every site path in a link made relative to the page at `page`."""

    def rewrite(match: re.Match[bytes]) -> bytes:
        target = match.group("path").decode()
        return match.group("attr") + relative_path(target, page).encode() + b'"'

    return SITE_PATH.sub(rewrite, body)


def relative_to_root(body: bytes) -> bytes:
    return relative_to(body, "/")


def make_links_relative(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Rewrite a page's links for its address, once: a rewritten response is marked."""
    content_type = response.get("Content-Type", "")
    if (
        getattr(response, LINKS_RELATIVE, False)
        or response.status_code != 200  # error pages answer at any address: keep them absolute
        or response.streaming
        or not content_type.startswith("text/html")
        # The admin and the staff console are not mirrored, and the console's htmx
        # partials are swapped into pages at other addresses: links there stay absolute.
        or request.path.startswith(("/admin/", "/staff/"))
    ):
        return response
    response.content = relative_to(response.content, request.path)
    setattr(response, LINKS_RELATIVE, True)
    return response


class RelativeLinksMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Cached public pages are stored rewritten (incidents/page_cache.py) and pass as they are.
        return make_links_relative(request, self.get_response(request))
