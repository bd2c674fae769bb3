"""The HTTP cache (web.http_cache) and its policy table (web.cache_policy): public pages and API
reads kept by the versions of the calendars they read, query and code, with strong ETags and
304s; organisers never in it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from answer_routes import LONDON, UID, cache_control, routes, series_fields, shows, today
from flask import Flask, Response, make_response, request
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.datastructures import Headers

from calendar_service.app_caches import StoredAnswer, app_caches
from calendar_service.clock import utcnow
from calendar_service.store.db import db
from calendar_service.store.models import Calendar
from calendar_service.store.versions import VersionReader
from calendar_service.web import http_cache, sessions
from calendar_service.web.cache_policy import POLICIES, PUBLIC, Calendars, Policy, Private
from calendar_service.web.http_cache import next_midnight

DRAFT = "draft@example.org"


@pytest.fixture
def weekly(make_event: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_event(**series_fields())


@pytest.fixture
def draft(make_event: Callable[..., dict[str, Any]], weekly: dict[str, Any]) -> dict[str, Any]:
    start = today() + timedelta(days=2)
    return make_event(
        uid=DRAFT, title="Secret draft", start=f"{start.isoformat()}T15:00:00", published=False
    )


def held(app: Flask) -> list[StoredAnswer]:
    with app.app_context():
        return app_caches().answers.values()


def without_body_headers(headers: Headers) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name not in ("Content-Type", "Content-Length")
    }


@pytest.mark.parametrize("route", routes())
def test_a_warm_answer_and_its_304_carry_the_same_headers(
    client: FlaskClient, app: Flask, weekly: dict[str, Any], route: str
) -> None:
    first = client.get(route)
    assert first.status_code == 200 and shows(route, first.data, "Weekly talk", "talks")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('"W/')
    assert first.headers["Cache-Control"] == cache_control(route)
    again = client.get(route)
    assert (again.status_code, again.data, again.headers["ETag"]) == (200, first.data, etag)
    assert dict(again.headers) == dict(first.headers)
    revalidated = client.get(route, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert dict(revalidated.headers) == without_body_headers(first.headers)
    head = client.head(route)
    assert (head.status_code, head.data) == (200, b"")
    assert dict(head.headers) == dict(first.headers)
    assert len(held(app)) == 1


@pytest.mark.parametrize("route", routes())
def test_a_change_through_one_app_is_served_by_another_on_its_next_request(
    client: FlaskClient,
    app: Flask,
    app_config: dict[str, Any],
    make_app: Callable[[dict[str, Any]], Flask],
    weekly: dict[str, Any],
    auth_headers: dict[str, str],
    route: str,
) -> None:
    """Two apps on one database stand for two workers: the cache of the one that did not
    make the change holds the old answer, and must not serve it."""
    other = make_app(app_config).test_client()
    before = other.get(route)
    assert before.status_code == 200 and shows(route, before.data, "Weekly talk", "talks")
    old_etag = before.headers["ETag"]
    assert other.get(route, headers={"If-None-Match": old_etag}).status_code == 304

    changed = client.patch(
        f"/api/v1/events/{UID}",
        headers=auth_headers,
        json={"title": "Weekly seminar", "categories": ["seminars"]},
    )
    assert changed.status_code == 200

    after = other.get(route, headers={"If-None-Match": old_etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != old_etag
    assert shows(route, after.data, "Weekly seminar", "seminars")
    assert b"Weekly talk" not in after.data  # (the calendar keeps its old category too)


def test_an_answer_is_built_once_per_calendar_version(
    client: FlaskClient, app: Flask, weekly: dict[str, Any]
) -> None:
    """A row changed behind the service's back (no version bump) is not seen until the
    calendar's version moves: the answer is the cached one, not rebuilt."""
    first = client.get("/")
    with app.app_context():
        db.session.execute(text("UPDATE events SET title = 'Renamed quietly'"))
        db.session.commit()
    assert client.get("/").data == first.data
    with app.app_context():
        calendar = db.session.scalars(db.select(Calendar)).one()
        calendar.touch()
        db.session.commit()
    rebuilt = client.get("/")
    assert b"Renamed quietly" in rebuilt.data and rebuilt.headers["ETag"] != first.headers["ETag"]


def test_an_answer_is_built_again_once_it_expires(
    client: FlaskClient, app: Flask, weekly: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agenda holds until the next local midnight, when "today" moves on."""
    first = client.get("/")
    [stored] = held(app)
    now = utcnow()
    assert stored.expires == next_midnight(now, LONDON)
    with app.app_context():
        db.session.execute(text("UPDATE events SET title = 'Renamed quietly'"))
        db.session.commit()
    assert client.get("/").data == first.data
    monkeypatch.setattr(http_cache, "utcnow", lambda: now + timedelta(days=1))
    assert b"Renamed quietly" in client.get("/").data


def test_an_event_page_holds_until_its_first_listed_occurrence_ends(
    client: FlaskClient, app: Flask, make_event: Callable[..., dict[str, Any]]
) -> None:
    now = utcnow().replace(microsecond=0)
    start = (now - timedelta(minutes=30)).astimezone(LONDON).replace(tzinfo=None)
    make_event(
        uid="now@x",
        title="In progress",
        start=start.isoformat(),
        end=(start + timedelta(hours=1)).isoformat(),
        rrule="FREQ=DAILY",
    )
    assert client.get("/events/now@x").status_code == 200
    [stored] = held(app)
    assert stored.expires == min(now + timedelta(minutes=30), next_midnight(now, LONDON))


def test_drafts_never_enter_a_public_answer(
    client: FlaskClient,
    app: Flask,
    draft: dict[str, Any],
    organiser: dict[str, Any],
    sign_in: Callable[..., Any],
    auth_headers: dict[str, str],
) -> None:
    """The organiser's answers (the draft's page, the API with a token, the agenda with their
    own navigation) are private and not stored; the visitor's, stored, hold no draft."""
    visitor = app.test_client()
    assert sign_in(client, organiser["email"]).status_code == 302
    page = client.get(f"/events/{DRAFT}")
    assert page.status_code == 200 and b"Secret draft" in page.data
    agenda = client.get("/")
    assert agenda.status_code == 200 and b"Organiser pages" in agenda.data
    api = client.get("/api/v1/events", headers=auth_headers)
    assert api.status_code == 200 and b"Secret draft" in api.data
    for seen in (page, agenda, api):
        assert seen.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in seen.headers
    assert held(app) == []

    public = visitor.get("/")
    assert public.status_code == 200 and b"Organiser pages" not in public.data
    assert visitor.get(f"/events/{DRAFT}").status_code == 404
    assert b"Secret draft" not in visitor.get("/api/v1/events").data
    assert len(held(app)) == 2
    assert all(
        b"Secret draft" not in answer.body and b"Organiser pages" not in answer.body
        for answer in held(app)
    )


def test_an_organiser_is_never_answered_from_the_cache(
    client: FlaskClient,
    app: Flask,
    draft: dict[str, Any],
    organiser: dict[str, Any],
    sign_in: Callable[..., Any],
    auth_headers: dict[str, str],
) -> None:
    visitor = app.test_client()
    public = visitor.get("/")
    api = visitor.get("/api/v1/events")
    assert len(held(app)) == 2

    assert sign_in(client, organiser["email"]).status_code == 302
    for headers in ({}, {"If-None-Match": public.headers["ETag"]}):
        seen = client.get("/", headers=headers)
        assert seen.status_code == 200 and b"Organiser pages" in seen.data
    with_token = visitor.get(
        "/api/v1/events", headers={**auth_headers, "If-None-Match": api.headers["ETag"]}
    )
    assert with_token.status_code == 200 and b"Secret draft" in with_token.data
    bad_token = visitor.get("/api/v1/events", headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401
    assert len(held(app)) == 2


def test_the_query_is_normalised_where_the_answer_is_the_same(
    client: FlaskClient, app: Flask, weekly: dict[str, Any]
) -> None:
    first = client.get("/?calendar=test&days=30")
    for same in ("/?days=30&calendar=test", "/?calendar=test&days=30&utm_source=newsletter"):
        answer = client.get(same)
        assert (answer.data, answer.headers["ETag"]) == (first.data, first.headers["ETag"])
    assert len(held(app)) == 1
    assert client.get("/?calendar=test&days=31").headers["ETag"] != first.headers["ETag"]

    page = client.get("/api/v1/events?limit=1&calendar=test")
    swapped = client.get("/api/v1/events?calendar=test&limit=1")
    assert (swapped.data, swapped.headers["ETag"]) == (page.data, page.headers["ETag"])
    assert len(held(app)) == 3
    unread = client.get("/api/v1/events?calendar=test&limit=1&x=1")  # not even in "next"
    assert (unread.data, unread.headers["ETag"], len(held(app))) == (
        page.data,
        page.headers["ETag"],
        3,
    )


def test_hostile_queries_stay_within_the_byte_bound(
    app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask], weekly: dict[str, Any]
) -> None:
    small = make_app({**app_config, "ANSWER_CACHE_BYTES": 40_000})
    visitor = small.test_client()
    for index in range(30):
        assert visitor.get(f"/?q=talk{index}").status_code == 200
        assert visitor.get(f"/api/v1/events?limit={index + 1}").status_code == 200
    with small.app_context():
        cache = app_caches().answers
        assert 2 < len(cache) < 60 and cache.weight <= 40_000


def test_errors_are_not_stored(client: FlaskClient, app: Flask, weekly: dict[str, Any]) -> None:
    assert client.get("/events/nowhere@x").status_code == 404
    assert client.get("/?days=nonsense").status_code == 400
    assert client.get("/api/v1/occurrences?start=x").status_code == 422
    assert held(app) == []


def test_an_untrusted_host_is_refused_before_the_cache(
    app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask], weekly: dict[str, Any]
) -> None:
    guarded = make_app({**app_config, "TRUSTED_HOSTS": ["calendar.example.org"]})
    visitor = guarded.test_client()
    good = visitor.get("/", headers={"Host": "calendar.example.org"})
    assert good.status_code == 200
    bad = visitor.get(
        "/", headers={"Host": "evil.example.com", "If-None-Match": good.headers["ETag"]}
    )
    assert bad.status_code == 400


def test_a_cold_head_is_answered_as_the_get_would_be(
    client: FlaskClient, app: Flask, weekly: dict[str, Any]
) -> None:
    head = client.head("/")
    assert (head.status_code, head.data) == (200, b"")
    get = client.get("/")
    assert dict(head.headers) == dict(get.headers) and "ETag" in head.headers


def test_a_view_keeps_its_own_cache_lifetime(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json")
    assert document.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": document.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=3600"


def test_a_route_joins_the_cache_by_one_row(
    client: FlaskClient, app: Flask, weekly: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a new page would: its answers are stored by calendar versions and its parameters."""
    built: list[str] = []
    monkeypatch.setitem(
        POLICIES,
        "greeting",
        Policy(frozenset({"name"}), Private.SIGNED_IN, ("Cookie",), Calendars.ALL),
    )

    def greeting() -> str:
        built.append(request.args.get("name", ""))
        return f"hello {request.args.get('name', '')}"

    app.add_url_rule("/greeting", "greeting", greeting)
    first = client.get("/greeting?name=ada&utm_source=x")
    assert first.data == b"hello ada" and first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/greeting?name=ada").headers["ETag"] == first.headers["ETag"]
    assert client.get("/greeting?name=alan").data == b"hello alan"
    assert built == ["ada", "alan"]


def test_an_answer_varying_on_a_header_outside_the_key_is_not_stored(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        POLICIES, "greeting", Policy(frozenset(), Private.SIGNED_IN, ("Cookie",), Calendars.ALL)
    )

    def greeting() -> Response:
        response = make_response("hello " + request.headers.get("Accept-Language", "?"))
        response.vary.add("Accept-Language")
        return response

    app.add_url_rule("/greeting", "greeting", greeting)
    assert client.get("/greeting", headers={"Accept-Language": "fr"}).data == b"hello fr"
    assert client.get("/greeting", headers={"Accept-Language": "de"}).data == b"hello de"
    assert held(app) == []


def test_a_remember_me_cookie_is_never_answered_from_the_cache(
    client: FlaskClient, app: Flask, weekly: dict[str, Any]
) -> None:
    """It may sign an organiser in on this very request, so it goes to Flask, unshared."""
    public = client.get("/")
    assert len(held(app)) == 1
    client.set_cookie("remember_token", "1:stale|signature")
    answer = client.get("/", headers={"If-None-Match": public.headers["ETag"]})
    assert answer.status_code == 200 and "ETag" not in answer.headers
    assert len(held(app)) == 1


def test_the_bound_is_set_by_calendar_answer_cache_mb(
    app_config: dict[str, Any],
    make_app: Callable[[dict[str, Any]], Flask],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALENDAR_ANSWER_CACHE_MB", "2.5")
    assert app_caches(make_app(app_config)).answers.max_weight == int(2.5 * 1024 * 1024)


def test_an_answer_the_same_for_everyone_varies_on_nothing(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a feed: listed among the public endpoints (no session, so no Vary: Cookie from
    Flask) and its row says so (no Vary from the cache)."""
    monkeypatch.setattr(sessions, "PUBLIC_ENDPOINTS", sessions.PUBLIC_ENDPOINTS | {"one_date"})
    monkeypatch.setitem(
        POLICIES, "one_date", Policy(frozenset({"on"}), Private.NOBODY, (), Calendars.ALL, PUBLIC)
    )

    def one_date() -> str:
        return "BEGIN:VCALENDAR"

    app.add_url_rule("/one-date", "one_date", one_date)
    first = client.get("/one-date?on=2027-01-01")
    assert "Vary" not in first.headers and first.headers["Cache-Control"] == "public, max-age=60"
    assert (
        client.get(
            "/one-date?on=2027-01-01", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    assert len(held(app)) == 1


def test_a_change_to_one_calendar_keeps_the_others_answers(
    client: FlaskClient,
    app: Flask,
    make_event: Callable[..., dict[str, Any]],
    change: Callable[..., dict[str, Any]],
    sql_statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answers are keyed by the versions of the calendars they read: after a change to
    calendar ``test``, the pages of calendar ``other`` are served from the cache (no SQL
    statement but the one version read each, no build), while those of ``test`` and those
    that show every calendar are built again."""
    make_event(**series_fields())
    make_event(
        **{
            **series_fields(),
            "uid": "other@example.org",
            "calendar": "other",
            "title": "Other talk",
        }
    )
    start = today() + timedelta(days=1)
    others = [
        "/calendars/other",
        f"/calendars/other/{start.year}/{start.month}",
        "/calendars/other.atom",
        "/embed?calendar=other&days=28",
        "/events/other@example.org",
        "/api/v1/events/other@example.org",
        "/api/v1/events?calendar=other",
        f"/api/v1/occurrences?calendar=other&start={start.isoformat()}"
        f"&end={(start + timedelta(days=28)).isoformat()}",
    ]
    moved_on = ["/calendars/test", f"/events/{UID}", "/", "/api/v1/calendars", "/api/v1/events"]
    first = {route: client.get(route) for route in others + moved_on}
    assert all(response.status_code == 200 for response in first.values())
    assert all(b"Other talk" in first[route].data for route in others)
    stored = len(held(app))
    assert stored == len(others) + len(moved_on)

    change(UID, title="Weekly seminar", categories=["seminars"])
    reads: list[str] = []
    real = VersionReader.read_all
    monkeypatch.setattr(
        VersionReader, "read_all", lambda self: reads.append("versions") or real(self)
    )
    sql_statements.clear()
    for route in others:
        again = client.get(route)
        assert (again.status_code, again.data) == (200, first[route].data), route
        assert again.headers["ETag"] == first[route].headers["ETag"], route
        revalidated = client.get(route, headers={"If-None-Match": first[route].headers["ETag"]})
        assert revalidated.status_code == 304, route
    assert sql_statements == []
    assert reads == ["versions"] * 2 * len(others)
    assert len(held(app)) == stored

    for route in moved_on:
        again = client.get(route, headers={"If-None-Match": first[route].headers["ETag"]})
        assert again.status_code == 200 and again.headers["ETag"] != first[route].headers["ETag"]
        assert shows(route, again.data, "Weekly seminar", "seminars"), route
    assert len(held(app)) == stored  # each answer replaced by its new version
