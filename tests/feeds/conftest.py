"""Fixtures for the feed tests: a fixed base URL, a second worker, and the two expansions
(the app's own, and recurring-ical-events over the served bytes) the oracle compares."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar as ICalendar
from sqlalchemy import func, select

import rules
from calendar_service.clock import utcnow
from calendar_service.services import schedule
from calendar_service.store.db import db
from calendar_service.store.models import Calendar

BASE_URL = "https://events.example.org"

Occurrence = tuple[str, str | None, object, object, str, str, str]
"""(uid, recurrence id text, start, end, title, location, status) — starts/ends as UTC instants
for timed events, dates for all-day ones."""


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Feeds write absolute links: fix their base so bytes compare across requests and CLI."""
    return {**app_config, "CALENDAR_BASE_URL": BASE_URL}


@pytest.fixture
def calendar_with_event(make_event: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Calendar ``test`` with one weekly series, ``talk@test``, in category ``talks``."""
    return make_event(
        uid="talk@test",
        title="Talk",
        start="2027-01-27T14:00:00",
        rrule="FREQ=WEEKLY;COUNT=4",
        categories=["talks"],
    )


@pytest.fixture
def settled(app: Flask) -> Callable[[], None]:
    """``settled()`` waits until no calendar's stamp is ahead of the clock: ``Calendar.touch``
    puts each version a second after the last, so a test's quick set-up runs a little ahead,
    and Last-Modified (which HTTP states to the second) answers 304s only once it is not."""

    def wait() -> None:
        with app.app_context():
            latest = db.session.scalar(select(func.max(Calendar.changed)))
        if latest is not None:
            ahead = (latest - utcnow()).total_seconds()
            if ahead > 0:
                time.sleep(min(ahead + 0.01, 5.0))

    return wait


@pytest.fixture
def other_worker(
    make_app: Callable[[dict[str, Any]], Flask], app_config: dict[str, Any]
) -> FlaskClient:
    """A client of a second app on the same database: another worker process, own cache."""
    return make_app(app_config).test_client()


def instant(value: date | datetime) -> date | datetime:
    """Timed values as UTC instants (so zones compare), dates as they are."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"floating time {value} in a feed"
        return value.astimezone(UTC)
    return value


def feed_occurrences(body: bytes, start: date, end: date) -> list[Occurrence]:
    """What a subscriber's client shows: the served feed expanded by recurring-ical-events."""
    calendar = ICalendar.from_ical(body)
    recurring = {
        str(master["UID"])
        for master in calendar.walk("VEVENT")
        if "RRULE" in master or "RDATE" in master
    }
    found = []
    for component in recurring_ical_events.of(calendar).between(start, end):
        # recurring-ical-events stamps a RECURRENCE-ID on one-offs too; the contract's is null.
        rid = component.get("RECURRENCE-ID") if str(component["UID"]) in recurring else None
        found.append(
            (
                str(component["UID"]),
                None if rid is None else _rid_text(rid.dt),
                instant(component.decoded("DTSTART")),
                instant(component.decoded("DTEND")),
                str(component["SUMMARY"]),
                str(component.get("LOCATION", "")),
                str(component.get("STATUS", "")).lower(),
            )
        )
    return sorted(found, key=_order)


def app_occurrences(
    app: Flask, slug: str, start: date, end: date, categories: Sequence[str] = ()
) -> list[Occurrence]:
    """The occurrences the app computes (the seam) that a subscriber should see: published
    events, cancelled occurrences left out (they are EXDATEs in the feed)."""
    with app.app_context():
        calendar = db.session.query(Calendar).filter_by(slug=slug).one()
        window = rules.Window(
            datetime.combine(start, datetime.min.time(), UTC),
            datetime.combine(end, datetime.min.time(), UTC),
        )
        listing = schedule.page(
            window, size=100_000, per_event=5000, calendar=calendar, categories=categories
        )
        assert not listing.truncated
        found = []
        for item in listing.items:
            occ, event = item.occurrence, item.event
            if occ.cancelled:
                continue
            found.append(
                (
                    event.uid,
                    None if occ.recurrence_id is None else _rid_text(occ.recurrence_id),
                    instant(occ.start),
                    instant(occ.end),
                    occ.title if occ.title is not None else event.title,
                    occ.location if occ.location is not None else event.location,
                    event.status,
                )
            )
    return sorted(found, key=_order)


def _rid_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat()


def _order(item: Occurrence) -> tuple[str, str]:
    return (str(item[2]), item[0])


def within(items: list[Occurrence], start: date, end: date) -> list[Occurrence]:
    """Those starting inside [start, end): trims both sides identically, away from the edges
    of the expanded windows where the two libraries' overlap rules might differ."""
    low = datetime.combine(start, datetime.min.time(), UTC)
    high = datetime.combine(end, datetime.min.time(), UTC)

    def starts(item: Occurrence) -> datetime:
        value = item[2]
        if isinstance(value, datetime):
            return value
        assert isinstance(value, date)
        return datetime.combine(value, datetime.min.time(), UTC)

    return [item for item in items if low <= starts(item) < high]


def api_occurrences(
    client: Any, slug: str, start: date, end: date, categories: Sequence[str] = ()
) -> list[Occurrence]:
    """What GET /api/v1/occurrences lists, a year per request (its windows are capped), less
    the cancelled occurrences of events that are not cancelled (the feed's EXDATEs)."""
    found: dict[tuple[str, str | None, object], Occurrence] = {}
    statuses: dict[str, str] = {}
    year = start
    while year < end:
        upto = min(date(year.year + 1, year.month, year.day), end)
        query = [("start", year.isoformat()), ("end", upto.isoformat()), ("calendar", slug)]
        query += [("category", category) for category in categories]
        response = client.get("/api/v1/occurrences", query_string=query)
        assert response.status_code == 200, response.json
        assert response.json["truncated"] is False
        for item in response.json["occurrences"]:
            uid = item["uid"]
            if uid not in statuses:
                statuses[uid] = client.get(f"/api/v1/events/{uid}").json["status"]
            if item["status"] == "cancelled" and statuses[uid] != "cancelled":
                continue
            occurrence = (
                uid,
                item["recurrence_id"],
                _api_moment(item["start"]),
                _api_moment(item["end"]),
                item["title"],
                item["location"],
                item["status"],
            )
            found[occurrence[:3]] = occurrence
        year = upto
    return sorted(found.values(), key=_order)


def _api_moment(text: str) -> date | datetime:
    if len(text) == 10:
        return date.fromisoformat(text)
    return instant(datetime.fromisoformat(text))


@pytest.fixture
def compare(app: Flask, client: Any) -> Callable[..., list[Occurrence]]:
    """``compare(slug, categories=(), years=(2026, 2031))``: GET the feed, expand it with
    recurring-ical-events, by the app (the seam) and by GET /api/v1/occurrences, assert all
    three agree, and return the occurrences."""

    def check(
        slug: str, categories: Sequence[str] = (), years: tuple[int, int] = (2026, 2031)
    ) -> list[Occurrence]:
        query = "&".join(f"category={c}" for c in categories)
        response = client.get(f"/calendars/{slug}.ics" + (f"?{query}" if query else ""))
        assert response.status_code == 200
        outer = (date(years[0] - 1, 12, 1), date(years[1], 2, 1))
        inner = (date(years[0], 1, 1), date(years[1], 1, 1))
        served = within(feed_occurrences(response.data, *outer), *inner)
        computed = within(app_occurrences(app, slug, *outer, categories=categories), *inner)
        assert served == computed
        listed = within(api_occurrences(client, slug, *outer, categories=categories), *inner)
        assert served == listed
        return served

    return check
