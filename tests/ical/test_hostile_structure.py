"""A file whose shape is hostile (thousands of VTIMEZONEs, components nested thousands deep) is
refused before icalendar builds any of it, with the reason: its refusal costs a pass over its
lines, in proportion to its size.

A security review found 10,000 VTIMEZONEs taking 58 s to refuse (icalendar turned each into a
time zone while parsing, before the zone budget could look at them) and 200,000 nested
components 14 s.  The tests count what icalendar built (files parsed, VTIMEZONEs turned into
time zones) and bound the memory; no test reads a clock."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from markupsafe import escape
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

import rules
from calendar_service.services.imports import IcsImportError, import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

Memory = Callable[[float], AbstractContextManager[None]]
LIMIT = 4 * 1024 * 1024
# calendar_service.ical.structure's limits
MAX_ZONES, MAX_OWN_ZONES, MAX_DEPTH, MAX_OBSERVANCES, MAX_ZONE_DATES = 100, 30, 10, 1000, 2000
KNOWN = [name for name in sorted(available_timezones()) if rules.is_valid_zone(name)]
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//shape//EN\r\n"
FOOT = "END:VCALENDAR\r\n"


def custom_zone(tzid: str) -> str:
    """A VTIMEZONE under a name of Outlook's own, with London's yearly rules."""
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16011028T020000\r\nTZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010325T010000\r\nTZOFFSETFROM:+0000\r\n"
        "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
        "END:VTIMEZONE\r\n"
    )


def event_in(tzid: str, uid: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Talk {uid}\r\n"
        f"DTSTART;TZID={tzid}:20270701T100000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
    )


def zones(count: int, *, used: int = 1, own: int | None = None) -> bytes:
    """``count`` VTIMEZONEs, the first ``own`` (all, unless said) of names no zone database
    knows, the rest named by IANA names; the first ``used`` each with an event in it."""
    own = count if own is None else own
    names = [f"Custom {n}" if n < own else KNOWN[n % len(KNOWN)] for n in range(count)]
    return (
        HEAD
        + "".join(custom_zone(name) for name in names)
        + "".join(event_in(name, f"talk-{n}@x") for n, name in enumerate(names[:used]))
        + FOOT
    ).encode()


def nested(depth: int) -> bytes:
    """An event, and ``depth`` X- components each inside the one before."""
    return (
        HEAD
        + event_in("Europe/London", "talk@x")
        + "BEGIN:X-B\r\n" * depth
        + "END:X-B\r\n" * depth
        + FOOT
    ).encode()


OWN_ZONES = zones(10_000)
ZONES = zones(10_000, own=0)
NESTED = nested(200_000)
REFUSED = [
    (
        OWN_ZONES,
        "the file defines more than 30 time zones of its own (VTIMEZONEs whose TZID "
        "names no known zone)",
    ),
    (ZONES, "the file defines more than 100 time zones (VTIMEZONE)"),
    (
        NESTED,
        "the file's components are nested more than 10 deep (BEGIN:X-B inside "
        "VCALENDAR > X-B > X-B > …)",
    ),
]


@dataclass
class Built:
    """What icalendar built: files parsed, and VTIMEZONEs turned into time zones."""

    files: int = 0
    zones: int = 0


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Built:
    counts = Built()
    parse = icalendar.Calendar.from_ical
    to_tz = icalendar.Timezone.to_tz

    def counting_parse(cls: Any, st: Any, multiple: bool = False) -> Any:
        counts.files += 1
        return parse(st, multiple)

    def counting_to_tz(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.zones += 1
        return to_tz(self, *args, **kwargs)

    monkeypatch.setattr(icalendar.Calendar, "from_ical", classmethod(counting_parse))
    monkeypatch.setattr(icalendar.Timezone, "to_tz", counting_to_tz)
    return counts


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Event).count()


def test_the_limits_are_those_the_readme_states() -> None:
    from calendar_service.ical import structure

    assert (
        structure.MAX_ZONES,
        structure.MAX_OWN_ZONES,
        structure.MAX_DEPTH,
        structure.MAX_OBSERVANCES,
        structure.MAX_ZONE_DATES,
    ) == (MAX_ZONES, MAX_OWN_ZONES, MAX_DEPTH, MAX_OBSERVANCES, MAX_ZONE_DATES)


def test_the_hostile_files_are_as_large_as_reported() -> None:
    for data in (OWN_ZONES, ZONES):
        assert 3_000_000 < len(data) < LIMIT
        assert data.count(b"BEGIN:VTIMEZONE") == 10_000
    assert 3_000_000 < len(NESTED) < LIMIT
    assert NESTED.count(b"BEGIN:X-B") == 200_000


@pytest.mark.parametrize("data, reason", REFUSED)
def test_the_import_command_refuses_before_parsing(
    app: Flask,
    runner: FlaskCliRunner,
    calendar: dict[str, Any],
    tmp_path: Path,
    built: Built,
    memory_at_most: Memory,
    data: bytes,
    reason: str,
) -> None:
    path = tmp_path / "hostile.ics"
    path.write_bytes(data)
    with memory_at_most(60):
        result = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}: nothing imported: {reason}" in result.output
    assert (built.files, built.zones) == (0, 0)
    assert stored(app) == 0


@pytest.mark.parametrize("data, reason", REFUSED)
def test_the_upload_page_refuses_before_parsing(
    app: Flask,
    signed_in: FlaskClient,
    calendar: dict[str, Any],
    built: Built,
    memory_at_most: Memory,
    data: bytes,
    reason: str,
) -> None:
    signed_in.get("/organiser/import")  # warm
    # Encoded beforehand, in memory: the test client would spool a body this large to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(
        {
            "calendar": "test",
            "preview": "Preview (dry run)",
            "file": FileStorage(BytesIO(data), filename="hostile.ics"),
        }
    )
    with memory_at_most(60):
        response = signed_in.post(
            "/organiser/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
    assert response.status_code == 422
    assert "Nothing was imported: " + escape(reason) in response.text
    assert (built.files, built.zones) == (0, 0)
    assert stored(app) == 0


@pytest.mark.parametrize(
    "data, reason",
    [
        (zones(MAX_ZONES + 1, used=0, own=0), "more than 100 time zones"),
        (zones(MAX_OWN_ZONES + 1, used=0), "more than 30 time zones of its own"),
        (nested(MAX_DEPTH), "nested more than 10 deep"),  # inside VCALENDAR: one more
        (
            (
                HEAD
                + "BEGIN:VTIMEZONE\r\nTZID:Many\r\n"
                + "BEGIN:STANDARD\r\nDTSTART:19700101T000000"
                "\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
                * (MAX_OBSERVANCES + 1)
                + "END:VTIMEZONE\r\n"
                + FOOT
            ).encode(),
            "more than 1,000 observances",
        ),
        (
            (
                HEAD
                + "BEGIN:VTIMEZONE\r\nTZID:Dates\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
                "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nRDATE:"
                + ",".join(
                    f"{1971 + n // 12:04d}{1 + n % 12:02d}01T000000" for n in range(MAX_ZONE_DATES)
                )
                + "\r\nRRULE:FREQ=YEARLY\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
                + FOOT
            ).encode(),
            "more than 2,000 dates and rules \\(RDATE, EXDATE, RRULE\\) in their observances",
        ),
        # Closing another component than the open one: icalendar would take an event for a zone.
        (
            (
                HEAD + "BEGIN:VEVENT\r\nUID:x@x\r\nTZID:Fake\r\nDTSTART:20270101T100000Z\r\n"
                "END:VTIMEZONE\r\n" + FOOT
            ).encode(),
            "the file is damaged: END:VTIMEZONE closes BEGIN:VEVENT",
        ),
        (
            (
                HEAD + "BEGIN:VEVENT\r\nUID:x@x\r\nDTSTART:20270101T100000Z\r\nBEGIN:VALARM\r\n"
                "END:VEVENT\r\nEND:VALARM\r\n" + FOOT
            ).encode(),
            "the file is damaged: END:VEVENT closes BEGIN:VALARM",
        ),
        # icalendar unfolds a folded BEGIN line before it reads it: so does the check.
        (
            (
                HEAD
                + "".join(
                    f"BEG\r\n IN:VTIMEZONE\r\nTZID:{KNOWN[n]}\r\nEND:VTIME\r\n\tZONE\r\n"
                    for n in range(101)
                )
                + FOOT
            ).encode(),
            "more than 100 time zones",
        ),
    ],
)
def test_each_limit_is_refused_just_past_it(
    app: Flask, calendar: dict[str, Any], built: Built, data: bytes, reason: str
) -> None:
    with app.app_context():
        target = operations.find_calendar("test")
        assert target is not None
        with pytest.raises(IcsImportError, match=reason):
            import_ics(data, target, "test", max_bytes=LIMIT)
        db.session.rollback()
    assert (built.files, built.zones) == (0, 0)


def test_a_file_at_the_limits_imports(
    app: Flask, calendar: dict[str, Any], built: Built, memory_at_most: Memory
) -> None:
    """As many zones as a file may have, as many of them of its own as it may have, each used
    by an event; an alarm inside an event: icalendar turns each zone of the file's own into a
    time zone once while parsing and the importer once more (each file's own definition
    counts), and no more; the zones of IANA names are never read."""
    data = zones(MAX_ZONES, used=MAX_ZONES, own=MAX_OWN_ZONES)
    data = data.replace(
        b"END:VEVENT\r\nEND:VCALENDAR",
        b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n"
        b"TRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    with app.app_context():
        target = operations.find_calendar("test")
        assert target is not None
        with memory_at_most(60):
            result = import_ics(data, target, "test", max_bytes=LIMIT)
        db.session.commit()
    assert (len(result.created), result.skipped) == (MAX_ZONES, [])
    assert built.files == 1
    assert built.zones <= 2 * MAX_OWN_ZONES
    assert stored(app) == MAX_ZONES
