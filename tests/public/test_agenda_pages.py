"""A day that holds more occurrences than an agenda page is cut inside the day and continued
with ``after`` (a security review found a day of 95,000 one-off events rendered whole: 26 s and
29 MB).  Every occurrence is listed exactly once across the pages, in order, by plain links."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

import rules
from calendar_service.clock import utcnow
from calendar_service.services import schedule
from calendar_service.store import occurrences, operations
from calendar_service.store.db import db
from calendar_service.store.models import Event
from calendar_service.store.moments import format_moment

DAY = "2027-03-10"
ONE_OFFS = 1000


def busy_day(app: Flask, make_calendar: Callable[..., dict[str, Any]]) -> None:
    """1,000 one-off talks on 10 March (five start times, fourteen titles differing in case,
    so many share both; a database collation that ignores case would order them otherwise),
    an hourly series through that day, a conference in progress since the day before, and one
    talk the day after."""
    make_calendar(slug="test")
    with app.app_context():
        for index in range(ONE_OFFS):
            operations.create_event(
                {
                    "calendar": "test",
                    "uid": f"talk-{index:04d}@x",
                    "title": f"{'talk' if index % 3 else 'Talk'} {index % 7}",
                    "start": f"{DAY}T{9 + index % 5:02d}:30:00",
                },
                "test",
            )
        operations.create_event(
            {
                "calendar": "test",
                "uid": "hourly@x",
                "title": "Hourly",
                "start": f"{DAY}T00:30:00",
                "rrule": "FREQ=HOURLY;COUNT=24",
            },
            "test",
        )
        operations.create_event(
            {
                "calendar": "test",
                "uid": "conference@x",
                "title": "Conference",
                "start": "2027-03-09T10:00:00",
                "end": "2027-03-11T10:00:00",
            },
            "test",
        )
        operations.create_event(
            {
                "calendar": "test",
                "uid": "after@x",
                "title": "Next day",
                "start": "2027-03-11T12:00:00",
            },
            "test",
        )
        db.session.commit()


def listed(text: str) -> list[tuple[str, str | None]]:
    """(uid, recurrence id or None) of each occurrence on an agenda page, in page order."""
    found = []
    for href in re.findall(r'class="occurrence-title"><a href="([^"]*)">', text):
        parts = urlsplit(html.unescape(href))
        on = parse_qs(parts.query).get("on")
        found.append((unquote(parts.path.removeprefix("/events/")), on[0] if on else None))
    return found


def continue_link(text: str) -> str | None:
    found = re.search(r'<a href="([^"]*)">Continue (?:with the rest of|from) ', text)
    return html.unescape(found.group(1)) if found else None


def test_a_day_of_1000_one_offs_is_listed_over_pages_each_occurrence_once(
    app: Flask,
    client: FlaskClient,
    make_calendar: Callable[..., dict[str, Any]],
    occurrences_between: Callable[..., list[Any]],
) -> None:
    busy_day(app, make_calendar)
    expected = occurrences_between(
        "2027-03-10T00:00:00",
        "2027-03-12T00:00:00",
        lambda item: (
            item.event.uid,
            None
            if item.occurrence.recurrence_id is None
            else format_moment(item.occurrence.recurrence_id),
        ),
        limit=2000,
    )
    assert len(expected) == ONE_OFFS + 24 + 2
    url: str | None = f"/?from={DAY}&days=2"
    pages: list[list[tuple[str, str | None]]] = []
    texts: list[str] = []
    while url is not None and len(pages) < 10:
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(response.text)
        pages.append(listed(response.text))
        url = continue_link(response.text)
    assert [len(items) for items in pages] == [300, 300, 300, 126]
    everything = [item for items in pages for item in items]
    assert everything == expected  # all of them, once each, in the agenda's order
    # Pages 2-4 continue inside the day, by a link with ``after``, and say so.
    assert "Wednesday 10 March 2027 holds more occurrences than one page lists" in texts[0]
    second = continue_link(texts[0])
    assert second is not None and "from=2027-03-10" in second and "after=" in second
    assert "Continued from the previous page" in texts[1]
    assert 'href="/?from=2027-03-10&amp;days=2">the page that starts that day' in texts[1]
    assert "Continue" not in texts[3].split("Continued from the previous page")[1]
    # The pager's "Later" link is the same continuation.
    assert re.search(r'rel="next" href="([^"]*)"', texts[0]).group(1) == html.escape(second)


def test_a_page_reads_at_most_a_page_of_one_off_events(
    app: Flask,
    make_calendar: Callable[..., dict[str, Any]],
    sql_statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy_day(app, make_calendar)
    read: list[int] = []
    sources = occurrences._sources  # noqa: SLF001 - where the page's rows become series
    monkeypatch.setattr(
        occurrences,
        "_sources",
        lambda rows, caches: read.append(len(rows)) or sources(rows, caches),
    )
    with app.app_context():
        window = rules.Window(datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 3, 11, tzinfo=UTC))
        sql_statements.clear()
        page = schedule.page(window, size=10)
        # Eleven one-offs (a page and the one that shows there are more) and the series.
        assert read == [12]
        loaded = [item for item in db.session.identity_map.values() if isinstance(item, Event)]
        # The ten first one-offs, the series and the conference: never the thousand.
        assert len(loaded) <= 12, len(loaded)
        # In a few queries (five: the series, a page of one-offs, their rows, calendars and
        # categories), not one or more per event of the day.
        assert len(sql_statements) <= 6, sql_statements
        assert [item.event.uid for item in page.items] == [
            "conference@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
            "hourly@x",
        ]
        assert not page.complete
        nine = schedule.page(
            window,
            size=3,
            after=(datetime(2027, 3, 10, 9, 30, tzinfo=UTC), "Talk 0", "talk-0000@x", ""),
        )
        assert [(item.event.title, item.event.uid) for item in nine.items] == [
            ("Talk 0", "talk-0105@x"),
            ("Talk 0", "talk-0210@x"),
            ("Talk 0", "talk-0315@x"),
        ]


def test_a_damaged_after_link_shows_the_day_from_its_start(
    app: Flask, client: FlaskClient, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    make_calendar(slug="test")
    with app.app_context():
        operations.create_event(
            {"calendar": "test", "uid": "one@x", "title": "One", "start": f"{DAY}T10:00:00"}, "test"
        )
        db.session.commit()
    for value in (
        "nonsense",
        "20271310T000000Z,,one@x",
        "20270310T100000Z,x,one@x",
        "20270310T100000Z,,bad uid",
    ):
        response = client.get(f"/?from={DAY}&after={value}")
        assert response.status_code == 400, value
        assert "This link to the rest of a day is damaged" in response.text
        assert listed(response.text) == [("one@x", None)]
    # A well-formed position past the day's last occurrence lists nothing after it.
    later = client.get(f"/?from={DAY}&days=1&after=20270310T100000Z,,one@x")
    assert later.status_code == 200 and listed(later.text) == []


def test_the_month_grid_places_at_most_1000_and_links_crowded_days_to_the_agenda(
    app: Flask, client: FlaskClient, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    busy_day(app, make_calendar)
    response = client.get("/calendars/test/2027/3")
    assert response.status_code == 200
    text = response.text
    assert (
        "This month holds more occurrences than one grid shows: it places the first 1,000, "
        "up to Wednesday 10 March 2027."
    ) in text
    assert 'href="/?calendar=test&amp;from=2027-03-10">The agenda lists the rest' in text
    cell = text[text.index('datetime="2027-03-10"') : text.index('datetime="2027-03-11"')]
    assert cell.count("<li") == 31  # 30 occurrences and the link to the rest of the day
    # The conference and the hourly series from 00:30 come first; 970 of the 1,000 placed remain.
    assert re.search(
        r'<a href="/\?calendar=test&amp;from=2027-03-10&amp;days=1">970\+ more', cell
    ), cell[-600:]
    assert len(text) < 100_000


def test_the_next_link_looks_past_a_crowd_of_cancelled_occurrences(
    app: Flask, client: FlaskClient, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    make_calendar(slug="test")
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    with app.app_context():
        for index in range(250):
            operations.create_event(
                {
                    "calendar": "test",
                    "uid": f"off-{index:03d}@x",
                    "title": "Called off",
                    "status": "cancelled",
                    "start": f"{day}T10:00:00",
                },
                "test",
            )
        operations.create_event(
            {"calendar": "test", "uid": "on@x", "title": "Still on", "start": f"{day}T10:00:00"},
            "test",
        )
        operations.create_event(
            {"calendar": "test", "uid": "later@x", "title": "Later", "start": f"{day}T11:00:00"},
            "test",
        )
        db.session.commit()
    response = client.get("/calendars/test/next")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/on@x"
