"""Errors as clear answers: problem JSON on the API, a 400 for control characters in the address
or a value the database refuses, a 503 to retry while the database is away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

MakeApp = Callable[[dict[str, Any]], Flask]


def test_unknown_api_route_is_problem_json(client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert set(body) >= {"type", "title", "status", "detail"}


@pytest.mark.parametrize(
    "url",
    [
        "/events/%00.ics",
        "/calendars/%00.ics",
        "/events/%00",
        "/api/v1/events/a%00b",
        "/?q=%00",
        "/api/v1/occurrences?start=2027-01-01&end=2027-02-01&calendar=%01",
        "/calendars/x%1f/next",
    ],
)
def test_control_characters_in_the_address_are_a_clear_400(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert "control characters" in response.get_json()["detail"]
    else:
        assert "control characters" in response.text


def test_a_value_the_database_refuses_is_a_400_not_a_500(
    app_config: dict, make_app: MakeApp
) -> None:
    from sqlalchemy.exc import DataError

    flask_app = make_app(app_config)

    @flask_app.get("/api/v1/_refused")
    def refused() -> str:
        raise DataError("INSERT …", {}, ValueError("A string literal cannot contain NUL"))

    response = flask_app.test_client().get("/api/v1/_refused")
    assert response.status_code == 400
    assert response.get_json()["detail"] == "A value in the request was not accepted."


@pytest.mark.parametrize(
    "path, mimetype",
    [
        ("/calendars/turing-roche.ics", "text/html"),
        ("/", "text/html"),
        ("/api/v1/calendars", "application/problem+json"),
    ],
)
def test_an_unreachable_database_is_a_503_to_retry_not_a_500(
    unreachable_app: Flask, path: str, mimetype: str
) -> None:
    response = unreachable_app.test_client().get(path, headers={"If-None-Match": '"a"'})
    assert response.status_code == 503
    assert response.mimetype == mimetype
    assert response.headers["Retry-After"] == "5"
    assert b"database is not answering" in response.data


def test_a_connection_dropped_after_the_answer_does_not_spoil_it(
    app_config: dict, make_app: MakeApp
) -> None:
    """The database goes away between the view's answer and the session's closing ROLLBACK (a
    restart): the answer stands, and the next request gets a fresh connection."""
    from sqlalchemy import create_engine, text

    from calendar_service.store.db import db

    flask_app = make_app(app_config)
    url = app_config["SQLALCHEMY_DATABASE_URI"]

    @flask_app.get("/_dropped")
    def dropped() -> str:
        pid = db.session.execute(
            text("SELECT pg_backend_pid()" if url.startswith("postgresql") else "SELECT 1")
        ).scalar()
        if url.startswith("postgresql"):  # the server ends this very connection
            killer = create_engine(url, isolation_level="AUTOCOMMIT")
            with killer.connect() as connection:
                assert connection.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                ).scalar()
            killer.dispose()
        else:  # SQLite has no server: close the file handle under the session instead
            db.session.connection().connection.dbapi_connection.close()
        return "answered"

    client = flask_app.test_client()
    response = client.get("/_dropped")
    assert (response.status_code, response.text) == (200, "answered")
    assert client.get("/healthz").status_code == 200


def test_pages_carry_the_safety_headers(
    client: FlaskClient, signed_in: FlaskClient, make_event: Callable[..., dict[str, Any]]
) -> None:
    event = make_event(uid="talk@test", title="Talk")
    for path in ("/", f"/events/{event['uid']}", "/organiser/sign-in"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        assert "script-src 'self';" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    feed = client.get("/calendars/test.ics")
    assert feed.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in feed.headers
    assert feed.headers["Cache-Control"].startswith("public")
    for path in ("/organiser/", "/organiser/tokens"):
        page = signed_in.get(path)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
