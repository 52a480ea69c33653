"""The one in-process cache (terminvergabe/cache.py): bounded, lifetimes, one value per key."""

import threading
import time

import pytest

from terminvergabe.cache import Cache


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by the test: a list holding the seconds passed."""
    passed = [0.0]
    start = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: start + passed[0])
    return passed


def test_the_least_recently_used_entry_goes_first():
    cache = Cache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # b is now the least recently used
    cache.put("c", 3)
    assert cache.items() == [("a", 1), ("c", 3)]
    assert cache.get("b", "gone") == "gone"


def test_an_entry_with_a_lifetime_is_gone_after_it(clock):
    cache = Cache(8)
    cache.put("short", 1, seconds=5)
    cache.put("long", 2)
    clock[0] = 4.9
    assert cache.get("short") == 1
    clock[0] = 5.0
    assert cache.get("short", "gone") == "gone"
    assert cache.get("long") == 2
    assert len(cache) == 1


def test_get_or_build_builds_once_and_keeps_none_too():
    cache = Cache(8)
    built = []

    def build():
        built.append(True)

    assert cache.get_or_build("key", build) is None
    assert cache.get_or_build("key", build) is None
    assert built == [True]


def test_drop_and_clear():
    cache = Cache(8)
    for key in [(1, "a"), (1, "b"), (2, "a")]:
        cache.put(key, key)
    cache.drop(lambda key: key[0] == 1)
    assert cache.items() == [((2, "a"), (2, "a"))]
    cache.clear()
    assert cache.items() == []


def test_setdefault_gives_every_thread_the_same_value():
    cache = Cache(8)
    got = []
    start = threading.Barrier(8)

    def ask():
        start.wait()
        got.append(cache.setdefault("key", object))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(value) for value in got}) == 1
