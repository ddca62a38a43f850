"""Two worker processes of one location tick at the same instant: each slot runs once.

Real processes on one database (an SQLite file, then a PostgreSQL server), each claiming and
running the same due probes against a server that counts the connections it gets.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.notifier.test_rate_limit_processes import ROOT, environment, migrate
from tests.probes.faults import FaultServer
from tests.servers.postgres import PostgresServer

PROBES, WORKERS = 40, 2

WORKER = """
import sys, django
django.setup()
from datetime import datetime
from probes.batch import run_due_probes
from django.db import connection
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
ran = run_due_probes("oslo", now=datetime.fromisoformat(sys.argv[1]))
print("ran", len(ran), flush=True)
"""

SETUP = """
import sys, django
django.setup()
from incidents.models import Component, Probe
component = Component.objects.create(name="Mail")
Probe.objects.bulk_create(
    Probe(component=component, name=f"smtp {n}", kind="smtp", host="127.0.0.1",
          port=int(sys.argv[1]), tls="none", timeout_seconds=5, retries=0)
    for n in range(int(sys.argv[2]))
)
"""

COUNT = """
import django, json
django.setup()
from incidents.models import ProbeResult, ProbeClaim
from django.db.models import Count
per_probe = ProbeResult.objects.values("probe").annotate(n=Count("id")).values_list("n", flat=True)
print(json.dumps({
    "results per probe": sorted(set(per_probe)),
    "ok": ProbeResult.objects.filter(ok=True).count(),
    "claims": ProbeClaim.objects.count(),
}))
"""


def python(env: dict[str, str], code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    server = PostgresServer() if request.param == "postgresql" else contextlib.nullcontext()
    with server:
        database = (
            server.url
            if isinstance(server, PostgresServer)
            else f"sqlite:///{tmp_path / 'statuspage.sqlite3'}"
        )
        env = environment(tmp_path, DATABASE_URL=database, PROBE_LOCATION="oslo")
        migrate(env)
        yield env


async def smtp_greeting(reader, writer):
    writer.write(b"220 mx.runbox.test ESMTP\r\n")
    await writer.drain()
    while line := await reader.readline():
        writer.write(b"250 ok\r\n" if line.startswith(b"EHLO") else b"221 bye\r\n")
        await writer.drain()


def start_worker(env: dict[str, str], now: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, now],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_of_one_location_run_each_slot_once(env):
    with FaultServer(smtp_greeting) as server:
        python(env, SETUP, str(server.port), str(PROBES))
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        workers = [start_worker(env, an_hour_ago) for _ in range(WORKERS)]
        assert [w.stdout.readline() for w in workers] == ["ready\n"] * WORKERS
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [w.communicate(timeout=120) for w in workers]
        connections = len(server.peers)

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
    ran = [int(out.split()[-1]) for out, _ in outputs]
    assert sum(ran) == PROBES
    assert connections == PROBES
    counts = json.loads(python(env, COUNT))
    assert counts == {"results per probe": [1], "ok": PROBES, "claims": PROBES}
