"""Whether a staff request is running in any web process on this machine.

Each staff request holds a shared flock on one file for its duration; a public
request asks, with a non-blocking exclusive flock, whether anyone holds it. The
kernel drops a dead process's locks, so a crash never leaves readers waiting.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StaffPresence:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._probe: tuple[int, int] | None = None  # (pid, fd): a server may fork after import
        self._probe_lock = threading.Lock()

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    @contextmanager
    def staff_request(self) -> Iterator[None]:
        # Its own descriptor, so the lock is this request's and ends with it.
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def anywhere(self) -> bool:
        with self._probe_lock:
            if self._probe is None or self._probe[0] != os.getpid():
                self._probe = (os.getpid(), self._open())
            fd = self._probe[1]
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
