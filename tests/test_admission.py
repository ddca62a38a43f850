"""Public requests share a few slots per process; staff requests never wait for one."""

from __future__ import annotations

import threading
import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from statuspage.admission import PublicAdmissionMiddleware


@pytest.fixture
def one_slot(settings):
    settings.PUBLIC_CONCURRENCY = 1
    settings.PUBLIC_QUEUE_SECONDS = 1
    settings.MIRROR_BASE_URL = "https://mirror.example/"
    entered, release = threading.Event(), threading.Event()

    def view(request):
        if request.path == "/slow/":
            entered.set()
            release.wait(5)
        return HttpResponse(f"ok {request.path}")

    middleware = PublicAdmissionMiddleware(view)
    holder = threading.Thread(target=middleware, args=[RequestFactory().get("/slow/")])
    holder.start()
    assert entered.wait(5)
    yield middleware
    release.set()
    holder.join(5)


def test_a_staff_request_passes_while_every_public_slot_is_taken(one_slot):
    for path in ("/staff/", "/admin/", "/api/staff/v1/incidents"):
        started = time.monotonic()
        response = one_slot(RequestFactory().get(path))
        assert response.status_code == 200 and time.monotonic() - started < 0.5


def test_a_public_request_waits_then_gets_a_busy_page_that_names_the_mirror(one_slot):
    started = time.monotonic()
    response = one_slot(RequestFactory().get("/"))
    assert time.monotonic() - started >= 1
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert b"https://mirror.example/" in response.content


def test_a_public_request_goes_through_once_a_slot_frees(settings):
    settings.PUBLIC_CONCURRENCY = 1
    settings.PUBLIC_QUEUE_SECONDS = 5
    middleware = PublicAdmissionMiddleware(lambda request: HttpResponse("ok"))
    for _ in range(3):  # each one gives its slot back, even one after another
        assert middleware(RequestFactory().get("/")).status_code == 200


def test_zero_means_no_limit(settings):
    settings.PUBLIC_CONCURRENCY = 0
    middleware = PublicAdmissionMiddleware(lambda request: HttpResponse("ok"))
    assert middleware.slots is None
    assert middleware(RequestFactory().get("/")).status_code == 200
