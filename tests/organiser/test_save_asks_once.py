"""An editor save asks whether the organiser may change the calendar once, at the editing
service's door, and reads the calendar it names from what the page has already read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import BASE, stored
from sqlalchemy import event as sa_event

from calendar_service.store import permissions
from calendar_service.store.db import db

pytestmark = pytest.mark.usefixtures("calendar")


@pytest.fixture
def counted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """The permission questions (``may_edit``, which ``require_edit`` asks too) and the SQL
    statements that read a calendar by its slug, from here on."""
    seen: dict[str, list[Any]] = {"asked": [], "calendar reads": []}
    original = permissions.may_edit

    def asking(actor: Any, calendar: Any) -> bool:
        seen["asked"].append(calendar.slug)
        return original(actor, calendar)

    monkeypatch.setattr(permissions, "may_edit", asking)

    def statement(conn: Any, cursor: Any, sql: str, *rest: Any) -> None:
        if re.search(r"FROM calendars\s+WHERE calendars\.slug", sql):
            seen["calendar reads"].append(sql)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", statement)
    yield seen
    sa_event.remove(engine, "before_cursor_execute", statement)


def _reset(seen: dict[str, list[Any]]) -> None:
    for found in seen.values():
        found.clear()


def test_a_new_events_save_asks_once_and_reads_no_calendar_by_slug(
    app: Flask, signed_in: FlaskClient, counted: dict[str, list[Any]]
) -> None:
    _reset(counted)
    saved = signed_in.post("/organiser/events/new", data={**BASE, "save": "Save"})
    assert saved.status_code == 302
    assert counted["asked"] == ["test"]
    assert counted["calendar reads"] == []
    assert [event.title for event in stored(app)] == ["TPS seminar"]


def test_a_stored_events_save_asks_once_and_reads_no_calendar_by_slug(
    app: Flask, signed_in: FlaskClient, counted: dict[str, list[Any]]
) -> None:
    signed_in.post("/organiser/events/new", data={**BASE, "save": "Save"})
    (event,) = stored(app)
    _reset(counted)
    saved = signed_in.post(
        f"/organiser/events/{event.uid}/edit",
        data={
            **BASE,
            "title": "TPS seminar, moved",
            "revision": str(event.revision),
            "new_category": "",
            "categories": "seminars",
            "save": "Save",
        },
    )
    assert saved.status_code == 302, saved.text
    assert counted["asked"] == ["test"]
    assert counted["calendar reads"] == []
    assert [event.title for event in stored(app)] == ["TPS seminar, moved"]
