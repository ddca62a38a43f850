"""A throwaway PostgreSQL server for tests, from the installed server binaries.

    with PostgresServer() as server:
        server.url              # postgresql://postgres@127.0.0.1:PORT/statuspage
        server.settings_dict()  # for settings.DATABASES["default"]

Everything lives in one temporary directory (data, Unix socket, log) that is removed on stop.
The server listens on a free loopback port, trusts local connections and runs with fsync off:
fast, and never to be used for anything but tests. As root, the binaries run as the `postgres`
user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

INSTALL_HINT = (
    "Install them with `apt-get install postgresql` (Debian/Ubuntu), "
    "or run `python3 tests/system_deps.py`, or point PG_BINDIR at the directory holding them."
)
SERVER_USER = "postgres"


class PostgresServerError(RuntimeError):
    pass


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl: $PG_BINDIR, pg_config, Debian's layout, PATH."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    if pg_config := shutil.which("pg_config"):
        # pg_config may come from libpq-dev alone, so its answer is checked like any other.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(found.stdout.strip()))
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(d) for d in sorted(debian, key=_version_key, reverse=True)]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl")):
            return directory
    searched = ", ".join(str(c) for c in candidates) or "nothing found to look in"
    raise PostgresServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found "
        f"($PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin, PATH: {searched}). "
        + INSTALL_HINT
    )


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.name))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_alive(pid: int) -> bool:
    """Whether pid runs; a zombie counts as gone (nobody may reap it inside a container)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


class PostgresServer:
    def __init__(
        self,
        dbname: str = "statuspage",
        *,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.dbname = dbname
        self.user = SERVER_USER
        self.host = "127.0.0.1"
        self.port = 0
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.bindir: Path | None = None
        self.tmpdir: Path | None = None
        self._as_root = os.geteuid() == 0

    # --- what callers use -------------------------------------------------------------------

    @property
    def url(self) -> str:
        self._require_running()
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def settings_dict(self) -> dict[str, Any]:
        """A complete entry for settings.DATABASES."""
        self._require_running()
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.dbname,
            "USER": self.user,
            "PASSWORD": "",
            "HOST": self.host,
            "PORT": str(self.port),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {},
            "TEST": {"NAME": f"test_{self.dbname}"},
        }

    @property
    def running(self) -> bool:
        return self.tmpdir is not None

    def start(self) -> Self:
        if self.running:
            return self
        self.bindir = find_bindir()
        self.tmpdir = self._make_tmpdir()
        atexit.register(self.stop)
        try:
            self._initdb()
            self._start_on_a_free_port()
            self._wait_until_ready()
            self._run(self.bindir / "createdb", *self._client_args(), self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop by the postmaster's pid (SIGTERM, then SIGINT, then SIGKILL) and clean up."""
        if self.tmpdir is None:
            return
        atexit.unregister(self.stop)
        pid = self._postmaster_pid()
        if pid is not None:
            # SIGTERM waits for clients to leave; SIGINT disconnects them; SIGKILL ends it.
            for sig, wait in (
                (signal.SIGTERM, self.stop_timeout / 2),
                (signal.SIGINT, self.stop_timeout / 2),
                (signal.SIGKILL, 5.0),
            ):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if self._wait_for_exit(pid, wait):
                    break
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- how ------------------------------------------------------------------------------

    @property
    def _datadir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "data"

    @property
    def _logfile(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "postgres.log"

    def _require_running(self) -> None:
        if not self.running:
            raise PostgresServerError("The PostgreSQL server is not running: call start() first.")

    def _make_tmpdir(self) -> Path:
        # As root, the postgres user must be able to reach the directory: /tmp always works.
        tmpdir = Path(
            tempfile.mkdtemp(prefix="statuspage-pg-", dir="/tmp" if self._as_root else None)
        )
        (tmpdir / "socket").mkdir()
        if self._as_root:
            try:
                account = pwd.getpwnam(SERVER_USER)
            except KeyError:
                shutil.rmtree(tmpdir, ignore_errors=True)
                raise PostgresServerError(
                    f"Running as root, but there is no `{SERVER_USER}` user to run PostgreSQL as. "
                    + INSTALL_HINT
                ) from None
            for path in (tmpdir, tmpdir / "socket"):
                os.chown(path, account.pw_uid, account.pw_gid)
        return tmpdir

    def _server_command(self, program: str, *args: str) -> list[str]:
        assert self.bindir is not None
        command = [str(self.bindir / program), *args]
        return ["runuser", "-u", SERVER_USER, "--", *command] if self._as_root else command

    def _run(self, *command: str | Path, timeout: float = 60.0) -> None:
        try:
            subprocess.run(
                [str(part) for part in command],
                cwd=self.tmpdir,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
            )
        except subprocess.CalledProcessError as error:
            raise PostgresServerError(
                f"`{shlex.join(error.cmd)}` failed (exit {error.returncode}):\n"
                f"{error.stdout}{error.stderr}{self._log_tail()}"
            ) from None

    def _initdb(self) -> None:
        self._run(
            *self._server_command(
                "initdb",
                f"--pgdata={self._datadir}",
                f"--username={SERVER_USER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            )
        )

    def _start_on_a_free_port(self, attempts: int = 3) -> None:
        # Another process may take the port between choosing it and binding: try a fresh one.
        for attempt in range(attempts):
            self.port = free_port()
            options = shlex.join(
                [
                    "-h", self.host,
                    "-p", str(self.port),
                    "-k", str(self._datadir.parent / "socket"),
                    "-F",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                ]
            )  # fmt: skip
            try:
                self._run(
                    *self._server_command(
                        "pg_ctl",
                        "start",
                        f"--pgdata={self._datadir}",
                        f"--log={self._logfile}",
                        f"--options={options}",
                        "--wait",
                        f"--timeout={int(self.startup_timeout)}",
                    ),
                    timeout=self.startup_timeout + 10,
                )
                return
            except PostgresServerError as error:
                if "already in use" not in str(error) or attempt == attempts - 1:
                    raise

    def _wait_until_ready(self) -> None:
        assert self.bindir is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), *self._client_args(), "--timeout=1"],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresServerError(
                    f"PostgreSQL did not accept connections on {self.host}:{self.port} "
                    f"within {self.startup_timeout:.0f} s.{self._log_tail()}"
                )
            time.sleep(0.1)

    def _client_args(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.port), "--username", self.user]

    def _postmaster_pid(self) -> int | None:
        try:
            first_line = (self._datadir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line)
        except (OSError, ValueError):
            return None

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while _is_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = self._logfile.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nServer log:\n" + "\n".join(tail) if tail else ""
