"""The embedded broker (sqla+sqlite) with a real worker: tasks/s, and a confirmation mail's wait.

Starts the worker `manage.py serve` starts (same queues, same concurrency, no beat) on a
fresh broker file, queues tasks that each wait as long as a webhook's round trip (--task-ms)
and watches the broker's table until they are taken. Run: python -m benchmarks.broker [--tasks 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAND_IN_TASK = "benchmarks.delivery_stand_in"  # benchmarks/broker_tasks.py
FANOUT_QUEUE = "celery"  # one task per webhook endpoint and per single send
BENCH_TASKS = 2000


def waiting(broker: Path, queue: str | None = None) -> int:
    """Messages not yet taken by a worker (kombu keeps taken ones with visible = 0)."""
    sql = "SELECT count(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
    sql += "WHERE m.visible = 1" + (" AND q.name = ?" if queue else "")
    with sqlite3.connect(broker, timeout=30) as db:
        return db.execute(sql, (queue,) if queue else ()).fetchone()[0]


def wait_until(condition, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the worker did not keep up")
        time.sleep(0.01)
    return time.monotonic() - started


def measure(tasks: int, task_ms: int, mail_queue: str, worker_queues: str) -> dict:
    from celery import Celery

    workdir = Path(tempfile.mkdtemp(prefix="broker-bench-"))
    broker = workdir / "broker.sqlite"
    env = {
        **os.environ,
        "VAR_DIR": str(workdir),
        "CELERY_BROKER_URL": f"sqla+sqlite:///{broker}",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
    }
    os.environ.update(env)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    from statuspage.celery import app  # registers the embedded transport, when there is one

    assert isinstance(app, Celery)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "statuspage", "worker",
         "--queues", worker_queues, "--include", "benchmarks.broker_tasks",
         "--concurrency", "2", "--loglevel", "WARNING"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        with app.connection_for_write() as connection:
            producer = app.amqp.Producer(connection)

            def send(queue: str, count: int) -> None:
                for _ in range(count):
                    app.send_task(STAND_IN_TASK, args=(task_ms,), queue=queue, producer=producer)

            send(FANOUT_QUEUE, 1)  # the worker is up once it takes this
            wait_until(lambda: waiting(broker) == 0, 120)
            started = time.monotonic()
            send(FANOUT_QUEUE, tasks)
            queued_in = time.monotonic() - started
            drained_in = wait_until(lambda: waiting(broker) == 0, 900) + queued_in
            send(FANOUT_QUEUE, tasks)
            send(mail_queue, 1)
            mail_wait = wait_until(lambda: waiting(broker, mail_queue) == 0, 900)
            backlog = waiting(broker, FANOUT_QUEUE)
            wait_until(lambda: waiting(broker) == 0, 900)
    finally:
        worker.terminate()
        worker.wait(30)
    return {
        "tasks": tasks,
        "task_ms": task_ms,
        "queue_seconds": round(queued_in, 2),
        "drain_seconds": round(drained_in, 2),
        "tasks_per_second": round(tasks / drained_in, 1),
        "mail_wait_seconds": round(mail_wait, 2),
        "fanout_left_when_mail_taken": backlog,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


RESULT_MARK = "broker-result: "


def in_child(quick: bool) -> dict:
    """Measure in a fresh process (measure() sets the broker's environment for good)."""
    tasks = BENCH_TASKS // 10 if quick else BENCH_TASKS
    command = [sys.executable, "-m", "benchmarks.broker", "--tasks", str(tasks)]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=1800)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line.removeprefix(RESULT_MARK))
    return {"skipped": f"benchmarks.broker failed: {done.stderr[-500:]}"}


def summary(result: dict) -> str:
    if "skipped" in result:
        return f"embedded broker: {result['skipped']}"
    return (
        f"embedded broker: {result['tasks_per_second']} tasks/s ({result['tasks']} tasks of "
        f"{result['task_ms']} ms, 2 processes); a confirmation mail queued behind "
        f"{result['tasks']} waited {result['mail_wait_seconds']} s "
        f"({result['fanout_left_when_mail_taken']} still queued); "
        f"loadavg {' '.join(result['loadavg'])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=BENCH_TASKS)
    parser.add_argument("--task-ms", type=int, default=30, help="each task's work")
    parser.add_argument("--mail-queue", default="mail")
    parser.add_argument("--worker-queues", default=None, help="default: what serve consumes")
    opts = parser.parse_args(argv)
    if opts.worker_queues is None:
        from incidents.management.commands.serve import WORKER_QUEUES

        opts.worker_queues = WORKER_QUEUES
    result = measure(opts.tasks, opts.task_ms, opts.mail_queue, opts.worker_queues)
    print(json.dumps(result, indent=2))
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
