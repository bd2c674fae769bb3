"""Pure helpers of the public pages: dates in words, the month grid, the add-to-calendar
links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from calendar_service.public.add_to_calendar import Details, google_link, outlook_links
from calendar_service.public.display import date_span, day_heading, month_grid

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2027, 7, 12), date(2027, 7, 16), "Mon 12 – Fri 16 July"),
        (date(2027, 6, 28), date(2027, 7, 2), "Mon 28 June – Fri 2 July"),
        (date(2027, 12, 30), date(2028, 1, 2), "Thu 30 December 2027 – Sun 2 January 2028"),
        (date(2027, 7, 12), date(2027, 7, 12), "Mon 12 July"),
        (date(2028, 7, 10), date(2028, 7, 14), "Mon 10 – Fri 14 July 2028"),
    ],
)
def test_date_spans_read_naturally(first: date, last: date, expected: str) -> None:
    assert date_span(first, last, today=date(2027, 1, 1)) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 27), "Today"),
        (date(2027, 1, 28), "Tomorrow"),
        (date(2027, 1, 29), "Friday 29 January"),
        (date(2027, 1, 26), "Tuesday 26 January"),
        (date(2028, 1, 3), "Monday 3 January 2028"),
    ],
)
def test_day_headings(day: date, expected: str) -> None:
    assert day_heading(day, today=date(2027, 1, 27)) == expected


def test_a_month_grid_starts_on_monday_and_covers_whole_weeks() -> None:
    weeks = month_grid(2027, 2, [])
    assert weeks[0][0].day == date(2027, 2, 1) and weeks[-1][-1].day == date(2027, 2, 28)
    weeks = month_grid(2027, 1, [])
    assert weeks[0][0].day == date(2026, 12, 28) and not weeks[0][0].in_month
    assert all(len(week) == 7 for week in weeks)


def test_google_and_outlook_links_carry_utc_times_and_keep_a_plus() -> None:
    item = Details(
        title="C++ & tea",
        start=datetime(2027, 7, 1, 14, tzinfo=LONDON),
        end=datetime(2027, 7, 1, 15, 30, tzinfo=LONDON),
        location="Room 1",
        details="Bring a laptop",
        tzid="Europe/London",
    )
    google = urlsplit(google_link(item))
    assert google.netloc == "calendar.google.com" and "+" not in google.query
    query = parse_qs(google.query)
    assert query["dates"] == ["20270701T130000Z/20270701T143000Z"]
    assert query["text"] == ["C++ & tea"] and query["action"] == ["TEMPLATE"]
    links = outlook_links(item)
    for key, host in (("outlook_com", "outlook.live.com"), ("outlook_365", "outlook.office.com")):
        parts = urlsplit(links[key])
        assert parts.netloc == host and "+" not in parts.query
        query = parse_qs(parts.query)
        assert (query["startdt"], query["enddt"]) == (
            ["2027-07-01T13:00:00Z"],
            ["2027-07-01T14:30:00Z"],
        )
        assert query["subject"] == ["C++ & tea"] and query["rru"] == ["addevent"]


def test_long_descriptions_are_shortened_in_links() -> None:
    item = Details(
        title="T",
        start=datetime(2027, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, 1, tzinfo=UTC),
        location="",
        details="x" * 10_000,
        tzid="UTC",
    )
    assert len(google_link(item)) < 2000
