"""The outage the mirror exists for, with real processes: the app and its database stop.

PostgreSQL (a throwaway server), `manage.py serve --no-worker` (granian) and nginx run as
separate processes. A publish through the actions updates the mirror; then the app and the
database are stopped, and nginx still serves the status page, the incident, the Atom feed and
the JSON summary from the mirror, byte for byte what the app served before it went down.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mirror.conftest import PREFIX, SITE_HOST, SITE_URL
from tests.servers.nginx import NginxServer, http_get, make_world_readable_dir
from tests.servers.postgres import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[2]
NEWS = "Logins work again for most accounts; we are watching the IMAP servers."

PUBLISH = f"""
import json
import actions
from incidents.models import Component, ComponentStatus
from notifier.models import Delivery

imap = Component.objects.get(name="IMAP")
incident = actions.open_incident(
    title="IMAP logins fail during a DDoS",
    body="Our IMAP servers are under attack; logins fail.",
    impact="critical",
    component_statuses={{imap: ComponentStatus.MAJOR_OUTAGE}},
)
actions.post_incident_update(incident, status="monitoring", body={NEWS!r})
mirror = Delivery.objects.filter(channel="mirror_local", notice__incident=incident)
print(json.dumps({{
    "incident": incident.pk,
    "deliveries": list(mirror.order_by("id").values_list("state", "reference", "last_error")),
}}))
"""


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def descendants(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    children = [int(child) for child in found.stdout.split()]
    return [pid for child in children for pid in (child, *descendants(child))]


class App:
    """`manage.py serve --no-worker` in its own session; stopped by pid with its children."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.family: list[int] = []

    def get(self, path: str) -> tuple[int, str, bytes]:
        # As a reader of the live site would ask: its host name, not the loopback address.
        # As the README's nginx forwards a reader's https request (SITE_URL is https).
        headers = {"Host": SITE_HOST, "X-Forwarded-Proto": "https"}
        return http_get(f"http://127.0.0.1:{self.port}{path}", headers=headers)

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"serve stopped:\n{self.log.read_text()}"
            with contextlib.suppress(OSError):
                if self.get("/")[0] == 200:
                    self.family = descendants(self.process.pid)
                    return
            assert time.monotonic() < deadline, f"serve did not answer:\n{self.log.read_text()}"
            time.sleep(0.3)

    def stop(self) -> None:
        family = self.family or descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in family:  # granian and its workers lead their own process group
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def workdir() -> Iterator[Path]:
    top = make_world_readable_dir("statuspage-outage-")
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def test_when_the_app_and_its_database_are_down_the_mirror_serves_the_same_pages(
    workdir: Path, database: PostgresServer
) -> None:
    mirror_dir = workdir / "mirror"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "VAR_DIR": str(workdir / "var"),
        "STATIC_ROOT": str(workdir / "var" / "static"),
        "DATABASE_URL": database.url,
        "DATABASE_CONN_MAX_AGE": "0",
        "SITE_URL": SITE_URL,
        "ALLOWED_HOSTS": f"{SITE_HOST},127.0.0.1",
        "MIRROR_LOCAL_DIR": str(mirror_dir),
        "DEBUG": "false",
        # Its own key: with the built-in one the app serves no host but loopback.
        "SECRET_KEY": "the outage test's own key, not the built-in one",
        "BEHIND_TLS_PROXY": "true",
    }
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "load_demo")
    assert "(full build)" in manage(env, "build_mirror")

    app = App(env, workdir / "serve.log")
    try:
        app.wait_until_serving()
        # The publish: through the actions, its mirror delivery run by the dispatcher as a
        # worker would (Celery eager, in the publishing process; serve runs no worker here).
        published = json.loads(
            manage(
                {**env, "CELERY_TASK_ALWAYS_EAGER": "true"}, "shell", "-c", PUBLISH
            ).splitlines()[-1]
        )
        incident = published["incident"]
        assert [state for state, _ref, _error in published["deliveries"]] == ["sent", "sent"]
        assert all("incremental" in ref for _state, ref, _error in published["deliveries"])

        pages = ["/", f"/incidents/{incident}/", "/feed.atom", "/api/v2/summary.json"]
        served = {}
        for path in pages:
            status, content_type, body = app.get(path)
            assert status == 200, path
            assert NEWS.encode() in body.replace(b"&#x27;", b"'"), path
            served[path] = (content_type, body)
    finally:
        app.stop()
    database.stop()

    assert refuses_connections(app.port), "the app still answers"
    assert refuses_connections(database.port), "the database still answers"
    with NginxServer(mirror_dir, prefix=PREFIX) as nginx:
        for path in pages:
            status, content_type, body = nginx.get(path)
            assert status == 200, path
            assert body == served[path][1], f"{path}: the mirror differs from the live page"
            live_type = served[path][0].split(";")[0]
            assert content_type.split(";")[0] == live_type, path
        # The incident's page is where the status page sends readers, under the prefix too.
        status, _type, home = nginx.get("")
        assert f'href="incidents/{incident}/"'.encode() in home
