"""Who may write through the API: organisers only to the calendars they were granted (403
otherwise), admins everywhere; tokens scoped to reading or writing, narrowed to calendars, and
with an expiry; ``grant`` on the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.clock import utcnow
from calendar_service.store import accounts, operations, permissions
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import AuditEntry, Event

BOB = "bob@example.org"
SERIES = {
    "calendar": "test",
    "title": "TPS seminar",
    "start": "2027-01-27T14:00:00",
    "rrule": "FREQ=MONTHLY;BYDAY=-1WE",
}


@pytest.fixture
def bob(make_organiser: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A non-admin organiser granted no calendar."""
    return make_organiser(BOB, calendars=())


@pytest.fixture
def bob_headers(bob: dict[str, Any], make_token: Callable[[str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(BOB)}"}


@pytest.fixture
def series(make_event: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_event(**SERIES, uid="tps@test")


def token_with(app: Flask, email: str, **options: Any) -> dict[str, str]:
    """Headers with a new token of that organiser, made with ``create_token``'s options
    (``calendars`` as slugs)."""
    with app.app_context():
        organiser = accounts.find_organiser(email)
        slugs = options.pop("calendars", ())
        calendars = [operations.find_calendar(slug) for slug in slugs]
        _row, secret = accounts.create_token(organiser, "scripts", calendars=calendars, **options)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def stored_title(app: Flask, uid: str) -> str | None:
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.uid == uid))
        return event.title if event else None


def assert_forbidden(response: Any, *phrases: str) -> None:
    assert response.status_code == 403, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 403
    assert response.json["type"] == "about:blank#forbidden"
    for phrase in phrases:
        assert phrase in response.json["detail"]


# Per-calendar rights ----------------------------------------------------------------------


def test_an_organiser_may_not_write_to_a_calendar_not_granted(
    app: Flask, client: FlaskClient, series: dict[str, Any], bob_headers: dict[str, str]
) -> None:
    base = "/api/v1/events/tps@test"
    answers = [
        client.post("/api/v1/events", json={**SERIES, "uid": "new@test"}, headers=bob_headers),
        client.patch(base, json={"title": "Hijacked"}, headers=bob_headers),
        client.put(
            f"{base}/occurrences/2027-02-24T14:00:00",
            json={"status": "cancelled"},
            headers=bob_headers,
        ),
        client.delete(f"{base}/occurrences/2027-02-24T14:00:00", headers=bob_headers),
        client.delete(base, headers=bob_headers),
    ]
    for response in answers:
        assert_forbidden(response, "calendar 'test'", "ask an admin or the calendar's owner")
    assert stored_title(app, "tps@test") == "TPS seminar"
    assert stored_title(app, "new@test") is None
    # Reading published events stays open to every token.
    assert client.get(base, headers=bob_headers).status_code == 200


def test_moving_an_event_to_a_calendar_not_granted_is_refused(
    app: Flask,
    client: FlaskClient,
    make_calendar: Any,
    bob: dict[str, Any],
    bob_headers: dict[str, str],
) -> None:
    make_calendar(slug="test")
    make_calendar(slug="other", name="Other")
    with app.app_context():
        permissions.grant(
            accounts.find_organiser(BOB), operations.find_calendar("other"), "editor", "test"
        )
        db.session.commit()
    created = client.post(
        "/api/v1/events", json={**SERIES, "calendar": "other", "uid": "b@x"}, headers=bob_headers
    )
    assert created.status_code == 201
    moved = client.patch("/api/v1/events/b@x", json={"calendar": "test"}, headers=bob_headers)
    assert_forbidden(moved, "calendar 'test'")
    with app.app_context():
        assert operations.find_event("b@x").calendar.slug == "other"


def test_an_unknown_calendar_is_still_a_field_error(
    client: FlaskClient, calendar: Any, bob_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/events", json={**SERIES, "calendar": "nowhere"}, headers=bob_headers
    )
    assert response.status_code == 422
    assert "calendar" in response.json["errors"]


def test_grant_on_the_command_line_then_writes_succeed(
    app: Flask,
    client: FlaskClient,
    runner: Any,
    series: dict[str, Any],
    bob_headers: dict[str, str],
) -> None:
    patch = {"title": "TPS seminar (room 2)"}
    assert_forbidden(client.patch("/api/v1/events/tps@test", json=patch, headers=bob_headers))
    result = runner.invoke(args=["grant", "BOB@example.org", "--calendar", "test"])
    assert result.exit_code == 0, result.output
    assert "bob@example.org is now editor of test" in result.output
    changed = client.patch("/api/v1/events/tps@test", json=patch, headers=bob_headers)
    assert changed.status_code == 200
    assert changed.json["title"] == "TPS seminar (room 2)"
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "grant")).one()
        assert (
            entry.actor,
            entry.target_type,
            entry.target,
            entry.calendar_slug,
            entry.details,
        ) == ("cli", "organiser", BOB, "test", {"role": "editor"})
    withdrawn = runner.invoke(args=["grant", BOB, "--calendar", "test", "--withdraw"])
    assert withdrawn.exit_code == 0
    assert "bob@example.org may no longer change test" in withdrawn.output
    assert_forbidden(client.patch("/api/v1/events/tps@test", json=patch, headers=bob_headers))


def test_grant_makes_owners_and_changes_roles(
    app: Flask, runner: Any, calendar: Any, bob: dict[str, Any]
) -> None:
    for role in ("owner", "editor", "owner"):
        result = runner.invoke(args=["grant", BOB, "--calendar", "test", "--role", role])
        assert result.exit_code == 0 and f"is now {role} of test" in result.output
    again = runner.invoke(args=["grant", BOB, "--calendar", "test", "--role", "owner"])
    assert again.exit_code == 0
    with app.app_context():
        organiser = accounts.find_organiser(BOB)
        assert permissions.role_of(organiser, operations.find_calendar("test")) == "owner"
        roles = [
            entry.details["role"]
            for entry in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "grant").order_by(AuditEntry.id)
            )
        ]
    assert roles == ["owner", "editor", "owner"]  # the same role again is no change


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["grant", "nobody@example.org", "--calendar", "test"],
            "no organiser 'nobody@example.org'",
        ),
        (["grant", BOB, "--calendar", "nowhere"], "no calendar 'nowhere'"),
        (["grant", BOB, "--calendar", "test", "--role", "boss"], "'boss' is not one of"),
        (["grant", BOB], "Missing option '--calendar'"),
    ],
)
def test_grant_refuses_in_one_readable_line(
    runner: Any, calendar: Any, bob: dict[str, Any], args: list[str], message: str
) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_admins_write_to_every_calendar(
    client: FlaskClient, calendar: Any, admin_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/events", json=SERIES, headers=admin_headers)
    assert response.status_code == 201


# Token scopes, calendars and expiry -------------------------------------------------------


def test_a_read_scoped_token_cannot_write(
    app: Flask, client: FlaskClient, make_event: Any, organiser: dict[str, Any]
) -> None:
    make_event(**SERIES, uid="draft@test", published=False)
    headers = token_with(app, organiser["email"], scope="read")
    refused = client.post("/api/v1/events", json={**SERIES, "uid": "x@test"}, headers=headers)
    assert_forbidden(refused, "may only read")
    assert_forbidden(client.delete("/api/v1/events/draft@test", headers=headers))
    # It reads the drafts of the calendars its organiser may change.
    draft = client.get("/api/v1/events/draft@test", headers=headers)
    assert draft.status_code == 200 and draft.json["published"] is False
    assert client.get("/api/v1/events/draft@test").status_code == 404
    assert stored_title(app, "x@test") is None


def test_existing_and_default_tokens_write(app: Flask, auth_headers: dict[str, str]) -> None:
    with app.app_context():
        token = accounts.token_for(auth_headers["Authorization"].split()[1])
        assert token.scope == "write" and token.calendars == [] and token.expires is None


def test_a_token_narrowed_to_calendars_writes_only_there(
    app: Flask, client: FlaskClient, make_calendar: Any, organiser: dict[str, Any]
) -> None:
    make_calendar(slug="test")
    make_calendar(slug="other", name="Other")
    headers = token_with(app, organiser["email"], calendars=["other"])
    assert (
        client.post(
            "/api/v1/events", json={**SERIES, "calendar": "other"}, headers=headers
        ).status_code
        == 201
    )
    assert_forbidden(
        client.post("/api/v1/events", json=SERIES, headers=headers),
        "may change only the calendars other",
    )


def test_an_admins_narrowed_token_creates_no_calendars(
    app: Flask, client: FlaskClient, calendar: Any, admin: dict[str, Any]
) -> None:
    headers = token_with(app, admin["email"], calendars=["test"])
    response = client.post(
        "/api/v1/calendars", json={"slug": "new", "name": "New"}, headers=headers
    )
    assert_forbidden(response, "some calendars only")


def test_a_token_never_exceeds_its_organisers_rights(
    app: Flask, client: FlaskClient, make_calendar: Any, bob: dict[str, Any]
) -> None:
    make_calendar(slug="test")
    with app.app_context():
        organiser = accounts.find_organiser(BOB)
        with pytest.raises(ValidationError) as refused:
            accounts.create_token(organiser, "x", calendars=[operations.find_calendar("test")])
        assert refused.value.errors == {"calendars": "bob@example.org may not change test"}
        permissions.grant(organiser, operations.find_calendar("test"), "editor", "test")
        db.session.commit()
    headers = token_with(app, BOB, calendars=["test"])
    assert client.post("/api/v1/events", json=SERIES, headers=headers).status_code == 201
    with app.app_context():
        permissions.withdraw(accounts.find_organiser(BOB), operations.find_calendar("test"), "test")
        db.session.commit()
    # The token still names the calendar, but its organiser may no longer change it.
    assert_forbidden(
        client.post("/api/v1/events", json={**SERIES, "uid": "again@test"}, headers=headers),
        "calendar 'test'",
    )


def test_an_expired_token_is_refused_and_says_so(
    app: Flask, client: FlaskClient, calendar: Any, organiser: dict[str, Any], make_event: Any
) -> None:
    make_event(**SERIES, uid="draft@test", published=False)
    headers = token_with(app, organiser["email"], expires=utcnow() + timedelta(hours=1))
    assert client.get("/api/v1/events/draft@test", headers=headers).status_code == 200
    with app.app_context():
        token = accounts.token_for(headers["Authorization"].split()[1])
        token.expires = utcnow().replace(microsecond=0) - timedelta(minutes=1)
        expired_at = f"{token.expires:%Y-%m-%d %H:%M}"
        db.session.commit()
    for response in (
        client.post("/api/v1/events", json=SERIES, headers=headers),
        client.get("/api/v1/events/draft@test", headers=headers),
    ):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["detail"] == f"The token expired on {expired_at} UTC."
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_cannot_be_made_already_expired_or_with_another_scope(
    app: Flask, organiser: dict[str, Any]
) -> None:
    with app.app_context():
        ada = accounts.find_organiser(organiser["email"])
        with pytest.raises(ValidationError) as refused:
            accounts.create_token(ada, "x", scope="admin", expires=utcnow())
        assert refused.value.errors == {
            "scope": "must be read or write",
            "expires": "must be in the future",
        }
