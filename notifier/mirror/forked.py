"""A build's pages rendered by more than one process: the worker and forks of it.

Two languages double the pages of a build; a second core halves its time again. Each
process renders its share through the same in-process client (render.py); a fork sends
what it rendered back over a pipe and ends without running any of the worker's exit
handlers. Only outside a transaction, and never on an in-memory database: a fork's own
connection could not see what the worker has not committed.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import connections

Item = TypeVar("Item")

# Whether this process has rendered pages (and so compiled the templates) before.
_warm = False


class ForkFailed(Exception):
    """A fork could not render its share: what it said, or that it died."""


def processes_for(count: int) -> int:
    """How many processes should render `count` pages here and now."""
    wanted = settings.MIRROR_RENDER_PROCESSES
    if wanted < 2 or count < settings.MIRROR_PARALLEL_FROM:
        return 1
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            return 1
    for alias in connections:
        in_memory = getattr(connections[alias], "is_in_memory_db", None)  # SQLite's alone
        if in_memory is not None and in_memory():
            return 1
    return min(wanted, count)


def shares(urls: Sequence[str], processes: int) -> list[list[str]]:
    """The pages in as many runs of neighbours: a build lists each language's pages together,
    so each process renders one language, its caches (markdown, feed entries, the bars'
    texts) as warm as a build of that language alone."""
    size, extra = divmod(len(urls), processes)
    runs, start = [], 0
    for index in range(processes):
        end = start + size + (1 if index < extra else 0)
        runs.append(list(urls[start:end]))
        start = end
    return runs


class Fork:
    """One forked process rendering its share; `result()` waits for it."""

    def __init__(
        self,
        render: Callable[[list[str]], list[Item]],
        urls: list[str],
        release: Callable[[], None] = connections.close_all,
    ) -> None:
        # Connections are not shared across a fork: each process opens its own.
        release()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            # The fork's collections then leave the worker's objects alone: touching them
            # would copy every page of the worker's memory into the fork. Frozen here, not in
            # the worker before forking: unfreezing there afterwards would also unfreeze what
            # the worker had frozen itself (statuspage.celery: settle_the_pool_process).
            gc.freeze()
            os.close(read)
            try:
                payload: tuple[str, object] = ("done", render(urls))
            except BaseException as error:
                payload = ("failed", f"{type(error).__name__}: {error}")
            try:
                with os.fdopen(write, "wb") as out:
                    pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write)
        self.pid, self._read, self._reaped = pid, read, False

    def result(self) -> list[Item]:
        self._reaped = True
        with os.fdopen(self._read, "rb") as incoming:
            data = incoming.read()
        os.waitpid(self.pid, 0)
        if not data:
            raise ForkFailed("the render process died before it answered")
        kind, value = pickle.loads(data)  # noqa: S301 - our own fork's answer, over a pipe
        if kind != "done":
            raise ForkFailed(str(value))
        return value

    def stop(self) -> None:
        """End the fork when its result is no longer wanted."""
        if self._reaped:
            return
        self._reaped = True
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self._read)


def render_in_processes(
    render: Callable[[list[str]], list[Item]],
    urls: list[str],
    processes: int,
    *,
    release: Callable[[], None] = connections.close_all,
) -> list[Item]:
    """`render` over `urls`, split among `processes` (this one and forks of it); `release`
    lets go of what a fork must not share (the database connections).

    A process that has not rendered yet renders the first page before forking, so the
    forks inherit the compiled templates instead of compiling them again each; a worker
    that has rendered before (every publish after its first) forks at once.
    """
    global _warm
    if processes < 2 or len(urls) < 2:
        items = render(urls)
        _warm = True
        return items
    first = 0 if _warm else 1
    items = render(urls[:first])
    _warm = True
    mine, *theirs = shares(urls[first:], processes)
    forks = [Fork(render, share, release) for share in theirs]
    try:
        items += render(mine)
        for fork in forks:
            items += fork.result()
    finally:
        for fork in forks:
            fork.stop()
    return items
