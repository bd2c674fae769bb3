"""The editor never takes another event's address: it chooses no uid (the store makes one), and
the readable address it makes from a title steps around every other event's uid and slug, in any
calendar, also when a draft is renamed.  The other calendar's pages stay its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import BASE

from calendar_service.store import operations
from calendar_service.store.db import db


def test_the_editor_steps_around_other_calendars_addresses(
    app: Flask,
    client: FlaskClient,
    make_calendar: Callable[..., dict[str, Any]],
    make_event: Callable[..., dict[str, Any]],
    make_organiser: Callable[..., dict[str, Any]],
    sign_in: Callable[..., Any],
    clock: Any,
) -> None:
    day = clock.today() + timedelta(days=7)
    make_calendar(slug="cal-a", name="Calendar A")
    make_calendar(slug="cal-b", name="Calendar B")
    # B's events: one whose uid an API caller chose, one at the address made from its title.
    make_event(
        calendar="cal-b", uid="team-meeting", title="B's team meeting", start=f"{day}T10:00:00"
    )
    make_event(
        calendar="cal-b", title="Quarterly review", start=f"{day}T12:00:00", location="Room B"
    )
    editor = make_organiser("bob@example.org", calendars=("cal-a",))
    assert sign_in(client, editor["email"]).status_code == 302
    form = {
        **BASE,
        "calendar": "cal-a",
        "start_date": f"{day}",
        "recurrence": "none",
        "new_category": "",
        "save": "Save",
    }
    for title in ("Team meeting", "Quarterly review"):
        saved = client.post("/organiser/events/new", data={**form, "title": title})
        assert saved.status_code == 302, saved.text
    draft = client.post(
        "/organiser/events/new", data={**form, "title": "Draft", "published": "draft"}
    )
    assert draft.status_code == 302, draft.text
    with app.app_context():
        calendar = operations.find_calendar("cal-a")
        mine = {event.title: event for event in calendar.events}
        assert set(mine) == {"Team meeting", "Quarterly review", "Draft"}
        uid = mine["Draft"].uid
        slugs = {event.slug for event in mine.values()}
        assert not slugs & {"team-meeting", "quarterly-review"}
        assert all(event.uid.endswith("@calendar-service") for event in mine.values())
        db.session.rollback()
    # A draft renamed to B's title steps around B's address too.
    edit = client.get(f"/organiser/events/{uid}/edit")
    revision = edit.text.split('name="revision" type="hidden" value="')[1].split('"')[0]
    renamed = client.post(
        f"/organiser/events/{uid}/edit",
        data={**form, "title": "Quarterly review", "published": "draft", "revision": revision},
    )
    assert renamed.status_code == 302, renamed.text
    with app.app_context():
        event = operations.find_event(uid)
        assert event.title == "Quarterly review"
        assert event.slug not in (None, "quarterly-review", "team-meeting")
    assert "<h1>B&#39;s team meeting</h1>" in client.get("/events/team-meeting").text
    page = client.get("/events/quarterly-review")
    assert page.status_code == 200 and "Room B" in page.text
    assert "British Library" not in page.text  # where calendar A's events are
