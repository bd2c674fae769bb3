"""Per-event VEVENT blocks are reused between builds and never serve an old version."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service import ical
from calendar_service.db import db
from calendar_service.feeds import build_feed, history_cutoff
from calendar_service.models import Calendar, Category


def test_blocks_give_the_same_bytes_as_a_build_from_nothing(
    seeded: Flask, client: FlaskClient
) -> None:
    served = client.get("/calendars/turing-roche.ics").data
    with seeded.app_context(), seeded.test_request_context(base_url="https://events.example.org"):
        from calendar_service import feeds, links

        calendar = db.session.scalar(select(Calendar))
        cutoff, _ = history_cutoff(feeds.utcnow())
        events = feeds.feed_events(calendar, [], cutoff)
        info = ical.FeedInfo(name=calendar.name, description=calendar.description,
                             timezone=calendar.timezone,
                             source_url=links.feed_url(calendar.slug))
        pages = {event.uid: links.event_page_url(event.uid) for event in events}
        fresh = ical.feed_bytes(events, info, pages)
        cached = ical.feed_bytes(events, info, pages, ical.BlockCache())
        again = build_feed(calendar, [], feeds.utcnow())
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
    after = client.get("/calendars/turing-roche.ics",
                       headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    categories = [line for line in after.data.split(b"\r\n") if line.startswith(b"CATEGORIES")]
    assert b"CATEGORIES:TPS programme" in categories
    assert b"CATEGORIES:Newsletters,TPS programme" in categories
    assert not [line for line in categories if b"Tools" in line]
