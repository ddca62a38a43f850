"""The subscribe limit holds across web processes, as `make run` and production run them.

Two processes post to the subscribe view at once, each through its own connection to the
store: an SQLite file (the embedded default), a PostgreSQL server, or Redis. Together they are
admitted exactly the limit; a counter in each process's memory would admit twice that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.postgres import PostgresServer
from tests.servers.redis import RedisServer

ROOT = Path(__file__).resolve().parent.parent.parent
LIMIT, PROCESSES, ATTEMPTS = 3, 2, 4

# Ready once Django and its database connection are up; posts when a line arrives on stdin.
POSTER = """
import sys, django
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="192.0.2.7", HTTP_HOST="127.0.0.1")
assert client.get("/subscribe/").status_code == 200
print("ready", flush=True)
sys.stdin.readline()
emails = [f"r{n}@example.com" for n in range(int(sys.argv[1]))]
print("codes", *[client.post("/subscribe/", {"email": e}).status_code for e in emails], flush=True)
"""


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "EMAIL_", "RATE_LIMIT_", "SUBSCRIBE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        VAR_DIR=str(tmp_path / "var"),
        CELERY_TASK_ALWAYS_EAGER="true",  # the confirmation mail goes to the console
        SUBSCRIBE_RATE_LIMIT=str(LIMIT),
        STATIC_MANIFEST="false",
        # Not the built-in key: with it a client at 192.0.2.7 would not be served at all.
        SECRET_KEY="a key of these processes' own, not the built-in one",
        **settings,
    )
    return env


def migrate(env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", "migrate", "--no-input", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=120)


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every migration applied, copied for each test that uses one."""
    folder = tmp_path_factory.mktemp("sqlite")
    migrate(environment(folder, DATABASE_URL=f"sqlite:///{folder / 'migrated.sqlite3'}"))
    return folder / "migrated.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def env(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[dict[str, str]]:
    servers = {"sqlite": contextlib.nullcontext, "postgresql": PostgresServer, "redis": RedisServer}
    with servers[request.param]() as server:
        sqlite = shutil.copy(migrated_sqlite, tmp_path / "statuspage.sqlite3")
        database = server.url if isinstance(server, PostgresServer) else f"sqlite:///{sqlite}"
        redis = server.url if isinstance(server, RedisServer) else ""
        env = environment(tmp_path, DATABASE_URL=database, RATE_LIMIT_REDIS_URL=redis)
        if isinstance(server, PostgresServer):
            migrate(env)
        yield env


def test_processes_share_one_allowance_per_address(env):
    posters = [
        subprocess.Popen(
            [sys.executable, "-c", POSTER, str(ATTEMPTS)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for poster in posters:
            assert poster.stdout is not None and poster.stdout.readline() == "ready\n"
        for poster in posters:
            assert poster.stdin is not None
            poster.stdin.write("go\n")
            poster.stdin.flush()
        outputs = [poster.communicate(timeout=60)[0] for poster in posters]
    finally:
        for poster in posters:
            if poster.poll() is None:
                poster.kill()
                poster.wait()
    codes = [
        line.split()[1:]
        for output in outputs
        for line in output.splitlines()
        if line.startswith("codes ")
    ]
    assert len(codes) == PROCESSES
    answers = [code for per_process in codes for code in per_process]
    assert answers.count("200") == LIMIT
    assert answers.count("429") == PROCESSES * ATTEMPTS - LIMIT
