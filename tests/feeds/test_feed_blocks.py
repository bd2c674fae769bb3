"""Per-event VEVENT blocks are reused between builds and never serve an old version."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.app_caches import Caches
from calendar_service.ical import writer as ical
from calendar_service.services import feeds
from calendar_service.services.feeds import build_feed, history_cutoff
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category

if TYPE_CHECKING:
    from tests.conftest import CacheWaits


# Before the seed's first date: its one-offs (2026–2027) stay in the feed's history window.
@pytest.mark.now("2025-12-01T12:00:00+00:00")
def test_blocks_give_the_same_bytes_as_a_build_from_nothing(
    seeded: Flask, client: FlaskClient
) -> None:
    served = client.get("/calendars/turing-roche.ics").data
    with seeded.app_context(), seeded.test_request_context(base_url="https://events.example.org"):
        from calendar_service.app_caches import app_caches
        from calendar_service.web import links

        calendar = db.session.scalar(select(Calendar))
        cutoff, _ = history_cutoff(feeds.utcnow())
        events = feeds.feed_events(calendar, [], cutoff)
        info = ical.FeedInfo(
            name=calendar.name,
            description=calendar.description,
            timezone=calendar.timezone,
            source_url=links.feed_url(calendar.slug),
        )
        pages = {event.uid: links.event_page_url(event.uid) for event in events}
        fresh = ical.feed_bytes(events, info, pages)
        blocks = Caches.new().blocks
        cached = ical.feed_bytes(events, info, pages, blocks)
        assert len(blocks) == 12  # one block per event
        assert ical.feed_bytes(events, info, pages, blocks) == cached  # from the blocks alone
        again = build_feed(calendar, [], feeds.utcnow(), app_caches(), links.base_url())
    assert fresh == cached == again == served
    assert served.count(b"BEGIN:VEVENT") == 12


def test_a_renamed_category_reaches_the_feed_though_no_event_changed(
    seeded: Flask, client: FlaskClient
) -> None:
    before = client.get("/calendars/turing-roche.ics")
    assert b"CATEGORIES:Tools\\, Practices and Systems" in before.data
    with seeded.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "tps"))
        category.name = "TPS programme"
        category.calendar.touch()
        db.session.commit()
    after = client.get(
        "/calendars/turing-roche.ics", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    categories = [line for line in after.data.split(b"\r\n") if line.startswith(b"CATEGORIES")]
    assert b"CATEGORIES:TPS programme" in categories
    assert b"CATEGORIES:Newsletters,TPS programme" in categories
    assert not [line for line in categories if b"Tools" in line]


def test_the_feed_cache_keeps_one_version_per_feed_within_its_byte_budget() -> None:
    cache = Caches.new(feed_bytes=25).feeds
    assert cache.get_or_build("v1", lambda: b"a" * 10, slot="feed-a") == b"a" * 10
    assert cache.get_or_build("v1", lambda: b"never built", slot="feed-a") == b"a" * 10
    assert cache.get_or_build("v2", lambda: b"b" * 10, slot="feed-a") == b"b" * 10
    assert len(cache) == 1  # v1 of feed-a is gone with v2's arrival
    cache.get_or_build("w1", lambda: b"c" * 10, slot="feed-b")
    cache.get_or_build("x1", lambda: b"d" * 10, slot="feed-c")
    assert len(cache) == 2  # 30 bytes > 25: the least recently used (feed-a v2) went
    assert cache.weight == 20
    assert cache.get_or_build("v2", lambda: b"rebuilt", slot="feed-a") == b"rebuilt"


def test_the_feed_cache_builds_a_version_once_however_many_threads_miss_it(
    cache_waits: CacheWaits,
) -> None:
    import threading

    cache = Caches.new().feeds
    builds: list[str] = []
    start = threading.Barrier(4)

    def slow_build() -> bytes:
        builds.append(threading.current_thread().name)
        cache_waits.started()
        # Until the other three wait for this build (or, without single flight, build too).
        cache_waits.until(lambda: cache_waits.waits + cache_waits.builds - 1 >= 3)
        return b"feed v7"

    answers: list[bytes] = []

    def ask() -> None:
        start.wait()
        answers.append(cache.get_or_build("v7", slow_build, slot="feed-a"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [b"feed v7"] * 4
    assert len(builds) == 1


def test_a_failed_build_leaves_the_next_request_to_build_again() -> None:
    cache = Caches.new().feeds

    def failing() -> bytes:
        raise LookupError("calendar deleted meanwhile")

    with pytest.raises(LookupError):
        cache.get_or_build("v1", failing, slot="feed-a")
    assert cache.get_or_build("v1", lambda: b"built", slot="feed-a") == b"built"
    assert len(cache) == 1
