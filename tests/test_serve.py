"""`manage.py serve` (what `make run` starts): web + worker + beat, stopped by Ctrl-C.

These run the real processes with the embedded SQLite broker in a temp VAR_DIR.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


@pytest.fixture
def site_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MAINTENANCE_TICK_SECONDS": "1",
        "PROBE_TICK_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    for name in ("SITE_URL", "HOST", "PORT"):  # links follow --port
        env.pop(name, None)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    return env


@pytest.fixture
def staff_port() -> int:
    return free_port()


@pytest.fixture
def served(
    site_env: dict[str, str], tmp_path: Path, staff_port: int
) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    command = [sys.executable, "manage.py", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--staff-port", str(staff_port)],
        cwd=ROOT,
        env=site_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, port
    finally:
        family = descendants(process.pid)  # each child leads its own process group
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def wait_for_page(port: int, path: str = "/", timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def descendants(pid: int) -> list[int]:
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout.split()
    return [
        grandchild for child in children for grandchild in [int(child), *descendants(int(child))]
    ]


def maintenance_status(var_dir: str, title: str) -> str | None:
    with sqlite3.connect(Path(var_dir) / "statuspage.sqlite3") as db:
        row = db.execute(
            "SELECT status FROM incidents_maintenance WHERE title = ?", (title,)
        ).fetchone()
    return row[0] if row else None


def test_it_serves_pages_and_the_worker_starts_maintenance_on_time(
    served: tuple[subprocess.Popen, int], site_env: dict[str, str]
) -> None:
    process, port = served
    page = wait_for_page(port)
    assert b"All systems operational" in page
    assert f'href="http://127.0.0.1:{port}/subscribe/"'.encode() in page  # not 8000

    start = datetime.now(UTC) - timedelta(seconds=1)
    manage(
        site_env,
        "shell",
        "-c",
        "from datetime import datetime; import actions; "
        f"actions.schedule_maintenance(title='Switch replacement', body='',"
        f" scheduled_start=datetime.fromisoformat('{start.isoformat()}'),"
        f" scheduled_end=datetime.fromisoformat('{(start + timedelta(hours=1)).isoformat()}'))",
    )
    deadline = time.monotonic() + 60
    while maintenance_status(site_env["VAR_DIR"], "Switch replacement") != "in_progress":
        assert time.monotonic() < deadline, "beat and the worker did not start the window"
        assert process.poll() is None, "serve stopped on its own"
        time.sleep(0.5)
    assert b"Maintenance in progress" in wait_for_page(port)
    # Beat sent the tick every second and the worker ran it, without a line for each run.
    log = (Path(site_env["VAR_DIR"]) / "serve.log").read_text()
    assert "celery@" in log and " ready." in log
    assert "Sending due task" not in log
    assert "console.advance_maintenance[" not in log


def probe_results(var_dir: str) -> list[tuple[str, int, str]]:
    with sqlite3.connect(Path(var_dir) / "statuspage.sqlite3") as db:
        return db.execute(
            "SELECT p.name, r.ok, r.error FROM incidents_proberesult r"
            " JOIN incidents_probe p ON p.id = r.probe_id ORDER BY r.id"
        ).fetchall()


def test_the_demo_probes_run_under_serve_against_the_site_and_its_outbox(
    served: tuple[subprocess.Popen, int], site_env: dict[str, str]
) -> None:
    process, port = served
    wait_for_page(port)
    manage(
        site_env,
        "shell",
        "-c",
        "from django.test import override_settings; from incidents.models import Component; "
        "from statuspage.env import embedded_smtp_port; "
        "from actions.demo.probes import load_demo_probes; "
        f"site = Component.objects.create(name='Website'); "
        f"smtp = Component.objects.create(name='SMTP'); "
        f"settings = override_settings(SERVE_PORT={port}, "
        f"EMBEDDED_SMTP_PORT=embedded_smtp_port({port})); "
        "settings.enable(); load_demo_probes({'Website': site, 'SMTP': smtp})",
    )
    deadline = time.monotonic() + 60
    while len({name for name, _, _ in probe_results(site_env["VAR_DIR"])}) < 2:
        assert time.monotonic() < deadline, "no probe results within 60 s"
        assert process.poll() is None, "serve stopped on its own"
        time.sleep(0.5)
    results = probe_results(site_env["VAR_DIR"])
    assert all(ok for _, ok, _ in results), results
    assert {name for name, _, _ in results} == {
        "Local stand-in: this status site over HTTP",
        "Local stand-in: the outbox's SMTP server",
    }


def test_ctrl_c_stops_the_web_server_and_the_worker(
    served: tuple[subprocess.Popen, int],
) -> None:
    process, port = served
    wait_for_page(port)
    time.sleep(2)  # let the worker finish starting, as a person would
    family = descendants(process.pid)
    assert len(family) >= 4, "expected granian with its workers and celery with its pool"
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    process.wait(timeout=30)
    deadline = time.monotonic() + 5
    while leftovers := [pid for pid in family if Path(f"/proc/{pid}").exists()]:
        assert time.monotonic() < deadline, f"still running after Ctrl-C: {leftovers}"
        time.sleep(0.2)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_the_console_has_a_web_server_of_its_own(
    served: tuple[subprocess.Popen, int], staff_port: int
) -> None:
    _, port = served
    login = wait_for_page(staff_port, "/staff/login/")
    assert b'name="password"' in login
    assert b'name="password"' in wait_for_page(port, "/staff/login/")  # the site answers too


def test_a_taken_staff_port_leaves_the_site_serving(
    site_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port),
                 "--staff-port", str(taken.getsockname()[1])],
                cwd=ROOT, env=site_env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            assert b"All systems operational" in wait_for_page(port)
            deadline = time.monotonic() + 20
            while b"is the port taken?" not in log.read_bytes():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
            assert process.poll() is None
            assert b"All systems operational" in wait_for_page(port)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_the_banner_gives_the_command_to_create_staff_with_this_python(monkeypatch) -> None:
    from django.conf import settings

    from incidents.management.commands.serve import manage_command

    monkeypatch.setattr(sys, "executable", str(settings.BASE_DIR / ".venv/bin/python"))
    arguments = "create_staff NAME --role admin"
    assert manage_command(arguments) == ".venv/bin/python manage.py create_staff NAME --role admin"
    monkeypatch.setattr(sys, "executable", "/opt/python 3/bin/python")
    assert manage_command(arguments) == "'/opt/python 3/bin/python' manage.py " + arguments


def test_only_the_info_lines_about_periodic_tasks_are_dropped() -> None:
    from statuspage.celery import app
    from statuspage.logs import PERIODIC_TASKS, QuietPeriodicTasks

    app.finalize()
    assert sorted(entry["task"] for entry in app.conf.beat_schedule.values()) == sorted(
        PERIODIC_TASKS
    )

    def kept(level: int, message: str, *args: object) -> bool:
        record = logging.LogRecord("celery.app.trace", level, __file__, 1, message, args, None)
        return QuietPeriodicTasks().filter(record)

    due = "Scheduler: Sending due task %s (%s)"
    assert not kept(logging.INFO, due, "re-queue deliveries", "notifier.sweep")
    assert not kept(logging.INFO, "Task %s[%s] succeeded in 0.01s: 0", "notifier.sweep", "1")
    assert kept(logging.INFO, "Task %s[%s] succeeded in 0.2s: 3", "notifier.deliver_batch", "2")
    assert not kept(logging.INFO, "Task %s[%s] succeeded in 5.1s: 9", "probes.run_due", "4")
    assert kept(logging.ERROR, "Task %s[%s] raised unexpected: %s", "notifier.sweep", "3", "boom")
