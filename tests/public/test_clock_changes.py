"""Occurrences that touch a clock change, the same everywhere: the API, the agenda's text, the
feed and the editor's preview.  RFC 5545 decides: every instance of a DTEND series lasts the
same exact (elapsed) duration (§3.8.5.3); a local start a clock change skips takes the offset
from before the gap, one it repeats is its first instance (§3.3.5).

London in 2027: the clocks go forward at 01:00 GMT on Sunday 28 March, back at 02:00 BST on
Sunday 31 October."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from flask.testing import FlaskClient

Make = Callable[..., dict[str, Any]]

# The dates are 2027's clock changes; the feed keeps six months of history and the editor's
# preview starts from today, so the clock stands before them.
pytestmark = pytest.mark.now("2026-12-01T12:00:00+00:00")


@pytest.fixture
def night_and_small_hours(make_event: Make) -> None:
    # Weekly on Sundays 01:30–02:30: in the gap on 28 March, in the fold on 31 October.
    make_event(
        uid="small-hours@test",
        title="Small hours",
        start="2027-03-21T01:30:00",
        end="2027-03-21T02:30:00",
        rrule="FREQ=WEEKLY;COUNT=40",
    )
    # Nightly 23:30–02:30: the two nights the clocks change.
    make_event(
        uid="night@test",
        title="Night shift",
        start="2027-03-20T23:30:00",
        end="2027-03-21T02:30:00",
        rrule="FREQ=DAILY;UNTIL=20271231T000000Z",
    )


def occurrences(client: FlaskClient, start: str, end: str, uid: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/occurrences", query_string={"start": start, "end": end, "calendar": "test"}
    )
    assert response.status_code == 200
    return [item for item in response.json["occurrences"] if item["uid"] == uid]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_the_api_gives_exact_durations_and_rfc_placement(
    client: FlaskClient, night_and_small_hours: None
) -> None:
    [gap] = occurrences(client, "2027-03-28", "2027-03-29", "small-hours@test")
    assert (gap["recurrence_id"], gap["start"], gap["end"]) == (
        "2027-03-28T01:30:00",
        "2027-03-28T02:30:00+01:00",
        "2027-03-28T03:30:00+01:00",
    )
    [fold] = occurrences(client, "2027-10-31", "2027-11-01", "small-hours@test")
    assert (fold["start"], fold["end"]) == (
        "2027-10-31T01:30:00+01:00",
        "2027-10-31T01:30:00+00:00",
    )
    assert instant(fold["end"]) - instant(fold["start"]) == timedelta(hours=1)

    spring = occurrences(client, "2027-03-27T12:00:00", "2027-03-28T12:00:00", "night@test")
    autumn = occurrences(client, "2027-10-30T12:00:00", "2027-10-31T12:00:00", "night@test")
    assert [(item["start"], item["end"]) for item in spring + autumn] == [
        ("2027-03-27T23:30:00+00:00", "2027-03-28T03:30:00+01:00"),
        ("2027-10-30T23:30:00+01:00", "2027-10-31T01:30:00+00:00"),
    ]
    year = occurrences(client, "2027-03-01", "2028-01-01", "night@test")
    assert {instant(item["end"]) - instant(item["start"]) for item in year} == {timedelta(hours=3)}


def page_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_agenda_says_each_end_in_its_own_zone(
    client: FlaskClient, night_and_small_hours: None
) -> None:
    spring = page_text(client.get("/?from=2027-03-27&days=1&calendar=test").text)
    assert "Sat 27 March 2027 23:30 GMT – Sun 28 March 2027 03:30 BST" in spring
    autumn = page_text(client.get("/?from=2027-10-30&days=1&calendar=test").text)
    assert "Sat 30 October 2027 23:30 BST – Sun 31 October 2027 01:30 GMT" in autumn
    gap = page_text(client.get("/?from=2027-03-28&days=1&calendar=test").text)
    assert "02:30 – 03:30 BST Small hours" in gap
    ordinary = page_text(client.get("/?from=2027-04-04&days=1&calendar=test").text)
    assert "01:30 – 02:30 BST Small hours" in ordinary


def test_the_feed_says_the_same_as_the_api(
    client: FlaskClient, night_and_small_hours: None
) -> None:
    feed = icalendar.Calendar.from_ical(client.get("/calendars/test.ics").data)
    api = {
        (item["uid"], item["recurrence_id"]): item
        for item in occurrences(client, "2027-03-01", "2028-01-01", "night@test")
        + occurrences(client, "2027-03-01", "2028-01-01", "small-hours@test")
    }
    expanded = recurring_ical_events.of(feed).between(date(2027, 3, 1), date(2028, 1, 1))
    starts = {
        (str(event["UID"]), event["RECURRENCE-ID"].dt.replace(tzinfo=None).isoformat()): event[
            "DTSTART"
        ].dt.astimezone(UTC)
        for event in expanded
    }
    # Every occurrence starts where the API says (recurring-ical-events places starts as
    # RFC 5545 says; it takes ends as wall-clock durations, which RFC 5545 does not).
    assert starts == {key: instant(item["start"]) for key, item in api.items()}
    # The duration every instance lasts is the master's DTSTART to DTEND, as an elapsed time.
    for master in feed.walk("VEVENT"):
        exact = master["DTEND"].dt.astimezone(UTC) - master["DTSTART"].dt.astimezone(UTC)
        lengths = {
            instant(item["end"]) - instant(item["start"])
            for (uid, _), item in api.items()
            if uid == str(master["UID"])
        }
        assert lengths == {exact}


def test_a_moved_occurrence_keeps_the_exact_duration_in_the_feed(
    client: FlaskClient, night_and_small_hours: None, override: Callable[..., Any]
) -> None:
    # Moved to the Saturday night before the clocks go forward, with no end of its own.
    override("small-hours@test", "2027-03-28T01:30:00", start="2027-03-27T23:45:00")
    [moved] = occurrences(client, "2027-03-27", "2027-03-29", "small-hours@test")
    assert (moved["start"], moved["end"]) == (
        "2027-03-27T23:45:00+00:00",
        "2027-03-28T00:45:00+00:00",
    )
    feed = client.get("/calendars/test.ics").data.decode()
    [block] = [
        block
        for block in feed.split("BEGIN:VEVENT")
        if "RECURRENCE-ID;TZID=Europe/London:20270328T013000" in block
    ]
    assert "DTSTART;TZID=Europe/London:20270327T234500" in block
    assert "DTEND;TZID=Europe/London:20270328T004500" in block


def test_the_editor_warns_of_a_start_in_a_gap_and_an_end_in_a_fold(
    signed_in: FlaskClient, calendar: dict[str, Any]
) -> None:
    base = {
        "title": "Small hours",
        "calendar": "test",
        "recurrence": "weekly",
        "ends": "never",
        "status": "confirmed",
        "published": "published",
    }
    gap = signed_in.get(
        "/organiser/preview.json",
        query_string={
            **base,
            "start_date": "2027-03-28",
            "start_time": "01:30",
            "end_time": "03:30",
        },
    ).json
    assert gap["ok"] is True
    assert gap["warnings"] == {
        "start": (
            "01:30 on Sun 28 Mar 2027 does not exist in Europe/London: the clocks go "
            "forward then. It will be 02:30 BST."
        ),
        "end": (
            "The clocks change between the start and the end: it lasts 1 hour, not 2 "
            "hours, and so does every date of the series."
        ),
    }
    assert gap["occurrences"][0]["label"] == "Sun 28 Mar 2027, 02:30–03:30 BST"
    assert gap["occurrences"][1]["label"] == "Sun 4 Apr 2027, 01:30–02:30 BST"
    fold = signed_in.get(
        "/organiser/preview.json",
        query_string={
            **base,
            "start_date": "2027-10-31",
            "start_time": "00:30",
            "end_time": "01:30",
        },
    ).json
    assert fold["warnings"] == {
        "end": (
            "01:30 on Sun 31 Oct 2027 happens twice in Europe/London: the clocks go back then. "
            "The first is meant: 01:30 BST."
        )
    }
    assert fold["occurrences"][0]["label"] == "Sun 31 Oct 2027, 00:30–01:30 BST"
    night = signed_in.get(
        "/organiser/preview.json",
        query_string={
            **base,
            "start_date": "2027-10-30",
            "start_time": "23:30",
            "end_date": "2027-10-31",
            "end_time": "02:30",
        },
    ).json
    assert night["warnings"] == {
        "end": (
            "The clocks change between the start and the end: it lasts 4 hours, not 3 hours, and "
            "so does every date of the series."
        )
    }
    assert night["occurrences"][0]["label"] == (
        "Sat 30 Oct 2027, 23:30 BST – Sun 31 Oct 2027, 02:30 GMT"
    )
    assert night["occurrences"][1]["label"] == ("Sat 6 Nov 2027, 23:30 – Sun 7 Nov 2027, 03:30 GMT")
    series = signed_in.get(
        "/organiser/preview.json",
        query_string={
            **base,
            "start_date": "2027-03-14",
            "start_time": "01:30",
            "end_time": "02:30",
        },
    ).json
    assert series["warnings"] == {
        "repeats": (
            "01:30 on Sun 28 Mar 2027 does not exist in Europe/London: the clocks go forward "
            "then. It will be 02:30 BST."
        )
    }
    page = signed_in.post(
        "/organiser/events/new",
        data={
            **base,
            "start_date": "2027-03-28",
            "start_time": "01:30",
            "end_time": "02:30",
            "preview": "Preview",
        },
    )
    assert page.status_code == 200
    assert re.search(
        r'id="start-clock-warning" role="status">01:30 on Sun 28 Mar 2027 does '
        r"not exist",
        page.text,
    )
