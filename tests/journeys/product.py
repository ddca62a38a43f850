"""The product as people run it: `make run` in a temporary VAR_DIR, stopped as Ctrl-C stops it.

    with Product(tmp_path) as product:
        product.url, product.staff_url        # the site and the console's own server
        product.manage("create_staff", ...)   # a management command, same settings
        product.mails_to("reader@example.net", count=2)   # caught by the embedded server
        product.tracebacks()                  # any traceback the processes logged

Nothing here bypasses what `make run` does: the Makefile's own target migrates, collects the
static files, loads the demo and starts `manage.py serve` (web, console, worker with beat and
the embedded mail server) with the default settings, on free ports instead of 8000.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 240  # a cold start migrates and loads ten years of demo history
# Settings a developer's shell may carry that would take the product off its defaults.
NOT_DEFAULTS = (
    "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SITE_URL", "STAFF_PORT", "HOST",
    "EMBEDDED_SMTP_PORT", "MIRROR_LOCAL_DIR", "MIRROR_RSYNC_TARGET", "MIRROR_S3_BUCKET",
    "X_API_KEY", "MASTODON_API_BASE_URL", "CELERY_TASK_ALWAYS_EAGER", "DEBUG", "SECRET_KEY",
    "STAFF_DOOR_PER_MINUTE", "SMS_PROVIDER", "TWILIO_API_URL", "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "OUTBOUND_ALLOW_LOOPBACK", "PUSH_ENABLED", "SSL_CERT_FILE",
)  # fmt: skip


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_site_port() -> int:
    """A port whose neighbours `make run` also takes are free: +1 (console), +25 (mail)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 25 <= 65535 and port != 8000 and all(_bindable(port + n) for n in (1, 25)):
            return port
    raise RuntimeError("no free block of ports for the product")


class Product:
    def __init__(self, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.var_dir = workdir / "var"
        self.mirror_dir = workdir / "mirror"
        self.port = free_site_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.staff_url = f"http://127.0.0.1:{self.port + 1}"
        self.log_path = workdir / "make-run.log"
        env = {k: v for k, v in os.environ.items() if k not in NOT_DEFAULTS}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env = {
            **env,
            "VAR_DIR": str(self.var_dir),
            "STATIC_ROOT": str(self.var_dir / "staticfiles"),
            # The one setting beyond the defaults: the static mirror, so journeys can read it.
            "MIRROR_LOCAL_DIR": str(self.mirror_dir),
            **settings,
        }
        self.process: subprocess.Popen | None = None

    # --- running ----------------------------------------------------------------------------

    def start(self) -> Self:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.mirror_dir.mkdir(parents=True, exist_ok=True)
        venv = Path(sys.prefix)  # the tests' own virtual environment, as `make test` made it
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run", f"PORT={self.port}", f"VENV={venv}"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group, so the SIGINT below is a Ctrl-C
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        for url in (self.url + "/", self.staff_url + "/staff/login/"):
            while not self._answers(url):
                if self.process.poll() is not None:
                    raise RuntimeError(f"make run stopped:\n{self.log()[-4000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer:\n{self.log()[-4000:]}")
                time.sleep(0.3)
        self._wait_for("Embedded mail server on", "the embedded mail server")
        return self

    def _answers(self, url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait_for(self, text: str, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n{self.log()[-4000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what journeys read -----------------------------------------------------------------

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tracebacks(self, since: int = 0) -> list[str]:
        """Each traceback logged after character `since`, with the lines that follow it."""
        text = self.log()[since:]
        found = []
        start = text.find("Traceback (most recent call last)")
        while start != -1:
            found.append(text[start : start + 3000])
            start = text.find("Traceback (most recent call last)", start + 1)
        return found

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env={**self.env, "PORT": str(self.port), **(env or {})},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def mails(self) -> list[EmailMessage]:
        """Every mail the embedded server caught, in the order it arrived."""
        outbox = self.var_dir / "outbox"
        if not (outbox / "new").is_dir():
            return []
        from notifier.outbox import arrival

        box = mailbox.Maildir(outbox, create=False)
        found = []
        for key in sorted(box.keys(), key=arrival):
            with box.get_file(key) as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found

    def mails_to(self, address: str, count: int, timeout: float = 60) -> list[EmailMessage]:
        """The mails to `address`, once there are `count` of them (a failure if more come)."""
        deadline = time.monotonic() + timeout
        while True:
            mails = [m for m in self.mails() if m["Delivered-To"] == address]
            if len(mails) >= count:
                assert len(mails) == count, [m["Subject"] for m in mails]
                return mails
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(mails)} of {count} mails reached {address}: "
                    f"{[m['Subject'] for m in mails]}\n{self.log()[-3000:]}"
                )
            time.sleep(0.2)

    def mirrored(self, path: str) -> str:
        """A page as the static mirror serves it (`path` like 'incidents/3/')."""
        target = self.mirror_dir / "current" / path
        if path.endswith("/") or not path:
            target = target / "index.html"
        return target.read_text() if target.exists() else ""
