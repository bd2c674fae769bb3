"""A file's own VTIMEZONE is read within a budget: observances that repeat more often than
yearly (or that would make too many transitions) make the import refuse the file, at once and
with the reason, instead of expanding clock changes every minute for ever."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from calendar_service.services.imports import IcsImportError, import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

Memory = Callable[[float], AbstractContextManager[None]]
# What dateutil may walk (``rule_walks``) for a file refused at once: the checks read the rules'
# parts, walking at most a year (366 days) to see that a rule occurs.  Reading the minutely
# bomb's clock changes walked millions of minutes (a 600-byte file grew by ~10 MB a second).
REFUSED_STEPS = 1_000
# Reading a yearly zone from 1601 walks each of its two observances' years once: ~315,000 steps
# (366 days examined a year).
YEARLY_FROM_1601_STEPS = 500_000


def zone_file(
    *rules: str, tzid: str = "Bomb", first: str = "19700101T000000", event: str = "20270101T100000"
) -> bytes:
    """A ~600-byte .ics: a VTIMEZONE whose two observances repeat by ``rules``, and one event
    in it."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//bomb//EN",
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
    ]
    for kind, (offset_from, offset_to), rule in zip(
        ("STANDARD", "DAYLIGHT"), (("+0100", "+0000"), ("+0000", "+0100")), rules, strict=False
    ):
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{first}",
            f"TZOFFSETFROM:{offset_from}",
            f"TZOFFSETTO:{offset_to}",
            f"RRULE:{rule}",
            f"END:{kind}",
        ]
    lines += [
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:bomb@x",
        "SUMMARY:Bomb",
        f"DTSTART;TZID={tzid}:{event}",
        "DURATION:PT1H",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


MINUTELY = zone_file("FREQ=MINUTELY", "FREQ=MINUTELY;BYSECOND=30")
HOURLY = zone_file("FREQ=HOURLY", "FREQ=HOURLY;BYMINUTE=30")
BOMBS = [(MINUTELY, "FREQ=MINUTELY"), (HOURLY, "FREQ=HOURLY")]


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Event).count()


@pytest.mark.parametrize("data, freq", BOMBS)
def test_the_import_command_refuses_the_file_at_once(
    app: Flask,
    runner: FlaskCliRunner,
    calendar: dict[str, Any],
    tmp_path: Path,
    rule_walks: RuleWalks,
    memory_at_most: Memory,
    data: bytes,
    freq: str,
) -> None:
    assert len(data) < 700
    path = tmp_path / "bomb.ics"
    path.write_bytes(data)
    with rule_walks.at_most(REFUSED_STEPS), memory_at_most(50):
        result = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        f"nothing imported: the time zone 'Bomb' repeats a clock change {freq}; "
        "a VTIMEZONE's observances repeat yearly"
    ) in result.output
    assert count(app) == 0


@pytest.mark.parametrize("data, freq", BOMBS)
def test_the_upload_page_refuses_the_file_at_once(
    app: Flask,
    signed_in: FlaskClient,
    calendar: dict[str, Any],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
    data: bytes,
    freq: str,
) -> None:
    signed_in.get("/organiser/import")  # warm
    with rule_walks.at_most(REFUSED_STEPS), memory_at_most(50):
        response = signed_in.post(
            "/organiser/import",
            data={"calendar": "test", "file": (BytesIO(data), "bomb.ics")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 422
    assert (
        f"Nothing was imported: the time zone &#39;Bomb&#39; repeats a clock change {freq}"
    ) in response.text
    assert count(app) == 0


@pytest.mark.parametrize(
    "data, reason",
    [
        (
            zone_file(
                "FREQ=YEARLY;BYYEARDAY=" + ",".join(map(str, range(1, 367))),
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            ),
            "at most 4 a year",
        ),
        (
            zone_file(
                "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;BYHOUR=0,1,2,3,4,5,6",
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            ),
            "at most 4 a year",
        ),
        (
            zone_file(
                "FREQ=YEARLY;BYMONTH=1,4,7,10;BYDAY=-1SU",
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                first="10000101T000000",
            ),
            "too many clock changes",
        ),
        (
            zone_file("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
            "RRULE that cannot be used: the rule never occurs",
        ),
        (
            zone_file(*["FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"] * 2).replace(
                b"END:VTIMEZONE",
                b"END:VTIMEZONE"
                + b"".join(
                    b"\r\nBEGIN:VTIMEZONE\r\nTZID:Etc/GMT+%d" % (n % 12 + 1)
                    + b"".join(
                        b"\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100"
                        b"\r\nTZOFFSETTO:+0000\r\nRRULE:FREQ=YEARLY;BYMONTH=%d;BYDAY=-1SU"
                        b"\r\nEND:STANDARD" % month
                        for month in (4, 7, 10)
                    )
                    + b"\r\nEND:VTIMEZONE"
                    for n in range(67)
                ),
            ),  # 2 + 67 × 3 rules, in no more zones than a file may have
            # (named as IANA zones: a file may define only a few zones of its own)
            "more than 200 RRULEs",
        ),
    ],
)
def test_dense_or_endless_yearly_observances_are_refused(
    app: Flask,
    calendar: dict[str, Any],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
    data: bytes,
    reason: str,
) -> None:
    with app.app_context():
        target = operations.find_calendar("test")
        with (
            rule_walks.at_most(REFUSED_STEPS),
            memory_at_most(50),
            pytest.raises(IcsImportError, match=reason),
        ):
            import_ics(data, target, "test", max_bytes=100_000)
        db.session.rollback()


def test_a_custom_yearly_zone_still_converts_times(
    app: Flask, calendar: dict[str, Any], rule_walks: RuleWalks, memory_at_most: Memory
) -> None:
    """Outlook's "Customized Time Zone": observances from 1601, yearly, read as before."""
    data = zone_file(
        "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        tzid="Customized Time Zone",
        first="16010101T020000",
        event="20270701T100000",
    )
    with app.app_context():
        target = operations.find_calendar("test")
        with rule_walks.at_most(YEARLY_FROM_1601_STEPS), memory_at_most(50):
            result = import_ics(data, target, "test", max_bytes=100_000)
        db.session.commit()
        assert result.created == ["bomb@x"], result.skipped
        event = operations.find_event("bomb@x")
        assert event is not None
        assert (event.timezone, event.start_local.isoformat()) == (
            "Europe/London",
            "2027-07-01T10:00:00",
        )  # 10:00 +01:00 is 10:00 in London's summer


def test_a_known_zone_with_a_yearly_vtimezone_imports_as_before(
    app: Flask, calendar: dict[str, Any]
) -> None:
    data = zone_file(
        "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", tzid="Europe/Paris"
    )
    with app.app_context():
        result = import_ics(data, operations.find_calendar("test"), "test", max_bytes=100_000)
        assert result.created == ["bomb@x"]
        event = operations.find_event("bomb@x")
        assert event is not None and event.timezone == "Europe/Paris"
