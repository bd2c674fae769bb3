"""Several stateless app processes over one database: a change made through one is
seen by every other on its very next request, and a dropped database connection costs no worker.

The processes are real gunicorn servers, as in production, so no per-process cache can hide
behind a shared Python module.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from answer_routes import routes, series_fields, shows
from app_servers import GUNICORN, fetch
from flask import Flask
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


@pytest.fixture
def start_server(serve: Callable[[list[str]], str]) -> Callable[[], str]:
    """Start a gunicorn process on the test database; returns its base URL."""
    return lambda: serve(GUNICORN)


def _request(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    return fetch(url, method=method, headers=headers, body=body)[:3]


def test_a_change_through_one_process_is_seen_by_another_at_once(
    start_server: Callable[[], str], make_event, auth_headers: dict[str, str]
) -> None:
    event = make_event(title="TPS seminar", rrule="FREQ=MONTHLY;BYDAY=-1WE")
    first, second = start_server(), start_server()
    feed = f"{second}/calendars/test.ics"
    status, headers, body = _request(feed)
    assert status == 200 and b"SUMMARY:TPS seminar" in body
    old_etag = headers["ETag"]
    assert _request(feed, headers={"If-None-Match": old_etag})[0] == 304

    status, _, _ = _request(
        f"{first}/api/v1/events/{event['uid']}",
        method="PATCH",
        headers={**auth_headers, "Content-Type": "application/json"},
        body=b'{"title": "TPS seminar: open source in pharma"}',
    )
    assert status == 200

    status, headers, body = _request(feed, headers={"If-None-Match": old_etag})
    assert status == 200
    assert headers["ETag"] != old_etag
    assert b"SUMMARY:TPS seminar: open source in pharma" in body
    assert b"SEQUENCE:1" in body
    status, _, page = _request(f"{second}/?from=2027-01-01&days=40")
    assert status == 200 and "TPS seminar: open source in pharma" in page.decode()
    status, _, api = _request(f"{second}/api/v1/events/{event['uid']}")
    assert status == 200
    assert json.loads(api)["title"] == "TPS seminar: open source in pharma"
    assert json.loads(api)["sequence"] == 1


def test_every_cached_answer_moves_on_in_another_process_at_once(
    start_server: Callable[[], str], make_event, auth_headers: dict[str, str]
) -> None:
    """Each cached route, warm in the second process (its 304 answered from its cache), is
    built anew there on the very next request after a change made through the first."""
    make_event(**series_fields())
    first, second = start_server(), start_server()
    held: dict[str, str] = {}
    for route in routes():
        status, headers, body = _request(second + route)
        assert status == 200 and shows(route, body, "Weekly talk", "talks"), route
        held[route] = headers["ETag"]
        assert _request(second + route, headers={"If-None-Match": held[route]})[0] == 304

    status, _, _ = _request(
        f"{first}/api/v1/events/{series_fields()['uid']}",
        method="PATCH",
        headers={**auth_headers, "Content-Type": "application/json"},
        body=b'{"title": "Weekly seminar", "categories": ["seminars"]}',
    )
    assert status == 200

    for route in routes():
        status, headers, body = _request(second + route, headers={"If-None-Match": held[route]})
        assert status == 200, route
        assert headers["ETag"] != held[route], route
        assert shows(route, body, "Weekly seminar", "seminars") and b"Weekly talk" not in body


@pytest.mark.postgres_only
def test_a_dropped_database_connection_costs_no_failed_request(
    app: Flask, start_server: Callable[[], str], make_event
) -> None:
    """Pool pre-ping: after the server drops every connection, the next request still works."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip(
            "needs PostgreSQL (CALENDAR_TEST_DATABASE_URL): SQLite has no connections to drop"
        )
    make_event(title="Book Dash")
    base = start_server()
    assert _request(f"{base}/calendars/test.ics")[0] == 200
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    assert killed >= 1
    statuses = [_request(f"{base}/calendars/test.ics")[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
