"""The lists of what is coming (the Atom feed, the embed, a calendar's and a series' next link)
find it behind any number of occurrences that ended earlier today or were called off: they
read from now, leave out whole cancelled events in the query, and look on past cancelled
dates a growing page at a time instead of giving up after a fixed first few."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.store import operations
from calendar_service.store.db import db
from tests.public.test_agenda import page, titles

MakeEvent = Callable[..., dict[str, Any]]

# 600 two-hour occurrences, one starting every minute from midnight: the last starts at 09:59.
CROWD = {
    "uid": "drop-in@x",
    "title": "Drop-in",
    "start": "2027-03-10T00:00:00",
    "end": "2027-03-10T02:00:00",
    "rrule": "FREQ=MINUTELY;COUNT=600",
}


def cancel_first(app: Flask, uid: str, count: int, total: int) -> list[str]:
    """Cancel the first ``count`` dates of a minutely series of ``total`` (as an import would,
    in one change) and return the recurrence ids of all its dates, in order."""
    with app.app_context():
        event = operations.find_event(uid)
        assert event is not None
        start, step = event.start_local, timedelta(minutes=1)
        ids = [(start + step * index).isoformat() for index in range(total)]
        operations.replace_overrides(
            event, {rid: {"status": "cancelled"} for rid in ids[:count]}, "test"
        )
        db.session.commit()
        return ids


# In London, 10 March 2027 is on GMT: local times are UTC.
@pytest.mark.now("2027-03-10T10:30:00+00:00", tick=False)
def test_the_atom_feed_lists_what_has_not_ended_behind_hundreds_that_have(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(**CROWD)
    make_event(uid="talk@x", title="Coming up", start="2027-03-10T17:00:00")
    response = client.get("/calendars/test.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0
    # Those starting from 08:31 are still on at 10:30 (89 of them), then the talk; the 511
    # that ended since midnight are not there, nor crowd it out.
    assert [entry.title for entry in parsed.entries] == ["Drop-in"] * 89 + ["Coming up"]
    assert parsed.entries[0].link == "http://localhost/events/drop-in@x?on=2027-03-10T08:31:00"
    assert parsed.entries[-1].link == "http://localhost/events/talk@x"


@pytest.mark.now("2027-03-10T15:00:00+00:00", tick=False)
def test_the_embed_lists_what_is_coming_behind_hundreds_that_ended_today(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(**CROWD)  # every one of them over by noon
    make_event(uid="talk@x", title="Coming up", start="2027-03-10T17:00:00")
    make_event(uid="walk@x", title="Walk", start="2027-03-11T10:00:00")
    text = page(client, "/embed?calendar=test")
    assert titles(text) == ["Coming up", "Walk"]
    assert "Drop-in" not in text


@pytest.mark.now("2027-03-10T10:30:00+00:00", tick=False)
def test_the_next_link_looks_past_thousands_of_dates_of_cancelled_events(
    client: FlaskClient, make_event: MakeEvent, sql_statements: list[str]
) -> None:
    # 2,500 dates of an event called off as a whole, every minute from 11:00 to 04:39 on the
    # 12th, then one that is on.
    make_event(
        uid="off@x",
        title="Called off",
        start="2027-03-10T11:00:00",
        end="2027-03-10T11:01:00",
        rrule="FREQ=MINUTELY;COUNT=2500",
        status="cancelled",
    )
    make_event(uid="on@x", title="Still on", start="2027-03-12T09:00:00")
    sql_statements.clear()
    response = client.get("/calendars/test/next")
    assert (response.status_code, response.headers.get("Location")) == (302, "/events/on@x")
    assert len(sql_statements) <= 15  # the cancelled event is never read


@pytest.mark.now("2027-03-10T10:30:00+00:00", tick=False)
def test_the_next_links_look_past_thousands_of_cancelled_dates(
    app: Flask, client: FlaskClient, make_event: MakeEvent, sql_statements: list[str]
) -> None:
    # Two-hour dates every minute from 11:00 (120 of them on at once), the first 2,500 called
    # off one by one: the first still on starts at 04:40 on the 12th.
    make_event(
        uid="dense@x",
        title="Drop-in",
        start="2027-03-10T11:00:00",
        end="2027-03-10T13:00:00",
        rrule="FREQ=MINUTELY;COUNT=3000",
    )
    ids = cancel_first(app, "dense@x", 2500, 3000)
    assert ids[2500] == "2027-03-12T04:40:00"
    sql_statements.clear()
    response = client.get("/calendars/test/next")
    assert (response.status_code, response.headers.get("Location")) == (
        302,
        f"/events/dense@x?on={ids[2500]}",
    )
    assert len(sql_statements) <= 40  # a few growing pages, not one per hundred dates
    response = client.get("/events/dense@x/next")
    assert (response.status_code, response.headers.get("Location")) == (
        302,
        f"/events/dense@x?on={ids[2500]}",
    )


@pytest.mark.now("2027-03-10T10:30:00+00:00", tick=False)
def test_a_series_next_link_looks_past_months_of_cancelled_dates(
    app: Flask, client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="daily@x",
        title="Stand-up",
        start="2027-03-11T09:00:00",
        end="2027-03-11T09:15:00",
        rrule="FREQ=DAILY;COUNT=200",
    )
    with app.app_context():
        event = operations.find_event("daily@x")
        assert event is not None
        days = [(datetime(2027, 3, 11, 9) + timedelta(days=n)).isoformat() for n in range(120)]
        operations.replace_overrides(event, {rid: {"status": "cancelled"} for rid in days}, "test")
        db.session.commit()
    response = client.get("/events/daily@x/next")
    assert (response.status_code, response.headers.get("Location")) == (
        302,
        "/events/daily@x?on=2027-07-09T09:00:00",
    )  # the 121st, after 120 called off
    assert client.get("/calendars/test/next").headers.get("Location") == (
        "/events/daily@x?on=2027-07-09T09:00:00"
    )


@pytest.mark.now("2027-03-10T10:30:00+00:00", tick=False)
def test_a_series_whose_every_coming_date_is_cancelled_has_no_next(
    app: Flask, client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="dense@x",
        title="Drop-in",
        start="2027-03-10T11:00:00",
        end="2027-03-10T13:00:00",
        rrule="FREQ=MINUTELY;COUNT=900",
    )
    cancel_first(app, "dense@x", 900, 900)
    assert client.get("/events/dense@x/next").status_code == 404
    assert client.get("/calendars/test/next").status_code == 404
