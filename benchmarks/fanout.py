"""Fan-out benchmark: notice mails through the full path against a bare smtplib loop.

    python -m benchmarks.fanout            # 1,000 (warm-up), 10,000 and 100,000 subscribers
    python -m benchmarks.fanout --quick    # 1,000 and 5,000; README untouched

The full path is what production runs: `actions.open_incident` writes the incident
and the notice's mailing-list row in PostgreSQL (a throwaway server from
tests/servers/postgres.py); after commit a task goes to Redis; one Celery worker
(`--concurrency 2`, prefork, embedded beat) expands the list into delivery rows a chunk at a
time, queueing batch tasks as it goes, and its dispatcher builds each mail (the batch's
pre-rendered bytes with the subscriber's address and link spliced in) and sends it to
Postfix's `smtp-sink` on loopback, recording each outcome. The yardstick, in the same run and
to the same sink: one smtplib connection sending the same bytes (one message built by the
email channel) in a loop.

The worker keeps running from one size to the next (the first size warms it), so the peak
memory of each size shows whether memory grows with the list.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import smtplib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import run_module  # noqa: E402
from benchmarks.fanout_profile import breakdown  # noqa: E402
from benchmarks.fanout_report import section, update_readme  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402
from tests.servers.smtp import SmtpSink  # noqa: E402
from tests.servers.worker import Worker, rss_bytes, session_pids  # noqa: E402

HERE = ROOT / "benchmarks"
SIZES = [1_000, 10_000, 100_000]
QUICK_SIZES = [1_000, 5_000]
SITE_URL = "https://status.runbox.com"


def environment(workdir: Path, pg: PostgresServer, redis: RedisServer, sink: SmtpSink) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "DELIVERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        VAR_DIR=str(workdir / "var"),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        DATABASE_URL=pg.url,
        CELERY_BROKER_URL=redis.url,
        EMAIL_URL=sink.url,
        SITE_URL=SITE_URL,
    )
    return env


# --- sampling while a fan-out runs ------------------------------------------------------------


class Sampler:
    """Peak RSS of the worker's processes, sampled every `interval` seconds in a thread."""

    def __init__(self, session: int, interval: float = 0.2) -> None:
        self.session = session
        self.interval = interval
        self.peak_total = 0
        self.peak_process = 0
        self.processes = 0
        self.load: list[float] = []  # the machine's 1-minute load average, once a second
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            if ticks % round(1 / self.interval) == 0:
                self.load.append(os.getloadavg()[0])
            ticks += 1
            sizes = [rss_bytes(pid) for pid in session_pids(self.session)]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes, default=0))
            self.processes = max(self.processes, len(sizes))
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def first_accept(
    sink: SmtpSink, after: int, found: dict[str, float], stop: threading.Event
) -> None:
    """Record when the sink's counter first passes `after` (polled every millisecond)."""
    while not stop.is_set():
        if sink.accepted() > after:
            found["at"] = time.time()
            return
        time.sleep(0.001)


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def db_counters() -> dict[str, int]:
    """Transactions and row writes of the benchmark database so far (pg_stat_database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        commits, inserted, updated = cursor.fetchone()
    return {"commits": commits, "inserted": inserted, "updated": updated}


# --- one size ---------------------------------------------------------------------------------


def subscribe_up_to(count: int) -> None:
    from django.db import connection

    from notifier.models import Subscriber

    have = Subscriber.objects.count()
    Subscriber.objects.bulk_create(
        (Subscriber(email=f"reader{n:06d}@example.com") for n in range(have, count)),
        batch_size=5000,
    )
    # A list that has grown for years has planner statistics; one written a moment ago
    # would not, until autovacuum came round.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def publish(title: str) -> Any:
    import actions
    from incidents.models import Component, ComponentStatus

    imap, _ = Component.objects.get_or_create(name="IMAP")
    return actions.open_incident(
        title=title,
        body="Our email services are inaccessible and we're working to find out where.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        channels=["email"],
    )


def wait_all_sent(
    incident: Any, count: int, timeout: float, worker: Worker, sink: SmtpSink, before: int
) -> None:
    """Until the sink has `count` more mails and the ledger says all are sent.

    The sink's counter is read while mails flow, and the ledger counted once at the end:
    counting 100,000 rows five times a second would take the database's time from the
    worker being measured.
    """
    from notifier.models import Delivery, DeliveryState

    rows = Delivery.objects.filter(notice__incident=incident, channel="email")
    deadline = time.monotonic() + timeout
    while sink.accepted() - before < count or (
        rows.filter(state=DeliveryState.SENT).count() < count
    ):
        if not worker.running:
            raise RuntimeError(f"the worker died:\n{worker.log_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count:,} mails not all sent within {timeout:.0f} s: {rows}")
        time.sleep(0.2)


def full_path(size: int, sink: SmtpSink, worker: Worker) -> dict[str, Any]:
    """Publish to `size` subscribers and wait until the sink has every mail."""
    from django.db.models import Max, Min

    from notifier.models import Delivery

    subscribe_up_to(size)
    log_start = len(worker.log_text())
    before_db, before_sink = db_counters(), sink.accepted()
    before_cpu = cpu_seconds(worker.pids())
    found: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=first_accept, args=(sink, before_sink, found, stop))
    with Sampler(worker.pid) as memory:
        watcher.start()
        try:  # a publish that raises must stop the watcher too, or the process never exits
            started = time.time()
            incident = publish(f"Email services down because of DDoS ({size:,})")
            published = time.time()
            wait_all_sent(incident, size, 60 + size / 50, worker, sink, before_sink)
        finally:
            stop.set()
            watcher.join()
    cpu = cpu_seconds(worker.pids()) - before_cpu
    after_db = db_counters()
    times = Delivery.objects.filter(notice__incident=incident).aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    first, last = (times[k].timestamp() for k in ("first", "last"))
    accepted = sink.accepted() - before_sink
    requeued = re.findall(r"Sweeper re-queued (\d+)", worker.log_text()[log_start:])
    return {
        "incident": incident.pk,
        "subscribers": size,
        "accepted_by_sink": accepted,
        "publish_ms": round((published - started) * 1000, 1),
        "first_accepted_ms": round((found.get("at", first) - started) * 1000, 1),
        "first_sent_at_ms": round((first - started) * 1000, 1),
        "seconds": round(last - started, 2),
        "per_second": round(size / (last - started), 1),
        "sending_per_second": round((size - 1) / (last - first), 1) if last > first else None,
        "worker_cpu_ms_per_mail": round(cpu * 1000 / size, 3),
        "worker_peak_rss_mb": round(memory.peak_total / 2**20, 1),
        "worker_peak_process_rss_mb": round(memory.peak_process / 2**20, 1),
        "worker_processes": memory.processes,
        "db_commits_per_mail": round((after_db["commits"] - before_db["commits"]) / size, 2),
        "db_rows_updated_per_mail": round((after_db["updated"] - before_db["updated"]) / size, 2),
        "sweeper_requeued": sum(int(n) for n in requeued),
        "load_average": [min(memory.load), max(memory.load)],
    }


def the_same_bytes(incident_id: int) -> tuple[str, list[str], bytes]:
    """One mail of that publish exactly as the email channel hands it to smtplib."""
    from notifier.channels.email import EmailChannel
    from notifier.models import Delivery, Subscriber

    delivery = Delivery.objects.select_related("notice").filter(notice__incident=incident_id)[0]
    subscriber = Subscriber.objects.get(pk=int(delivery.target))
    channel = EmailChannel()
    channel.prepare([delivery])
    sender, recipient, raw = channel.envelope(delivery, subscriber)
    return sender, [recipient], raw


BARE_ROUNDS = 3


def settle_database() -> None:
    """Vacuum the ledger now, so autovacuum does not take a core while the yardstick runs.

    A fan-out leaves a dead row version per delivery; autovacuum came round during the bare
    loop after 100,000 and slowed it by a fifth.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@contextmanager
def apart_from(pid: int) -> Iterator[None]:
    """Run this process and `pid` on different cores for the block, then as before.

    A loop and the sink that share a core send about 5,100 mails/s here, on two cores about
    6,300: left to the scheduler the yardstick took either, run by run.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        yield
        return
    theirs = os.sched_getaffinity(pid)
    os.sched_setaffinity(pid, {cores[0]})
    os.sched_setaffinity(0, {cores[1]})
    try:
        yield
    finally:
        os.sched_setaffinity(0, set(cores))
        os.sched_setaffinity(pid, theirs)


def bare_loop(size: int, sink: SmtpSink, incident_id: int) -> dict[str, Any]:
    """The yardstick: `size` mails from one smtplib connection, the best of BARE_ROUNDS,
    with the loop and the sink on cores of their own (its fastest way)."""
    sender, recipients, raw = the_same_bytes(incident_id)
    before = sink.accepted()
    rounds = []
    assert sink.process is not None
    with apart_from(sink.process.pid):
        for _ in range(BARE_ROUNDS):
            started = time.perf_counter()
            with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
                for _ in range(size):
                    smtp.sendmail(sender, recipients, raw)
                rounds.append(time.perf_counter() - started)
    took = min(rounds)
    return {
        "load_average": os.getloadavg()[0],
        "messages": size,
        "message_bytes": len(raw),
        "accepted_by_sink": sink.accepted() - before,
        "rounds_per_second": [round(size / seconds, 1) for seconds in rounds],
        "seconds": round(took, 2),
        "per_second": round(size / took, 1),
    }


# --- the run ----------------------------------------------------------------------------------


@contextmanager
def servers(workdir: Path) -> Iterator[tuple[PostgresServer, RedisServer, SmtpSink]]:
    with PostgresServer() as pg, RedisServer() as redis, SmtpSink(workdir / "sink") as sink:
        yield pg, redis, sink


def run(sizes: list[int]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-email-"))
    try:
        with servers(workdir) as (pg, redis, sink):
            env = environment(workdir, pg, redis, sink)
            os.environ.update(env)
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
            worker = Worker(env, workdir / "worker", concurrency=2)
            results: dict[str, Any] = {"sizes": []}
            with worker:
                time.sleep(1)  # let the pool settle before the first publish
                for size in sizes:
                    print(f"fan-out: {size:,} mails through the worker …", flush=True)
                    full = full_path(size, sink, worker)
                    print(f"fan-out: {size:,} mails in a bare smtplib loop …", flush=True)
                    settle_database()
                    bare = bare_loop(size, sink, full["incident"])
                    full["ratio_to_bare"] = round(full["per_second"] / bare["per_second"], 3)
                    results["sizes"].append({"full": full, "bare": bare})
                    print(f"  {summary_line(full, bare)}", flush=True)
            print("fan-out: where one mail's time goes (one process) …", flush=True)
            incident = publish("Where the time goes")
            results["breakdown_ms"] = breakdown(incident.pk, sink.host, sink.port)
            results["postgres"] = postgres_version()
            results["worker"] = "celery worker --concurrency 2 --pool prefork --beat"
            return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def summary_line(full: dict[str, Any], bare: dict[str, Any]) -> str:
    return (
        f"{full['per_second']:,.0f} mails/s vs bare {bare['per_second']:,.0f}/s "
        f"({full['ratio_to_bare']:.0%}); first mail {full['first_accepted_ms']:.0f} ms after "
        f"publish; worker peak RSS {full['worker_peak_rss_mb']:.0f} MB"
    )


def in_child(workdir: Path, quick: bool, timeout: float = 3600) -> dict[str, Any]:
    """Run this benchmark in a fresh process for run.py; SIGTERM it if we are stopped first."""
    return run_module("fanout", workdir / "fanout.json", quick, timeout)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the blocks that stop the servers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 5,000 subscribers")
    parser.add_argument("--sizes", type=int, nargs="+", help="subscriber counts, in order")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--readme", action=argparse.BooleanOptionalAction, help="write README (default: not quick)"
    )
    opts = parser.parse_args(argv)
    opts.sizes = opts.sizes or (QUICK_SIZES if opts.quick else SIZES)
    opts.readme = (not opts.quick) if opts.readme is None else opts.readme
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    if not SmtpSink.available():
        print("fan-out: smtp-sink is not installed (apt-get install postfix): skipped")
        results: dict[str, Any] = {"skipped": "smtp-sink is not installed"}
    else:
        results = run(opts.sizes)
    results["date"] = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    if opts.out:
        opts.out.write_text(json.dumps(results, indent=2))
    text = section(results)
    print(f"\n{text}\n")
    if opts.readme:
        update_readme(HERE / "README.md", text)
        print("Updated the Fan-out section of benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
