"""The app's caches: made by ``create_app``, kept in ``app.extensions``, read through
``app_caches()``.

Owned by the app rather than by modules, so each app has its own, as each worker process does:
a test's fresh app (or a second app standing for another worker) starts cold, and nothing needs
patching to make it so.  Every cache is keyed by versions read from the database, so none can
serve stale data; the bounds below are what they may hold per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

import rules
from calendar_service.caching import LRUCache, byte_size, one_each
from calendar_service.ical.writer import BlockKey
from calendar_service.store.read_caches import ExpansionKey, SeriesKey

EXTENSION = "calendar_caches"

# Engine series, one per event version.
SERIES_ENTRIES = 20_000
# Occurrences held by cached expansions (an empty one counts as one): about 800 bytes each, so a
# few windows of a thousand busy series in ~8 MB.
EXPANSION_OCCURRENCES = 10_000
# Serialised VEVENTs, one block per event version.
BLOCK_ENTRIES = 50_000
# Bytes of built feeds (each feed keeps only its newest version).
FEED_BYTES = 32 * 1024 * 1024
# Bytes of finished public answers (pages and API reads; CALENDAR_ANSWER_CACHE_MB sets it).
ANSWER_BYTES = 16 * 1024 * 1024
# What an answer costs beyond its body and headers: the entry, its key and its bookkeeping.
ANSWER_OVERHEAD = 512


def occurrence_count(expansion: rules.Expansion) -> int:
    """An expansion's weight: its occurrences, and at least one so an empty one costs too."""
    return max(1, len(expansion.occurrences))


@dataclass(frozen=True)
class StoredAnswer:
    """A finished public answer as it went out: its headers (ETag included) and body, until
    when it holds (None: until a version it was built from moves on), and the (id, version) of
    the calendars it was built from: every calendar's when ``every_calendar``, so that a
    calendar made or deleted moves it on too."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    expires: datetime | None
    calendars: tuple[tuple[int, int], ...] = ()
    every_calendar: bool = True

    def fresh(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires


def answer_size(answer: StoredAnswer) -> int:
    """An answer's weight: the bytes it holds, and a little for the entry itself."""
    return (
        len(answer.body)
        + sum(len(name) + len(value) for name, value in answer.headers)
        + ANSWER_OVERHEAD
    )


@dataclass(frozen=True)
class Caches:
    """The read paths' caches of one app.

    * ``series``: building a series validates it again (the rule is parsed, the exceptions
      checked), a quarter of an agenda's cost (``services.schedule``).
    * ``expansions``: ``rules.expand`` is pure, agenda pages ask for the same day-aligned windows
      all day and API clients repeat theirs; expanding is the largest part of an agenda's cost
      (``streams.cached_expansion``).
    * ``blocks``: each event's serialised VEVENTs, the expensive part of building a feed, so a
      change to one event re-serialises that event only (``ical.writer.feed_bytes``).
    * ``feeds``: built feed bodies by ETag, one version per feed (``feeds.views.build_feed``).
    * ``answers``: finished public pages and API reads, keyed by the normalised request and
      the code version, valid while the versions of the calendars they read hold
      (``web.http_cache``).
    """

    series: LRUCache[SeriesKey, rules.Series]
    expansions: LRUCache[ExpansionKey, rules.Expansion]
    blocks: LRUCache[BlockKey, bytes]
    feeds: LRUCache[str, bytes]
    answers: LRUCache[str, StoredAnswer]

    @classmethod
    def new(
        cls,
        *,
        series_entries: int = SERIES_ENTRIES,
        expansion_occurrences: int = EXPANSION_OCCURRENCES,
        block_entries: int = BLOCK_ENTRIES,
        feed_bytes: int = FEED_BYTES,
        answer_bytes: int = ANSWER_BYTES,
    ) -> Caches:
        """Empty caches with these bounds (the defaults are the service's)."""
        return cls(
            series=LRUCache(series_entries, one_each),
            expansions=LRUCache(expansion_occurrences, occurrence_count),
            blocks=LRUCache(block_entries, one_each),
            feeds=LRUCache(feed_bytes, byte_size),
            answers=LRUCache(answer_bytes, answer_size),
        )

    def clear(self) -> None:
        """Empty every cache, as in a worker that has served nothing yet."""
        for cache in (self.series, self.expansions, self.blocks, self.feeds, self.answers):
            cache.clear()


def init_app(app: Flask, caches: Caches | None = None) -> Caches:
    """Give the app its caches (new ones with the default bounds, and the answers' bound from
    ``ANSWER_CACHE_BYTES``, unless given) and return them."""
    made = (
        caches
        if caches is not None
        else Caches.new(answer_bytes=int(app.config.get("ANSWER_CACHE_BYTES") or ANSWER_BYTES))
    )
    app.extensions[EXTENSION] = made
    return made


def app_caches(app: Flask | None = None) -> Caches:
    """The caches of ``app``, or of the current app."""
    owner = app if app is not None else current_app
    try:
        return owner.extensions[EXTENSION]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("this app has no caches: apps are made by create_app") from None
