"""The write API (docs/contract.md: Organisers): tokens, every route's success and failure
answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from calendar_service.clock import utcnow
from calendar_service.store.db import db
from calendar_service.store.models import ApiToken, AuditEntry, Event, Organiser

SEMINAR = {
    "calendar": "test",
    "title": "TPS seminar",
    "start": "2027-01-27T14:00:00",
    "end": "2027-01-27T15:00:00",
    "rrule": "FREQ=MONTHLY;BYDAY=-1WE",
    "categories": ["tps"],
}
OccurrencesOf = Callable[[str, str, str], list[dict[str, Any]]]


@pytest.fixture
def occurrences_of(occurrences_between: Callable[..., list[Any]]) -> OccurrencesOf:
    """``occurrences_of(uid, start, end)``: the seam's view of one event's occurrences in a
    window, as plain values."""

    def values(item: Any) -> tuple[str, dict[str, Any]]:
        return item.event.uid, {
            "recurrence_id": item.occurrence.recurrence_id,
            "start": item.occurrence.start.isoformat(),
            "title": item.occurrence.title or item.event.title,
            "cancelled": item.occurrence.cancelled,
            "moved": item.occurrence.moved,
        }

    def of(uid: str, start: str, end: str) -> list[dict[str, Any]]:
        found = occurrences_between(start, end, values, include_drafts=True)
        return [value for event_uid, value in found if event_uid == uid]

    return of


def audit_count(app: Flask) -> int:
    """Audit entries about events and calendars (accounts and tokens are audited too)."""
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.target_type.in_(("event", "calendar", "occurrence")))
            )
            or 0
        )


@pytest.fixture
def seminar(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/events", json={**SEMINAR, "uid": "tps/seminar@turing"}, headers=auth_headers
    )
    assert response.status_code == 201, response.json
    return {"body": response.json, "etag": response.headers["ETag"]}


# Authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, error",
    [
        (None, None),
        ("Basic YWRhOnB3", "invalid_request"),
        ("Bearer", "invalid_request"),
        ("Bearer cal_not-a-real-token", "invalid_token"),
        ("Bearer " + "x" * 5000, "invalid_token"),
    ],
)
def test_write_routes_need_a_valid_bearer_token(
    client: FlaskClient, calendar: dict[str, Any], header: str | None, error: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.post("/api/v1/events", json=SEMINAR, headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="calendar-service"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def test_a_revoked_token_stops_working_at_once(
    app: Flask, client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    assert client.post("/api/v1/events", json=SEMINAR, headers=auth_headers).status_code == 201
    with app.app_context():
        for row in db.session.scalars(select(ApiToken)):
            row.revoked = utcnow()
        db.session.commit()
    response = client.post("/api/v1/events", json=SEMINAR, headers=auth_headers)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_deactivated_organisers_tokens_stop_working(
    app: Flask, client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    with app.app_context():
        for row in db.session.scalars(select(Organiser)):
            row.active = False
        db.session.commit()
    assert client.post("/api/v1/events", json=SEMINAR, headers=auth_headers).status_code == 401


def test_token_use_is_recorded(
    app: Flask, client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    client.post("/api/v1/events", json=SEMINAR, headers=auth_headers)
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.last_used is not None


# Calendars --------------------------------------------------------------------------------


def test_admins_create_calendars_and_organisers_may_not(
    client: FlaskClient, auth_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    body = {"slug": "book-dash", "name": "Book Dash", "timezone": "Africa/Johannesburg"}
    refused = client.post("/api/v1/calendars", json=body, headers=auth_headers)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    created = client.post("/api/v1/calendars", json=body, headers=admin_headers)
    assert created.status_code == 201
    assert created.json["slug"] == "book-dash"
    assert created.json["timezone"] == "Africa/Johannesburg"
    assert created.json["feed_url"] == "http://localhost/calendars/book-dash.ics"
    again = client.post("/api/v1/calendars", json=body, headers=admin_headers)
    assert again.status_code == 422
    assert "slug" in again.json["errors"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"slug": "Bad Slug", "name": "X"}, "slug"),
        ({"slug": "ok", "name": ""}, "name"),
        ({"slug": "ok", "name": "X", "timezone": "Mars/Base"}, "timezone"),
        ({"slug": "ok", "name": "X", "colour": "red"}, "colour"),
    ],
)
def test_calendar_field_errors_are_422(
    client: FlaskClient, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/calendars", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]


# Creating events --------------------------------------------------------------------------


def test_create_answers_201_with_the_stored_event_its_location_and_etag(
    client: FlaskClient, seminar: dict[str, Any], occurrences_of: OccurrencesOf
) -> None:
    body = seminar["body"]
    assert body["uid"] == "tps/seminar@turing"
    assert body["rrule"] == "FREQ=MONTHLY;BYDAY=-1WE"
    assert body["recurrence_text"] == "Monthly on the last Wednesday"
    assert body["timezone"] == "Europe/London"
    assert body["sequence"] == 0
    assert body["published"] is True
    assert seminar["etag"].startswith('"') and seminar["etag"].endswith('"')
    found = occurrences_of(body["uid"], "2027-01-01", "2027-04-01")
    assert [item["start"] for item in found] == [
        "2027-01-27T14:00:00+00:00",
        "2027-02-24T14:00:00+00:00",
        "2027-03-31T14:00:00+01:00",
    ]


def test_location_header_points_at_the_event(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/events", json={**SEMINAR, "uid": "a/b@c.d"}, headers=auth_headers
    )
    assert response.headers["Location"] == "http://localhost/api/v1/events/a/b@c.d"
    fetched = client.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.json["title"] == "TPS seminar"
    assert fetched.headers["ETag"] == response.headers["ETag"]


def test_the_etag_of_a_get_is_what_if_match_takes(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    etag = client.get("/api/v1/events/tps/seminar@turing").headers["ETag"]
    assert (
        client.patch(
            "/api/v1/events/tps/seminar@turing",
            json={"title": "Renamed"},
            headers={**auth_headers, "If-Match": etag},
        ).status_code
        == 200
    )
    assert (
        client.patch(
            "/api/v1/events/tps/seminar@turing",
            json={"title": "Again"},
            headers={**auth_headers, "If-Match": etag},
        ).status_code
        == 412
    )


def test_create_records_who_did_it(
    app: Flask, client: FlaskClient, seminar: dict[str, Any]
) -> None:
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "event")
        ).one()
        assert (entry.actor, entry.action, entry.target) == (
            "ada@example.org",
            "create",
            "tps/seminar@turing",
        )


HOSTILE_JSON = [
    ({"title": "x"}, "calendar"),
    ({**SEMINAR, "title": 42}, "title"),
    ({**SEMINAR, "published": "yes"}, "published"),
    ({**SEMINAR, "categories": "tps"}, "categories"),
    ({**SEMINAR, "colour": "red"}, "colour"),
    ({**SEMINAR, "title": "bad\u0000title"}, "title"),
    ({**SEMINAR, "all_day": True}, "start"),
    ({**SEMINAR, "end": "2027-01-27T13:00:00"}, "end"),
    ({**SEMINAR, "timezone": "Europe/Atlantis"}, "timezone"),
    ({**SEMINAR, "calendar": "nope"}, "calendar"),
    ({**SEMINAR, "rrule": "FREQ=SOMETIMES"}, "rrule"),
    ({**SEMINAR, "rrule": "FREQ=SECONDLY"}, "rrule"),
    ({**SEMINAR, "start": "2027-02-30T14:00:00"}, "start"),
    ({**SEMINAR, "url": "javascript:alert(1)"}, "url"),
    ({**SEMINAR, "exdates": "2027-02-24T14:00:00"}, "exdates"),
    ({**SEMINAR, "uid": "has space"}, "uid"),
    ([SEMINAR], "body"),
    ("a string", "body"),
]


@pytest.mark.parametrize("body, field", HOSTILE_JSON)
def test_invalid_events_are_422_with_the_field_and_nothing_is_stored(
    app: Flask,
    client: FlaskClient,
    calendar: dict[str, Any],
    auth_headers: dict[str, str],
    body: Any,
    field: str,
) -> None:
    response = client.post("/api/v1/events", json=body, headers=auth_headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    assert audit_count(app) == 1  # only the calendar's creation


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"{",
        b"{'title': 'single quotes'}",
        b"\x00\x00\x00",
        b"\xff\xfe{}",
        b'{"title": NaN}',
        b"[" * 100_000 + b"]" * 100_000,
        b"not json at all",
    ],
)
def test_malformed_bodies_are_400(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str], raw: bytes
) -> None:
    response = client.post(
        "/api/v1/events", data=raw, headers=auth_headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400


def test_a_body_over_one_mebibyte_is_413(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    body = json.dumps({**SEMINAR, "description": "x" * (1024 * 1024)})
    response = client.post(
        "/api/v1/events", data=body, headers=auth_headers, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_body_just_under_the_limit_is_read(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    body = json.dumps({**SEMINAR, "description": "x" * 900_000})
    response = client.post(
        "/api/v1/events", data=body, headers=auth_headers, content_type="application/json"
    )
    assert response.status_code == 422  # read, then refused: the description is too long
    assert "description" in response.json["errors"]


def test_html_in_fields_is_stored_as_text(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    title = '<script>alert("x")</script>'
    response = client.post("/api/v1/events", json={**SEMINAR, "title": title}, headers=auth_headers)
    assert response.status_code == 201
    assert response.json["title"] == title


def test_a_taken_uid_is_a_conflict(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/events", json={**SEMINAR, "uid": "tps/seminar@turing"}, headers=auth_headers
    )
    assert response.status_code == 409


# Changing and deleting events ---------------------------------------------------------------


def test_patch_changes_the_given_fields_and_bumps_sequence(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    response = client.patch(
        "/api/v1/events/tps/seminar@turing",
        json={"location": "British Library"},
        headers=auth_headers,
    )
    assert response.status_code == 200
    assert response.json["location"] == "British Library"
    assert response.json["title"] == "TPS seminar"
    assert response.json["sequence"] == 1
    assert response.headers["ETag"] != seminar["etag"]


def test_patch_honours_if_match(
    app: Flask, client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    url = "/api/v1/events/tps/seminar@turing"
    first = client.patch(
        url, json={"title": "First"}, headers={**auth_headers, "If-Match": seminar["etag"]}
    )
    assert first.status_code == 200
    stale = client.patch(
        url, json={"title": "Second"}, headers={**auth_headers, "If-Match": seminar["etag"]}
    )
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.headers["ETag"] == first.headers["ETag"]
    assert (
        client.patch(
            url, json={"title": "Third"}, headers={**auth_headers, "If-Match": "*"}
        ).status_code
        == 200
    )
    with app.app_context():
        event = db.session.scalars(select(Event)).one()
        assert event.title == "Third"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"end": "2027-01-27T13:00:00"}, "end"),
        ({"rrule": "FREQ=SECONDLY"}, "rrule"),
        ({"uid": "another@x"}, "uid"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
        ({"all_day": True}, "start"),
        ({"title": None}, "title"),
    ],
)
def test_invalid_patches_change_nothing(
    app: Flask,
    client: FlaskClient,
    seminar: dict[str, Any],
    auth_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.patch("/api/v1/events/tps/seminar@turing", json=body, headers=auth_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]
    with app.app_context():
        event = db.session.scalars(select(Event)).one()
        assert (event.revision, event.sequence, event.rrule) == (1, 0, SEMINAR["rrule"])


def test_unknown_events_are_404(
    client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    for method in ("patch", "delete"):
        response = getattr(client, method)("/api/v1/events/nope@x", json={}, headers=auth_headers)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_delete_answers_204_then_404(
    client: FlaskClient,
    seminar: dict[str, Any],
    auth_headers: dict[str, str],
    occurrences_of: OccurrencesOf,
) -> None:
    url = "/api/v1/events/tps/seminar@turing"
    assert client.delete(url, headers={**auth_headers, "If-Match": '"0-0"'}).status_code == 412
    response = client.delete(url, headers=auth_headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.delete(url, headers=auth_headers).status_code == 404
    assert occurrences_of("tps/seminar@turing", "2027-01-01", "2028-01-01") == []


# One occurrence -----------------------------------------------------------------------------

OCC = "/api/v1/events/tps/seminar@turing/occurrences/"


def test_cancelling_one_occurrence(
    client: FlaskClient,
    seminar: dict[str, Any],
    auth_headers: dict[str, str],
    occurrences_of: OccurrencesOf,
) -> None:
    response = client.put(
        OCC + "2027-02-24T14:00:00", json={"status": "cancelled"}, headers=auth_headers
    )
    assert response.status_code == 200
    assert response.json["sequence"] == 1
    found = occurrences_of("tps/seminar@turing", "2027-01-01", "2027-04-01")
    assert [(item["start"], item["cancelled"]) for item in found] == [
        ("2027-01-27T14:00:00+00:00", False),
        ("2027-02-24T14:00:00+00:00", True),
        ("2027-03-31T14:00:00+01:00", False),
    ]


def test_moving_and_retitling_one_occurrence_then_restoring_it(
    client: FlaskClient,
    seminar: dict[str, Any],
    auth_headers: dict[str, str],
    occurrences_of: OccurrencesOf,
) -> None:
    response = client.put(
        OCC + "2027-02-24T14:00:00",
        json={"start": "2027-02-25T16:00:00", "title": "Moved seminar"},
        headers=auth_headers,
    )
    assert response.status_code == 200
    found = occurrences_of("tps/seminar@turing", "2027-02-01", "2027-03-01")
    assert found == [
        {
            "recurrence_id": datetime(2027, 2, 24, 14),
            "moved": True,
            "start": "2027-02-25T16:00:00+00:00",
            "title": "Moved seminar",
            "cancelled": False,
        }
    ]
    restored = client.delete(OCC + "2027-02-24T14:00:00", headers=auth_headers)
    assert restored.status_code == 204
    assert restored.headers["ETag"]
    found = occurrences_of("tps/seminar@turing", "2027-02-01", "2027-03-01")
    assert [(item["start"], item["title"], item["moved"]) for item in found] == [
        ("2027-02-24T14:00:00+00:00", "TPS seminar", False)
    ]


@pytest.mark.parametrize(
    "recurrence_id",
    [
        "2027-02-23T14:00:00",  # a Tuesday: not generated
        "2027-02-24T15:00:00",  # the right day, the wrong time
        "2027-02-24",  # a date for a timed series
        "tomorrow",
        "2027-02-24T14:00:00Z",
    ],
)
def test_a_recurrence_id_the_series_does_not_generate_is_404(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str], recurrence_id: str
) -> None:
    response = client.put(OCC + recurrence_id, json={"status": "cancelled"}, headers=auth_headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "maybe"}, "status"),
        ({"colour": "red"}, "colour"),
        ({"start": "2027-02-25T16:00:00", "end": "2027-02-25T15:00:00"}, "end"),
        ({"title": ""}, "title"),
        ({"start": "not a time"}, "start"),
    ],
)
def test_invalid_occurrence_changes_are_422_and_change_nothing(
    app: Flask,
    client: FlaskClient,
    seminar: dict[str, Any],
    auth_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.put(OCC + "2027-02-24T14:00:00", json=body, headers=auth_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]
    with app.app_context():
        event = db.session.scalars(select(Event)).one()
        assert (event.overrides, event.sequence, event.revision) == ([], 0, 1)


def test_occurrence_changes_honour_if_match(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    client.patch(
        "/api/v1/events/tps/seminar@turing", json={"title": "Renamed"}, headers=auth_headers
    )
    response = client.put(
        OCC + "2027-02-24T14:00:00",
        json={"status": "cancelled"},
        headers={**auth_headers, "If-Match": seminar["etag"]},
    )
    assert response.status_code == 412


def test_every_change_is_audited(
    app: Flask, client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    client.put(OCC + "2027-02-24T14:00:00", json={"status": "cancelled"}, headers=auth_headers)
    client.delete(OCC + "2027-02-24T14:00:00", headers=auth_headers)
    client.patch("/api/v1/events/tps/seminar@turing", json={"title": "X"}, headers=auth_headers)
    client.delete("/api/v1/events/tps/seminar@turing", headers=auth_headers)
    with app.app_context():
        actions = [
            entry.action
            for entry in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.target_type.in_(("event", "occurrence")))
                .order_by(AuditEntry.id)
            )
        ]
    assert actions == ["create", "cancel", "restore", "update", "delete"]


def test_all_day_events_take_dates(
    client: FlaskClient,
    calendar: dict[str, Any],
    auth_headers: dict[str, str],
    occurrences_of: OccurrencesOf,
) -> None:
    body = {
        "calendar": "test",
        "title": "AI UK",
        "all_day": True,
        "start": "2027-03-16",
        "end": "2027-03-18",
        "rrule": "FREQ=YEARLY;BYMONTH=3;BYDAY=3TU",
    }
    created = client.post("/api/v1/events", json=body, headers=auth_headers)
    assert created.status_code == 201
    uid = created.json["uid"]
    cancel = client.put(
        f"/api/v1/events/{uid}/occurrences/2028-03-21",
        json={"status": "cancelled"},
        headers=auth_headers,
    )
    assert cancel.status_code == 200
    found = occurrences_of(uid, "2027-01-01", "2029-01-01")
    assert [(item["start"], item["cancelled"]) for item in found] == [
        ("2027-03-16", False),
        ("2028-03-21", True),
    ]


# The same changes, as the read API and the feed show them ---------------------------------------


def api_occurrences(client: FlaskClient) -> list[tuple[str, str, str]]:
    answer = client.get(
        "/api/v1/occurrences",
        query_string={"calendar": "test", "start": "2027-01-01", "end": "2027-04-01"},
    )
    assert answer.status_code == 200
    return [(item["start"], item["title"], item["status"]) for item in answer.json["occurrences"]]


def feed_instances(client: FlaskClient) -> list[tuple[str, str, str]]:
    """What a subscriber's client sees: the feed expanded by recurring-ical-events."""
    import icalendar
    import recurring_ical_events

    feed = client.get("/calendars/test.ics")
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.data)
    found = recurring_ical_events.of(calendar).between(datetime(2027, 1, 1), datetime(2027, 4, 1))
    return sorted(
        (
            item.decoded("DTSTART").isoformat(),
            str(item["SUMMARY"]),
            str(item.get("STATUS", "CONFIRMED")).lower(),
        )
        for item in found
    )


def test_one_occurrence_changes_show_in_the_read_api_and_the_feed(
    client: FlaskClient, seminar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    assert (
        client.put(
            OCC + "2027-02-24T14:00:00",
            json={
                "start": "2027-02-25T16:00:00",
                "end": "2027-02-25T17:00:00",
                "title": "Moved seminar",
            },
            headers=auth_headers,
        ).status_code
        == 200
    )
    assert (
        client.put(
            OCC + "2027-03-31T14:00:00", json={"status": "cancelled"}, headers=auth_headers
        ).status_code
        == 200
    )
    assert api_occurrences(client) == [
        ("2027-01-27T14:00:00+00:00", "TPS seminar", "confirmed"),
        ("2027-02-25T16:00:00+00:00", "Moved seminar", "confirmed"),
        ("2027-03-31T14:00:00+01:00", "TPS seminar", "cancelled"),
    ]
    assert feed_instances(client) == [
        ("2027-01-27T14:00:00+00:00", "TPS seminar", "confirmed"),
        ("2027-02-25T16:00:00+00:00", "Moved seminar", "confirmed"),
    ]
    feed = client.get("/calendars/test.ics").text
    assert "SEQUENCE:2" in feed  # subscribers' clients take the new version
    assert client.delete(OCC + "2027-03-31T14:00:00", headers=auth_headers).status_code == 204
    assert api_occurrences(client)[-1] == ("2027-03-31T14:00:00+01:00", "TPS seminar", "confirmed")
    assert feed_instances(client)[-1] == ("2027-03-31T14:00:00+01:00", "TPS seminar", "confirmed")
