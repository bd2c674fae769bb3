"""An event's address belongs to it: a uid or readable slug that is another event's address (in
any calendar) is refused, through the API (409), an import (that event skipped, with the reason)
and the editor (which never takes one); and a uid a caller chooses must be one every route that
takes an address reads back whole (``/events/<uid>``, ``.ics``, ``/next``, the API's and the
organiser's routes), else 422 on ``uid``.  Other programs' uids (Outlook's, Google's, Apple's)
keep importing, and their pages are at their readable addresses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from calendar_service.services.imports import import_ics
from calendar_service.store import accounts, identifiers, operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

MakeEvent = Callable[..., dict[str, Any]]
BOB = "bob@example.org"
LIMIT = 4 * 1024 * 1024


def headers_of(app: Flask, email: str) -> dict[str, str]:
    with app.app_context():
        organiser = accounts.find_organiser(email)
        _row, secret = accounts.create_token(organiser, "scripts")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def day(clock: Any) -> date:
    """A day next week: every test's events are upcoming on whatever day the suite runs."""
    return clock.today() + timedelta(days=7)


@pytest.fixture
def quarterly_review(
    make_calendar: Callable[..., dict[str, Any]], make_event: MakeEvent, day: date
) -> dict[str, Any]:
    """Calendar B's published event at ``/events/quarterly-review`` (its uid is made for it),
    and calendar A beside it."""
    make_calendar(slug="cal-a", name="Calendar A")
    make_calendar(slug="cal-b", name="Calendar B")
    event = make_event(calendar="cal-b", title="Quarterly review", start=f"{day}T10:00:00")
    return event


@pytest.fixture
def bob_headers(
    app: Flask, make_organiser: Callable[..., dict[str, Any]], quarterly_review: dict[str, Any]
) -> dict[str, str]:
    """An editor of calendar A alone, with a token."""
    make_organiser(BOB, calendars=("cal-a",))
    return headers_of(app, BOB)


def events_in(app: Flask, slug: str) -> int:
    with app.app_context():
        calendar = operations.find_calendar(slug)
        return int(
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.calendar_id == calendar.id)
            )
            or 0
        )


def assert_still_b(client: FlaskClient, event: dict[str, Any]) -> None:
    """The address ``quarterly-review`` still shows B's event, page and download alike."""
    page = client.get("/events/quarterly-review")
    assert page.status_code == 200
    assert "<h1>Quarterly review</h1>" in page.text and "Hijack" not in page.text
    download = client.get("/events/quarterly-review.ics").data.replace(b"\r\n ", b"")
    assert f"UID:{event['uid']}\r\n".encode() in download and b"Hijack" not in download


# Taken addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize("calendar", ["cal-a", "cal-b"])
def test_a_uid_that_is_another_events_readable_address_is_a_conflict(
    app: Flask,
    client: FlaskClient,
    quarterly_review: dict[str, Any],
    make_organiser: Callable[..., dict[str, Any]],
    calendar: str,
    day: date,
) -> None:
    make_organiser("ada@example.org")  # an editor of both calendars
    headers = headers_of(app, "ada@example.org")
    body = {
        "calendar": calendar,
        "uid": "quarterly-review",
        "title": "Hijack",
        "start": f"{day}T09:00:00",
    }
    response = client.post("/api/v1/events", json=body, headers=headers)
    assert response.status_code == 409, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 409
    assert "quarterly-review" in response.json["detail"]
    assert "address of another event" in response.json["detail"]
    assert set(response.json["errors"]) == {"uid"}
    assert events_in(app, "cal-a") == 0 and events_in(app, "cal-b") == 1
    assert_still_b(client, quarterly_review)


def test_an_editor_of_another_calendar_cannot_take_the_address(
    app: Flask,
    client: FlaskClient,
    quarterly_review: dict[str, Any],
    bob_headers: dict[str, str],
    day: date,
) -> None:
    """The finding as reported: an editor of A posts B's readable address as a uid."""
    body = {
        "calendar": "cal-a",
        "uid": "quarterly-review",
        "title": "Hijack",
        "start": f"{day}T09:00:00",
    }
    response = client.post("/api/v1/events", json=body, headers=bob_headers)
    assert response.status_code == 409, response.json
    assert response.json["errors"] == {"uid": "is the address of another event"}
    assert events_in(app, "cal-a") == 0
    assert_still_b(client, quarterly_review)
    # Its own address is free, and a uid of its own still works.
    made = client.post(
        "/api/v1/events", json={**body, "uid": "review-a@example.org"}, headers=bob_headers
    )
    assert made.status_code == 201, made.json
    assert "Hijack" in client.get("/events/review-a@example.org").text


def test_a_uid_of_another_calendar_is_a_conflict(
    app: Flask,
    client: FlaskClient,
    quarterly_review: dict[str, Any],
    bob_headers: dict[str, str],
    day: date,
) -> None:
    body = {
        "calendar": "cal-a",
        "uid": quarterly_review["uid"],
        "title": "Hijack",
        "start": f"{day}T09:00:00",
    }
    response = client.post("/api/v1/events", json=body, headers=bob_headers)
    assert response.status_code == 409, response.json
    assert response.json["errors"] == {"uid": "is taken"}
    assert events_in(app, "cal-a") == 0


def two_events(day: date, first: tuple[str, str], second: tuple[str, str]) -> bytes:
    """An .ics file of two one-off events (uid, title) on ``day``, at 09:00 and 11:00 UTC."""
    stamp = f"{day:%Y%m%d}"
    blocks = [
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp}T000000Z\r\n"
        f"DTSTART:{stamp}T{hour}0000Z\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
        for (uid, title), hour in ((first, "09"), (second, "11"))
    ]
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + "".join(blocks)
        + "END:VCALENDAR\r\n"
    ).encode()


def test_an_import_skips_an_event_whose_uid_is_another_events_address(
    app: Flask, client: FlaskClient, quarterly_review: dict[str, Any], day: date
) -> None:
    data = two_events(day, ("quarterly-review", "Hijack"), ("own@example.org", "Own event"))
    with app.app_context():
        result = import_ics(data, operations.find_calendar("cal-a"), "test", max_bytes=LIMIT)
        db.session.commit()
    assert result.created == ["own@example.org"]
    assert [skipped.what for skipped in result.skipped] == ["Hijack"]
    assert "address of another event" in result.skipped[0].reason
    assert events_in(app, "cal-a") == 1
    assert_still_b(client, quarterly_review)


def test_an_import_whose_uid_is_the_address_another_of_its_events_took_skips_it(
    app: Flask, client: FlaskClient, make_calendar: Callable[..., dict[str, Any]], day: date
) -> None:
    """The first event of the file takes ``team-meeting`` from its title; the second, whose uid
    is ``team-meeting``, would take the page over from it."""
    make_calendar(slug="cal-a", name="Calendar A")
    data = two_events(day, ("first@example.org", "Team meeting"), ("team-meeting", "Hijack"))
    with app.app_context():
        result = import_ics(data, operations.find_calendar("cal-a"), "test", max_bytes=LIMIT)
        db.session.commit()
    assert result.created == ["first@example.org"]
    assert [skipped.what for skipped in result.skipped] == ["Hijack"]
    assert "address of another event" in result.skipped[0].reason
    page = client.get("/events/team-meeting")
    assert page.status_code == 200 and "<h1>Team meeting</h1>" in page.text


# Uids the pages can serve --------------------------------------------------------------------

REFUSED = [
    "x/next",
    "y.ics",
    "series/2027.ics",
    "x/edit",
    "x/delete",
    "x/occurrences",
    "x/occurrences/2027-01-27T14:00:00",
    "x/",
    "/x",
    "a//b",
    ".",
    "..",
    "a/./b",
    "a/../b",
    "./x",
    "x/..",
]
ACCEPTED = [
    # Outlook (112 hex digits), Google, Apple, Zoom, and our own generated form.
    "040000008200E00074C5B7101A82E00800000000D0A4F1D8A2D4D801000000000000000010000000"
    "F2B6C5B0A6A1A14B9E5F7C2E3B1E4F5A",
    "7kukuqrfedlm2f71br33k1tk1m@google.com",
    "5FC53010-1267-4F8E-BC28-1D7AE55A7C99",
    "zoom-87654321@zoom.us",
    "0b7f9f0e-7a0b-4c2e-9a57-2c3f0c7f0a11@calendar-service",
    # Slashes in the middle, route words first or inside a segment, other suffixes.
    "tps/seminar@turing",
    "K3Vq/AbC+dE==",
    "next",
    "edit",
    "next/x",
    "nextstep/next-x",
    "x.ics.bak",
    "x.ical",
    "x.icsx",
    "events",
    "a..b",
    "...",
    "~user",
    # Characters a URL must escape, escaped by every link the service writes.
    "100%",
    "a?b",
    "a#b",
    "a%2Fb",
    "semi;colon",
    "back\\slash",
    'quote"mark',
    "<tag>",
]


@pytest.mark.parametrize("uid", REFUSED)
def test_a_uid_the_pages_would_misread_is_refused(
    app: Flask,
    client: FlaskClient,
    quarterly_review: dict[str, Any],
    bob_headers: dict[str, str],
    uid: str,
    day: date,
) -> None:
    body = {"calendar": "cal-a", "uid": uid, "title": "Misread", "start": f"{day}T09:00:00"}
    response = client.post("/api/v1/events", json=body, headers=bob_headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"uid"}
    assert response.json["errors"]["uid"].startswith("must not")
    assert events_in(app, "cal-a") == 0


@pytest.mark.parametrize("uid", ACCEPTED)
def test_every_accepted_uid_is_served_at_its_address(
    app: Flask,
    client: FlaskClient,
    quarterly_review: dict[str, Any],
    bob_headers: dict[str, str],
    uid: str,
    day: date,
) -> None:
    title = f"Weekly {len(uid)}"
    body = {
        "calendar": "cal-a",
        "uid": uid,
        "title": title,
        "start": f"{day}T09:00:00",
        "rrule": "FREQ=WEEKLY;COUNT=5",
    }
    made = client.post("/api/v1/events", json=body, headers=bob_headers)
    assert made.status_code == 201, made.json
    assert unquote(urlsplit(made.headers["Location"]).path) == f"/api/v1/events/{uid}"
    address = quote(uid, safe="!$&'()*+,/:;=@")  # as every link the service writes has it
    page = client.get(f"/events/{address}")
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
    download = client.get(f"/events/{address}.ics")
    assert download.status_code == 200
    assert f"SUMMARY:{title}\r\n".encode() in download.data
    next_page = client.get(f"/events/{address}/next")
    assert next_page.status_code == 302
    assert unquote(urlsplit(next_page.headers["Location"]).path) == f"/events/{uid}"
    read = client.get(f"/api/v1/events/{address}", headers=bob_headers)
    assert read.status_code == 200 and read.json["uid"] == uid
    # The address in the answer's own links is the uid, read back whole.
    assert client.get(next_page.headers["Location"]).status_code == 200


def test_imports_keep_other_programs_uids_at_readable_addresses(
    app: Flask, client: FlaskClient, make_calendar: Callable[..., dict[str, Any]], day: date
) -> None:
    """An import's uids are other programs': even one the routes would misread is kept (a
    re-import finds it again), and its page is at its readable address."""
    make_calendar(slug="cal-a", name="Calendar A")
    stamp = f"{day:%Y%m%d}"
    uids = [ACCEPTED[0], "exported/next", "feed-item.ics"]
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp}T000000Z\r\n"
        f"DTSTART:{stamp}T0{number}0000Z\r\nSUMMARY:Imported {number}\r\nEND:VEVENT\r\n"
        for number, uid in enumerate(uids)
    )
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n"
    with app.app_context():
        result = import_ics(
            data.encode(), operations.find_calendar("cal-a"), "test", max_bytes=LIMIT
        )
        db.session.commit()
        slugs = {uid: operations.find_event(uid).slug for uid in uids}
    assert sorted(result.created) == sorted(uids) and result.skipped == []
    for number, uid in enumerate(uids):
        assert slugs[uid] == f"imported-{number}"
        assert f"<h1>Imported {number}</h1>" in client.get(f"/events/imported-{number}").text


# Every route that takes an address, for any uid the store accepts ------------------------------

SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "",
            ".",
            "..",
            "next",
            "edit",
            "delete",
            "occurrences",
            "new",
            "x.ics",
            ".ics",
            "ics",
            "2027-01-27T14:00:00",
            "%2F",
            "%",
            "?",
            "#",
            "@",
            "a b",
            "Next",
            "X.ICS",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=6),
)
UIDS = (
    st.lists(SEGMENTS, min_size=1, max_size=4)
    .map("/".join)
    .filter(lambda uid: identifiers.UID.match(uid) is not None)
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(uid=UIDS)
def test_every_route_reads_back_every_uid_the_store_accepts(app: Flask, uid: str) -> None:
    """For each uid ``unservable`` lets through, every rule of the URL map with a ``uid`` (the
    public page, download and next, the API's and the organiser's routes, for each of their
    methods) builds an address that the map matches to the same rule with the same uid."""
    if identifiers.unservable(uid) is not None:
        return
    adapter = app.url_map.bind("localhost")
    rules = [rule for rule in app.url_map.iter_rules() if "uid" in rule.arguments]
    assert len(rules) >= 10
    for rule in rules:
        values = {name: "2027-01-27T14:00:00" for name in rule.arguments}
        values["uid"] = uid
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path = adapter.build(rule.endpoint, values, method=method)
            endpoint, found = adapter.match(unquote(path), method=method)
            assert (endpoint, found.get("uid")) == (rule.endpoint, uid), (rule.rule, method)
