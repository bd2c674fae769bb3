"""Series whose occurrences outlast their repeat interval many times over (a MINUTELY rule whose
occurrences each last a year): reading them is bounded (the look-back for long occurrences is
costed like the rest of the walk), and writing new ones is refused (``limits.MAX_OVERLAP``).

Old databases may already hold such rows, so the read tests store them with the write check
switched off."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import rules
from calendar_service.clock import utcnow
from calendar_service.services.imports import import_ics
from calendar_service.store import calendar_limits, operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

Memory = Callable[[float], AbstractContextManager[None]]
# What a page may make dateutil walk (``rule_walks``): the pages below walk under 200 steps; the
# year of one-minute occurrences the look-back once walked uncounted is over a million.
PAGE_STEPS = 10_000
YEAR_LONG = {
    "start": "2025-10-25T10:00:00",
    "end": "2026-10-25T10:00:00",
    "timezone": "Europe/London",
    "rrule": "FREQ=MINUTELY",
}
CENTURY_LONG = {**YEAR_LONG, "end": "2125-10-25T10:00:00"}


@pytest.fixture
def stored_anyway(
    monkeypatch: pytest.MonkeyPatch, make_event: Callable[..., dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """``make_event`` with the write-time overlap checks (the series' and its calendar's)
    switched off, as an old row would be."""

    def make(**fields: Any) -> dict[str, Any]:
        with monkeypatch.context() as patched:
            patched.setattr(rules, "check_overlap", lambda _series: None, raising=False)
            patched.setattr(calendar_limits, "admit", lambda *_args, **_kwargs: None)
            return make_event(**fields)

    return make


# Reading is bounded --------------------------------------------------------------------------


def test_expanding_a_window_counts_the_look_back_for_long_occurrences(
    rule_walks: RuleWalks,
) -> None:
    """Refused before the walk: uncounted, the look-back walked its year of minutes."""
    series = rules.Series(
        start=datetime(2025, 10, 25, 10),
        end=datetime(2026, 10, 25, 10),
        tzid="Europe/London",
        rrule="FREQ=MINUTELY",
    )
    window = rules.Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC))
    with rule_walks.at_most(0), pytest.raises(rules.ExpansionLimitError):
        rules.expand(series, window, limit=301)


def test_occurrences_that_last_a_little_longer_still_expand() -> None:
    """A daily event lasting ten days: ten in progress at once, all of them listed."""
    series = rules.Series(
        start=datetime(2027, 1, 1, 9),
        end=datetime(2027, 1, 11, 9),
        tzid="Europe/London",
        rrule="FREQ=DAILY",
    )
    window = rules.Window(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 2, tzinfo=UTC))
    found = rules.expand(series, window).occurrences
    assert [occurrence.start.day for occurrence in found] == [
        19,
        20,
        21,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        1,
    ]


def test_the_agenda_walks_little_and_shows_the_other_events(
    client: FlaskClient,
    stored_anyway: Callable[..., dict[str, Any]],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
) -> None:
    today = utcnow().date()
    stored_anyway(
        uid="daily@x",
        title="Daily stand-up",
        start=f"{today}T09:00:00",
        end=f"{today}T09:15:00",
        rrule="FREQ=DAILY",
    )
    assert client.get("/").status_code == 200  # templates and caches warm
    stored_anyway(uid="long@x", title="Everlasting", **YEAR_LONG)
    with rule_walks.at_most(PAGE_STEPS), memory_at_most(50):
        response = client.get("/")
    assert response.status_code == 200
    assert "Daily stand-up" in response.text
    notice = re.search(
        r'<div class="notice notice-error" role="alert">(.*?)</div>', response.text, re.S
    )
    assert notice and "Everlasting" in notice.group(1)


@pytest.mark.parametrize(
    "fields, query",
    [
        (YEAR_LONG, {"start": "2026-12-01", "end": "2026-12-08"}),
        (CENTURY_LONG, {"start": "8998-01-01", "end": "8999-12-31"}),
    ],
)
def test_the_occurrences_api_answers_422_without_walking(
    client: FlaskClient,
    stored_anyway: Callable[..., dict[str, Any]],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
    fields: dict[str, str],
    query: dict[str, str],
) -> None:
    stored_anyway(uid="long@x", title="Everlasting", **fields)
    assert client.get("/api/v1/calendars").status_code == 200  # warm
    with rule_walks.at_most(PAGE_STEPS), memory_at_most(50):
        response = client.get("/api/v1/occurrences", query_string=query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "too costly" in response.json["errors"]["end"]


def test_the_next_link_skips_such_a_series(
    client: FlaskClient,
    stored_anyway: Callable[..., dict[str, Any]],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
) -> None:
    today = utcnow().date()
    stored_anyway(
        uid="daily@x",
        title="Daily stand-up",
        start=f"{today}T23:00:00",
        end=f"{today}T23:15:00",
        rrule="FREQ=DAILY",
    )
    stored_anyway(uid="long@x", title="Everlasting", **YEAR_LONG)
    with rule_walks.at_most(PAGE_STEPS), memory_at_most(50):
        response = client.get("/calendars/test/next")
    assert response.status_code == 302
    assert "/events/daily@x" in response.headers["Location"]


def test_the_event_page_of_such_a_series_walks_little(
    client: FlaskClient,
    stored_anyway: Callable[..., dict[str, Any]],
    rule_walks: RuleWalks,
    memory_at_most: Memory,
) -> None:
    stored_anyway(uid="long@x", title="Everlasting", **YEAR_LONG)
    with rule_walks.at_most(PAGE_STEPS), memory_at_most(50):
        response = client.get("/events/long@x")
    assert response.status_code == 200
    assert "Everlasting" in response.text


# Writing is refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, rule",
    [
        ("2025-10-25T10:00:00", "2026-10-25T10:00:00", "FREQ=MINUTELY"),
        (
            "2027-01-01T00:00:00",
            "2027-01-02T00:00:00",
            "FREQ=DAILY;BYHOUR="
            + ",".join(map(str, range(24)))
            + ";BYMINUTE="
            + ",".join(map(str, range(60))),
        ),
        ("2027-01-01T10:00:00", "2030-01-01T10:00:00", "FREQ=HOURLY"),
        ("2027-01-01T10:00:00", "2027-02-01T10:00:00", "FREQ=HOURLY;BYMINUTE=0,30"),
    ],
)
def test_series_with_too_many_occurrences_in_progress_at_once_are_refused(
    start: str, end: str, rule: str
) -> None:
    series = rules.Series(
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        tzid="Europe/London",
        rrule=rule,
    )
    with pytest.raises(rules.SeriesError) as raised:
        rules.check_overlap(series)
    assert raised.value.field == "end"
    assert "at once" in raised.value.message


@pytest.mark.parametrize(
    "start, end, rule",
    [
        ("2027-01-01T10:00:00", "2027-01-01T10:00:00", "FREQ=MINUTELY"),
        ("2027-01-01T10:00:00", "2027-01-01T18:00:00", "FREQ=MINUTELY;INTERVAL=15"),
        ("2027-01-01T10:00:00", "2027-01-01T20:00:00", "FREQ=MINUTELY"),
        ("2027-01-01T10:00:00", "2027-02-01T10:00:00", "FREQ=HOURLY"),
        ("2027-01-01T10:00:00", "2029-01-01T10:00:00", "FREQ=DAILY"),
        (
            "2027-01-01T10:00:00",
            "2027-01-01T10:30:00",
            "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;"
            "BYMINUTE=0,5,10,15,20,25,30,35,40,45,50,55",
        ),
        ("2027-01-04T10:00:00", "2030-01-04T10:00:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("2027-01-01T10:00:00", "2527-01-01T10:00:00", "FREQ=YEARLY"),
    ],
)
def test_long_but_sparse_enough_series_are_accepted(start: str, end: str, rule: str) -> None:
    series = rules.Series(
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        tzid="Europe/London",
        rrule=rule,
    )
    rules.check_overlap(series)


def test_an_all_day_series_is_measured_in_days() -> None:
    rules.check_overlap(
        rules.Series(
            start=date(2027, 1, 1), end=date(2029, 1, 1), tzid="Europe/London", rrule="FREQ=DAILY"
        )
    )
    with pytest.raises(rules.SeriesError):
        rules.check_overlap(
            rules.Series(
                start=date(2027, 1, 1),
                end=date(2030, 1, 1),
                tzid="Europe/London",
                rrule="FREQ=DAILY",
            )
        )


def test_the_api_refuses_such_a_series_on_create_and_on_patch(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/events",
        headers=auth_headers,
        json={"calendar": "test", "title": "Everlasting", **YEAR_LONG},
    )
    assert created.status_code == 422
    assert created.mimetype == "application/problem+json"
    assert "at once" in created.json["errors"]["end"]
    fine = client.post(
        "/api/v1/events",
        headers=auth_headers,
        json={
            "calendar": "test",
            "title": "Ticks",
            "uid": "ticks@x",
            "start": "2027-01-01T10:00:00",
            "end": "2027-01-01T10:01:00",
            "rrule": "FREQ=MINUTELY",
        },
    )
    assert fine.status_code == 201, fine.json
    patched = client.patch(
        "/api/v1/events/ticks@x", headers=auth_headers, json={"end": "2028-01-01T10:00:00"}
    )
    assert patched.status_code == 422
    assert "at once" in patched.json["errors"]["end"]


def test_the_editor_refuses_such_a_series_next_to_the_end(
    app: Flask, signed_in: FlaskClient, calendar: dict[str, Any]
) -> None:
    response = signed_in.post(
        "/organiser/events/new",
        data={
            "title": "Everlasting",
            "calendar": "test",
            "start_date": "2027-01-01",
            "start_time": "10:00",
            "end_date": "2028-01-01",
            "end_time": "10:00",
            "recurrence": "custom",
            "custom_rrule": "FREQ=MINUTELY",
            "ends": "never",
            "status": "confirmed",
            "published": "published",
            "save": "Save",
        },
    )
    assert response.status_code == 422
    block = re.search(
        r'<div class="field field-error" id="field-end_date">(.*?)</div>', response.text, re.S
    )
    assert block and "at once" in block.group(1)
    with app.app_context():
        assert db.session.query(Event).count() == 0


def test_an_import_skips_such_a_series_with_the_reason(
    app: Flask, calendar: dict[str, Any], signed_in: FlaskClient
) -> None:
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:long@x\r\nSUMMARY:Everlasting\r\nDTSTART:20251025T100000Z\r\n"
        b"DTEND:20261025T100000Z\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    with app.app_context():
        target = operations.find_calendar("test")
        result = import_ics(body, target, "test", max_bytes=100_000)
        db.session.commit()
    assert result.created == []
    assert [item.what for item in result.skipped] == ["Everlasting"]  # by title
    assert "at once" in result.skipped[0].reason
    page = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(body), "long.ics")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert "at once" in page.text


def test_window_bounds_are_unchanged_for_ordinary_series(
    client: FlaskClient, make_event: Callable[..., dict[str, Any]]
) -> None:
    make_event(
        uid="week@x",
        start="2027-01-04T10:00:00",
        end="2027-01-11T10:00:00",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    response = client.get(
        "/api/v1/occurrences", query_string={"start": "2027-01-10", "end": "2027-01-12"}
    )
    assert response.status_code == 200
    starts = [item["start"] for item in response.json["occurrences"]]
    assert starts == ["2027-01-04T10:00:00+00:00", "2027-01-11T10:00:00+00:00"]
    assert timedelta(days=7) == datetime.fromisoformat(
        response.json["occurrences"][0]["end"]
    ) - datetime.fromisoformat(starts[0])
