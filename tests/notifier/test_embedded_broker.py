"""The embedded broker (sqla+sqlite) with a real worker: a confirmation mail never waits behind a
fan-out, and the broker file runs in WAL mode."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from kombu.transport import resolve_transport

from benchmarks.broker import FANOUT_QUEUE, waiting
from incidents.management.commands.serve import WORKER_QUEUES
from statuspage.broker import Transport
from statuspage.celery import app
from tests.servers.worker import Worker

FANOUT_TASKS = 400


def test_a_confirmation_mail_is_routed_to_its_own_queue_which_the_worker_consumes():
    queue = app.amqp.router.route({}, "notifier.send_confirmation")["queue"].name
    assert queue != FANOUT_QUEUE and queue != "bulk"
    assert queue in WORKER_QUEUES.split(",")


def test_sqla_urls_use_the_tuned_transport_which_polls_often():
    assert resolve_transport("sqla") is Transport
    assert Transport.polling_interval < 0.1


def test_a_confirmation_mail_is_taken_while_a_large_fan_out_is_still_queued(tmp_path: Path):
    broker = tmp_path / "broker.sqlite"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{broker}",
    }
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(120)
    mail_queue = app.amqp.router.route({}, "notifier.send_confirmation")["queue"].name
    with app.connection_for_write(f"sqla+sqlite:///{broker}") as connection:
        producer = app.amqp.Producer(connection)
        for _ in range(FANOUT_TASKS):  # no-op tasks Celery itself defines
            app.send_task("celery.accumulate", args=(1,), queue=FANOUT_QUEUE, producer=producer)
        app.send_task(
            "tests.mail_taken",
            args=(listener.getsockname()[1],),
            queue=mail_queue,
            producer=producer,
        )
        worker = Worker(
            env,
            tmp_path,
            queues=WORKER_QUEUES,
            beat=False,
            extra_args=["--include", "tests.notifier.broker_probe"],
        )
        worker.start()
        try:
            taken, _ = listener.accept()
            taken.close()
            still_queued = waiting(broker, FANOUT_QUEUE)
        finally:
            worker.stop()
            listener.close()
    assert still_queued > FANOUT_TASKS // 2
    with sqlite3.connect(broker) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
