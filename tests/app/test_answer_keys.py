"""The answer cache keeps only what it keys: a stored answer depends on no query parameter its
key leaves out, so a request carrying unknown ones (``?ref="><b>POISON</b>&pad=AAAA…``) gets
the very bytes a plain request gets, and leaves nothing behind for the next visitor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from answer_routes import UID, routes, series_fields
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.web.cache_policy import POLICIES

# Parameters no cached view reads: markup, a 3 KB pad, url_for's own keywords, a name that is
# not ASCII, and one repeated (with an empty value).
UNKNOWN = [
    ("ref", '"><b>POISON</b>'),
    ("pad", "A" * 3000),
    ("_anchor", "x"),
    ("_external", "1"),
    ("_method", "POST"),
    ("_scheme", "javascript"),
    ("utm_source", "newsletter"),
    ("ünïcode", "☃"),
    ("ref", ""),
]
MARKS = (b"POISON", b"A" * 3000, "☃".encode(), b"%E2%98%83", b"utm_source")


def cached_routes() -> list[str]:
    """Every cached route: those the other cache tests use, the API's second pages (whose
    ``next`` link carries the query on) and the OpenAPI document."""
    return [
        *routes(),
        "/api/v1/events?limit=1",
        "/api/v1/events?calendar=test&limit=1",
        "/api/v1/calendars?limit=1",
        "/api/v1/openapi.json",
    ]


def with_unknown(route: str) -> str:
    return route + ("&" if "?" in route else "?") + urlencode(UNKNOWN)


@pytest.fixture
def published(
    make_event: Callable[..., dict[str, Any]], make_calendar: Callable[..., dict[str, Any]]
) -> None:
    """The daily series, a second event (so the lists have a second page) and a second
    calendar."""
    make_event(**series_fields())
    make_event(**{**series_fields(), "uid": "zz-other@example.org", "title": "Other talk"})
    make_calendar(slug="zz-second", name="Second")


def test_every_cached_route_is_listed(app: Flask) -> None:
    """A new cached view must be added to the routes here (and in answer_routes)."""
    cached = {endpoint for endpoint, policy in POLICIES.items() if policy.stored}
    assert cached <= set(app.view_functions)
    adapter = app.url_map.bind("localhost")
    listed = {adapter.match(route.split("?")[0])[0] for route in cached_routes()}
    assert listed == cached


@pytest.mark.parametrize("route", cached_routes())
def test_unknown_parameters_change_no_answer_and_leave_nothing_behind(
    client: FlaskClient,
    app_config: dict[str, Any],
    make_app: Callable[[dict[str, Any]], Flask],
    published: None,
    route: str,
) -> None:
    """Built with unknown parameters, an answer is byte for byte the one another worker
    built without them; a plain request after it gets the same, and none carries them."""
    clean = make_app(app_config).test_client().get(route)
    assert clean.status_code == 200, clean.text
    poisoned = client.get(with_unknown(route))
    assert poisoned.status_code == 200, poisoned.text
    assert [mark for mark in MARKS if mark in poisoned.data] == []
    assert (poisoned.data, poisoned.headers["ETag"]) == (clean.data, clean.headers["ETag"])
    for _ in range(4):
        later = client.get(route)
        assert (later.status_code, later.data) == (200, clean.data)


def test_the_zone_form_keeps_the_pages_own_parameters_only(
    client: FlaskClient, published: None
) -> None:
    """The form that switches the zone keeps what the page reads (the date shown, the
    search) and nothing else."""
    page = client.get(f"/events/{UID}?on=2099-01-01T12:00:00&ref=x1y2&utm_source=z9")
    assert page.status_code == 200
    assert '<input type="hidden" name="on" value="2099-01-01T12:00:00">' in page.text
    assert "x1y2" not in page.text and "z9" not in page.text
    agenda = client.get("/?q=talk&days=14&ref=x1y2")
    assert agenda.status_code == 200
    assert '<input type="hidden" name="q" value="talk">' in agenda.text
    assert '<input type="hidden" name="days" value="14">' in agenda.text
    assert "x1y2" not in agenda.text
