"""What the feed says: RFC 5545 text, escaping, time zones, exceptions and versioning."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar as ICalendar

from calendar_service.store import operations
from calendar_service.store.db import db

if TYPE_CHECKING:
    from tests.conftest import Clock

Make = Callable[..., dict[str, Any]]

# The feed leaves out one-off events that ended more than about six months ago, so a test whose
# one-offs are fixed dates in 2027 (make_event's default start is 2027-01-27) runs with the
# clock before them: on a later day they would be missing and the test would check nothing.
BEFORE_THE_DATA = pytest.mark.now("2026-12-01T12:00:00+00:00")


def lines(body: bytes) -> list[str]:
    """Unfolded content lines."""
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def vevents(body: bytes, uid: str | None = None) -> list[Any]:
    found = ICalendar.from_ical(body).walk("VEVENT")
    return [e for e in found if uid is None or str(e["UID"]) == uid]


@BEFORE_THE_DATA
def test_calendar_properties_of_a_feed(
    client: FlaskClient, make_calendar: Make, make_event: Make
) -> None:
    make_calendar(
        slug="test",
        name="Seminars, talks; and more",
        timezone="America/New_York",
        description="Line one\nLine two, with a comma",
    )
    make_event(title="Talk")
    body = client.get("/calendars/test.ics").data
    assert body.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calendar-service//")
    assert body.endswith(b"END:VCALENDAR\r\n")
    content = lines(body)
    for expected in (
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Seminars\\, talks\\; and more",
        "X-WR-CALNAME:Seminars\\, talks\\; and more",
        "DESCRIPTION:Line one\\nLine two\\, with a comma",
        "X-WR-TIMEZONE:America/New_York",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "SOURCE;VALUE=URI:https://events.example.org/calendars/test.ics",
    ):
        assert expected in content
    assert "X-WR-CALDESC:Line one\\nLine two\\, with a comma" in content
    for absent in ("VALARM", "ATTENDEE", "ORGANIZER", "METHOD:REQUEST"):
        assert absent not in body.decode()


def test_a_single_event_download_names_no_calendar(client: FlaskClient, make_event: Make) -> None:
    make_event(uid="one@test", title="Talk")
    body = client.get("/events/one@test.ics").data
    content = lines(body)
    assert "METHOD:PUBLISH" in content
    for absent in ("NAME:", "X-WR-CALNAME", "X-WR-CALDESC", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert not any(line.startswith(absent) for line in content)
    assert [str(e["SUMMARY"]) for e in vevents(body)] == ["Talk"]


@BEFORE_THE_DATA
def test_lines_end_in_crlf_and_fold_at_75_octets_on_character_boundaries(
    client: FlaskClient, make_event: Make
) -> None:
    make_event(
        title="日本語のタイトル " * 12 + "😀" * 30,
        description="Ελληνικά και العربية 🎉 " * 20,
        location="Zürich " * 30,
    )
    body = client.get("/calendars/test.ics").data
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert b"\r" not in body.replace(b"\r\n", b"")
    physical = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert sum(1 for line in physical if line.startswith(b" ")) >= 20  # the text folds 20 times
    for line in physical:
        line.decode("utf-8")  # a fold never splits a multi-byte character
    (event,) = vevents(body)
    assert str(event["SUMMARY"]) == ("日本語のタイトル " * 12 + "😀" * 30).strip()
    assert str(event["LOCATION"]) == " ".join(["Zürich"] * 30)


@BEFORE_THE_DATA
def test_organiser_text_is_escaped_and_cannot_inject_components(
    client: FlaskClient, make_event: Make
) -> None:
    title = "Talk, part 1; intro \\ END:VEVENT BEGIN:VEVENT 😀 Ελληνικά 日本語"
    description = (
        "First line, with commas; and semicolons\n"
        "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:Injected\r\n"
        "<b>not html</b> 🎉"
    )
    location = "Room 1; Building 2, \\Campus"
    make_event(
        uid="esc@test",
        title=title,
        description=description,
        location=location,
        url="https://example.org/talk?a=1&b=2",
    )
    for path in ("/calendars/test.ics", "/events/esc@test.ics"):
        body = client.get(path).data
        physical = body.split(b"\r\n")
        assert physical.count(b"BEGIN:VEVENT") == 1 and physical.count(b"END:VEVENT") == 1
        assert not any(line.startswith((b"UID:evil", b"SUMMARY:Injected")) for line in physical)
        (event,) = vevents(body)
        assert str(event["UID"]) == "esc@test"
        assert str(event["SUMMARY"]) == title
        assert str(event["LOCATION"]) == location
        assert str(event["DESCRIPTION"]).startswith(description.replace("\r\n", "\n"))
        content = lines(body)
        assert (
            "SUMMARY:Talk\\, part 1\\; intro \\\\ END:VEVENT BEGIN:VEVENT 😀 Ελληνικά 日本語"
            in content
        )


@BEFORE_THE_DATA
def test_description_is_plain_text_with_the_event_links(
    client: FlaskClient, make_event: Make
) -> None:
    make_event(
        uid="link@test", title="Talk", description="About the talk.", url="https://example.org/talk"
    )
    make_event(uid="bare@test", title="No link")
    body = client.get("/calendars/test.ics").data
    (talk,) = vevents(body, "link@test")
    assert str(talk["DESCRIPTION"]) == (
        "About the talk.\n\nMore information: https://example.org/talk\n"
        "In the calendar: https://events.example.org/events/link@test"
    )
    assert str(talk["URL"]) == "https://example.org/talk"
    (bare,) = vevents(body, "bare@test")
    assert (
        str(bare["DESCRIPTION"]) == "In the calendar: https://events.example.org/events/bare@test"
    )
    assert str(bare["URL"]) == "https://events.example.org/events/bare@test"


@BEFORE_THE_DATA
def test_all_day_events_use_dates_with_an_exclusive_end(
    client: FlaskClient, make_event: Make
) -> None:
    make_event(uid="day@test", title="Deadline", all_day=True, start="2027-03-03")
    make_event(
        uid="week@test",
        title="Sprint",
        all_day=True,
        start="2027-05-10",
        end="2027-05-15",
        rrule="FREQ=YEARLY;UNTIL=20300510",
        exdates=["2028-05-10"],
    )
    body = client.get("/calendars/test.ics").data
    content = lines(body)
    for expected in (
        "DTSTART;VALUE=DATE:20270303",
        "DTEND;VALUE=DATE:20270304",
        "DTSTART;VALUE=DATE:20270510",
        "DTEND;VALUE=DATE:20270515",
        "RRULE:FREQ=YEARLY;UNTIL=20300510",
        "EXDATE;VALUE=DATE:20280510",
    ):
        assert expected in content
    assert b"BEGIN:VTIMEZONE" not in body  # dates carry no zone
    assert "TRANSP:TRANSPARENT" in content


def test_until_is_utc_for_a_timed_series_whatever_form_it_was_given_in(
    client: FlaskClient, make_event: Make
) -> None:
    make_event(
        uid="local-until@test",
        start="2027-01-06T18:00:00",
        end="2027-01-06T19:00:00",
        rrule="FREQ=WEEKLY;UNTIL=20270630T180000",
    )
    body = client.get("/calendars/test.ics").data
    content = lines(body)
    event = content[content.index("BEGIN:VEVENT") :]
    rrule = next(line for line in event if line.startswith("RRULE:"))
    # 18:00 BST on 30 June 2027 is 17:00 UTC.
    assert rrule == "RRULE:FREQ=WEEKLY;UNTIL=20270630T170000Z"
    assert "DTSTART;TZID=Europe/London:20270106T180000" in lines(body)


def test_exceptions_take_the_exact_form_of_dtstart(
    app: Flask, client: FlaskClient, make_event: Make, override: Callable[..., None]
) -> None:
    make_event(
        uid="ldn@test",
        start="2027-01-27T14:00:00",
        end="2027-01-27T15:00:00",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        exdates=["2027-12-29T14:00:00"],
    )
    make_event(uid="utc@test", timezone="Etc/UTC", start="2027-01-01T12:00:00", rrule="FREQ=WEEKLY")
    make_event(uid="days@test", all_day=True, start="2027-01-04", rrule="FREQ=WEEKLY")
    override("ldn@test", "2027-03-31T14:00:00", status="cancelled")
    override("ldn@test", "2027-04-28T14:00:00", start="2027-04-29T10:00:00")
    override("utc@test", "2027-01-08T12:00:00", status="cancelled")
    override("utc@test", "2027-01-15T12:00:00", title="Special")
    override("days@test", "2027-01-11", status="cancelled")
    override("days@test", "2027-01-18", start="2027-01-19")
    content = lines(client.get("/calendars/test.ics").data)
    for expected in (
        "DTSTART;TZID=Europe/London:20270127T140000",
        "EXDATE;TZID=Europe/London:20270331T140000",
        "EXDATE;TZID=Europe/London:20271229T140000",
        "RECURRENCE-ID;TZID=Europe/London:20270428T140000",
        "DTSTART;TZID=Europe/London:20270429T100000",
        "DTSTART:20270101T120000Z",
        "EXDATE:20270108T120000Z",
        "RECURRENCE-ID:20270115T120000Z",
        "DTSTART;VALUE=DATE:20270104",
        "EXDATE;VALUE=DATE:20270111",
        "RECURRENCE-ID;VALUE=DATE:20270118",
        "DTSTART;VALUE=DATE:20270119",
    ):
        assert expected in content
    # A cancelled occurrence is an EXDATE only, never a STATUS:CANCELLED override as well.
    assert not any(
        line.startswith("RECURRENCE-ID")
        and ("20270331" in line or "20270108" in line or "20270111" in line)
        for line in content
    )
    assert content.count("STATUS:CANCELLED") == 0
    # Google rejects TZID=Etc/UTC: UTC series are written in UTC and get no VTIMEZONE.
    assert not any("Etc/UTC" in line for line in content)
    # Readers of Google's X-WR-TIMEZONE convention would move a UTC series into London time.
    assert not any(line.startswith("X-WR-TIMEZONE") for line in content)


@BEFORE_THE_DATA
def test_every_tzid_used_has_exactly_one_vtimezone(client: FlaskClient, make_event: Make) -> None:
    for number, tzid in enumerate(
        (
            "Europe/London",
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
            "America/New_York",
        )
    ):
        make_event(
            uid=f"tz{number}@test",
            timezone=tzid,
            start="2027-02-01T09:00:00",
            rrule="FREQ=DAILY;COUNT=3",
        )
    make_event(uid="day@test", all_day=True, start="2027-02-01")
    body = client.get("/calendars/test.ics").data
    calendar = ICalendar.from_ical(body)
    defined = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    used = set(re.findall(r";TZID=([^:;]+)", body.decode()))
    assert (
        sorted(defined)
        == sorted(used)
        == ["America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/London"]
    )
    single = client.get("/events/tz2@test.ics").data
    assert [str(tz["TZID"]) for tz in ICalendar.from_ical(single).walk("VTIMEZONE")] == [
        "Australia/Sydney"
    ]


def test_a_change_reaches_the_feed_with_a_higher_sequence_and_a_new_etag(
    client: FlaskClient,
    make_event: Make,
    change: Callable[..., dict[str, Any]],
    override: Callable[..., None],
) -> None:
    make_event(
        uid="s@test", title="Seminar", start="2027-01-27T14:00:00", rrule="FREQ=MONTHLY;BYDAY=-1WE"
    )
    first = client.get("/calendars/test.ics")
    (before,) = vevents(first.data)
    change("s@test", start="2027-01-27T15:00:00", location="Room 2")
    second = client.get("/calendars/test.ics")
    (after,) = vevents(second.data)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")
    assert after.decoded("LAST-MODIFIED") == after.decoded("DTSTAMP")
    assert after.decoded("DTSTART") == datetime(
        2027, 1, 27, 15, 0, tzinfo=after.decoded("DTSTART").tzinfo
    )
    assert str(after["LOCATION"]) == "Room 2"

    override("s@test", "2027-02-24T15:00:00", title="Special seminar")
    third = client.get("/calendars/test.ics")
    master, moved = vevents(third.data)
    sequence = master["SEQUENCE"]
    assert third.headers["ETag"] != second.headers["ETag"]
    assert master["SEQUENCE"] > after["SEQUENCE"]
    assert moved["SEQUENCE"] == master["SEQUENCE"]
    assert str(moved["UID"]) == "s@test" and "RRULE" not in moved
    assert str(moved["SUMMARY"]) == "Special seminar"

    change("s@test", status="cancelled")
    fourth = client.get("/calendars/test.ics")
    master, moved = vevents(fourth.data)
    assert str(master["STATUS"]) == str(moved["STATUS"]) == "CANCELLED"
    assert master["SEQUENCE"] > sequence


@BEFORE_THE_DATA
def test_dtstamp_and_created_come_from_the_row_not_the_clock(
    app: Flask, client: FlaskClient, make_event: Make
) -> None:
    make_event(uid="t@test", start="2027-01-27T14:00:00")
    stamp = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    with app.app_context():
        event = operations.find_event("t@test")
        assert event is not None
        event.created = stamp - timedelta(days=1)
        event.updated = stamp
        event.calendar.touch()
        db.session.commit()
    content = lines(client.get("/calendars/test.ics").data)
    assert "DTSTAMP:20260504T030201Z" in content
    assert "LAST-MODIFIED:20260504T030201Z" in content
    assert "CREATED:20260503T030201Z" in content
    assert "SEQUENCE:0" in content


def test_the_same_data_gives_the_same_bytes(
    seeded: Flask, client: FlaskClient, other_worker: FlaskClient
) -> None:
    first = client.get("/calendars/turing-roche.ics").data
    assert client.get("/calendars/turing-roche.ics").data == first
    other = other_worker  # another worker, its own cache
    assert other.get("/calendars/turing-roche.ics").data == first
    gzipped = other.get("/calendars/turing-roche.ics", headers={"Accept-Encoding": "gzip"}).data
    assert (
        client.get("/calendars/turing-roche.ics", headers={"Accept-Encoding": "gzip"}).data
        == gzipped
    )


def test_feed_history_keeps_series_and_recent_one_offs_only(
    client: FlaskClient, make_event: Make, clock: Clock
) -> None:
    # Relative to the app's clock, whatever day it is: the window moves with "now".
    today = clock.today()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    make_event(uid="old-one-off@test", all_day=True, start=day(-400))
    make_event(uid="recent-one-off@test", all_day=True, start=day(-60))
    make_event(uid="old-series@test", start=day(-1500) + "T10:00:00", rrule="FREQ=WEEKLY;COUNT=5")
    make_event(
        uid="old-rdates@test", start=day(-900) + "T10:00:00", rdates=[day(-800) + "T10:00:00"]
    )
    make_event(uid="future@test", all_day=True, start=day(30))
    body = client.get("/calendars/test.ics").data
    assert {str(e["UID"]) for e in vevents(body)} == {
        "recent-one-off@test",
        "old-series@test",
        "future@test",
    }
    # A single-event download is never trimmed.
    assert client.get("/events/old-one-off@test.ics").status_code == 200
