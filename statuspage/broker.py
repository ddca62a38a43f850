"""The embedded broker: kombu's SQLAlchemy transport, tuned for a SQLite file.

kombu's virtual transports sleep `polling_interval` (1 s) whenever a poll brings nothing,
and a poll brings nothing while the worker's processes are all busy (its prefetch is
full). So with acks_late and a prefetch of one per process, each process took one task a
second, however short the task: a fan-out to 12 webhooks crawled at two tasks a second.
Polling every POLL_SECONDS keeps the processes fed; an idle worker then asks the broker
file about each queue POLL_SECONDS apart, a cheap read.

The broker's file gets WAL (a worker's read no longer blocks a web process's publish) and
a busy timeout, like the application's database (statuspage/settings.py).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

POLL_SECONDS = 0.02
BUSY_TIMEOUT_MS = 20_000


def _tune_sqlite(connection: sqlite3.Connection, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # A message lost to a power cut is re-queued by the sweeper (notifier.sweep).
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


class Channel(kombu_sqlalchemy.Channel):
    def _engine_from_config(self) -> Engine:
        engine = super()._engine_from_config()
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _tune_sqlite)
        return engine


class Transport(kombu_sqlalchemy.Transport):
    Channel = Channel
    polling_interval = POLL_SECONDS


def register() -> None:
    """Make `sqla+...` broker URLs use this transport (statuspage/celery.py calls it)."""
    TRANSPORT_ALIASES["sqla"] = TRANSPORT_ALIASES["sqlalchemy"] = f"{__name__}:Transport"
