"""Public requests share a few slots per process; staff requests never wait for one.

These test the slots; who counts as staff (a verified session, an active token)
is tested in tests/test_staff_identity.py. Here a path starting /staff/,
/admin/ or /api/staff/ stands for a verified staff request.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from statuspage.admission import PublicAdmissionMiddleware
from statuspage.staff_identity import Standing


@pytest.fixture(autouse=True)
def staff_by_path(monkeypatch):
    monkeypatch.setattr(
        "statuspage.admission.staff_standing",
        lambda request: (
            Standing.VERIFIED
            if request.path.startswith(("/staff/", "/admin/", "/api/staff/"))
            else Standing.NONE
        ),
    )


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
    assert middleware.limit == 0
    assert middleware(RequestFactory().get("/")).status_code == 200


def test_public_requests_give_way_while_a_staff_request_runs(settings):
    settings.PUBLIC_CONCURRENCY = 4
    settings.PUBLIC_QUEUE_SECONDS = 5
    entered, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def view(request):
        if request.path == "/staff/":
            entered.set()
            release.wait(5)
        finished.append(request.path)
        return HttpResponse("ok")

    middleware = PublicAdmissionMiddleware(view)
    staff = threading.Thread(target=middleware, args=[RequestFactory().get("/staff/")])
    staff.start()
    assert entered.wait(5)
    reader = threading.Thread(target=middleware, args=[RequestFactory().get("/")])
    reader.start()
    time.sleep(0.2)
    assert finished == []  # the reader waits although public slots are free
    release.set()
    staff.join(5)
    reader.join(5)
    assert finished == ["/staff/", "/"]


def test_a_slow_staff_request_holds_readers_back_only_briefly(settings):
    settings.PUBLIC_CONCURRENCY = 4
    settings.PUBLIC_QUEUE_SECONDS = 5
    release = threading.Event()

    def view(request):
        if request.path == "/staff/":
            release.wait(5)
        return HttpResponse("ok")

    middleware = PublicAdmissionMiddleware(view)
    staff = threading.Thread(target=middleware, args=[RequestFactory().get("/staff/")])
    staff.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert middleware(RequestFactory().get("/")).status_code == 200
    waited = time.monotonic() - started
    release.set()
    staff.join(5)
    assert 0.3 < waited < 2


def test_beyond_the_queue_length_readers_are_turned_away_at_once(one_slot, settings):
    settings.PUBLIC_QUEUE_LENGTH = 0
    started = time.monotonic()
    response = one_slot(RequestFactory().get("/"))
    assert response.status_code == 503 and time.monotonic() - started < 0.5
    assert one_slot.public_waiting == 0


def test_readers_give_way_to_a_staff_request_in_another_process(settings, tmp_path):
    import subprocess
    import sys

    settings.VAR_DIR = tmp_path
    settings.PUBLIC_CONCURRENCY = 4
    lock = tmp_path / "staff-requests.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_SH)\n"
            "print('held', flush=True)\n"
            "time.sleep(0.3)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        middleware = PublicAdmissionMiddleware(lambda request: HttpResponse("ok"))
        started = time.monotonic()
        assert middleware(RequestFactory().get("/")).status_code == 200
        waited = time.monotonic() - started
    finally:
        holder.wait(5)
    assert 0.1 < waited < 1
    started = time.monotonic()
    assert middleware(RequestFactory().get("/")).status_code == 200
    assert time.monotonic() - started < 0.05  # the other process has ended: no waiting


def test_renders_inside_a_worker_neither_wait_nor_take_a_slot(one_slot):
    from statuspage.in_process import IN_PROCESS_RENDER

    started = time.monotonic()
    response = one_slot(RequestFactory().get("/", **{IN_PROCESS_RENDER: True}))
    assert response.status_code == 200 and time.monotonic() - started < 0.5
