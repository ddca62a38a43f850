"""Run the web servers and a Celery worker (with beat) together; Ctrl-C stops them all.

Two granian instances serve the same application, as in production (README): the site on
--port, and the console, the admin and the staff API on --staff-port, so readers flooding
the site never share a process with the staff posting the update. The site answers staff
pages too; when the staff port is taken, serving goes on without it.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from statuspage.env import embedded_smtp_port

# Every queue CELERY_TASK_ROUTES names, and Celery's default.
WORKER_QUEUES = "celery,bulk,mail"


class Command(BaseCommand):
    help = "Serve the site with granian and run a Celery worker with beat beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SERVE_HOST)
        parser.add_argument("--port", type=int, default=settings.SERVE_PORT)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--staff-port",
            type=int,
            default=int(os.environ["STAFF_PORT"]) if os.environ.get("STAFF_PORT") else None,
            help="Port of the console's own web server (default: --port + 1; 0: none).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve pages only.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        staff_port = port + 1 if options["staff_port"] is None else options["staff_port"]
        # The children read their settings from this environment: links follow --port, and
        # every process agrees on where the embedded mail server listens.
        smtp_port = int(os.environ.get("EMBEDDED_SMTP_PORT") or embedded_smtp_port(port))
        env = {
            **os.environ,
            "HOST": host,
            "PORT": str(port),
            "EMBEDDED_SMTP_PORT": str(smtp_port),
        }
        web = granian(host, port, options["web_workers"])
        worker = [
            sys.executable, "-m", "celery", "--app", "statuspage", "worker", "--beat",
            "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            "--queues", f"{WORKER_QUEUES},probes.{settings.PROBE_LOCATION}",
            # A probe batch holds a process for about a tick (it waits for each run's due
            # time); the third keeps two free for deliveries and the rest.
            "--concurrency", "3", "--loglevel", "INFO",
        ]  # fmt: skip
        commands = [web] if options["no_worker"] else [web, worker]

        # Each child leads its own process group: a Ctrl-C reaches only this command, which
        # then stops every child once, gracefully (granian quits abruptly on a second signal).
        def start(command: list[str]) -> subprocess.Popen:
            return subprocess.Popen(command, start_new_session=True, env=env)

        optional: dict[subprocess.Popen, str] = {}  # serving goes on without these
        processes = []
        if settings.EMBEDDED_SMTP:
            manage = str(settings.BASE_DIR / "manage.py")
            mail = start([sys.executable, manage, "embedded_smtp", "--port", str(smtp_port)])
            processes.append(mail)
            optional[mail] = (
                f"The embedded mail server on port {smtp_port} stopped (is the port taken? "
                "set EMBEDDED_SMTP_PORT); mail waits and is retried until it is back."
            )
        processes += [start(command) for command in commands]
        if staff_port:
            staff = start(granian(host, staff_port, 1))
            processes.append(staff)
            optional[staff] = (
                f"The console's server on port {staff_port} stopped (is the port taken?); "
                f"the console stays at http://{host}:{port}/staff/."
            )
        needed = [p for p in processes if p not in optional]
        console = f"http://{host}:{staff_port or port}/staff/"
        mail_line = (
            f"Mail: caught by the embedded server on 127.0.0.1:{smtp_port}, "
            f"shown at {console}outbox/\n"
            if settings.EMBEDDED_SMTP
            else f"Mail: sent through {settings.EMAIL_HOST}:{settings.EMAIL_PORT}\n"
        )
        self.stdout.write(
            f"Serving {settings.SITE_NAME} on http://{host}:{port}/ "
            f"({'web only' if options['no_worker'] else 'web + worker'}). Ctrl-C stops.\n"
            f"{mail_line}"
            f"Staff console: {console} "
            f"(create an account with: {manage_command('create_staff NAME --role admin')})"
        )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            warned: set[subprocess.Popen] = set()
            while not stopping and all(p.poll() is None for p in needed):
                for process, warning in optional.items():
                    if process.poll() is not None and process not in warned:
                        warned.add(process)
                        self.stderr.write(warning)
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        failed = [p for p in needed if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            sys.exit(f"a process stopped unexpectedly (exit {failed[0].returncode})")


def manage_command(arguments: str) -> str:
    """The command line to run manage.py with this Python, from the project's directory.

    The venv's python, not whatever `python` is on the PATH: relative when it lives in the
    project (".venv/bin/python manage.py ..."), absolute otherwise.
    """
    python = Path(sys.executable)
    project = Path(settings.BASE_DIR)
    if python.is_absolute() and python.is_relative_to(project):
        python = python.relative_to(project)
    return f"{shlex.quote(str(python))} manage.py {arguments}"


def granian(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port), "--workers", str(workers), "--no-ws",
        "statuspage.wsgi:application",
    ]  # fmt: skip
