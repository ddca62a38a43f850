"""Chat fan-out benchmark: Slack, Teams, Discord and webhook subscribers into a local HTTP sink.

    python -m benchmarks.chat_fanout            # 10,000 subscribers; writes benchmarks/README.md
    python -m benchmarks.chat_fanout --quick    # 2,000; README untouched

The full path is what production runs: `actions.open_incident` writes the incident and one
Expansion row per channel in PostgreSQL (a throwaway server, tests/servers/postgres.py);
after commit a task goes to Redis; one Celery worker (`--concurrency 2`, prefork) writes a
delivery per subscriber's hook a chunk at a time (notifier/expansion.py) and sends
them, chat hooks and webhooks alike, in batches over one outbound Client each, through
`notifier/outbound.py` (every URL checked, `OUTBOUND_ALLOW_LOOPBACK` on), into
`benchmarks/http_sink.py` on 127.0.0.1 (HTTP/1.1, keep-alive), until the ledger says every
delivery is sent. The yardstick, in the same run and to the same sink: the same requests (the
same paths, bodies and headers, built beforehand by the same code) sent in a loop over one
keep-alive `http.client` connection, the best of three rounds.

Figures: requests per second from calling the action to the sink's last request (the best
of three publishes, each to all the hooks), the bare loop's, their ratio (goal >= 0.8),
publish to the sink's first request (goal < 1 s), and the machine's load (`uptime`) before
and after. Everything listens on loopback, and every process
it starts is stopped by its pid, also when the run fails or is interrupted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.chat_fanout_report import section, update_readme  # noqa: E402
from benchmarks.fanout import Sampler, apart_from, cpu_seconds  # noqa: E402
from benchmarks.http_sink import HttpSink  # noqa: E402
from benchmarks.report import commit  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402
from tests.servers.worker import Worker  # noqa: E402

HERE = ROOT / "benchmarks"
SIZE, QUICK_SIZE = 10_000, 2_000
WARM_UP = 40
SERVICES = ("slack", "teams", "discord", "webhook")
BARE_ROUNDS = 3
# The full path is measured as often as the loop, its best against the loop's best: a
# round's pace on this shared machine moved by a third from one minute to the next.
FULL_ROUNDS = 3
TITLE = "Email services down because of DDoS"
SITE_URL = "https://status.runbox.com"


def environment(workdir: Path, pg: PostgresServer, redis: RedisServer) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "DELIVERY_", "OUTBOUND_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        VAR_DIR=str(workdir / "var"),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        DATABASE_URL=pg.url,
        CELERY_BROKER_URL=redis.url,
        SITE_URL=SITE_URL,
        OUTBOUND_ALLOW_LOOPBACK="true",
        CHAT_WEBHOOKS_ENABLED="true",
    )
    return env


def hook_path(service: str, n: int) -> str:
    return {
        "slack": f"/services/T0BENCH/B{n:08d}/xoxbench{n:08d}",
        "teams": f"/workflows/{n:08d}/triggers/manual/paths/invoke?api-version=1&sig=s{n}",
        "discord": f"/api/webhooks/{10**17 + n}/bench-token-{n:08d}",
        "webhook": f"/hooks/{n:08d}",
    }[service]


def subscribe(size: int, port: int) -> dict[str, int]:
    """`size` subscribers, a quarter on each service, all pointing at the sink."""
    from django.db import connection

    from notifier.models import ContactPoint, Subscriber, WebhookEndpoint

    counts = {service: size // len(SERVICES) for service in SERVICES}
    counts["webhook"] += size - sum(counts.values())
    base = f"http://127.0.0.1:{port}"
    for service in SERVICES[:3]:
        readers = Subscriber.objects.bulk_create(
            [Subscriber() for _ in range(counts[service])], batch_size=2000
        )
        ContactPoint.objects.bulk_create(
            [
                ContactPoint(subscriber=r, channel=service, address=base + hook_path(service, n))
                for n, r in enumerate(readers)
            ],
            batch_size=2000,
        )
    WebhookEndpoint.objects.bulk_create(
        [
            WebhookEndpoint(
                url=base + hook_path("webhook", n), owner=WebhookEndpoint.Owner.SUBSCRIBER
            )
            for n in range(counts["webhook"])
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


def publish(title: str) -> Any:
    import actions
    from incidents.models import Component, ComponentStatus

    imap, _ = Component.objects.get_or_create(name="IMAP")
    return actions.open_incident(
        title=title,
        body="Our email services are inaccessible and we're working to find out where.",
        impact="critical",
        component_statuses={imap: ComponentStatus.MAJOR_OUTAGE},
        channels=list(SERVICES),
    )


def wait_all_sent(incident: Any, size: int, sink: HttpSink, worker: Worker, timeout: float) -> None:
    from notifier.models import Delivery, DeliveryState

    rows = Delivery.objects.filter(notice__incident=incident)
    deadline = time.monotonic() + timeout
    while True:
        # The sink is asked while requests flow; the ledger only once they have all come.
        if sink.stats()["count"] >= size:
            if rows.filter(state=DeliveryState.SENT).count() >= size:
                return
            failed = rows.filter(state=DeliveryState.FAILED).first()
            if failed is not None:
                raise RuntimeError(f"delivery failed: {failed.last_error}")
        if not worker.running:
            raise RuntimeError(f"the worker died:\n{worker.log_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{size:,} deliveries not all sent within {timeout:.0f} s")
        time.sleep(0.1)


def warm_up(sink: HttpSink, worker: Worker) -> dict[str, Any]:
    """A first publish to WARM_UP hooks, as a running site's worker has made before: its
    processes import and connect on their first tasks. The hooks are deleted after it."""
    from notifier.models import ContactPoint, Subscriber, WebhookEndpoint

    print(f"chat fan-out: warming the worker up with {WARM_UP} hooks …", flush=True)
    subscribe(WARM_UP, sink.port)
    figures = full_path(WARM_UP, sink, worker, title="A first incident, before the benchmark's")
    ContactPoint.objects.all().delete()
    Subscriber.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    return {"hooks": WARM_UP, **{k: figures[k] for k in ("publish_ms", "first_request_ms")}}


def full_path(size: int, sink: HttpSink, worker: Worker, title: str = TITLE) -> dict[str, Any]:
    from django.db.models import Count, Max, Min

    from notifier.models import Delivery

    sink.reset()
    before_cpu = cpu_seconds(worker.pids())
    with Sampler(worker.pid) as sampled:
        started = time.time()
        incident = publish(title)
        published = time.time()
        wait_all_sent(incident, size, sink, worker, 60 + size / 20)
    cpu = cpu_seconds(worker.pids()) - before_cpu
    stats = sink.stats()
    by_channel = {
        row["channel"]: row
        for row in Delivery.objects.filter(notice__incident=incident)
        .values("channel")
        .annotate(n=Count("id"), first=Min("sent_at"), last=Max("sent_at"))
    }
    seconds = stats["last"] - started
    return {
        "incident": incident.pk,
        "subscribers": size,
        "requests_at_sink": int(stats["count"]),
        "publish_ms": round((published - started) * 1000, 1),
        "first_request_ms": round((stats["first"] - started) * 1000, 1),
        "seconds": round(seconds, 2),
        "per_second": round(size / seconds, 1),
        "worker_cpu_ms_per_request": round(cpu * 1000 / size, 3),
        "worker_peak_rss_mb": round(sampled.peak_total / 2**20, 1),
        "load_average": [min(sampled.load), max(sampled.load)] if sampled.load else [],
        "channels": {
            name: {
                "deliveries": row["n"],
                "first_sent_s": round(row["first"].timestamp() - started, 2),
                "last_sent_s": round(row["last"].timestamp() - started, 2),
            }
            for name, row in by_channel.items()
        },
    }


def the_same_requests(incident_id: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """Every request of that publish as the channels build it: (path, body, headers)."""
    from urllib.parse import urlsplit

    from notifier.channels.chat_hooks import ChatHookChannel
    from notifier.channels.webhook import WebhookChannel
    from notifier.models import Delivery
    from notifier.registry import channel_named

    requests = []
    deliveries = list(
        Delivery.objects.select_related("notice").filter(notice__incident=incident_id)
    )
    for service in SERVICES:
        mine = [d for d in deliveries if d.channel == service]
        channel = channel_named(service)
        channel.prepare(mine)
        for delivery in mine:
            if isinstance(channel, ChatHookChannel):
                url, body, headers = channel.request(delivery)
            else:
                assert isinstance(channel, WebhookChannel)
                url, body, headers = webhook_request(channel, delivery)
            parts = urlsplit(url)
            requests.append((f"{parts.path}?{parts.query}".rstrip("?"), body, headers))
    return requests


def webhook_request(channel: Any, delivery: Any) -> tuple[str, bytes, dict[str, str]]:
    """What WebhookChannel.post hands the outbound Client, caught there instead of sent."""
    from notifier import outbound
    from notifier.wire import Headers

    caught: dict[str, Any] = {}

    class Catch(outbound.Client):
        def post(self, url: str, body: bytes, headers: dict[str, str], **_: Any) -> Any:
            caught.update(url=url, body=body, headers=headers)
            return outbound.Answer(200, "OK", Headers([]), b"")

    endpoint = channel._endpoints[int(delivery.target)]
    channel.post(delivery, endpoint, Catch())
    return caught["url"], caught["body"], caught["headers"]


def bare_loop(requests: list[tuple[str, bytes, dict[str, str]]], sink: HttpSink) -> dict:
    """The yardstick: the same requests over one keep-alive connection, best of BARE_ROUNDS,
    with the loop and the sink on cores of their own (its fastest way, as benchmarks/fanout.py
    runs its own)."""
    rounds = []
    assert sink.process is not None
    with apart_from(sink.process.pid):
        for _ in range(BARE_ROUNDS):
            rounds.append(_bare_round(requests, sink))
    took = min(rounds)
    return {
        "requests": len(requests),
        "mean_body_bytes": round(sum(len(b) for _, b, _ in requests) / len(requests)),
        "rounds_per_second": [round(len(requests) / s, 1) for s in rounds],
        "seconds": round(took, 2),
        "per_second": round(len(requests) / took, 1),
    }


def _bare_round(requests: list[tuple[str, bytes, dict[str, str]]], sink: HttpSink) -> float:
    sink.reset()
    connection = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=10)
    host = f"127.0.0.1:{sink.port}"
    started = time.perf_counter()
    for path, body, headers in requests:
        connection.request("POST", path, body=body, headers={**headers, "Host": host})
        answer = connection.getresponse()
        answer.read()
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"the sink answered {answer.status} to {path}")
    took = time.perf_counter() - started
    connection.close()
    assert sink.stats()["count"] == len(requests)
    return took


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextmanager
def servers(workdir: Path) -> Iterator[tuple[PostgresServer, RedisServer, HttpSink]]:
    with PostgresServer() as pg, RedisServer() as redis, HttpSink(workdir) as sink:
        yield pg, redis, sink


def run(size: int, concurrency: int = 2) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-chat-"))
    try:
        with servers(workdir) as (pg, redis, sink):
            env = environment(workdir, pg, redis)
            os.environ.update(env)
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
            with Worker(env, workdir / "worker", concurrency=concurrency) as worker:
                time.sleep(1)  # let the pool settle before the publish
                cold = warm_up(sink, worker)
                counts = subscribe(size, sink.port)
                results: dict[str, Any] = {
                    "uptime_before": uptime(),
                    "counts": counts,
                    "concurrency": concurrency,
                    "cold_worker": cold,
                }
                rounds = []
                for n in range(FULL_ROUNDS):
                    print(f"chat fan-out: {size:,} hooks through the worker …", flush=True)
                    rounds.append(full_path(size, sink, worker, title=f"{TITLE} ({n + 1})"))
                full = max(rounds, key=lambda r: r["per_second"])
                full["rounds_per_second"] = [r["per_second"] for r in rounds]
            print(f"chat fan-out: {size:,} requests in a bare keep-alive loop …", flush=True)
            bare = bare_loop(the_same_requests(full["incident"]), sink)
            full["ratio_to_bare"] = round(full["per_second"] / bare["per_second"], 3)
            results.update(full=full, bare=bare, uptime_after=uptime(), commit=commit())
            print(f"  {summary_line(full, bare)}", flush=True)
            return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def summary_line(full: dict[str, Any], bare: dict[str, Any]) -> str:
    return (
        f"{full['per_second']:,.0f} requests/s vs bare {bare['per_second']:,.0f}/s "
        f"({full['ratio_to_bare']:.0%}); first request {full['first_request_ms']:.0f} ms "
        "after the publish began"
    )


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the blocks that stop the servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} subscribers")
    parser.add_argument("--size", type=int, help="subscribers (default 10,000)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="worker processes (default 2, one a core)"
    )
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--readme", action=argparse.BooleanOptionalAction)
    opts = parser.parse_args(argv)
    size = opts.size or (QUICK_SIZE if opts.quick else SIZE)
    readme = (not opts.quick) if opts.readme is None else opts.readme
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    results = run(size, opts.concurrency)
    results["date"] = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    if opts.out:
        opts.out.write_text(json.dumps(results, indent=2))
    text = section(results)
    print(f"\n{text}\n")
    if readme:
        update_readme(HERE / "README.md", text)
        print("Updated the Chat fan-out section of benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
