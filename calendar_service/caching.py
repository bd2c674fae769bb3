"""One thread-safe LRU cache for every per-process cache of the service.

The read paths keep engine series, expansions, serialised VEVENTs and built feeds between
requests.  Each is keyed by something that names one version of what it holds (a row's revision,
a calendar's version), so an entry is never stale and the only questions are how much to keep
and how to avoid building the same value twice; this module answers both once, for all of them.

A pure utility: it imports nothing from Flask or the rest of the service, so any layer may use
it.  The app owns the instances the service uses (``calendar_service.app_caches``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def one_each(value: object) -> int:
    """Weight of an entry in a cache bounded by its number of entries."""
    return 1


def byte_size(value: bytes) -> int:
    """Weight of an entry in a cache bounded by the bytes it holds."""
    return len(value)


class LRUCache(Generic[K, V]):
    """Values by key, least recently used dropped first once their total weight passes
    ``max_weight``, each value built once however many threads miss it at the same time.

    Bounded by weight rather than count because values differ in cost: a feed by its bytes, an
    expansion by its occurrences.  The newest entry is always kept, even alone over the bound,
    so a value larger than the budget is still served from the cache until something replaces it.

    A key may name a ``slot`` (say, one feed whose versions are the keys): storing a key drops
    the older key of its slot, so memory follows the number of slots, not of versions.

    Single flight: when a change makes every thread of a worker miss at once, one builds and the
    others wait for its value instead of building it side by side (a build holds the GIL, so
    parallel ones only slow each other down).  A build that raises stores nothing; the waiters
    then try again, one of them building.
    """

    def __init__(self, max_weight: int, weight: Callable[[V], int] = one_each) -> None:
        if max_weight < 1:
            raise ValueError(f"max_weight must be positive, not {max_weight}")
        self.max_weight = max_weight
        self._weigh = weight
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()  # key → (value, weight)
        self._held = 0
        self._slots: dict[Hashable, K] = {}  # slot → its newest key
        self._slot_of: dict[K, Hashable] = {}  # key → its slot
        # key → set when its build ends (None until a second thread waits for it)
        self._building: dict[K, threading.Event | None] = {}
        self._lock = threading.Lock()

    def get_or_build(
        self,
        key: K,
        build: Callable[[], V],
        *,
        slot: Hashable | None = None,
        fresh: Callable[[V], bool] | None = None,
        keep: Callable[[V], bool] | None = None,
    ) -> V:
        """The value of ``key``: cached, built by the thread already building it, or built now
        by calling ``build`` (then stored, under ``slot`` if given).

        ``fresh`` says whether a held value may still be served (one that depends on the time
        of day expires); a stale one is built again, once, as a missing one is.  ``keep`` says
        whether a built value may be stored at all: one it refuses goes to its builder alone,
        and the threads that waited for it build their own.
        """
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and (fresh is None or fresh(entry[0])):
                    self._entries.move_to_end(key)
                    return entry[0]
                if key not in self._building:
                    self._building[key] = None  # an Event only once someone waits
                    break
                done = self._building[key]
                if done is None:
                    done = self._building[key] = threading.Event()
            done.wait()  # then look again: built, or failed and to be built by one of us
        try:
            value = build()
        except BaseException:
            with self._lock:
                waited = self._building.pop(key)
            if waited is not None:
                waited.set()
            raise
        with self._lock:
            if keep is None or keep(value):
                self._store(key, value, slot)
            waited = self._building.pop(key)
        if waited is not None:
            waited.set()
        return value

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The held values of those ``keys`` that have one, each made recently used; one lock
        for all of them (a page looks up a thousand series at once)."""
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    found[key] = entry[0]
        return found

    def keep(self, values: dict[K, V]) -> dict[K, V]:
        """Store values built without ``get_or_build`` (a batch, built together) unless a value
        is held already, and return what is held for each key after: a value another thread
        stored meanwhile wins, as it would have for a waiter of ``get_or_build``."""
        held: dict[K, V] = {}
        with self._lock:
            for key, value in values.items():
                entry = self._entries.get(key)
                if entry is None:
                    self._store(key, value, None)
                    held[key] = value
                else:
                    held[key] = entry[0]
        return held

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, replacing what it held (a value built outside
        ``get_or_build``, whose builder decided it may be kept)."""
        with self._lock:
            self._store(key, value, None)

    def get(self, key: K, fresh: Callable[[V], bool] | None = None) -> V | None:
        """The held value of ``key`` if there is one (and ``fresh`` accepts it), else None;
        never builds."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (fresh is not None and not fresh(entry[0])):
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is held, without making it recently used."""
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def values(self) -> list[V]:
        """What the cache holds, least recently used first (for inspection: tests, tools)."""
        with self._lock:
            return [value for value, _weight in self._entries.values()]

    @property
    def weight(self) -> int:
        """The total weight held (at most ``max_weight``, unless one entry alone is more)."""
        with self._lock:
            return self._held

    def clear(self) -> None:
        """Drop every entry, as in a process that has built nothing yet (builds in flight
        still hand their value to their waiters, and store it)."""
        with self._lock:
            self._entries.clear()
            self._slots.clear()
            self._slot_of.clear()
            self._held = 0

    def _store(self, key: K, value: V, slot: Hashable | None) -> None:
        """Store under the lock: replace the slot's older key, then evict down to the bound."""
        self._drop(key)  # a stale value's, or nothing after a miss
        if slot is not None:
            previous = self._slots.get(slot)
            if previous is not None and previous != key:
                self._drop(previous)
            self._slots[slot] = key
            self._slot_of[key] = slot
        weight = self._weigh(value)
        self._entries[key] = (value, weight)
        self._held += weight
        while self._held > self.max_weight and len(self._entries) > 1:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._held -= entry[1]
        slot = self._slot_of.pop(key, None)
        if slot is not None and self._slots.get(slot) == key:
            del self._slots[slot]
