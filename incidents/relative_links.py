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

# Set on a response whose links are already relative to its address.
LINKS_RELATIVE = "links_relative"
# A site path in a quoted attribute value. The scan looks for this literal first: a pattern
# that starts with one is searched ten times faster than one starting with `\s` over a page
# of 100 kB (the uptime bars' tooltips are full of spaces).
SITE_PATH_START = re.compile(rb'="/(?!/)')
# The attributes that hold a URL we serve (links, assets, forms, htmx requests), right before.
URL_ATTRIBUTE = re.compile(rb"\s(?:href|src|action|data-hx-get)\Z")
LONGEST_ATTRIBUTE = len(b" data-hx-get")


def relative_path(target: str, page: str) -> str:
    """The relative reference from the page at `page` to `target` (both absolute paths)."""
    path, _, rest = target.partition("?")
    path, hash_mark, fragment = path.partition("#")
    page_dir = page if page.endswith("/") else posixpath.dirname(page) + "/"
    if path.startswith(page_dir) and "/." not in path and "//" not in path:
        # Below the page's folder, with nothing to normalise: the rest of the path (what
        # relpath answers, much faster; a page links to a hundred incidents).
        relative = path[len(page_dir) :] or "."
        if relative.endswith("/"):
            relative = relative[:-1]
    else:
        relative = posixpath.relpath(path, page_dir)
    if path.endswith("/") and relative != ".":
        relative += "/"
    elif relative == ".":
        relative = "./"
    suffix = (f"?{rest}" if rest else "") + (f"#{fragment}" if hash_mark else "")
    return relative + suffix


def relative_to(body: bytes, page: str) -> bytes:
    """`body` with every site path in a link made relative to the page at `page`."""

    parts: list[bytes] = []
    done = 0  # everything before this offset is in `parts`
    rewritten: dict[bytes, bytes] = {}  # a page names the same incident many times
    for match in SITE_PATH_START.finditer(body):
        # Not inside a value already rewritten (up to its closing quote), and after a URL
        # attribute's name.
        if match.start() <= done and parts:
            continue
        if not URL_ATTRIBUTE.search(body, max(0, match.start() - LONGEST_ATTRIBUTE), match.start()):
            continue
        value_start = match.start() + 2
        value_end = body.find(b'"', value_start)
        if value_end < 0:
            break
        target = body[value_start:value_end]
        relative = rewritten.get(target)
        if relative is None:
            relative = rewritten[target] = relative_path(target.decode(), page).encode()
        parts += (body[done:value_start], relative)
        done = value_end
    if not parts:
        return body
    parts.append(body[done:])
    return b"".join(parts)


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
