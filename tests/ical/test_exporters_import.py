"""Importing the files people have: exports written as Outlook (desktop and web), Google
Calendar and Apple Calendar write them (tests/ical/data/), each with a recurring series, an
EXDATE, a moved occurrence and an all-day event.  Occurrences are checked as UTC instants in
winter and in summer, so a series read in the wrong zone (or in UTC) fails in one of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from calendar_service.ical import zone_names
from calendar_service.services.imports import import_ics
from calendar_service.store import operations
from calendar_service.store.db import db

DATA = Path(__file__).parent / "data"
LIMIT = 4 * 1024 * 1024

Starts = Callable[[str], dict[str, str]]


def run_import(app: Flask, name: str, slug: str = "test") -> Any:
    with app.app_context():
        calendar = operations.find_calendar(slug)
        assert calendar is not None
        result = import_ics(
            (DATA / name).read_bytes(), calendar, "test", max_bytes=LIMIT, source=name
        )
        db.session.commit()
        return result


@pytest.fixture
def starts(occurrences_between: Callable[..., list[Any]]) -> Callable[..., dict[str, str]]:
    """``starts(title_prefix)``: occurrence start → "title | UTC start" of the calendar
    ``test`` in 2026, for the events whose title begins with the prefix; keyed by the
    occurrence's local start date."""

    def utc(moment: Any) -> str:
        if isinstance(moment, datetime):
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        return moment.isoformat() if isinstance(moment, date) else str(moment)

    def project(item: Any) -> tuple[str, str, str, bool]:
        title = item.occurrence.title or item.event.title
        return (
            title,
            item.occurrence.start.date().isoformat()
            if isinstance(item.occurrence.start, datetime)
            else str(item.occurrence.start),
            utc(item.occurrence.start),
            item.occurrence.cancelled,
        )

    def found(prefix: str) -> dict[str, str]:
        rows = occurrences_between("2026-01-01", "2027-01-01", project, calendar="test", limit=1000)
        return {
            day: f"{title} | {start}"
            for title, day, start, cancelled in rows
            if title.startswith(prefix) and not cancelled
        }

    return found


def test_outlook_desktop_windows_zone_names_keep_local_times_in_summer(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    result = run_import(app, "outlook-desktop.ics")
    assert sorted(result.title(uid) for uid in result.created) == [
        "Berlin sync",
        "Office closed (bank holiday)",
        "Team meeting",
    ]
    assert (result.skipped, result.updated) == ([], [])
    team = starts("Team meeting")
    assert team["2026-01-12"] == "Team meeting | 2026-01-12T10:00Z"  # GMT in winter
    assert team["2026-07-06"] == "Team meeting | 2026-07-06T09:00Z"  # BST in summer
    assert "2026-02-02" not in team  # the EXDATE
    assert "2026-07-13" not in team
    assert team["2026-07-14"] == "Team meeting (moved to Tuesday) | 2026-07-14T13:00Z"
    assert team["2026-12-28"] == "Team meeting | 2026-12-28T10:00Z"  # UNTIL is inclusive
    assert len(team) == 51  # 52 Mondays less the EXDATE; the moved one counted once
    with app.app_context():
        uid = next(uid for uid in result.created if result.title(uid) == "Team meeting")
        assert len(uid) == 112  # Outlook's; the result is read by title
        event = operations.find_event(uid)
        assert (event.timezone, event.start_local) == ("Europe/London", datetime(2026, 1, 5, 10))


def test_outlook_customized_time_zone_is_matched_to_the_zone_whose_rules_agree(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    result = run_import(app, "outlook-desktop.ics")
    sync = starts("Berlin sync")
    assert sync["2026-01-15"] == "Berlin sync | 2026-01-15T08:00Z"  # CET, +01:00
    assert sync["2026-07-16"] == "Berlin sync | 2026-07-16T07:00Z"  # CEST, +02:00
    with app.app_context():
        uid = next(uid for uid in result.created if result.title(uid) == "Berlin sync")
        event = operations.find_event(uid)
        assert (event.timezone, event.start_local) == ("Europe/Berlin", datetime(2026, 1, 8, 9))


def test_outlook_all_day_event_stays_on_its_day(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    run_import(app, "outlook-desktop.ics")
    assert starts("Office closed") == {"2026-08-31": "Office closed (bank holiday) | 2026-08-31"}


def test_outlook_web_india_standard_time_is_plus_five_thirty_all_year(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    result = run_import(app, "outlook-web.ics")
    assert len(result.created) == 3 and result.skipped == []
    standup = starts("Standup")
    assert standup["2026-01-08"] == "Standup with the Bengaluru team | 2026-01-08T11:30Z"
    assert standup["2026-07-02"] == "Standup with the Bengaluru team | 2026-07-02T11:30Z"
    assert "2026-02-12" not in standup
    assert standup["2026-07-09"] == (
        "Standup with the Bengaluru team (later today) | 2026-07-09T12:30Z"
    )
    # An unquoted Windows name: 14:30 in London in April is 13:30Z.
    assert starts("Quarterly review") == {"2026-04-16": "Quarterly review | 2026-04-16T13:30Z"}
    assert list(starts("Diwali")) == ["2026-11-08"]
    with app.app_context():
        uid = next(uid for uid in result.created if result.title(uid).startswith("Standup"))
        assert operations.find_event(uid).timezone in ("Asia/Kolkata", "Asia/Calcutta")


def test_google_export_with_utc_times_and_x_wr_timezone(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    result = run_import(app, "google.ics")
    assert sorted(result.title(uid) for uid in result.created) == [
        "Book club",
        "Spring fair",
        "Summer camp",
    ]
    club = starts("Book club")
    assert club["2026-01-13"] == "Book club | 2026-01-13T18:30Z"
    assert club["2026-07-07"] == "Book club | 2026-07-07T17:30Z"
    assert "2026-02-24" not in club
    assert club["2026-07-14"] == "Book club (garden party) | 2026-07-14T18:00Z"
    assert starts("Spring fair") == {"2026-03-15": "Spring fair | 2026-03-15T14:00Z"}
    assert list(starts("Summer camp")) == ["2026-07-04"]
    with app.app_context():
        fair = next(uid for uid in result.created if result.title(uid) == "Spring fair")
        event = operations.find_event(fair)
        assert (event.timezone, event.start_local) == ("Europe/London", datetime(2026, 3, 15, 14))
        camp = next(uid for uid in result.created if result.title(uid) == "Summer camp")
        assert (operations.find_event(camp).start_local, operations.find_event(camp).end_local) == (
            datetime(2026, 7, 4),
            datetime(2026, 7, 6),
        )


def test_apple_export_with_iana_zone(app: Flask, calendar: dict[str, Any], starts: Starts) -> None:
    result = run_import(app, "apple.ics")
    assert sorted(result.title(uid) for uid in result.created) == [
        "Choir practice",
        "Christmas concert",
    ]
    choir = starts("Choir practice")
    assert choir["2026-01-21"] == "Choir practice | 2026-01-21T19:00Z"
    assert choir["2026-07-08"] == "Choir practice | 2026-07-08T18:00Z"
    assert "2026-04-01" not in choir and "2026-07-22" not in choir
    assert choir["2026-07-23"] == ("Choir practice (summer concert rehearsal) | 2026-07-23T18:30Z")
    assert list(starts("Christmas")) == ["2026-12-25"]


def test_x_wr_timezone_places_floating_times(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
        b"X-WR-TIMEZONE:America/New_York\r\nBEGIN:VEVENT\r\nUID:f@x\r\n"
        b"SUMMARY:Floating\r\nDTSTART:20260112T090000\r\nRRULE:FREQ=WEEKLY;COUNT=30\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with app.app_context():
        import_ics(data, operations.find_calendar("test"), "test", max_bytes=LIMIT)
        db.session.commit()
        assert operations.find_event("f@x").timezone == "America/New_York"
    floating = starts("Floating")
    assert floating["2026-01-12"] == "Floating | 2026-01-12T14:00Z"  # EST
    assert floating["2026-07-06"] == "Floating | 2026-07-06T13:00Z"  # EDT


def test_an_unknown_zone_that_no_iana_zone_matches_keeps_the_instants(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
        b"BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\n"
        b"DTSTART:16010101T000000\r\nTZOFFSETFROM:+0317\r\nTZOFFSETTO:+0317\r\n"
        b"END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:odd@x\r\n"
        b'SUMMARY:Odd zone\r\nDTSTART;TZID="Customized Time Zone":20260115T120000\r\n'
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    run_import(app, "outlook-desktop.ics")  # its own "Customized Time Zone" is CET/CEST
    with app.app_context():
        result = import_ics(data, operations.find_calendar("test"), "test", max_bytes=LIMIT)
        db.session.commit()
        assert result.created == ["odd@x"]
        assert [(note.what, note.reason) for note in result.notes] == [
            (
                "Odd zone",
                "its time zone 'Customized Time Zone' is no known zone and agrees "
                "with none: its times were kept as the instants the file gives, in "
                "Europe/London",
            )
        ]
    assert starts("Odd zone") == {"2026-01-15": "Odd zone | 2026-01-15T08:43Z"}


def test_another_files_customized_time_zone_does_not_stand_in(
    app: Flask, calendar: dict[str, Any], starts: Starts
) -> None:
    """icalendar remembers the first "Customized Time Zone" it meets; each file's own counts."""
    run_import(app, "outlook-desktop.ics")  # defines it as Central European time
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:undefined@x\r\nSUMMARY:Undefined\r\n"
        b'DTSTART;TZID="Customized Time Zone":20260115T120000\r\n'
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with app.app_context():
        result = import_ics(data, operations.find_calendar("test"), "test", max_bytes=LIMIT)
        db.session.rollback()
    assert result.created == []
    assert [(item.what, item.reason) for item in result.skipped] == [
        ("Undefined", "DTSTART names an unknown time zone 'Customized Time Zone'")
    ]


def test_a_file_of_many_unknown_zones_is_compared_a_bounded_number_of_times(
    app: Flask, calendar: dict[str, Any], starts: Starts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each unknown TZID is compared with every IANA zone; past MAX_MATCHED of them a file's
    times keep the instants their own VTIMEZONE gives without a comparison."""
    compared: list[int] = []
    agreeing = zone_names.agreeing_zone

    def counted(*args: Any) -> str | None:
        compared.append(1)
        return agreeing(*args)

    monkeypatch.setattr(zone_names, "agreeing_zone", counted)
    zones, events = [], []
    for n in range(30):  # as many zones of its own as a file may define
        minutes = 7 + n  # +00:07 … +00:36: no IANA zone has these offsets
        offset = f"+{minutes // 60:02d}{minutes % 60:02d}"
        zones.append(
            f"BEGIN:VTIMEZONE\r\nTZID:Odd {n}\r\nBEGIN:STANDARD\r\n"
            f"DTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\n"
            f"TZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        )
        events.append(
            f"BEGIN:VEVENT\r\nUID:odd{n}@x\r\nSUMMARY:Odd {n}\r\n"
            f"DTSTART;TZID=Odd {n}:20260115T120000\r\nEND:VEVENT\r\n"
        )
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
        + "".join(zones)
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()
    with app.app_context():
        result = import_ics(data, operations.find_calendar("test"), "test", max_bytes=LIMIT)
        db.session.commit()
    assert len(result.created) == 30
    assert len(compared) == zone_names.MAX_MATCHED == 20
    assert starts("Odd 29") == {"2026-01-15": "Odd 29 | 2026-01-15T11:24Z"}  # 12:00 at +00:36
    assert starts("Odd 0") == {"2026-01-15": "Odd 0 | 2026-01-15T11:53Z"}  # 12:00 at +00:07
