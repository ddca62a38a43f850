"""Content-Security-Policy for every HTML page: scripts and styles from this site's files only.

No page has inline script, inline event handlers or style attributes, so the policy allows
neither, and an injected <script> or style would not run. Pages are not framed
(frame-ancestors 'none', with X-Frame-Options DENY for older browsers), except the widget
and the badges, which any site may embed: their views decide their own policy with
`embeddable`, and the middleware leaves a response that already has one alone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt

HEADER = "Content-Security-Policy"
HTML_TYPES = ("text/html", "image/svg+xml")
_STYLE_ELEMENT = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def _site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(*, frame_ancestors: str = "'none'", style_src: str = "'self'") -> str:
    # Forms may post to SITE_URL (the Subscribe link is absolute) when the page was reached
    # by another name.
    form_action = " ".join(filter(None, ["'self'", _site_origin()]))
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": style_src,
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": form_action,
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        # Django's own debug pages (DEBUG only, errors only) are built with inline script.
        debug_page = settings.DEBUG and response.status_code >= 400
        if content_type in HTML_TYPES and HEADER not in response and not debug_page:
            response[HEADER] = page_policy()
        return response


def _style_hashes(body: bytes) -> str:
    hashes = (
        "'sha256-" + base64.b64encode(hashlib.sha256(style).digest()).decode() + "'"
        for style in _STYLE_ELEMENT.findall(body)
    )
    return " ".join(dict.fromkeys(hashes))


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any site may frame this page; its own <style> elements (its template's) may apply.

    The widget keeps its styles inline so an embedding loads nothing more; they are allowed
    by hash, not with 'unsafe-inline', so a style injected anywhere else would still not
    apply. Put outside a page cache, so a cached copy gets the same headers.
    """

    @xframe_options_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            style_src = " ".join(filter(None, ["'self'", _style_hashes(response.content)]))
            response[HEADER] = page_policy(frame_ancestors="*", style_src=style_src)
        return response

    return wrapper
