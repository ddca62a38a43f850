"""One publish per mirror target at a time, across every worker on every machine.

A lease on the target's row, taken by a conditional update: it works the same
on SQLite and PostgreSQL, and a worker that dies mid-publish frees the target
when its lease runs out instead of holding it for ever.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from notifier.channels.base import TransportError
from notifier.mirror.models import MirrorTarget

# Longer than any publish (a full build to a slow rsync host is minutes); renewed as it goes.
LEASE = timedelta(minutes=15)
WAIT_SECONDS = 600.0


class Busy(TransportError):
    """Another worker held the target for longer than we would wait: try again later."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}: another worker is publishing to this target", permanent=False)


def _busy_database(error: OperationalError) -> bool:
    # SQLite refuses a write while another connection writes ("database is locked"; "database
    # table is locked" in shared-cache mode, at once): for a lock, that is simply "not yet".
    return "locked" in str(error)


def try_acquire(name: str, holder: str) -> bool:
    """Take the target's lease if it is free or has run out; True when we have it."""
    now = timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=holder)
    try:
        try:
            with transaction.atomic():
                MirrorTarget.objects.get_or_create(name=name)
        except IntegrityError:
            pass  # another worker created the row at the same moment
        taken = MirrorTarget.objects.filter(free, name=name).update(
            locked_by=holder, locked_until=now + LEASE
        )
    except OperationalError as error:
        if not _busy_database(error):
            raise
        return False
    return taken == 1


def renew(name: str, holder: str) -> None:
    try:
        MirrorTarget.objects.filter(name=name, locked_by=holder).update(
            locked_until=timezone.now() + LEASE
        )
    except OperationalError as error:
        if not _busy_database(error):
            raise  # busy: the lease still has minutes left, which is enough


def release(name: str, holder: str) -> None:
    for _attempt in range(100):  # a busy SQLite for some seconds, not a lease's 15 minutes
        try:
            MirrorTarget.objects.filter(name=name, locked_by=holder).update(
                locked_by="", locked_until=None
            )
            return
        except OperationalError as error:
            if not _busy_database(error):
                raise
            time.sleep(0.05)


@contextmanager
def publishing(name: str, *, wait: float | None = None) -> Iterator[str]:
    """Hold the target from rendering to the end of the upload; yields the holder's mark.

    Rendering inside the lock means the worker that gets it last renders the
    newest state, so an older render never lands after a newer one. Waits up
    to `wait` seconds (0: not at all; default WAIT_SECONDS), then raises Busy, a
    transient error: the dispatcher retries the delivery later.
    """
    holder = secrets.token_hex(8)
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    pause = 0.05
    while not try_acquire(name, holder):
        if time.monotonic() + pause > deadline:
            raise Busy(name)
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
    try:
        yield holder
    finally:
        release(name, holder)
