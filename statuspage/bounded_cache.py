"""An in-memory cache bounded by bytes as well as entries.

Django's LocMemCache counts entries only: 2,000 pages of a few kilobytes is
little, 2,000 large feeds is not. This one also drops the least recently used
entries while the pickled values it holds exceed OPTIONS["MAX_BYTES"] (0: no
byte bound), so a process's page cache stays within a known size whatever
addresses readers (or attackers) ask for.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache


class BoundedLocMemCache(LocMemCache):
    # LocMemCache's own state, which its stubs leave out.
    _lock: Lock
    _cache: OrderedDict[str, bytes]
    _expire_info: dict[str, float | None]

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 0))

    def held_bytes(self) -> int:
        with self._lock:
            return sum(map(len, self._cache.values()))

    def _set(self, key: str, value: bytes, timeout: Any = DEFAULT_TIMEOUT) -> None:
        # Called with the lock held, on a miss only: summing a few thousand lengths is cheap.
        super()._set(key, value, timeout)  # type: ignore[misc]  # private; not in the stubs
        if not self.max_bytes:
            return
        held = sum(map(len, self._cache.values()))
        while held > self.max_bytes and len(self._cache) > 1:
            dropped_key, dropped = self._cache.popitem()  # the least recently used
            del self._expire_info[dropped_key]
            held -= len(dropped)
