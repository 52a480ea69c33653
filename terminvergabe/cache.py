"""Values kept in memory between requests, shared by the threads of a process.

Every in-process cache of the app is a `Cache`: bounded, least recently used entries go first,
optionally with a lifetime per entry, and every access under one lock (cachetools' caches are
not safe to share between threads on their own).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TLRUCache

_MISSING = object()


def _clock() -> float:
    # Looked up at each call, so that a test can move the clock.
    return time.monotonic()


def _expires(_key: Hashable, item: tuple[Any, float], now: float) -> float:
    return now + item[1]


class Cache:
    """At most `size` values. An entry stored with `seconds` is gone that long after it was
    stored; one stored without stays until it is evicted, dropped or cleared."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._items: TLRUCache = TLRUCache(size, _expires, timer=_clock)

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._items.get(key, _MISSING)
        return default if item is _MISSING else item[0]

    def put(self, key: Hashable, value: Any, seconds: float = math.inf) -> None:
        with self._lock:
            self._items[key] = (value, seconds)

    def get_or_build(self, key: Hashable, build: Callable[[], Any], seconds: float = math.inf):
        """The value under `key`, or `build()`'s, then kept. `build` runs outside the lock, so
        a slow one holds up no other key; two threads may build the same entry at once and the
        later result is kept (callers build equal values)."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = build()
            self.put(key, value, seconds)
        return value

    def setdefault(self, key: Hashable, make: Callable[[], Any], seconds: float = math.inf):
        """The value under `key`, or `make()`'s, kept: one value per key for every thread.
        `make` runs under the lock, so it must be cheap."""
        with self._lock:
            item = self._items.get(key, _MISSING)
            if item is _MISSING:
                item = self._items[key] = (make(), seconds)
        return item[0]

    def items(self) -> list[tuple[Hashable, Any]]:
        """The entries now, as a list (the cache may change while the caller goes through it)."""
        with self._lock:
            return [(key, item[0]) for key, item in self._items.items()]

    def drop(self, matches: Callable[[Hashable], bool]) -> None:
        """Drop the entries whose key `matches`."""
        with self._lock:
            for key in [key for key in self._items if matches(key)]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
