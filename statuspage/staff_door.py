"""Anonymous requests at the staff door: a few a minute from each client address.

A login page cannot be cached (each carries its own CSRF token), and a staff API call with a
made-up token is looked up before it is refused, so every anonymous request to /staff/,
/admin/ or /api/staff/ costs work that a cached public page does not. Flooded from one
address, those renders took a quarter of the readers' pace. Each web process therefore lets
a client address make STAFF_DOOR_PER_MINUTE such requests in any sliding minute; the next
get a 429 before a session, a template or the database is touched, in a public slot
(statuspage.admission) like any reader, so the flood still waits its turn. Verified staff
(statuspage.staff_identity) are never counted, nor staff past the password step while they
type their code, so a person signing in needs three (the console, the login page, the
password): at the default of 30 a team behind one address can sign in ten a minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse

from statuspage.errors import json_error

WINDOW_SECONDS = 60.0
# Addresses remembered per process; the least recently seen are forgotten first.
MAX_ADDRESSES = 10_000


class StaffDoor:
    def __init__(
        self, per_minute: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # None: STAFF_DOOR_PER_MINUTE as it is at each request.
        self._per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    @property
    def per_minute(self) -> int:
        if self._per_minute is None:
            return int(settings.STAFF_DOOR_PER_MINUTE)
        return self._per_minute

    def wait_for(self, address: str) -> float:
        """0 when `address` may come in now (and counts it); else the seconds until it may."""
        per_minute = self.per_minute
        if not per_minute:
            return 0.0
        now = self.clock()
        with self._lock:
            times = self._seen.pop(address, None) or deque()
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            self._seen[address] = times
            if len(self._seen) > MAX_ADDRESSES:
                self._seen.popitem(last=False)
            if len(times) >= per_minute:
                return times[0] + WINDOW_SECONDS - now
            times.append(now)
            return 0.0


def door_closed(path: str, wait: float) -> HttpResponse:
    seconds = max(1, math.ceil(wait))
    message = f"Too many requests to the staff pages from your address; try again in {seconds} s."
    if path.startswith("/api/"):
        response = json_error(429, "too_many_requests", message)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
    response["Retry-After"] = str(seconds)
    return response
