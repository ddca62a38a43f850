"""The embedded default (an SQLite file) takes writes from several processes at once.

Four processes publish incidents and updates through the actions at the same moment while a
fifth holds a read transaction open (a long public render), as web processes and the worker
do under load. In rollback-journal mode with deferred transactions, most of them failed at
once with "database is locked"; with WAL and IMMEDIATE transactions every one succeeds.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.notifier.test_rate_limit_processes import ROOT, environment, migrate

WRITERS, ROUNDS = 4, 8

WRITER = """
import sys, django
django.setup()
from django.db import connection
import actions
with connection.cursor() as cursor:
    print("mode", cursor.execute("PRAGMA journal_mode").fetchone()[0], flush=True)
sys.stdin.readline()
for n in range(int(sys.argv[1])):
    incident = actions.open_incident(title=f"{sys.argv[2]} {n}", body="Investigating.")
    actions.post_incident_update(incident, status="identified", body="Found it.")
print("published", flush=True)
"""


def start_writer(env: dict[str, str], name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ROUNDS), name],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = environment(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'statuspage.sqlite3'}",
    )
    migrate(env)
    return env


def test_concurrent_publishes_beside_a_long_read_all_succeed_on_a_wal_file(env, tmp_path):
    writers = [start_writer(env, f"writer-{n}") for n in range(WRITERS)]
    modes = [w.stdout.readline().split() for w in writers]  # each has connected
    assert modes == [["mode", "wal"]] * WRITERS

    reader = sqlite3.connect(tmp_path / "statuspage.sqlite3", isolation_level=None)
    reader.execute("BEGIN")
    before = reader.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
    try:
        for writer in writers:
            writer.stdin.write("go\n")
            writer.stdin.flush()
        results = [w.communicate(timeout=120) for w in writers]
        # The read still sees its snapshot: it was never blocked, nor did it block anyone.
        assert reader.execute("SELECT count(*) FROM incidents_incident").fetchone()[0] == before
    finally:
        reader.execute("COMMIT")
        reader.close()
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0 and "published" in out, err[-2000:]
    with sqlite3.connect(tmp_path / "statuspage.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM incidents_incident").fetchone()[0] == (
            WRITERS * ROUNDS
        )
