"""Serve loopback only while SECRET_KEY is the built-in key everyone can read in the source.

With that key anyone can sign a subscription confirmation or an unsubscribe link, or forge a
session. `make run` must keep working with no settings, so the key stays; but a request that
may come from another machine gets a page saying to set SECRET_KEY instead. The check runs
per request rather than on ALLOWED_HOSTS at start-up: a server listening on 0.0.0.0 with the
default loopback ALLOWED_HOSTS still takes a stranger's request carrying "Host: 127.0.0.1",
and a proxy on this machine makes public traffic arrive from 127.0.0.1. So a request is
served only when its Host is a loopback name, it comes from a loopback address, and no
proxy forwarded it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from statuspage.client import parse_address
from statuspage.env import BUILT_IN_SECRET_KEY
from statuspage.in_process import IN_PROCESS_RENDER

LOOPBACK_NAMES = {"localhost", "testserver"}  # testserver: Django's test client
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")

REFUSAL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Set SECRET_KEY</title></head>
<body><h1>This site needs its own SECRET_KEY</h1>
<p>It runs with the built-in key, which is public, so anyone could forge its signed links.
With that key it answers only on this machine (localhost, 127.0.0.1, [::1]).
Set the SECRET_KEY environment variable to a long random value and restart it.</p>
</body></html>
"""


def _is_loopback(host: str) -> bool:
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    address = parse_address(host)  # a dual-stack listener reports ::ffff:127.0.0.1
    return address is not None and address.is_loopback


def served_locally(request: HttpRequest) -> bool:
    """Whether the request comes from this machine, directly, for a loopback host name."""
    raw_host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    name, _port = split_domain_port(raw_host)
    return (
        _is_loopback(name)
        and _is_loopback(request.META.get("REMOTE_ADDR", ""))
        and not any(request.META.get(header) for header in PROXY_HEADERS)
    )


class BuiltInKeyGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.SECRET_KEY != BUILT_IN_SECRET_KEY
            or request.META.get(IN_PROCESS_RENDER)  # the mirror, rendered by a worker
            or served_locally(request)
        ):
            return self.get_response(request)
        # 400 as for a host outside ALLOWED_HOSTS; a 503 would be swapped for the mirror by the
        # README's nginx, hiding the reason from whoever set the site up.
        response = HttpResponse(REFUSAL, status=400, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
