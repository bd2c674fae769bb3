"""The differential oracle: what a client expands from the served feed (recurring-ical-events)
equals what the app computes (``services.schedule.page``), exception for exception."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.store.models import Calendar

SEMINAR = "tps-seminar@turing-roche.calendar"
COWORKING = "turing-way-coworking@turing-roche.calendar"
AI_UK = "ai-uk@turing-roche.calendar"
BOOK_DASH = "turing-way-book-dash@turing-roche.calendar"

# The oracle compares every occurrence from 2026 to 2030, but the feed leaves out one-off events
# that ended more than about six months before now: the clock stands just before the first of
# them (the seed's and these tests' data begin in January 2026), so the feed holds them all.
pytestmark = pytest.mark.now("2025-12-01T12:00:00+00:00")


def test_the_seed_feed_expands_to_the_apps_occurrences_over_five_years(
    seeded: Flask, compare: Callable[..., list[Any]]
) -> None:
    served = compare("turing-roche")
    by_uid: dict[str, int] = {}
    for item in served:
        by_uid[item[0]] = by_uid.get(item[0], 0) + 1
    # Real counts over 2026–2030: last Wednesdays, Tuesdays, two-day conferences each March.
    assert by_uid[SEMINAR] == 60
    assert by_uid[AI_UK] == 5
    assert by_uid[BOOK_DASH] == 10
    assert by_uid[COWORKING] == 261  # Tuesdays from 2026-01-06 to 2030-12-31
    seminar_2026_03 = next(i for i in served if i[0] == SEMINAR and i[1] == "2026-03-25T14:00:00")
    assert seminar_2026_03[2] == datetime(2026, 3, 25, 14, 0, tzinfo=UTC)  # GMT
    seminar_2026_04 = next(i for i in served if i[0] == SEMINAR and i[1] == "2026-04-29T14:00:00")
    assert seminar_2026_04[2] == datetime(2026, 4, 29, 13, 0, tzinfo=UTC)  # BST
    ai_uk_2027 = next(i for i in served if i[0] == AI_UK and i[1] == "2027-03-16")
    assert ai_uk_2027[2:4] == (date(2027, 3, 16), date(2027, 3, 18))


def test_every_category_feed_of_the_seed_agrees_with_the_app(
    seeded: Flask, compare: Callable[..., list[Any]]
) -> None:
    with seeded.app_context():
        from calendar_service.store.db import db

        calendar = db.session.query(Calendar).filter_by(slug="turing-roche").one()
        slugs = [category.slug for category in calendar.categories]
    assert len(slugs) == 7
    for slug in slugs:
        compare("turing-roche", [slug])
    served = compare("turing-roche", ["tps", "ai-uk"])
    assert {item[0] for item in served} == {SEMINAR, AI_UK, "tps-newsletter@turing-roche.calendar"}


def test_moved_retitled_cancelled_and_excluded_occurrences_agree(
    seeded: Flask,
    compare: Callable[..., list[Any]],
    override: Callable[..., None],
    change: Callable[..., dict[str, Any]],
) -> None:
    # Moved across a clock change: March's seminar (GMT) to a BST date and a new hour.
    override(SEMINAR, "2026-03-25T14:00:00", start="2026-04-01T10:00:00", end="2026-04-01T11:30:00")
    override(
        SEMINAR,
        "2026-05-27T14:00:00",
        title="TPS seminar: special edition",
        location="Room 1; Floor 2, Enigma",
    )
    override(SEMINAR, "2026-06-24T14:00:00", status="cancelled")
    override(COWORKING, "2026-12-22T15:00:00", status="cancelled")
    override(COWORKING, "2026-12-29T15:00:00", status="cancelled")
    override(AI_UK, "2028-03-21", start="2028-03-28", end="2028-03-31")
    override(BOOK_DASH, "2026-11-09", status="cancelled")
    change(COWORKING, exdates=["2027-01-05T15:00:00", "2027-04-06T15:00:00"])

    served = compare("turing-roche")
    seminars = {i[1]: i for i in served if i[0] == SEMINAR}
    assert seminars["2026-03-25T14:00:00"][2:4] == (
        datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 4, 1, 10, 30, tzinfo=UTC),
    )
    assert seminars["2026-05-27T14:00:00"][4:6] == (
        "TPS seminar: special edition",
        "Room 1; Floor 2, Enigma",
    )
    assert "2026-06-24T14:00:00" not in seminars
    coworking = {i[1] for i in served if i[0] == COWORKING}
    for gone in (
        "2026-12-22T15:00:00",
        "2026-12-29T15:00:00",
        "2027-01-05T15:00:00",
        "2027-04-06T15:00:00",
    ):
        assert gone not in coworking
    assert "2027-01-12T15:00:00" in coworking
    ai_uk = {i[1]: i for i in served if i[0] == AI_UK}
    assert ai_uk["2028-03-21"][2:4] == (date(2028, 3, 28), date(2028, 3, 31))
    assert "2026-11-09" not in {i[1] for i in served if i[0] == BOOK_DASH}


def test_series_in_other_zones_and_one_offs_agree(
    app: Flask,
    make_event: Callable[..., dict[str, Any]],
    compare: Callable[..., list[Any]],
    override: Callable[..., None],
) -> None:
    make_event(
        uid="ny@test",
        title="New York stand-up",
        timezone="America/New_York",
        start="2026-03-02T09:00:00",
        end="2026-03-02T09:15:00",
        rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231T235959Z",
    )
    make_event(
        uid="syd@test",
        title="Sydney sync",
        timezone="Australia/Sydney",
        start="2026-01-05T18:30:00",
        end="2026-01-05T19:30:00",
        rrule="FREQ=MONTHLY;BYDAY=1MO;COUNT=30",
        rdates=["2026-07-15T18:30:00"],
    )
    make_event(
        uid="kol@test",
        title="Kolkata review",
        timezone="Asia/Kolkata",
        start="2026-02-10T16:00:00",
        end="2026-02-10T17:00:00",
        rrule="FREQ=YEARLY;INTERVAL=2",
    )
    make_event(
        uid="utc@test",
        title="UTC call",
        timezone="UTC",
        start="2026-01-01T12:00:00",
        rrule="FREQ=MONTHLY;BYMONTHDAY=1,15",
    )
    make_event(
        uid="once@test",
        title="One-off talk",
        start="2026-10-25T01:30:00",
        end="2026-10-25T02:30:00",
    )
    make_event(
        uid="days@test",
        title="Retreat",
        all_day=True,
        start="2026-07-30",
        end="2026-08-02",
        rrule="FREQ=YEARLY;UNTIL=20290730",
    )
    make_event(uid="off@test", title="Called off", start="2026-05-05T10:00:00", status="cancelled")
    override("ny@test", "2026-11-02T09:00:00", start="2026-11-02T10:00:00")
    override("syd@test", "2026-07-15T18:30:00", status="cancelled")
    override(
        "syd@test", "2026-04-06T18:30:00", title="Sydney sync (moved)", start="2026-04-05T18:30:00"
    )
    override("utc@test", "2026-02-15T12:00:00", status="cancelled")
    served = compare("test")
    uids = {item[0] for item in served}
    assert uids == {
        "ny@test",
        "syd@test",
        "kol@test",
        "utc@test",
        "once@test",
        "days@test",
        "off@test",
    }
    assert len([i for i in served if i[0] == "ny@test"]) == 288  # Mon/Wed/Fri to 2027-12-31
    assert [i[6] for i in served if i[0] == "off@test"] == ["cancelled"]
    assert [i[2] for i in served if i[0] == "kol@test"] == [
        datetime(2026, 2, 10, 10, 30, tzinfo=UTC),
        datetime(2028, 2, 10, 10, 30, tzinfo=UTC),
        datetime(2030, 2, 10, 10, 30, tzinfo=UTC),
    ]


def test_drafts_never_reach_the_feed_or_the_oracle(
    app: Flask,
    make_event: Callable[..., dict[str, Any]],
    compare: Callable[..., list[Any]],
    client: FlaskClient,
) -> None:
    make_event(uid="draft@test", title="Secret plan", published=False, rrule="FREQ=WEEKLY")
    make_event(uid="public@test", title="Open day")
    served = compare("test")
    assert {item[0] for item in served} == {"public@test"}
    body = client.get("/calendars/test.ics").data
    assert b"draft@test" not in body and b"Secret plan" not in body
