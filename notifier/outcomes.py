"""Recording that a delivery was sent: the one ledger write per mail, made as cheap as it can be.

Whatever the row says when the far end has accepted a message (the sweeper may have taken a
stalled claim back), it is recorded as sent, so a re-queued task does not send it again.

On PostgreSQL the UPDATE goes out without waiting for its answer; the answer is read at the
next `settle()`, which a channel that overlaps (email) calls just before it hands the next
message's content to the server, and the dispatcher calls before anything else. So while
the next mail's envelope is being exchanged the database applies the last outcome, and yet
at no moment is more than one accepted mail unrecorded: a worker killed at any point
sends at most the one mail in flight again, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection
from django.utils import timezone

from notifier.models import Delivery, DeliveryState


class Outcomes:
    def __init__(self) -> None:
        self._waiting = False
        table = connection.ops.quote_name(Delivery._meta.db_table)
        # Hand-written: the ORM's update() costs more than the SMTP exchange it records.
        self._sql = (
            f"UPDATE {table} SET state = %s, reference = %s, sent_at = %s, "  # noqa: S608
            "last_error = '' WHERE id = %s"
        )
        self._pgconn = None
        if connection.vendor == "postgresql" and connection.get_autocommit():
            connection.ensure_connection()
            self._pgconn = connection.connection.pgconn
            self._pg_sql = (
                f"UPDATE {table} SET state = $1, reference = $2, sent_at = $3, "  # noqa: S608
                "last_error = '' WHERE id = $4"
            ).encode()

    def sent(self, delivery: Delivery, reference: str) -> None:
        self.settle()
        now = timezone.now()
        if self._pgconn is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    self._sql,
                    [
                        DeliveryState.SENT.value,
                        reference[:200],
                        connection.ops.adapt_datetimefield_value(now),
                        delivery.pk,
                    ],
                )
            return
        params = [b"sent", reference[:200].encode(), now.isoformat().encode(), b"%d" % delivery.pk]
        self._pgconn.send_query_params(self._pg_sql, params)
        self._waiting = True

    def settle(self) -> None:
        """Wait until the last outcome sent is applied; raise if the database refused it."""
        if not self._waiting:
            return
        self._waiting = False
        from psycopg import pq

        error = b""
        while (result := self._pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                error = result.error_message or b"unknown error"
        if error:
            raise DatabaseError(f"Recording a sent mail failed: {error.decode(errors='replace')}")


@contextmanager
def committed_lazily() -> Iterator[None]:
    """On PostgreSQL, let the batch's ledger writes commit without waiting for the disk.

    The server still applies each write before answering, so a worker killed at any point
    loses nothing it recorded: the window for a duplicate stays the one mail in flight.
    Only a crash of the database server itself can lose the last moments of writes (up to
    three times wal_writer_delay); the ledger then goes back to an earlier state, in which
    those mails are not yet recorded as sent, so they can be sent again: a duplicate, never
    a mail lost. Without this every recorded mail waits for an fsync, which costs more
    than sending it.
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
