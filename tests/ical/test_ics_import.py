"""Importing .ics files: round trips through our own feed, Outlook/Google shapes, re-imports,
skips with reasons, and broken files that change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from calendar_service.app_caches import app_caches
from calendar_service.services.feeds import export_feed
from calendar_service.services.imports import IcsImportError, import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Event, Override
from calendar_service.web import links

LIMIT = 4 * 1024 * 1024


def ics(*components: str) -> bytes:
    """A VCALENDAR around the given component texts, with CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//import//EN",
        *"\n".join(components).strip().splitlines(),
        "END:VCALENDAR",
    ]
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode()


SERIES = """
BEGIN:VEVENT
UID:coworking@example.org
SUMMARY:Co-working call
DTSTART;TZID=GMT Standard Time:20270106T150000
DTEND;TZID=GMT Standard Time:20270106T163000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;COUNT=6
EXDATE;TZID=GMT Standard Time:20270120T150000
RDATE;TZID=GMT Standard Time:20270108T100000
LOCATION:Online
END:VEVENT
BEGIN:VEVENT
UID:coworking@example.org
RECURRENCE-ID;TZID=GMT Standard Time:20270203T150000
SUMMARY:Co-working call (moved)
DTSTART;TZID=GMT Standard Time:20270204T170000
DTEND;TZID=GMT Standard Time:20270204T183000
END:VEVENT
BEGIN:VEVENT
UID:coworking@example.org
RECURRENCE-ID;TZID=GMT Standard Time:20270303T150000
DTSTART;TZID=GMT Standard Time:20270303T150000
DTEND;TZID=GMT Standard Time:20270303T163000
SUMMARY:Co-working call
STATUS:CANCELLED
END:VEVENT
"""


Listing = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def listing(occurrences_between: Callable[..., list[Any]]) -> Listing:
    """``listing(slug, start="2026-01-01", end="2029-01-01", cancelled=True)``: (uid, title,
    start, end, location, cancelled) of each occurrence in the calendar."""

    def row(item: Any) -> tuple[Any, ...]:
        return (
            item.event.uid,
            item.occurrence.title or item.event.title,
            item.occurrence.start.isoformat(),
            item.occurrence.end.isoformat(),
            item.occurrence.location
            if item.occurrence.location is not None
            else item.event.location,
            item.occurrence.cancelled,
        )

    def rows(
        slug: str, start: str = "2026-01-01", end: str = "2029-01-01", *, cancelled: bool = True
    ) -> list[tuple[Any, ...]]:
        found = occurrences_between(start, end, row, calendar=slug, limit=1000)
        return [item for item in found if cancelled or not item[5]]

    return rows


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Event, Override, AuditEntry)
        )  # type: ignore[return-value]


def run_import(app: Flask, data: bytes, slug: str = "test") -> Any:
    with app.app_context():
        calendar = operations.find_calendar(slug)
        assert calendar is not None
        result = import_ics(data, calendar, "test", max_bytes=LIMIT)
        db.session.commit()
        return result


# What survives -------------------------------------------------------------------------------


def test_an_outlook_series_keeps_its_rule_exceptions_and_changed_occurrences(
    app: Flask, calendar: dict[str, Any], listing: Listing
) -> None:
    result = run_import(app, ics(SERIES))
    assert (result.created, result.updated, result.skipped) == (["coworking@example.org"], [], [])
    with app.app_context():
        event = operations.find_event("coworking@example.org")
        assert event.timezone == "Europe/London"  # Windows' "GMT Standard Time"
        assert event.rrule == "FREQ=WEEKLY;COUNT=6;INTERVAL=2;BYDAY=WE" or (
            "COUNT=6" in event.rrule and "INTERVAL=2" in event.rrule
        )
        assert (event.exdates, event.rdates) == (["2027-01-20T15:00:00"], ["2027-01-08T10:00:00"])
    uid = "coworking@example.org"
    assert listing("test") == [
        (
            uid,
            "Co-working call",
            "2027-01-06T15:00:00+00:00",
            "2027-01-06T16:30:00+00:00",
            "Online",
            False,
        ),
        (
            uid,
            "Co-working call",
            "2027-01-08T10:00:00+00:00",
            "2027-01-08T11:30:00+00:00",
            "Online",
            False,
        ),
        (
            uid,
            "Co-working call (moved)",
            "2027-02-04T17:00:00+00:00",
            "2027-02-04T18:30:00+00:00",
            "Online",
            False,
        ),
        (
            uid,
            "Co-working call",
            "2027-02-17T15:00:00+00:00",
            "2027-02-17T16:30:00+00:00",
            "Online",
            False,
        ),
        (
            uid,
            "Co-working call",
            "2027-03-03T15:00:00+00:00",
            "2027-03-03T16:30:00+00:00",
            "Online",
            True,
        ),
        (
            uid,
            "Co-working call",
            "2027-03-17T15:00:00+00:00",
            "2027-03-17T16:30:00+00:00",
            "Online",
            False,
        ),
    ]


def test_times_are_converted_into_the_events_zone(app: Flask, make_calendar: Any) -> None:
    make_calendar(slug="ny", timezone="America/New_York")
    data = ics("""
BEGIN:VEVENT
UID:utc@example.org
SUMMARY:Given in UTC
DTSTART:20270127T140000Z
DTEND:20270127T150000Z
END:VEVENT
BEGIN:VEVENT
UID:floating@example.org
SUMMARY:Floating
DTSTART:20270127T090000
DURATION:PT30M
END:VEVENT
BEGIN:VEVENT
UID:berlin@example.org
SUMMARY:In Berlin
DTSTART;TZID=Europe/Berlin:20270127T090000
END:VEVENT
BEGIN:VEVENT
UID:allday@example.org
SUMMARY:All day
DTSTART;VALUE=DATE:20270127
END:VEVENT
""")
    result = run_import(app, data, "ny")
    assert sorted(result.created) == [
        "allday@example.org",
        "berlin@example.org",
        "floating@example.org",
        "utc@example.org",
    ]
    with app.app_context():
        found = {uid: operations.find_event(uid) for uid in result.created}
        assert (found["utc@example.org"].timezone, found["utc@example.org"].start_local) == (
            "America/New_York",
            datetime(2027, 1, 27, 9),
        )
        assert (
            found["floating@example.org"].start_local,
            found["floating@example.org"].end_local,
        ) == (datetime(2027, 1, 27, 9), datetime(2027, 1, 27, 9, 30))
        assert (found["berlin@example.org"].timezone, found["berlin@example.org"].start_local) == (
            "Europe/Berlin",
            datetime(2027, 1, 27, 9),
        )
        allday = found["allday@example.org"]
        assert allday.all_day and allday.end_local == datetime(2027, 1, 28)


def test_reimporting_updates_instead_of_duplicating(
    app: Flask, calendar: dict[str, Any], listing: Listing
) -> None:
    assert run_import(app, ics(SERIES)).created == ["coworking@example.org"]
    again = run_import(app, ics(SERIES))
    assert (again.created, again.updated, again.unchanged) == ([], [], ["coworking@example.org"])
    changed = run_import(app, ics(SERIES.replace("LOCATION:Online", "LOCATION:Room 2")))
    assert (changed.created, changed.updated) == ([], ["coworking@example.org"])
    assert counts(app)[0] == 1
    assert {row[4] for row in listing("test")} == {"Room 2"}
    with app.app_context():
        assert operations.find_event("coworking@example.org").sequence == 1


def test_reimporting_without_an_override_restores_that_occurrence(
    app: Flask, calendar: dict[str, Any], listing: Listing
) -> None:
    run_import(app, ics(SERIES))
    without = SERIES[
        : SERIES.index(
            "BEGIN:VEVENT\nUID:coworking@example.org\nRECURRENCE-ID;TZID=GMT Standard Time:20270303"
        )
    ]
    run_import(app, ics(without))
    assert [row[5] for row in listing("test")] == [False] * 6


# Round trip through our own feed -------------------------------------------------------------


# The export is the feed, which leaves out one-off events that ended more than about six months
# before now; the round trip compares every occurrence of the seed (from January 2026), so the
# clock stands before them and the export holds them all.
@pytest.mark.now("2025-12-01T12:00:00+00:00")
def test_export_then_import_into_an_empty_calendar_gives_the_same_occurrences(
    seeded: Flask,
    client: FlaskClient,
    make_calendar: Any,
    auth_headers: dict[str, str],
    listing: Listing,
) -> None:
    app = seeded
    headers = auth_headers
    uid = "tps-seminar@turing-roche.calendar"
    assert (
        client.put(
            f"/api/v1/events/{uid}/occurrences/2027-02-24T14:00:00",
            json={"start": "2027-02-25T16:00:00", "title": "Moved TPS seminar"},
            headers=headers,
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"/api/v1/events/{uid}/occurrences/2027-03-31T14:00:00",
            json={"status": "cancelled"},
            headers=headers,
        ).status_code
        == 200
    )
    with app.test_request_context("/"):
        exported = export_feed("turing-roche", (), app_caches(), links.base_url())
    before = listing("turing-roche", cancelled=False)
    assert "Moved TPS seminar" in {row[1] for row in before}
    assert len(before) > 20
    with app.app_context():  # an empty database, as far as these UIDs go
        for event in db.session.scalars(select(Event)):
            operations.delete_event(event, "test")
        db.session.commit()
    make_calendar(slug="copy", timezone="Europe/London")
    result = run_import(app, exported, "copy")
    assert result.skipped == []
    assert len(result.created) == len({row[0] for row in before})
    assert listing("copy", cancelled=False) == before
    api = client.get(
        "/api/v1/occurrences",
        query_string={"calendar": "copy", "start": "2027-01-01", "end": "2027-06-01"},
    ).json["occurrences"]
    seminars = [(item["start"], item["title"]) for item in api if item["uid"] == uid]
    assert seminars == [
        ("2027-01-27T14:00:00+00:00", "Tools, Practices and Systems (TPS) seminar"),
        ("2027-02-25T16:00:00+00:00", "Moved TPS seminar"),
        ("2027-04-28T14:00:00+01:00", "Tools, Practices and Systems (TPS) seminar"),
        ("2027-05-26T14:00:00+01:00", "Tools, Practices and Systems (TPS) seminar"),
    ]


# Skipped, with reasons ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "component, reason",
    [
        ("BEGIN:VTODO\nUID:todo@x\nSUMMARY:Do it\nEND:VTODO", "VTODO: only events"),
        ("BEGIN:VEVENT\nUID:nostart@x\nSUMMARY:No start\nEND:VEVENT", "no DTSTART"),
        (
            "BEGIN:VEVENT\nUID:badstart@x\nSUMMARY:Bad\nDTSTART:2027zz\nEND:VEVENT",
            "DTSTART cannot be read",
        ),
        ("BEGIN:VEVENT\nSUMMARY:No uid\nDTSTART:20270101T100000Z\nEND:VEVENT", "no UID"),
        (
            "BEGIN:VEVENT\nUID:period@x\nSUMMARY:P\nDTSTART:20270101T100000Z\n"
            "RRULE:FREQ=DAILY;COUNT=2\nRDATE;VALUE=PERIOD:20270105T100000Z/PT1H\nEND:VEVENT",
            "RDATE with a PERIOD value is not supported",
        ),
        (
            "BEGIN:VEVENT\nUID:fast@x\nSUMMARY:F\nDTSTART:20270101T100000Z\n"
            "RRULE:FREQ=SECONDLY\nEND:VEVENT",
            "rrule:",
        ),
        (
            "BEGIN:VEVENT\nUID:zone@x\nSUMMARY:Z\nDTSTART;TZID=Mars/Olympus:20270101T100000\n"
            "END:VEVENT",
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            "BEGIN:VEVENT\nUID:backwards@x\nSUMMARY:B\nDTSTART:20270101T100000Z\n"
            "DTEND:20270101T090000Z\nEND:VEVENT",
            "end: must not be before the start",
        ),
        (
            "BEGIN:VEVENT\nUID:orphan@x\nRECURRENCE-ID:20270101T100000Z\nSUMMARY:O\n"
            "DTSTART:20270101T110000Z\nEND:VEVENT",
            "series that is not in the file",
        ),
        (
            "BEGIN:VEVENT\nUID:wrongrid@x\nSUMMARY:W\nDTSTART:20270101T100000Z\n"
            "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:wrongrid@x\n"
            "RECURRENCE-ID:20270101T120000Z\nDTSTART:20270101T130000Z\nSUMMARY:W2\nEND:VEVENT",
            "is not an occurrence of the series",
        ),
        (
            "BEGIN:VEVENT\nUID:future@x\nSUMMARY:T\nDTSTART:20270101T100000Z\n"
            "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:future@x\n"
            "RECURRENCE-ID;RANGE=THISANDFUTURE:20270102T100000Z\nDTSTART:20270102T130000Z\n"
            "SUMMARY:T2\nEND:VEVENT",
            "THISANDFUTURE is not supported",
        ),
    ],
)
def test_what_cannot_be_imported_is_skipped_with_the_reason(
    app: Flask, calendar: dict[str, Any], component: str, reason: str
) -> None:
    good = "BEGIN:VEVENT\nUID:good@x\nSUMMARY:Good\nDTSTART:20270101T100000Z\nEND:VEVENT"
    result = run_import(app, ics(good, component))
    assert result.created == ["good@x"]
    assert len(result.skipped) == 1
    assert reason in result.skipped[0].reason
    assert counts(app)[0] == 1


def test_a_uid_of_another_calendar_is_skipped(
    app: Flask, make_calendar: Any, make_event: Any
) -> None:
    make_event(calendar="other", uid="taken@x", title="Theirs")
    make_calendar(slug="test")
    data = ics("BEGIN:VEVENT\nUID:taken@x\nSUMMARY:Mine\nDTSTART:20270101T100000Z\nEND:VEVENT")
    result = run_import(app, data)
    assert [(item.what, item.reason) for item in result.skipped] == [
        ("Mine", "this uid belongs to an event of the calendar 'other'")
    ]
    with app.app_context():
        assert operations.find_event("taken@x").title == "Theirs"


# Broken files change nothing -------------------------------------------------------------------

BROKEN = [
    (b"", "empty"),
    (b"this is not a calendar", "not a readable iCalendar file"),
    (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T100000Z\r\n",
        "not a readable iCalendar file",
    ),
    (
        b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n",
        "not an iCalendar file",
    ),
    (ics(SERIES) + ics(SERIES), "not a readable iCalendar file"),
    (ics(SERIES).replace(b"LOCATION:Online", b"\x00garbage line"), "not a readable iCalendar file"),
    (ics(SERIES) + b" " * LIMIT, "import limit"),
]


@pytest.mark.parametrize("data, message", BROKEN)
def test_a_broken_file_is_refused_and_changes_nothing(
    app: Flask,
    calendar: dict[str, Any],
    make_event: Any,
    listing: Listing,
    data: bytes,
    message: str,
) -> None:
    make_event(uid="kept@x", title="Kept")
    before = counts(app), listing("test")
    with app.app_context():
        target = operations.find_calendar("test")
        with pytest.raises(IcsImportError, match=message):
            import_ics(data, target, "test", max_bytes=LIMIT)
        db.session.rollback()
    assert (counts(app), listing("test")) == before


# The command and the upload page ----------------------------------------------------------------


def test_the_import_command_prints_a_summary(
    app: Flask, runner: FlaskCliRunner, calendar: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "outlook.ics"
    path.write_bytes(ics(SERIES, "BEGIN:VTODO\nUID:todo@x\nEND:VTODO"))
    result = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines == [
        "created: Co-working call",
        "skipped: todo@x: VTODO: only events (VEVENT) are imported",
        "test: 1 created, 0 updated, 0 unchanged, 1 skipped",
    ]
    again = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert again.output.strip().splitlines()[-1] == (
        "test: 0 created, 0 updated, 1 unchanged, 1 skipped"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.ics", "--calendar", "test"], "cannot read missing.ics"),
        (["{broken}", "--calendar", "test"], "nothing imported: not a readable iCalendar file"),
        (["{good}", "--calendar", "nope"], "no calendar 'nope'"),
    ],
)
def test_the_import_command_fails_in_one_line(
    app: Flask,
    runner: FlaskCliRunner,
    calendar: dict[str, Any],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "broken.ics").write_bytes(b"BEGIN:VCALENDAR\r\nnonsense\r\n")
    (tmp_path / "good.ics").write_bytes(ics(SERIES))
    args = [arg.format(broken=tmp_path / "broken.ics", good=tmp_path / "good.ics") for arg in args]
    result = runner.invoke(args=["import-ics", *args])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert message in result.output
    assert counts(app)[0] == 0


def test_the_upload_page_imports_and_lists_what_it_did(
    app: Flask, signed_in: FlaskClient, calendar: dict[str, Any]
) -> None:
    assert "Import an .ics file" in signed_in.get("/organiser/import").text
    response = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(ics(SERIES)), "outlook.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in response.text
    assert "Co-working call" in response.text  # listed by title, linked to its editor
    assert 'href="/organiser/events/coworking@example.org/edit"' in response.text
    broken = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(b"BEGIN:VCALENDAR\r\nnonsense\r\n"), "x.ics")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422
    assert "Nothing was imported: not a readable iCalendar file" in broken.text
    assert counts(app)[0] == 1


@pytest.fixture
def small_limits(app_config: dict[str, Any]) -> dict[str, Any]:
    """Request and import limits small enough for the test client to keep bodies in memory."""
    app_config.update(MAX_CONTENT_LENGTH=60_000, IMPORT_MAX_BYTES=60_000)  # equal, as shipped
    return app_config


def test_an_upload_over_the_limit_says_so_on_the_import_page(
    small_limits: dict[str, Any], app: Flask, signed_in: FlaskClient, calendar: dict[str, Any]
) -> None:
    for size, status, message in (
        (
            150_000,
            413,
            "Nothing was imported: the file is larger than the import limit of 60,000 bytes",
        ),
        (
            62_000,
            422,
            "Nothing was imported: the file is larger than the import limit of 60,000 bytes",
        ),
    ):
        body = ics(SERIES) + b" " * size
        response = signed_in.post(
            "/organiser/import",
            data={"calendar": "test", "file": (BytesIO(body), "huge.ics")},
            content_type="multipart/form-data",
        )
        assert response.status_code == status
        assert message in response.text
    assert counts(app)[0] == 0
    # A file just under the limit is imported: the limit counts the file, not the request.
    body = ics(SERIES)
    body = body.replace(
        b"END:VCALENDAR", b"X-PADDING:" + b"x" * (59_900 - len(body)) + b"\r\nEND:VCALENDAR"
    )
    assert 59_000 < len(body) <= 60_000
    response = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(body), "just-under.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.text[-300:]
    assert counts(app)[0] == 1
