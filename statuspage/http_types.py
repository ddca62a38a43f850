"""What the middleware adds to every request, spelled out for the type checker."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """A request as django_htmx's middleware (in MIDDLEWARE for every request) leaves it."""

    htmx: HtmxDetails
