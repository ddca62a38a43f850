"""What every server fixture shares: stop by pid, remove the temp dir, use as a context."""

from __future__ import annotations

import atexit
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self


class ServerProcess:
    """A server started by `start()` (which subclasses write) in its own temp dir.

    `stop()` sends SIGTERM to the server's pid, then SIGKILL after `stop_timeout`;
    the port stays reserved so `start()` can bring it back on the same one.
    `close()` also removes the temp dir; it is registered with atexit by `start()`.
    """

    process: subprocess.Popen | None = None
    tmpdir: Path | None = None
    stop_timeout: float = 5.0

    def start(self) -> Self:
        raise NotImplementedError

    def wait_until_ready(
        self,
        answers: Callable[[], bool],
        *,
        program: str,
        service: str,
        timeout: float,
        error: type[Exception],
        log_tail: Callable[[], str],
        poll: float = 0.05,
    ) -> None:
        """Wait for `answers()`; fail with the log's tail if the program exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not answers():
            assert self.process is not None
            if self.process.poll() is not None:
                raise error(f"{program} exited with {self.process.returncode}.{log_tail()}")
            if time.monotonic() > deadline:
                raise error(f"{service} within {timeout:.0f} s.{log_tail()}")
            time.sleep(poll)

    def ready_or_closed(self, answers: Callable[[], bool], **how: Any) -> None:
        """After starting the process: close at exit, and wait for it (closing it if it never
        answers); `how` as for `wait_until_ready`."""
        atexit.register(self.close)
        try:
            self.wait_until_ready(answers, **how)
        except BaseException:
            self.close()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(self.stop_timeout)

    def close(self) -> None:
        self.stop()
        atexit.unregister(self.close)
        if self.tmpdir is not None:
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
        self.close()
