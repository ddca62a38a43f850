"""A real `celery --app statuspage worker` process, started and stopped (or killed) by pid.

    worker = Worker(env, workdir)       # env: DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL, ...
    worker.start()                      # returns once the worker says it is ready
    worker.kill()                       # SIGKILL to it and its pool processes: a crash
    worker.start()                      # a fresh process with the same environment
    worker.stop()                       # SIGTERM, then SIGKILL after a timeout

It runs in its own session (process group = its pid), so its pool processes go with it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent.parent


class WorkerError(RuntimeError):
    pass


class Worker:
    def __init__(
        self,
        env: Mapping[str, str],
        workdir: Path,
        *,
        queues: str = "celery,bulk,mail",
        concurrency: int = 2,
        beat: bool = True,
        name: str = "worker",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.queues = queues
        self.concurrency = concurrency
        self.beat = beat
        self.name = name
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        if self.process is None:
            raise WorkerError("The worker is not running.")
        return self.process.pid

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}-{self.starts}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "celery", "--app", "statuspage", "worker",
            "--hostname", f"{self.name}-{self.starts}@%h",
            "--queues", self.queues,
            "--concurrency", str(self.concurrency),
            "--pool", "prefork",
            "--loglevel", "INFO",  # "ready." is an INFO line, and start() waits for it
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if self.beat:
            # A schedule file per start: a killed worker may leave its file half written.
            schedule = self.workdir / f"{self.name}-{self.starts}-beat-schedule"
            command += ["--beat", "--schedule-filename", str(schedule)]
        return command + self.extra_args

    def start(self) -> Self:
        if self.running:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.kill)
        try:
            self._wait_until_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self) -> None:
        """Warm shutdown by the main pid (SIGTERM); SIGKILL the group after the timeout."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill_group(process)
        self._reap(process)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crash would."""
        process = self.process
        if process is None:
            return
        self._kill_group(process)
        self._reap(process)

    def pids(self) -> list[int]:
        """The worker's processes (main, pool, embedded beat): everything in its session."""
        if self.process is None:
            return []
        return session_pids(self.process.pid)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _kill_group(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def _reap(self, process: subprocess.Popen[bytes]) -> None:
        process.wait(self.stop_timeout)
        # Pool processes are not our children: wait for them to leave the session too.
        deadline = time.monotonic() + self.stop_timeout
        while session_pids(process.pid):
            if time.monotonic() > deadline:
                self._kill_group(process)
                break
            time.sleep(0.05)
        self.process = None
        atexit.unregister(self.kill)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while b" ready." not in self._log_bytes():
            assert self.process is not None
            if self.process.poll() is not None:
                raise WorkerError(
                    f"The worker exited with {self.process.returncode}:\n{self.log_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise WorkerError(
                    f"The worker was not ready within {self.startup_timeout:.0f} s:\n"
                    f"{self.log_text()[-3000:]}"
                )
            time.sleep(0.05)

    def _log_bytes(self) -> bytes:
        try:
            return self.log.read_bytes()
        except OSError:
            return b""


def session_pids(session: int) -> list[int]:
    """Live processes whose session id is `session` (zombies excluded)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command: state, ppid, pgrp, session, ...
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(stat.parent.name))
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of one process, 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
