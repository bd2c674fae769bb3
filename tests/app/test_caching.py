"""The one LRU cache class: bounded by weight, single-flight builds, slots; and the app's own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pytest
from flask import Flask

from calendar_service import create_app
from calendar_service.app_caches import (
    BLOCK_ENTRIES,
    EXPANSION_OCCURRENCES,
    FEED_BYTES,
    SERIES_ENTRIES,
    app_caches,
)
from calendar_service.caching import LRUCache, byte_size, one_each
from calendar_service.store.db import db

if TYPE_CHECKING:
    from tests.conftest import CacheWaits

T = TypeVar("T")


def always(value: T) -> Callable[[], T]:
    """A build that gives ``value``."""
    return lambda: value


def fill(cache: LRUCache[str, bytes], **values: bytes) -> None:
    for key, value in values.items():
        assert cache.get_or_build(key, always(value)) == value


def test_the_weight_bound_evicts_the_least_recently_used() -> None:
    cache: LRUCache[str, bytes] = LRUCache(10, byte_size)
    fill(cache, a=b"aaa", b=b"bbb", c=b"ccc")
    assert (len(cache), cache.weight) == (3, 9)
    assert cache.get_or_build("a", lambda: b"rebuilt") == b"aaa"  # a hit: now the newest
    fill(cache, d=b"dd")  # 11 > 10: b, the least recently used, goes
    assert ("a" in cache, "b" in cache, "c" in cache, "d" in cache) == (True, False, True, True)
    assert (len(cache), cache.weight) == (3, 8)
    fill(cache, e=b"e" * 7)  # 15 > 10: c, then a, go; 9 left
    assert [key for key in "abcde" if key in cache] == ["d", "e"]
    assert cache.weight == 9


def test_a_lookup_by_in_does_not_make_an_entry_recent() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.get_or_build("old", lambda: 1)
    cache.get_or_build("new", lambda: 2)
    assert "old" in cache
    cache.get_or_build("newest", lambda: 3)
    assert ("old" in cache, "new" in cache, "newest" in cache) == (False, True, True)


def test_counted_caches_weigh_one_per_entry() -> None:
    cache: LRUCache[int, str] = LRUCache(3, one_each)
    for key in range(5):
        cache.get_or_build(key, always("x" * 1000 * key))
    assert (len(cache), cache.weight) == (3, 3)
    assert [key for key in range(5) if key in cache] == [2, 3, 4]


def test_an_entry_over_the_whole_budget_is_kept_alone() -> None:
    cache: LRUCache[str, bytes] = LRUCache(4, byte_size)
    fill(cache, a=b"aa", big=b"b" * 9)
    assert ("a" in cache, "big" in cache, cache.weight) == (False, True, 9)
    assert cache.get_or_build("big", lambda: b"rebuilt") == b"b" * 9


def test_a_newer_key_replaces_the_older_one_of_its_slot() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    cache.get_or_build("feed-a v1", lambda: b"1" * 10, slot="feed-a")
    cache.get_or_build("feed-b v1", lambda: b"2" * 10, slot="feed-b")
    cache.get_or_build("unslotted", lambda: b"3" * 10)
    assert cache.get_or_build("feed-a v2", lambda: b"4" * 10, slot="feed-a") == b"4" * 10
    assert "feed-a v1" not in cache
    assert (len(cache), cache.weight) == (3, 30)
    # Evicting a slot's key frees the slot: its next version replaces nothing else.
    small: LRUCache[str, bytes] = LRUCache(10, byte_size)
    small.get_or_build("x v1", lambda: b"x" * 6, slot="x")
    small.get_or_build("y v1", lambda: b"y" * 6, slot="y")  # 12 > 10: x v1 goes
    small.get_or_build("x v2", lambda: b"x" * 4, slot="x")
    assert ("x v1" in small, "y v1" in small, "x v2" in small) == (False, True, True)
    assert small.weight == 10


def test_one_thread_builds_a_missing_key_while_the_others_wait(cache_waits: CacheWaits) -> None:
    cache: LRUCache[str, bytes] = LRUCache(1000, byte_size)
    builds: list[str] = []
    start = threading.Barrier(4)

    def slow_build() -> bytes:
        builds.append(threading.current_thread().name)
        cache_waits.started()
        # Until the other three wait for this build (or, without single flight, build too).
        cache_waits.until(lambda: cache_waits.waits + cache_waits.builds - 1 >= 3)
        return b"v7"

    answers: list[bytes] = []

    def ask() -> None:
        start.wait()
        answers.append(cache.get_or_build("v7", slow_build))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [b"v7"] * 4
    assert len(builds) == 1
    assert (len(cache), cache.weight) == (1, 2)


def test_other_keys_are_served_while_one_builds() -> None:
    cache: LRUCache[str, str] = LRUCache(10)
    cache.get_or_build("ready", lambda: "served")
    building = threading.Event()
    release = threading.Event()

    def slow() -> str:
        building.set()
        release.wait(5)
        return "slow"

    thread = threading.Thread(target=cache.get_or_build, args=("slow", slow))
    thread.start()
    assert building.wait(5)
    assert cache.get_or_build("ready", lambda: "rebuilt") == "served"
    assert cache.get_or_build("other", lambda: "other") == "other"
    release.set()
    thread.join()
    assert cache.get_or_build("slow", lambda: "rebuilt") == "slow"


def test_a_failed_build_is_not_cached_and_the_next_caller_builds_again() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)

    def failing() -> bytes:
        raise LookupError("deleted meanwhile")

    with pytest.raises(LookupError):
        cache.get_or_build("v1", failing, slot="feed-a")
    assert ("v1" in cache, len(cache), cache.weight) == (False, 0, 0)
    assert cache.get_or_build("v1", lambda: b"built", slot="feed-a") == b"built"
    assert (len(cache), cache.weight) == (1, 5)


def test_waiters_on_a_failed_build_build_it_themselves(cache_waits: CacheWaits) -> None:
    cache: LRUCache[str, str] = LRUCache(10)
    calls: list[int] = []
    start = threading.Barrier(3)

    def first_fails() -> str:
        calls.append(1)
        cache_waits.started()
        if len(calls) == 1:  # until the other two wait for it (or build too)
            cache_waits.until(lambda: cache_waits.waits + cache_waits.builds - 1 >= 2)
            raise LookupError("the first build fails")
        # One of the two builds again; until the other waits again, for this build.
        cache_waits.until(lambda: cache_waits.waits >= 3 or cache_waits.builds > 2)
        return "built"

    answers: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            answers.append(cache.get_or_build("k", first_fails))
        except LookupError as error:
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1  # the caller whose build failed sees its error
    assert answers == ["built", "built"]
    assert len(calls) == 2  # one failed build, then one that both waiters share


def test_a_stale_value_is_built_again_in_its_place() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    cache.get_or_build("page", always(b"monday"))
    assert cache.get("page", fresh=lambda value: value != b"monday") is None
    rebuilt = cache.get_or_build("page", always(b"tuesday"), fresh=lambda value: value != b"monday")
    assert rebuilt == b"tuesday" and cache.get("page") == b"tuesday"
    assert (len(cache), cache.weight) == (1, 7)


def test_a_value_refused_by_keep_goes_to_its_builder_alone() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    assert cache.get_or_build("page", always(b"private"), keep=lambda value: False) == b"private"
    assert cache.get("page") is None and (len(cache), cache.weight) == (0, 0)
    assert cache.get_or_build("page", always(b"public")) == b"public"


def test_waiters_on_a_refused_value_build_their_own(cache_waits: CacheWaits) -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    started = threading.Event()
    builds: list[bytes] = []

    def first_build() -> bytes:
        cache_waits.started()
        started.set()
        # Until the other thread waits for this build (or, without single flight, builds).
        cache_waits.until(lambda: cache_waits.waits + cache_waits.builds - 1 >= 1)
        builds.append(b"mine")
        return b"mine"

    got: list[bytes] = []
    first = threading.Thread(
        target=lambda: got.append(
            cache.get_or_build("page", first_build, keep=lambda value: value != b"mine")
        )
    )
    first.start()
    started.wait()

    def second_build() -> bytes:
        cache_waits.started()
        builds.append(b"theirs")
        return b"theirs"

    got.append(cache.get_or_build("page", second_build, keep=lambda value: value != b"mine"))
    first.join()
    assert sorted(got) == [b"mine", b"theirs"] and builds == [b"mine", b"theirs"]
    assert cache.get("page") == b"theirs"


def test_get_never_builds() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    assert cache.get("missing") is None and len(cache) == 0
    fill(cache, here=b"x")
    assert cache.get("here") == b"x" and cache.values() == [b"x"]


def test_many_keys_are_looked_up_at_once_and_made_recent() -> None:
    cache: LRUCache[str, int] = LRUCache(3)
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.get_or_build(key, always(value))
    assert cache.get_many(["a", "x", "b"]) == {"a": 1, "b": 2}
    cache.get_or_build("d", always(4))  # c, not looked up, is now the least recent: it goes
    assert [key for key in "abcd" if key in cache] == ["a", "b", "d"]


def test_values_built_together_are_kept_unless_one_is_held() -> None:
    cache: LRUCache[str, int] = LRUCache(3)
    cache.get_or_build("a", always(1))
    assert cache.keep({"a": 10, "b": 2}) == {"a": 1, "b": 2}  # the held value wins
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    assert cache.keep({"c": 3, "d": 4}) == {"c": 3, "d": 4}  # stored within the bound
    assert [key for key in "abcd" if key in cache] == ["b", "c", "d"]


def test_clear_empties_the_cache() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, byte_size)
    fill(cache, a=b"a", b=b"bb")
    cache.clear()
    assert (len(cache), cache.weight, "a" in cache) == (0, 0, False)
    assert cache.get_or_build("a", lambda: b"rebuilt") == b"rebuilt"


def test_a_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_weight"):
        LRUCache(0)


def test_each_app_owns_its_caches_with_the_service_bounds(
    app: Flask, app_config: dict[str, object]
) -> None:
    caches = app_caches(app)
    with app.app_context():
        assert app_caches() is caches
    assert (
        caches.series.max_weight,
        caches.expansions.max_weight,
        caches.blocks.max_weight,
        caches.feeds.max_weight,
    ) == (20_000, 10_000, 50_000, 32 * 1024 * 1024)
    assert caches.answers.max_weight == 16 * 1024 * 1024
    assert (SERIES_ENTRIES, EXPANSION_OCCURRENCES, BLOCK_ENTRIES, FEED_BYTES) == (
        20_000,
        10_000,
        50_000,
        32 * 1024 * 1024,
    )
    caches.feeds.get_or_build("v1", lambda: b"feed")
    other = create_app(app_config)  # another worker: its own, cold caches
    assert app_caches(other) is not caches
    assert len(app_caches(other).feeds) == 0
    with other.app_context():
        db.engine.dispose()
    caches.clear()
    assert len(caches.feeds) == 0


def test_an_app_not_made_by_the_factory_has_no_caches() -> None:
    with pytest.raises(RuntimeError, match="create_app"):
        app_caches(Flask("bare"))
