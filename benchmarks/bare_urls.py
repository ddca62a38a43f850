"""The site's URLs plus /__bench__/bare/: a view that returns the status page's bytes as read
at start-up, through the same middleware. Used only by benchmarks/bench_settings.py.

BENCH_PAGE_FILE names the file with the bytes (run.py saves one render of / there).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

PAGE = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("__bench__/bare/", bare, name="bench_bare"),
    path("", include("statuspage.urls")),
]

handler400 = "statuspage.errors.bad_request"
handler404 = "statuspage.errors.not_found"
