"""Staff first: public requests take one of a few slots per process and give way to staff.

Under a flood on the public page every worker thread would otherwise share the
interpreter lock with dozens of public renders, and an update posted from the
console would crawl at the very moment it matters. Public requests beyond the
slots wait asleep (costing no CPU) until one frees; while a staff request runs
in any web process on the machine, new public requests wait too (for
STAFF_PRIORITY_SECONDS at the most), so the update has the cores to itself.
Requests from verified staff (statuspage.staff_identity: a signed-in staff
session with its second factor, or an active API token) never wait; anyone else
on a staff address (a login page, the API with a made-up token) is a reader
like any other, so flooding those makes no one wait. When PUBLIC_QUEUE_LENGTH
readers already wait, the next gets a 503 at once: waiting readers hold server
threads, and a thread must stay free for staff (a proxy in front can answer
such 503s from the static mirror).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from statuspage.client import client_address
from statuspage.in_process import IN_PROCESS_RENDER
from statuspage.staff_door import StaffDoor, door_closed
from statuspage.staff_identity import Standing, is_staff_path, staff_standing
from statuspage.staff_presence import StaffPresence

# A staff request slower than this (a large preview) stops holding public readers back.
STAFF_PRIORITY_SECONDS = 0.5
# How often a waiting reader looks again for a staff request in another process.
ELSEWHERE_POLL_SECONDS = 0.005


class PublicAdmissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = settings.PUBLIC_CONCURRENCY
        self.changed = threading.Condition()
        self.public_running = 0
        self.public_waiting = 0
        self.staff_running = 0
        self.watcher: int | None = None  # the waiting thread that polls other processes
        self.presence = StaffPresence(Path(settings.VAR_DIR) / "staff-requests.lock")
        self.door = StaffDoor()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        standing = staff_standing(request)
        if standing is Standing.VERIFIED:
            return self._staff(request)
        if request.META.get(IN_PROCESS_RENDER):
            return self.get_response(request)
        if not self.limit:
            return self._past_the_door(request, standing)
        if not self._admit_public():
            return busy()
        try:
            # Refused in a public slot like any reader: a refusal is cheap, but answered at
            # once it would let a flood loop as fast as the cores allow.
            return self._past_the_door(request, standing)
        finally:
            with self.changed:
                self.public_running -= 1
                self.changed.notify()

    def _past_the_door(self, request: HttpRequest, standing: Standing) -> HttpResponse:
        """The response, or a 429 for an address that asked the staff door too often.

        A staff member past the password step, typing their code, is not counted: a team
        signing in from one office at the start of an incident must not lock itself out.
        """
        if (
            standing is Standing.NONE
            and is_staff_path(request.path_info)
            and (wait := self.door.wait_for(client_address(request)))
        ):
            return door_closed(request.path_info, wait)
        return self.get_response(request)

    def _staff(self, request: HttpRequest) -> HttpResponse:
        with self.changed:
            self.staff_running += 1
        try:
            with self.presence.staff_request():
                return self.get_response(request)
        finally:
            with self.changed:
                self.staff_running -= 1
                self.changed.notify_all()

    def _admit_public(self) -> bool:
        start = time.monotonic()
        deadline = start + settings.PUBLIC_QUEUE_SECONDS
        give_way_until = start + STAFF_PRIORITY_SECONDS
        me = threading.get_ident()
        with self.changed:
            if self.public_waiting >= settings.PUBLIC_QUEUE_LENGTH:
                return False
            self.public_waiting += 1
            try:
                while True:
                    now = time.monotonic()
                    giving_way = now < give_way_until and (
                        self.staff_running > 0 or self._staff_elsewhere(me)
                    )
                    if not giving_way and self.public_running < self.limit:
                        self.public_running += 1
                        return True
                    if now >= deadline:
                        return False
                    until = give_way_until if giving_way else deadline
                    if self.watcher == me:  # no notify comes from another process: look again
                        until = min(until, now + ELSEWHERE_POLL_SECONDS)
                    self.changed.wait(min(deadline, until) - now)
            finally:
                self.public_waiting -= 1
                if self.watcher == me:
                    self.watcher = None
                    self.changed.notify_all()

    def _staff_elsewhere(self, me: int) -> bool:
        """Whether another process runs a staff request; one waiting thread looks, the rest wait."""
        if self.watcher not in (None, me):
            return True
        was_watching = self.watcher == me
        found = self.presence.anywhere()
        self.watcher = me if found else None
        if was_watching and not found:  # the staff request ended: the others may go too
            self.changed.notify_all()
        return found


def busy() -> HttpResponse:
    """Still an answer a reader can use: where else the status is published."""
    body = render_to_string("503.html", {"mirror_url": settings.MIRROR_BASE_URL})
    headers = {"Retry-After": "10", "Cache-Control": "no-store"}
    return HttpResponse(body, status=503, headers=headers)
