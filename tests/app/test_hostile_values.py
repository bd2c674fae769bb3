"""Values that once gave a 500 and now get a clear 4xx: dates in the year 9999 (an end or a
duration computed from them overflows ``datetime``), a lone surrogate in JSON text, imports at
the ends of time, and a sign-in ``next`` with a line break."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.services.imports import import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

YEARS = "between the years 1800 and 9000"
SERIES = {
    "calendar": "test",
    "title": "Seminar",
    "uid": "s@x",
    "start": "2027-01-27T14:00:00",
    "end": "2027-01-27T15:00:00",
    "rrule": "FREQ=WEEKLY",
}


def stored_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Event).count()


def problem(response: Any, status: int, field: str) -> str:
    """The field's message of a problem+json answer with this status."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    message: str = response.json["errors"][field]
    return message


@pytest.fixture
def series(client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]) -> str:
    response = client.post("/api/v1/events", json=SERIES, headers=auth_headers)
    assert response.status_code == 201, response.json
    return "s@x"


# The year 9999 --------------------------------------------------------------------------------


FAR_STARTS = [{"start": "9999-12-31T23:30:00"}, {"start": "9999-12-31"}]
# Neighbours that were refused already (by the engine's own year check): kept refused.
FAR_NEIGHBOURS = [
    {"start": "9999-12-31T23:30:00", "end": "9999-12-31T23:45:00"},
    {"start": "9999-12-31T23:30:00+14:00"},
    {"start": "9999-12-31", "all_day": True, "end": "9999-12-31"},
    {"start": "0001-01-01T00:00:00-14:00"},
]


@pytest.mark.parametrize("fields", FAR_STARTS)
def test_an_event_in_the_year_9999_is_a_422_on_start(
    client: FlaskClient,
    calendar: dict[str, Any],
    auth_headers: dict[str, str],
    app: Flask,
    fields: dict[str, Any],
) -> None:
    response = client.post(
        "/api/v1/events", headers=auth_headers, json={"calendar": "test", "title": "Far", **fields}
    )
    assert YEARS in problem(response, 422, "start")
    assert stored_count(app) == 0


@pytest.mark.parametrize("fields", FAR_NEIGHBOURS)
def test_other_starts_out_of_range_stay_a_422_on_start(
    client: FlaskClient,
    calendar: dict[str, Any],
    auth_headers: dict[str, str],
    app: Flask,
    fields: dict[str, Any],
) -> None:
    """Not a reproduction (these were 422 before): a guard that they stay so."""
    response = client.post(
        "/api/v1/events", headers=auth_headers, json={"calendar": "test", "title": "Far", **fields}
    )
    assert YEARS in problem(response, 422, "start")
    assert stored_count(app) == 0


def test_patching_the_start_into_the_year_9999_is_a_422(
    client: FlaskClient, series: str, auth_headers: dict[str, str]
) -> None:
    response = client.patch(
        f"/api/v1/events/{series}", headers=auth_headers, json={"start": "9999-12-31T23:30:00"}
    )
    assert YEARS in problem(response, 422, "start")
    response = client.patch(
        f"/api/v1/events/{series}", headers=auth_headers, json={"end": "9999-12-31T23:30:00"}
    )
    assert YEARS in problem(response, 422, "end")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "9999-12-31T23:30:00"}, "start"),
        ({"end": "9999-12-31T23:30:00"}, "end"),
        ({"start": "2027-02-03T14:00:00", "end": "9999-12-31T23:59:59"}, "end"),
    ],
)
def test_moving_an_occurrence_into_the_year_9999_is_a_422(
    client: FlaskClient, series: str, auth_headers: dict[str, str], body: dict[str, str], field: str
) -> None:
    response = client.put(
        f"/api/v1/events/{series}/occurrences/2027-02-03T14:00:00", headers=auth_headers, json=body
    )
    assert YEARS in problem(response, 422, field)


EDITOR = {
    "title": "Far",
    "calendar": "test",
    "start_date": "9999-12-31",
    "start_time": "23:30",
    "recurrence": "none",
    "ends": "never",
    "status": "confirmed",
    "published": "published",
}


@pytest.mark.parametrize(
    "form",
    [
        EDITOR,
        {**EDITOR, "all_day": "y", "start_time": ""},
        {**EDITOR, "start_date": "2027-01-01", "end_date": "9999-12-31", "end_time": "23:30"},
    ],
)
def test_the_editor_preview_json_says_which_date_is_out_of_range(
    signed_in: FlaskClient, calendar: dict[str, Any], form: dict[str, str]
) -> None:
    response = signed_in.get("/organiser/preview.json", query_string=form)
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is False
    field = "end_date" if form["start_date"] == "2027-01-01" else "start_date"
    assert YEARS in body["errors"][field]


@pytest.mark.parametrize("button", ["preview", "save"])
def test_the_editor_form_shows_the_date_out_of_range_next_to_it(
    app: Flask, signed_in: FlaskClient, calendar: dict[str, Any], button: str
) -> None:
    for form in (EDITOR, {**EDITOR, "all_day": "y", "start_time": ""}):
        response = signed_in.post("/organiser/events/new", data={**form, button: button.title()})
        assert response.status_code == 422
        block = re.search(
            r'<div class="field field-error" id="field-start_date">(.*?)</div>', response.text, re.S
        )
        assert block and YEARS in block.group(1), response.text[:2000]
    assert stored_count(app) == 0


# A lone surrogate -----------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_title_is_a_422(
    client: FlaskClient, series: str, app: Flask, auth_headers: dict[str, str]
) -> None:
    raw = '{"calendar": "test", "title": "\\ud800", "start": "2027-01-01T10:00:00"}'
    created = client.post(
        "/api/v1/events", data=raw, headers=auth_headers, content_type="application/json"
    )
    assert "Unicode" in problem(created, 422, "title")
    patched = client.patch(
        f"/api/v1/events/{series}",
        data='{"title": "x\\udfff"}',
        headers=auth_headers,
        content_type="application/json",
    )
    assert "Unicode" in problem(patched, 422, "title")
    put = client.put(
        f"/api/v1/events/{series}/occurrences/2027-02-03T14:00:00",
        data='{"location": "\\ud83d"}',
        headers=auth_headers,
        content_type="application/json",
    )
    assert "Unicode" in problem(put, 422, "location")
    assert stored_count(app) == 1
    fine = client.patch(
        f"/api/v1/events/{series}",
        data='{"title": "\\ud83d\\ude00 party"}',
        headers=auth_headers,
        content_type="application/json",
    )
    assert fine.status_code == 200 and fine.json["title"] == "\U0001f600 party"


# Imports at the ends of time ------------------------------------------------------------------


FAR_IMPORTS = [
    ("DTSTART;VALUE=DATE:99991231", f"DTSTART must be {YEARS}"),
    (
        "DTSTART:20270101T100000Z\nDURATION:P99999999W",
        "DURATION is too long: the event would end after the year 9000",
    ),
    (
        "DTSTART;VALUE=DATE:20270101\nDURATION:P99999999W",
        "DURATION is too long: the event would end after the year 9000",
    ),
    (
        "DTSTART:20270101T100000Z\nDURATION:-P99999999W",
        "DURATION is negative: the event would end before the year 1800",
    ),
]
# Skipped before too (with the engine's wording): now named by their iCalendar property.
FAR_IMPORT_NEIGHBOURS = [
    ("DTSTART:99991231T233000Z", f"DTSTART must be {YEARS}"),
    ("DTSTART;TZID=Asia/Tokyo:99991231T233000", f"DTSTART must be {YEARS}"),
    ("DTSTART:20270101T100000Z\nDTEND:99991231T235959Z", f"DTEND must be {YEARS}"),
    (
        "DTSTART:20270101T100000Z\nRRULE:FREQ=DAILY\nEXDATE:99991231T100000Z",
        f"EXDATE must be {YEARS}",
    ),
]


@pytest.mark.parametrize("lines, reason", FAR_IMPORTS + FAR_IMPORT_NEIGHBOURS)
def test_an_import_at_the_ends_of_time_is_skipped_with_the_reason(
    app: Flask, calendar: dict[str, Any], signed_in: FlaskClient, lines: str, reason: str
) -> None:
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:far@x\r\nSUMMARY:Far\r\n"
        + lines.replace("\n", "\r\n")
        + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    with app.app_context():
        result = import_ics(body, operations.find_calendar("test"), "test", max_bytes=100_000)
        db.session.rollback()
    assert result.created == []
    assert [(item.what, item.reason) for item in result.skipped] == [("Far", reason)]  # by title
    page = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(body), "far.ics")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert "0 created, 0 updated, 0 unchanged, 1 skipped" in page.text


# A sign-in ``next`` with a line break ---------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/organiser/\r\nSet-Cookie: evil=1",
        "/x\nLocation: https://evil.example",
        "/\r",
        # not a 500 before (the tab was dropped, U+2028 quoted), but no place to go either:
        "/organiser/\tX: y",
        "/organiser/\u2028x",
    ],
)
def test_a_next_with_a_line_break_redirects_to_the_dashboard(
    client: FlaskClient, organiser: dict[str, Any], target: str
) -> None:
    response = client.post(
        "/organiser/sign-in",
        query_string={"next": target},
        data={"email": organiser["email"], "password": organiser["password"]},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"
    assert "evil" not in response.headers.get("Set-Cookie", "")
    again = client.get("/organiser/sign-in", query_string={"next": target})
    assert again.status_code == 302
    assert again.headers["Location"] == "/organiser/"
