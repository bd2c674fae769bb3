"""Per-calendar rights in the organiser pages: the editor offers and changes only granted
calendars (403 for the others' events), the dashboard shows the rest read-only, owners manage
their calendar's members, admins grant on an organiser's page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.store import accounts, operations, permissions
from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Event

BOB = "bob@example.org"
LIN = "lin@example.org"
EDITOR_FORM = {
    "title": "Bob's meetup",
    "start_date": "2027-03-03",
    "start_time": "18:00",
    "end_date": "2027-03-03",
    "end_time": "19:00",
    "recurrence": "none",
    "ends": "never",
    "status": "confirmed",
    "published": "published",
    "save": "Save",
}


@pytest.fixture
def add_series(app: Flask) -> Callable[[str], None]:
    """``add_series(slug)``: a monthly series ``series@<slug>`` in that calendar."""

    def add(slug: str) -> None:
        with app.app_context():
            operations.create_event(
                {
                    "calendar": slug,
                    "uid": f"series@{slug}",
                    "title": f"Series of {slug}",
                    "start": "2027-01-27T14:00:00",
                    "rrule": "FREQ=MONTHLY;BYDAY=-1WE",
                },
                "test",
            )
            db.session.commit()

    return add


@pytest.fixture
def calendars(
    make_calendar: Callable[..., dict[str, Any]], add_series: Callable[[str], None]
) -> None:
    """``test`` with a series, and ``other``: the organisers the tests make are granted what
    each test says."""
    make_calendar(slug="test", name="Test calendar")
    make_calendar(slug="other", name="Other calendar")
    add_series("test")


def grant(app: Flask, email: str, slug: str, role: str = "editor") -> None:
    with app.app_context():
        permissions.grant(
            accounts.find_organiser(email), operations.find_calendar(slug), role, "test"
        )
        db.session.commit()


@pytest.fixture
def bob(
    app: Flask, calendars: None, make_organiser: Any, client: FlaskClient, sign_in: Any
) -> FlaskClient:
    """Bob, editor of ``other`` only, signed in."""
    make_organiser(BOB, calendars=("other",))
    assert sign_in(client, BOB).status_code == 302
    return client


def title_of(app: Flask, uid: str) -> str | None:
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.uid == uid))
        return event.title if event else None


# The editor -------------------------------------------------------------------------------


def test_pages_that_change_another_calendars_event_answer_403(app: Flask, bob: FlaskClient) -> None:
    for path in (
        "/organiser/events/series@test/edit",
        "/organiser/events/series@test/delete",
        "/organiser/events/series@test/occurrences/2027-02-24T14:00:00",
    ):
        refused = bob.get(path)
        assert refused.status_code == 403, path
        assert "You may not change the events of the calendar “Test calendar”" in refused.text
    saved = bob.post(
        "/organiser/events/series@test/edit",
        data={**EDITOR_FORM, "calendar": "test", "revision": "1"},
    )
    assert saved.status_code == 403
    deleted = bob.post("/organiser/events/series@test/delete", data={"revision": "1"})
    assert deleted.status_code == 403
    cancelled = bob.post(
        "/organiser/events/series@test/occurrences/2027-02-24T14:00:00",
        data={"scope": "this", "revision": "1", "cancel_occurrence": "1"},
    )
    assert cancelled.status_code == 403
    assert title_of(app, "series@test") == "Series of test"
    # Its occurrences stay readable, without the links that change them.
    page = bob.get("/organiser/events/series@test/occurrences")
    assert page.status_code == 200
    assert "Read only: you may not change Test calendar" in page.text
    assert "Change…" not in page.text and "/edit" not in page.text


def test_the_editor_offers_only_granted_calendars(
    app: Flask, bob: FlaskClient, add_series: Callable[[str], None]
) -> None:
    page = bob.get("/organiser/events/new")
    assert page.status_code == 200
    select_html = re.search(r'<select[^>]*name="calendar".*?</select>', page.text, re.S).group(0)
    assert re.findall(r'value="([^"]+)"', select_html) == ["other"]
    refused = bob.post("/organiser/events/new", data={**EDITOR_FORM, "calendar": "test"})
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.text
    assert title_of(app, "series@other") is None
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.title == "Bob's meetup")) is None
    added = bob.post("/organiser/events/new", data={**EDITOR_FORM, "calendar": "other"})
    assert added.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == "Bob's meetup"))
        assert event.calendar.slug == "other"
    add_series("other")
    assert bob.get("/organiser/events/series@other/edit").status_code == 200


def test_an_organiser_granted_nothing_is_told_so(
    app: Flask, calendars: None, make_organiser: Any, client: FlaskClient, sign_in: Any
) -> None:
    make_organiser(LIN, calendars=())
    sign_in(client, LIN)
    page = client.get("/organiser/events/new")
    assert page.status_code == 403
    assert "You may not add events to any calendar yet" in page.text
    assert "There is no calendar you may import into yet." in client.get("/organiser/import").text


def test_the_dashboard_shows_every_calendar_and_which_are_read_only(bob: FlaskClient) -> None:
    page = bob.get("/organiser/").text
    test_section = page.split('id="calendar-test"')[1].split("</section>")[0]
    other_section = page.split('id="calendar-other"')[1].split("</section>")[0]
    assert "Read only: ask an admin or the calendar's owner" in test_section
    # A calendar one may not change costs the dashboard nothing: its events are a link away,
    # listed there without the links that change them.
    assert "Series of test" not in test_section
    assert 'href="/organiser/calendars/test/events"' in test_section
    events = bob.get("/organiser/calendars/test/events").text
    assert "Series of test" in events and "Read only" in events
    assert "/organiser/events/series@test/occurrences" in events
    assert "/organiser/events/series@test/edit" not in events
    assert "/organiser/events/series@test/delete" not in events
    assert "Add an event to Other calendar" in other_section
    assert "Members" not in page  # an editor, not an owner


def test_imports_go_only_into_granted_calendars(app: Flask, bob: FlaskClient) -> None:
    page = bob.get("/organiser/import")
    select_html = re.search(r'<select[^>]*name="calendar".*?</select>', page.text, re.S).group(0)
    assert re.findall(r'value="([^"]+)"', select_html) == ["other"]
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:imported@x\r\nDTSTART:20270301T100000Z\r\nSUMMARY:Imported\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    from io import BytesIO

    refused = bob.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(ics), "x.ics")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert title_of(app, "imported@x") is None


# Members ----------------------------------------------------------------------------------


def test_owners_manage_their_calendars_members(
    app: Flask, calendars: None, make_organiser: Any, sign_in: Any
) -> None:
    make_organiser(BOB, calendars=())
    make_organiser(LIN, calendars=())
    grant(app, BOB, "test", "owner")
    owner = app.test_client()
    sign_in(owner, BOB)
    lin = app.test_client()
    sign_in(lin, LIN)
    assert lin.get("/organiser/events/series@test/edit").status_code == 403
    assert "Members" in owner.get("/organiser/").text
    page = owner.get("/organiser/calendars/test/members")
    assert page.status_code == 200 and "bob@example.org" in page.text
    unknown = owner.post(
        "/organiser/calendars/test/members", data={"email": "nobody@example.org", "role": "editor"}
    )
    assert unknown.status_code == 422
    assert "there is no organiser with this e-mail" in unknown.text
    own = owner.post("/organiser/calendars/test/members", data={"email": BOB, "role": "editor"})
    assert own.status_code == 422 and "you cannot change your own right" in own.text
    granted = owner.post("/organiser/calendars/test/members", data={"email": LIN, "role": "editor"})
    assert granted.status_code == 302
    assert lin.get("/organiser/events/series@test/edit").status_code == 200
    # An editor does not manage members.
    assert lin.get("/organiser/calendars/test/members").status_code == 403
    with app.app_context():
        lin_id = accounts.find_organiser(LIN).id
    assert owner.post(f"/organiser/calendars/test/members/{lin_id}/withdraw").status_code == 302
    assert lin.get("/organiser/events/series@test/edit").status_code == 403
    # An owner of one calendar manages no other.
    assert owner.get("/organiser/calendars/other/members").status_code == 403
    with app.app_context():
        entries = [
            (entry.actor, entry.action, entry.target, entry.calendar_slug)
            for entry in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("grant", "withdraw")))
                .order_by(AuditEntry.id)
            )
        ]
    assert entries == [
        ("test", "grant", BOB, "test"),
        (BOB, "grant", LIN, "test"),
        (BOB, "withdraw", LIN, "test"),
    ]


def test_admins_grant_on_an_organisers_page(
    app: Flask, calendars: None, make_organiser: Any, admin_client: FlaskClient, sign_in: Any
) -> None:
    lin = make_organiser(LIN, calendars=())
    lin_browser = app.test_client()
    sign_in(lin_browser, LIN)
    assert lin_browser.get("/organiser/events/series@test/edit").status_code == 403
    page = admin_client.get(f"/organiser/admin/organisers/{lin['id']}")
    assert page.status_code == 200 and 'id="grants"' in page.text
    set_owner = admin_client.post(
        f"/organiser/admin/organisers/{lin['id']}/calendars",
        data={"calendar": "test", "role": "owner"},
    )
    assert set_owner.status_code == 302
    assert lin_browser.get("/organiser/events/series@test/edit").status_code == 200
    assert lin_browser.get("/organiser/calendars/test/members").status_code == 200
    assert "Owner" in admin_client.get(f"/organiser/admin/organisers/{lin['id']}").text
    admin_client.post(
        f"/organiser/admin/organisers/{lin['id']}/calendars",
        data={"calendar": "test", "role": "none"},
    )
    assert lin_browser.get("/organiser/events/series@test/edit").status_code == 403
    # Admins reach every calendar's members page from the calendars page.
    assert (
        "/organiser/calendars/test/members" in admin_client.get("/organiser/admin/calendars").text
    )
    assert admin_client.get("/organiser/calendars/test/members").status_code == 200


def test_organisers_cannot_grant_on_the_admin_page(bob: FlaskClient, app: Flask) -> None:
    with app.app_context():
        bob_id = accounts.find_organiser(BOB).id
    response = bob.post(
        f"/organiser/admin/organisers/{bob_id}/calendars",
        data={"calendar": "test", "role": "owner"},
    )
    assert response.status_code == 403
    assert bob.get("/organiser/events/series@test/edit").status_code == 403


def test_a_new_organiser_may_change_nothing_until_granted(
    app: Flask, calendars: None, admin_client: FlaskClient
) -> None:
    added = admin_client.post(
        "/organiser/admin/organisers", data={"email": LIN, "password": "long enough password"}
    )
    assert added.status_code == 302
    with app.app_context():
        lin = accounts.find_organiser(LIN)
        assert added.headers["Location"] == f"/organiser/admin/organisers/{lin.id}"
        assert lin.memberships == []
    page = admin_client.get(added.headers["Location"]).text
    assert "grant them the calendars they are to change" in page
