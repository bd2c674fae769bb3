"""The read paths' caches of series and expansions: never stale, bounded, and loading what a
missing series needs in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

import rules
from calendar_service.app_caches import Caches, app_caches, init_app
from calendar_service.services import schedule
from calendar_service.store import occurrences
from calendar_service.store.db import db

Make = Callable[..., dict[str, Any]]
Override = Callable[..., None]
DECEMBER = rules.Window(datetime(2027, 12, 1, tzinfo=UTC), datetime(2027, 12, 29, tzinfo=UTC))


@pytest.fixture
def cold_caches(app: Flask) -> None:
    """Empty caches, as in a worker that has served nothing yet."""
    app_caches(app).clear()


def december(app: Flask) -> list[tuple[str, str, str | None, bool]]:
    """(uid, start in UTC, title override, cancelled) of each December occurrence, fresh session."""
    with app.app_context():
        listing = schedule.page(DECEMBER, size=100_000, per_event=1000)
        return [
            (
                item.event.uid,
                item.occurrence.start_utc.isoformat(),
                item.occurrence.title,
                item.occurrence.cancelled,
            )
            for item in listing.items
        ]


def weekly_with_exceptions(make_event: Make, override: Override, count: int) -> None:
    """``count`` weekly series on Wednesdays at 14:00 London (UTC in December), each with an
    EXDATE on 8 December and the 15 December occurrence retitled."""
    for index in range(count):
        make_event(
            uid=f"s{index}@test",
            title=f"Series {index}",
            start="2027-12-01T14:00:00",
            rrule="FREQ=WEEKLY",
            exdates=["2027-12-08T14:00:00"],
        )
        override(f"s{index}@test", "2027-12-15T14:00:00", title=f"Special {index}")


@pytest.mark.usefixtures("cold_caches")
def test_missing_series_are_loaded_in_a_fixed_number_of_queries(
    app: Flask, make_event: Make, override: Override, sql_statements: list[str]
) -> None:
    weekly_with_exceptions(make_event, override, 6)
    sql_statements.clear()
    found = december(app)
    cold = len(sql_statements)
    assert [row for row in found if row[0] == "s0@test"] == [
        ("s0@test", "2027-12-01T14:00:00+00:00", None, False),
        ("s0@test", "2027-12-15T14:00:00+00:00", "Special 0", False),  # 8 December: EXDATE
        ("s0@test", "2027-12-22T14:00:00+00:00", None, False),
    ]
    assert len(found) == 18
    assert cold <= 6, sql_statements  # not one or two per event
    sql_statements.clear()
    assert december(app) == found
    # cached series: exceptions and overrides are not loaded again
    assert len(sql_statements) < cold


@pytest.mark.usefixtures("cold_caches")
def test_a_change_is_listed_at_once_whatever_was_cached(
    app: Flask, make_event: Make, override: Override, change: Make
) -> None:
    weekly_with_exceptions(make_event, override, 1)
    before = december(app)
    assert [row[1] for row in before] == [
        "2027-12-01T14:00:00+00:00",
        "2027-12-15T14:00:00+00:00",
        "2027-12-22T14:00:00+00:00",
    ]
    override("s0@test", "2027-12-22T14:00:00", status="cancelled")
    assert december(app)[2] == ("s0@test", "2027-12-22T14:00:00+00:00", None, True)
    change(
        "s0@test",
        start="2027-12-02T10:00:00",
        end="2027-12-02T11:00:00",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    # The EXDATE and the retitled occurrence moved with the start (to 9 and 16 December).
    assert december(app) == [
        ("s0@test", "2027-12-02T10:00:00+00:00", None, False),
        ("s0@test", "2027-12-16T10:00:00+00:00", "Special 0", False),
    ]


def test_the_expansion_cache_holds_a_bounded_number_of_occurrences(
    app: Flask, make_event: Make, override: Override
) -> None:
    weekly_with_exceptions(make_event, override, 3)
    caches = init_app(app, Caches.new(expansion_occurrences=7))
    expansion = occurrences.expansion
    with app.app_context():
        events = occurrences.window_query(DECEMBER).order_by(None)
        rows = db.session.scalars(events.order_by(occurrences.Event.uid)).all()
        first = expansion(rows[0], DECEMBER, 1000, caches)
        assert [o.start_utc.day for o in first.occurrences] == [1, 15, 22]
        assert expansion(rows[0], DECEMBER, 1000, caches) is first  # a hit
        expansion(rows[1], DECEMBER, 1000, caches)
        assert caches.expansions.weight == 6
        expansion(rows[2], DECEMBER, 1000, caches)  # 9 held > 7: the oldest goes
        assert (len(caches.expansions), caches.expansions.weight) == (2, 6)
        assert expansion(rows[0], DECEMBER, 1000, caches) is not first
        assert expansion(rows[0], DECEMBER, 1000, caches).occurrences == first.occurrences
        limited = expansion(rows[0], DECEMBER, 2, caches)  # the limit is part of the key
        assert (len(limited.occurrences), limited.truncated) == (2, True)


def test_listed_events_bring_their_categories_and_calendar_in_fixed_queries(
    app: Flask, make_event: Make, sql_statements: list[str]
) -> None:
    for index in range(30):
        make_event(
            uid=f"c{index}@test",
            title=f"Talk {index}",
            start="2027-12-02T10:00:00",
            rrule="FREQ=WEEKLY",
            categories=["talks", f"room-{index % 3}"][: 1 + index % 2],
        )
    make_event(uid="bare@test", title="Bare", start="2027-12-03T10:00:00")
    sql_statements.clear()
    with app.app_context():
        page = schedule.page(DECEMBER, size=1000)
        shown = {
            (item.event.uid, tuple(item.event.category_slugs), item.event.calendar.slug)
            for item in page.items
        }
        # A fixed number, whatever the number of events: categories in one, calendars in one.
        assert len(sql_statements) <= 7, [query[:60] for query in sql_statements]
        assert sum("event_categories" in query for query in sql_statements) == 1
    assert ("c1@test", ("room-1", "talks"), "test") in shown
    assert ("c2@test", ("talks",), "test") in shown
    assert ("bare@test", (), "test") in shown
    assert len(shown) == 31
