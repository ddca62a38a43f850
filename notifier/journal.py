"""Recording sent deliveries: a line in a local file at once, the ledger a group at a time.

SMTP has no way to ask "did you get it?", so a mail the server accepted must be noted
before the next one goes out, or a worker killed in between sends it again. Noting it in
the database costs a round trip and a wake-up of the server per mail, more than the SMTP
exchange itself. So each batch appends a line per accepted mail to its own file under
VAR_DIR/delivery-journal (one write; it survives the process being killed, as it is in
the kernel's page cache) and writes the lines to the ledger every FLUSH_EVERY mails or
FLUSH_SECONDS, and when the batch ends.

A batch holds an exclusive lock on its file while it runs; the kernel drops the lock when
the process dies. `recover()` takes over the files nobody holds, writes their lines to
the ledger and deletes them. The dispatcher calls it before claiming and the sweeper
before it hands stalled claims back, so a worker restarted after a SIGKILL sends nobody
a second mail but the one in flight at the kill.

The file is on one machine. If a whole machine is lost, its unflushed lines are lost with
it, and up to FLUSH_EVERY mails per batch it was sending can be sent again by another
machine: a duplicate, never a mail lost.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from notifier.models import Delivery, DeliveryState
from notifier.models.lookups import integer_array, text_array

logger = logging.getLogger(__name__)

FLUSH_EVERY = 100
FLUSH_SECONDS = 0.25


def directory() -> Path:
    path = Path(settings.VAR_DIR) / "delivery-journal"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_to_ledger(lines: Sequence[tuple[int, str, datetime]]) -> None:
    """Record these (delivery id, reference, sent at) as sent, in one statement."""
    if not lines:
        return
    table = connection.ops.quote_name(Delivery._meta.db_table)
    ids = [delivery_id for delivery_id, _, _ in lines]
    references = [reference[:200] for _, reference, _ in lines]
    if connection.vendor == "postgresql":
        # Three arrays, not three parameters a line, each sent as its text (psycopg would
        # adapt a list element by element in Python): see notifier/models/lookups.py.
        sent = (
            "unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS sent(column1, column2, column3)"
        )
        params: list[Any] = [
            integer_array(ids),
            text_array(sent_at.isoformat() for _, _, sent_at in lines),
            text_array(references),
        ]
    else:
        sent = f"(VALUES {', '.join(['(%s, %s, %s)'] * len(lines))}) AS sent"
        at = [connection.ops.adapt_datetimefield_value(sent_at) for _, _, sent_at in lines]
        params = [value for line in zip(ids, at, references, strict=True) for value in line]
    # Whatever the row says (the sweeper may have taken a stalled claim back), a mail the
    # far end accepted is sent: a re-queued task must not send it again. A VALUES list's
    # columns are column1, column2... in PostgreSQL and SQLite alike.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, last_error = '', sent_at = sent.column2, "  # noqa: S608
            f"reference = sent.column3 FROM {sent} WHERE {table}.id = sent.column1",
            [DeliveryState.SENT.value, *params],
        )


class Journal:
    """One batch's file of sent deliveries; use as a context manager."""

    def __init__(self, name: str) -> None:
        self.path = directory() / f"{name}.log"
        self._fd = -1
        self._unflushed: list[tuple[int, str, datetime]] = []
        self._flushed_at = time.monotonic()

    def __enter__(self) -> Journal:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def sent(self, delivery: Delivery, reference: str) -> None:
        """Note an accepted mail; the ledger hears of it at the next flush."""
        at = timezone.now()
        os.write(self._fd, f"{delivery.pk}\t{at.isoformat()}\t{_one_line(reference)}\n".encode())
        self._unflushed.append((delivery.pk, reference, at))
        if (
            len(self._unflushed) >= FLUSH_EVERY
            or time.monotonic() - self._flushed_at >= FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        write_to_ledger(self._unflushed)
        self._unflushed = []
        self._flushed_at = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        try:
            self.flush()
        except DatabaseError:
            # The lines stay in the file; recover() writes them once the database answers.
            logger.exception("Could not record sent mails; %s keeps them", self.path)
            os.close(self._fd)
            raise
        self.path.unlink(missing_ok=True)
        os.close(self._fd)  # unlocks


def _one_line(reference: str) -> str:
    return reference.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _read(path: Path) -> list[tuple[int, str, datetime]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        delivery_id, at, reference = [*line.split("\t", 2), "", ""][:3]
        # Each line is one write(), so a kill leaves whole lines; skip anything else.
        with suppress(ValueError):
            lines.append((int(delivery_id), reference, datetime.fromisoformat(at)))
    return lines


def recover() -> int:
    """Write the lines of every journal whose batch died to the ledger; returns how many."""
    recorded = 0
    for path in sorted(directory().glob("*.log")):
        with _unheld(path) as held:
            if held:
                lines = _read(path)
                write_to_ledger(lines)
                path.unlink(missing_ok=True)
                recorded += len(lines)
    if recorded:
        logger.info("Recorded %s sent mails from the journals of stopped workers", recorded)
    return recorded


@contextmanager
def _unheld(path: Path) -> Iterator[bool]:
    """Lock `path` if no live batch holds it; yields whether we got it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # its batch finished meanwhile
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        # The batch may have finished (and unlinked it) between our open and our lock.
        yield path.exists()
    finally:
        os.close(fd)


@contextmanager
def committed_lazily() -> Iterator[None]:
    """On PostgreSQL, let the batch's ledger writes commit without waiting for the disk.

    The server still applies each write before answering. Only a crash of the database
    server itself can lose the last moments of writes (up to three times
    wal_writer_delay); the ledger then goes back to an earlier state, in which those mails
    are not yet recorded as sent, so they can be sent again: a duplicate, never a mail
    lost. The journal files are gone by then, so this is the one window beyond the mail
    in flight.
    """
    if connection.vendor != "postgresql" or not connection.get_autocommit():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        before = cursor.fetchone()[0]
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        # The connection is reused (CONN_MAX_AGE) for other work: back to what it was. A
        # broken connection is thrown away anyway; keep the error that broke it.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [before])
