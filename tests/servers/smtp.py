"""SMTP servers on loopback: aiosmtpd keeping what it receives, and Postfix's smtp-sink.

    with SmtpServer() as smtp:          # aiosmtpd in this process, for tests that read mail
        smtp.url                        # smtp://127.0.0.1:PORT (for EMAIL_URL)
        smtp.stop(); smtp.start()       # down for a while, then back on the same port
        smtp.messages                   # what it accepted, in order
        smtp.count_by_recipient()       # Counter: address -> messages received

    with SmtpSink(workdir) as sink:     # smtp-sink in its own process, for benchmarks
        sink.accepted()                 # messages it has taken so far

aiosmtpd answers about 740 messages/s here and smtp-sink about 2,000/s from one connection,
so benchmarks use smtp-sink and tests aiosmtpd (DESIGN.md, "Measured on this kind of machine").
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email
import email.policy
import logging
import os
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

SMTP_SINK = "/usr/sbin/smtp-sink"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    at: float  # time.time() when the server accepted it

    @cached_property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Keeper:
    """The aiosmtpd handler: keep every message, answer 250 (after `delay` seconds)."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(  # aiosmtpd calls it by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        self.server.messages.append(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content, time.time())
        )
        return "250 Message accepted"


class _Session(SMTP):
    """One connection; tells `ended` when it is over on the server's side."""

    def __init__(self, *args: Any, ended: threading.Condition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ended = ended

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        with self.ended:
            self.ended.notify_all()


class _Controller(Controller):
    """Remembers its connections, so stop() can drop them as a crashing server would."""

    def __init__(self, *args: Any, ended: threading.Condition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: list[SMTP] = []
        self.ended = ended

    def factory(self) -> SMTP:
        smtp = _Session(self.handler, ended=self.ended, **self.SMTP_kwargs)
        with self.ended:
            self.connections.append(smtp)
        return smtp

    def idle(self) -> bool:
        return all(smtp.transport is None for smtp in self.connections)

    def drop_connections(self) -> None:
        for smtp in self.connections:
            if smtp.transport is not None:
                smtp.transport.abort()


def _refuse(*args: object) -> AuthResult:
    return AuthResult(success=False, handled=False)


class SmtpServer:
    """aiosmtpd keeping what it accepts; `refuse_logins`: offer AUTH and refuse every login."""

    def __init__(self, *, refuse_logins: bool = False) -> None:
        self.refuse_logins = refuse_logins
        self.host = "127.0.0.1"
        self.port = 0  # chosen on the first start, kept for the next ones
        self.messages: list[Received] = []
        # Seconds to wait before accepting each message: a slow relay.
        self.delay = 0.0
        self._controller: _Controller | None = None
        self._connection_ended = threading.Condition()

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("The SMTP server was never started: call start() first.")
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self, timeout: float = 10.0) -> Self:
        """Listen (again) on the same port; what was received before is kept."""
        if self.running:
            return self
        self.port = self.port or free_port()
        # aiosmtpd logs every command at INFO: slow, and noise in the test report.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        deadline = time.monotonic() + timeout
        while True:
            controller = _Controller(
                _Keeper(self),
                hostname=self.host,
                port=self.port,
                loop=asyncio.new_event_loop(),
                ready_timeout=timeout,
                ended=self._connection_ended,
                **self._auth_options(),
            )
            try:
                controller.start()
                break
            except OSError:  # the old listening socket may linger for a moment
                controller.loop.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._controller = controller
        return self

    def _auth_options(self) -> dict[str, Any]:
        if not self.refuse_logins:
            return {}
        return {"authenticator": _refuse, "auth_require_tls": False}

    def stop(self) -> None:
        """Close the port and drop open connections; start() brings it back."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        controller.loop.call_soon_threadsafe(controller.drop_connections)
        controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Whether every connection has ended on the server's side, waiting up to `timeout`.

        A client killed after writing a message's content may leave the server still reading
        it: once the connections are over, `messages` holds all the server will accept.
        """
        controller = self._controller
        if controller is None:
            return True
        with self._connection_ended:
            return self._connection_ended.wait_for(controller.idle, timeout)

    def count_by_recipient(self) -> Counter[str]:
        return Counter(address for m in list(self.messages) for address in m.rcpt_tos)

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in list(self.messages) if address in m.rcpt_tos]


# Postfix's smtp-sink: fast, keeps nothing, counts what it accepted.

_COUNTER = re.compile(rb"mesg=(\d+)")


class SmtpSink(ServerProcess):
    """`smtp-sink -c` on a free loopback port; its running counters go to a file we read."""

    def __init__(self, workdir: Path, *, backlog: int = 1000, stop_timeout: float = 5.0) -> None:
        self.workdir = workdir
        self.backlog = backlog
        self.stop_timeout = stop_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.counter_file = workdir / "smtp-sink.out"

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @staticmethod
    def available() -> bool:
        return os.access(SMTP_SINK, os.X_OK)

    def start(self, timeout: float = 10.0) -> Self:
        if not self.available():
            raise RuntimeError(
                f"{SMTP_SINK} not found: `apt-get install postfix` "
                "(or `python3 tests/system_deps.py --bench`)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        command = [SMTP_SINK, "-c"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # required as root; it drops privileges after bind
        command += [f"{self.host}:{self.port}", str(self.backlog)]
        with self.counter_file.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.close)  # a script that dies on an error leaves no sink behind
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                output = self.counter_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"smtp-sink did not start: {output}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=1) as sock,
        ):
            return sock.recv(64).startswith(b"220")
        return False

    def accepted(self) -> int:
        """Messages accepted so far (smtp-sink updates the counter at each final '.')."""
        try:
            with self.counter_file.open("rb") as counters:
                counters.seek(max(0, self.counter_file.stat().st_size - 200))
                tail = counters.read()
        except OSError:
            return 0
        found = _COUNTER.findall(tail)
        return int(found[-1]) if found else 0
