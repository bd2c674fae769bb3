"""A category merged or deleted while one of its events is being changed through the API: the
change that loses the race answers 409 with a message and is rolled back whole; the one that
won stands.  (The merge's revision check raised StaleDataError, answered as a 500, in 6 of 6
rounds on SQLite.)

The race is made deterministic: the first event change of the request under test runs the other
request, through the other client and in its own session, to its commit, then goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Category, Event

PAGE = "/organiser/admin/calendars/test/categories"
# The admin's change: merge ai-uk into tps, or delete ai-uk giving its events training.
ACTIONS = {
    "merge": (f"{PAGE}/ai-uk/merge", {"merge-ai-uk-into": "tps"}),
    "delete": (f"{PAGE}/ai-uk/delete", {"delete-ai-uk-move_to": "training"}),
}
# ``meanwhile(other)`` → the list ``other``'s answers go in.
Arrange = Callable[[Callable[[], Any]], list[Any]]
BEFORE = {
    "both@x": ["ai-uk", "tps"],
    "course@x": ["training"],
    "seminar@x": ["tps"],
    "talk@x": ["ai-uk"],
}


@pytest.fixture
def events(app: Flask, calendar: dict[str, Any], make_event: Callable[..., dict[str, Any]]) -> None:
    """Calendar ``test`` with categories tps, ai-uk and training; both@x is the first event
    of ai-uk (the first a merge or delete moves)."""
    make_event(uid="seminar@x", title="Seminar", categories=["tps"])
    make_event(uid="both@x", title="Both", categories=["tps", "ai-uk"])
    make_event(uid="talk@x", title="Talk", categories=["ai-uk"])
    make_event(uid="course@x", title="Course", categories=["training"])


@pytest.fixture
def meanwhile(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arrange]:
    """``meanwhile(other)``: the first event change after this runs ``other()`` (another
    request, in an app context of its own and so a session of its own, as another worker's)
    to its end before it goes on; the list of its answers is returned."""
    original = operations.update_event
    answers: list[Any] = []
    pending: list[Callable[[], Any]] = []

    def update_event(*args: Any, **kwargs: Any) -> Any:
        if pending:
            with app.app_context():  # else Flask would run it in the current one
                answers.append(pending.pop()())
        return original(*args, **kwargs)

    def arrange(other: Callable[[], Any]) -> list[Any]:
        pending.append(other)
        return answers

    monkeypatch.setattr(operations, "update_event", update_event)
    yield arrange
    assert not pending, "the other request never ran"


def state(app: Flask) -> dict[str, Any]:
    """Each event's (title, category slugs, revision), the categories, and the audit log
    (who, what, which)."""
    with app.app_context():
        events = {
            event.uid: (event.title, event.category_slugs, event.revision)
            for event in db.session.scalars(select(Event).order_by(Event.uid))
        }
        slugs = list(db.session.scalars(select(Category.slug).order_by(Category.slug)))
        audit = [
            (entry.actor, entry.action, entry.target)
            for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
        return {"events": events, "categories": slugs, "audit": audit}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_category_change_meeting_an_event_changed_meanwhile_changes_nothing(
    app: Flask,
    admin_client: FlaskClient,
    events: None,
    auth_headers: dict[str, str],
    meanwhile: Arrange,
    action: str,
) -> None:
    """The admin's merge has read ai-uk's events when an API PATCH of one of them commits:
    the merge answers 409 with a message and moves no event; the PATCH stands."""
    before = state(app)
    api = app.test_client()
    patched = meanwhile(
        lambda: api.patch(
            "/api/v1/events/both@x", headers=auth_headers, json={"title": "Both, renamed"}
        )
    )
    url, form = ACTIONS[action]
    answer = admin_client.post(url, data=form)
    assert [response.status_code for response in patched] == [200]
    assert answer.status_code == 409, answer.text[:2000]
    assert (
        "Someone changed “Ai Uk” or one of its events while this was being saved, so "
        "nothing was changed." in answer.text
    )
    after = state(app)
    title, slugs, revision = before["events"]["both@x"]
    assert after["events"] == {**before["events"], "both@x": ("Both, renamed", slugs, revision + 1)}
    assert {uid: slugs for uid, (_, slugs, _) in after["events"].items()} == BEFORE
    assert after["categories"] == before["categories"]
    assert after["audit"] == [*before["audit"], ("ada@example.org", "update", "both@x")]
    again = admin_client.post(url, data=form)  # and the retry goes through
    assert again.status_code == 302
    assert "ai-uk" not in state(app)["categories"]


@pytest.mark.postgres_only
@pytest.mark.parametrize("action", ACTIONS)
def test_a_patch_meeting_a_category_change_made_meanwhile_is_a_conflict(
    app: Flask,
    admin_client: FlaskClient,
    events: None,
    auth_headers: dict[str, str],
    meanwhile: Arrange,
    action: str,
) -> None:
    """The API PATCH has read both@x when the admin's merge commits: the PATCH answers 409
    problem+json and is rolled back whole (no category made again); the merge stands."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip(
            "needs PostgreSQL: on SQLite the PATCH's first write (its token's use) "
            "holds the write lock until it commits, so nothing commits in between"
        )
    url, form = ACTIONS[action]
    before = state(app)
    changed = meanwhile(lambda: admin_client.post(url, data=form))
    answer = app.test_client().patch(
        "/api/v1/events/both@x",
        headers=auth_headers,
        json={"title": "Both, renamed", "categories": ["ai-uk", "new-one"]},
    )
    assert [response.status_code for response in changed] == [302]
    assert (answer.status_code, answer.mimetype) == (409, "application/problem+json")
    problem = answer.get_json()
    assert problem["status"] == 409 and "fetch it again" in problem["detail"]
    after = state(app)
    assert after["events"]["both@x"][:2] == (
        "Both",
        ["tps"] if action == "merge" else ["tps", "training"],
    )
    assert "ai-uk" not in after["categories"] and "new-one" not in after["categories"]
    assert [entry for entry in after["audit"] if entry[0] == "ada@example.org"] == [
        entry for entry in before["audit"] if entry[0] == "ada@example.org"
    ]
