"""A throwaway Redis server for tests and benchmarks, from the installed `redis-server`.

    with RedisServer() as redis:
        redis.url               # redis://127.0.0.1:PORT/0
        redis.stop()            # the broker goes down ...
        redis.start()           # ... and comes back on the same port, empty

No persistence (`--save ""`, no AOF), loopback only, its working directory a temporary one
removed on stop. Stopped by pid: SIGTERM, then SIGKILL after a timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

INSTALL_HINT = "Install it with `apt-get install redis-server` or `python3 tests/system_deps.py`."


class RedisServerError(RuntimeError):
    pass


def find_redis_server() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        raise RedisServerError("redis-server not found. " + INSTALL_HINT)
    return found


class RedisServer(ServerProcess):
    def __init__(self, *, startup_timeout: float = 10.0, stop_timeout: float = 5.0) -> None:
        self.host = "127.0.0.1"
        self.port = 0  # chosen on the first start, kept for the next ones
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.tmpdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RedisServerError("The Redis server was never started: call start() first.")
        return f"redis://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Self:
        """Start the server, on the port it had before if it ran already."""
        if self.running:
            return self
        if self.tmpdir is None:
            self.tmpdir = Path(tempfile.mkdtemp(prefix="statuspage-redis-"))
            atexit.register(self.close)
        self.port = self.port or free_port()
        command = [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.tmpdir),
            "--logfile", str(self.tmpdir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=self.tmpdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.close()
            raise
        return self

    def ping(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=1) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False

    def _wait_until_ready(self) -> None:
        self.wait_until_ready(
            self.ping,
            program="redis-server",
            service=f"Redis did not answer on {self.host}:{self.port}",
            timeout=self.startup_timeout,
            error=RedisServerError,
            log_tail=self._log_tail,
        )

    def _log_tail(self, lines: int = 20) -> str:
        if self.tmpdir is None:
            return ""
        try:
            tail = (self.tmpdir / "redis.log").read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nServer log:\n" + "\n".join(tail) if tail else ""
