"""Token options in the organiser pages and on the command line: read or write, some calendars
or all, an expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.clock import utcnow
from calendar_service.store.db import db
from calendar_service.store.models import ApiToken

EVENT = {"calendar": "test", "title": "From a script", "start": "2027-01-27T14:00:00"}


def new_secret(page: str) -> str:
    return re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)


def test_a_read_token_for_one_calendar_that_expires(
    app: Flask, signed_in: FlaskClient, make_calendar: Any
) -> None:
    make_calendar(slug="test")
    make_calendar(slug="other", name="Other")
    form = signed_in.get("/organiser/tokens").text
    assert 'name="calendars" type="checkbox" value="other"' in form
    created = signed_in.post(
        "/organiser/tokens",
        data={"name": "reader", "scope": "read", "calendars": ["other"], "expires": "30"},
    )
    assert created.status_code == 200
    headers = {"Authorization": f"Bearer {new_secret(created.text)}"}
    refused = signed_in.post("/api/v1/events", json=EVENT, headers=headers)
    assert refused.status_code == 403 and "may only read" in refused.json["detail"]
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.scope, [c.slug for c in token.calendars]) == ("read", ["other"])
        assert timedelta(days=29, hours=23) < token.expires - utcnow() <= timedelta(days=30)
        expires = f"{token.expires:%Y-%m-%d %H:%M} UTC"
    row = signed_in.get("/organiser/tokens").text.split("<td>reader</td>")[1].split("</tr>")[0]
    assert "<td>Read</td>" in row and "<td>other</td>" in row and expires in row


def test_a_write_token_for_some_calendars_writes_only_there(
    signed_in: FlaskClient, make_calendar: Any
) -> None:
    make_calendar(slug="test")
    make_calendar(slug="other", name="Other")
    created = signed_in.post(
        "/organiser/tokens",
        data={"name": "sync", "scope": "write", "calendars": ["other"], "expires": "never"},
    )
    headers = {"Authorization": f"Bearer {new_secret(created.text)}"}
    assert signed_in.post("/api/v1/events", json=EVENT, headers=headers).status_code == 403
    assert (
        signed_in.post(
            "/api/v1/events", json={**EVENT, "calendar": "other"}, headers=headers
        ).status_code
        == 201
    )
    listing = signed_in.get("/organiser/tokens").text
    assert "<td>Write</td>" in listing and "<td>never</td>" in listing


def test_only_calendars_one_may_change_are_offered(
    app: Flask, client: FlaskClient, make_calendar: Any, make_organiser: Any, sign_in: Any
) -> None:
    make_calendar(slug="test")
    make_calendar(slug="other", name="Other")
    make_organiser("bob@example.org", calendars=("other",))
    sign_in(client, "bob@example.org")
    page = client.get("/organiser/tokens").text
    assert 'value="other"' in page and 'value="test"' not in page
    forged = client.post(
        "/organiser/tokens",
        data={"name": "x", "scope": "write", "calendars": ["test"], "expires": "never"},
    )
    assert forged.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).all() == []


def test_an_expired_token_is_listed_as_expired(
    app: Flask, signed_in: FlaskClient, make_calendar: Any
) -> None:
    signed_in.post("/organiser/tokens", data={"name": "old", "scope": "write", "expires": "30"})
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        token.expires = utcnow() - timedelta(days=1)
        db.session.commit()
    assert "Expired" in signed_in.get("/organiser/tokens").text


def test_create_token_options_on_the_command_line(
    app: Flask, runner: Any, make_calendar: Any, make_organiser: Any
) -> None:
    make_calendar(slug="test")
    make_organiser("bob@example.org", calendars=())
    make_organiser("ada@example.org")
    result = runner.invoke(
        args=[
            "create-token",
            "ada@example.org",
            "--name",
            "feed reader",
            "--scope",
            "read",
            "--calendar",
            "test",
            "--expires-days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.name, token.scope, [c.slug for c in token.calendars]) == (
            "feed reader",
            "read",
            ["test"],
        )
        assert timedelta(days=6, hours=23) < token.expires - utcnow() <= timedelta(days=7)
    unknown = runner.invoke(args=["create-token", "ada@example.org", "--calendar", "nowhere"])
    assert unknown.exit_code == 1 and "no calendar 'nowhere'" in unknown.output
    exceeds = runner.invoke(args=["create-token", "bob@example.org", "--calendar", "test"])
    assert exceeds.exit_code == 1
    assert "calendars: bob@example.org may not change test" in exceeds.output
    assert "Traceback" not in unknown.output + exceeds.output
