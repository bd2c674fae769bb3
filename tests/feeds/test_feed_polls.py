"""Polls of unchanged feeds: answered 304 from the calendar's version row alone before Flask's
request machinery runs (web.http_cache), on Flask's own route match made once, with the headers
the 200 says about caching; what is left to Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from werkzeug.http import parse_date, parse_etags

from calendar_service.clock import utcnow
from calendar_service.ical import writer as ical
from calendar_service.store.db import db
from calendar_service.store.versions import VersionReader
from calendar_service.web.http_cache import version_reader

FEED = "/calendars/test.ics"
# Every test polls calendar "test", with its one weekly series.
pytestmark = pytest.mark.usefixtures("calendar_with_event")


@pytest.fixture
def flask_requests(app: Flask) -> list[str]:
    """Paths of the requests that reached Flask's request machinery (a before_request hook runs
    for each)."""
    seen: list[str] = []

    @app.before_request
    def count() -> None:
        from flask import request

        seen.append(request.full_path)

    return seen


def etag_of(client: FlaskClient, url: str = FEED) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.fixture
def version_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs whose version row was read, one entry per read."""
    reads: list[str] = []
    real = VersionReader.read

    def counted(self: VersionReader, slug: str) -> Any:
        reads.append(slug)
        return real(self, slug)

    monkeypatch.setattr(VersionReader, "read", counted)
    return reads


@pytest.fixture
def no_builds(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """``no_builds()``: from now on, building the feed fails the test (a poll never does)."""

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the feed was built for a conditional request")

    return lambda: monkeypatch.setattr(ical, "feed_bytes", refuse)


def caching_headers(response: Any, etag: str) -> list[tuple[str, str]]:
    """What a 304 carries: the held representation's ETag, and what the 200 says about caching
    it (RFC 9110 §15.4.5)."""
    return sorted(
        [
            ("Cache-Control", response.headers["Cache-Control"]),
            ("ETag", etag),
            ("Vary", response.headers["Vary"]),
        ]
    )


def expected_status(current: str, last_modified: str, headers: dict[str, str]) -> int:
    """RFC 9110 §13.1.2 and §13.1.3, as werkzeug parses the validators: If-None-Match decides
    when present (either representation's ETag); else a valid If-Modified-Since not in the
    future and not before Last-Modified."""
    if "If-None-Match" in headers:
        tags = parse_etags(headers["If-None-Match"])
        return 304 if tags.contains_weak(current) or tags.contains_weak(current + "-gzip") else 200
    since = parse_date(headers.get("If-Modified-Since"))
    if since is None or since > utcnow():
        return 200
    modified = parse_date(last_modified)
    assert modified is not None
    return 304 if modified <= since else 200


def test_a_poll_of_an_unchanged_feed_costs_the_version_read_alone(
    app: Flask,
    client: FlaskClient,
    flask_requests: list[str],
    version_reads: list[str],
    sql_statements: list[str],
    no_builds: Callable[[], None],
) -> None:
    etag = client.head(FEED).headers["ETag"]
    no_builds()
    flask_requests.clear()
    version_reads.clear()
    sql_statements.clear()
    response = client.get(FEED, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert flask_requests == []  # the 304 never reached Flask's request machinery
    assert version_reads == ["test"]  # read once, and nothing else asked of the database
    assert sql_statements == []
    assert sorted(response.headers.items()) == [
        ("Cache-Control", "public, max-age=900"),
        ("ETag", etag),
        ("Vary", "Accept-Encoding"),
    ]


def test_a_poll_says_what_the_200_says_about_caching(
    app: Flask, client: FlaskClient, settled: Callable[[], None]
) -> None:
    settled()  # Last-Modified is the clock's while the stamp is ahead: every request sees one
    plain = client.get(FEED)
    zipped = client.get(FEED, headers={"Accept-Encoding": "gzip"})
    etag = plain.headers["ETag"]
    for headers, answer in (
        ({"If-None-Match": etag}, plain),
        ({"If-None-Match": etag[:-1] + '-gzip"'}, zipped),
        ({"If-None-Match": "*"}, plain),
        ({"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, plain),
        ({"If-Modified-Since": plain.headers["Last-Modified"], "Accept-Encoding": "gzip"}, zipped),
    ):
        poll = client.get(FEED, headers=headers)
        if poll.status_code == 304:
            assert sorted(poll.headers.items()) == caching_headers(
                answer, answer.headers["ETag"]
            ), headers
        else:  # a date in the future is ignored: the whole feed
            assert headers == {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
            assert (poll.data, sorted(poll.headers.items())) == (
                plain.data,
                sorted(plain.headers.items()),
            )


_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    if_none_match=st.one_of(
        st.none(),
        _HEADER_TEXT,
        st.sampled_from(
            ["*", 'W/"x"', '"', "CURRENT", "W/CURRENT", '"other", CURRENT', "CURRENT-gzip"]
        ),
    ),
    if_modified_since=st.one_of(
        st.none(),
        _HEADER_TEXT,
        st.sampled_from(
            ["Fri, 01 Jan 2100 00:00:00 GMT", "Mon, 01 Jan 1990 00:00:00 GMT", "garbage"]
        ),
    ),
    accept_encoding=st.one_of(st.none(), _HEADER_TEXT, st.just("gzip;q=0, br")),
)
def test_any_validators_get_the_answer_rfc_9110_gives(
    app: Flask,
    client: FlaskClient,
    settled: Callable[[], None],
    if_none_match: str | None,
    if_modified_since: str | None,
    accept_encoding: str | None,
) -> None:
    """A 304 exactly when RFC 9110 says so, with the caching headers of the representation
    asked for; otherwise the very answer of an unconditional request."""
    settled()  # else two answers can fall either side of a second while the stamp is ahead
    current = etag_of(client).strip('"')  # the feed's ETag, where the strategy names it
    if if_none_match is not None:
        if_none_match = if_none_match.replace("CURRENT", f'"{current}"').replace('"-gzip', '-gzip"')
    headers = {
        name: value
        for name, value in [
            ("If-None-Match", if_none_match),
            ("If-Modified-Since", if_modified_since),
            ("Accept-Encoding", accept_encoding),
        ]
        if value is not None
    }
    poll = client.get(FEED, headers=headers)
    unconditional = client.get(
        FEED, headers={name: value for name, value in headers.items() if name == "Accept-Encoding"}
    )
    event(f"status {poll.status_code}")
    assert poll.status_code == expected_status(
        current, unconditional.headers["Last-Modified"], headers
    )
    if poll.status_code == 304:
        tags = parse_etags(headers.get("If-None-Match"))
        held = (
            unconditional.headers["ETag"]
            if "If-None-Match" not in headers
            or tags.contains_weak(unconditional.headers["ETag"].strip('"'))
            else f'"{current}-gzip"'
            if tags.contains_weak(current + "-gzip")
            else f'"{current}"'
        )
        if "If-None-Match" in headers and tags.contains_weak(current):
            held = f'"{current}"'
        assert poll.data == b""
        assert sorted(poll.headers.items()) == caching_headers(unconditional, held)
    else:
        assert (sorted(poll.headers.items()), poll.data) == (
            sorted(unconditional.headers.items()),
            unconditional.data,
        )


def test_head_poll(
    client: FlaskClient, sql_statements: list[str], no_builds: Callable[[], None]
) -> None:
    etag = client.head(FEED).headers["ETag"]
    no_builds()
    sql_statements.clear()
    response = client.head(FEED, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["ETag"] == etag
    assert sql_statements == []


def test_if_modified_since_poll_answers_the_representation_asked_for(
    client: FlaskClient, sql_statements: list[str], settled: Callable[[], None]
) -> None:
    settled()
    first = client.get(FEED)
    since = first.headers["Last-Modified"]
    sql_statements.clear()
    plain = client.get(FEED, headers={"If-Modified-Since": since})
    zipped = client.get(FEED, headers={"If-Modified-Since": since, "Accept-Encoding": "gzip"})
    assert (plain.status_code, zipped.status_code) == (304, 304)
    assert plain.headers["ETag"] == first.headers["ETag"]
    assert zipped.headers["ETag"] == first.headers["ETag"][:-1] + '-gzip"'
    assert sql_statements == []


def test_a_change_is_served_on_the_very_next_poll(
    client: FlaskClient, change: Callable[..., dict[str, Any]], other_worker: FlaskClient
) -> None:
    etag = etag_of(client)
    assert other_worker.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    change("talk@test", location="Room 2")
    for worker in (client, other_worker):
        response = worker.get(FEED, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response.headers["ETag"] != etag
        assert b"LOCATION:Room 2" in response.data


@pytest.mark.parametrize(
    "url, status",
    [
        ("/calendars/nowhere.ics", 404),  # no such calendar: Flask's 404 page
        ("/calendars/TEST.ics", 404),  # not a slug's spelling: Flask's router decides
        ("/calendars/test.ics?category=talks", 304),  # a filtered feed: Flask answers the poll
        ("/calendars/test.ics?category=nope", 404),
    ],
)
def test_other_feed_urls_are_left_to_flask(
    client: FlaskClient, flask_requests: list[str], url: str, status: int
) -> None:
    etag = etag_of(client, url) if status == 304 else '"anything"'
    flask_requests.clear()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == status
    assert len(flask_requests) == 1


def test_unconditional_and_stale_requests_are_left_to_flask(
    client: FlaskClient, flask_requests: list[str]
) -> None:
    etag = etag_of(client)
    stale = client.get(FEED, headers={"If-None-Match": '"0123"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag
    posted = client.post(FEED, headers={"If-None-Match": etag})
    assert posted.status_code == 405
    assert len(flask_requests) == 3


def test_a_database_error_leaves_the_poll_to_flask(
    app: Flask, client: FlaskClient, flask_requests: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    etag = etag_of(client)
    with app.app_context():
        reader = version_reader()
    real = reader.read
    failures = iter([OperationalError("SELECT", {}, Exception("server closed the connection"))])

    def read_once_failing(slug: str) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(slug)

    monkeypatch.setattr(reader, "read", read_once_failing)
    response = client.get(FEED, headers={"If-None-Match": etag})
    assert response.status_code == 304  # answered by Flask, which read the row again
    assert len(flask_requests) == 2


class TestWithoutBaseUrl:
    """Without CALENDAR_BASE_URL the ETag follows the request's host, as Flask's path does."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in app_config.items() if key != "CALENDAR_BASE_URL"} | {
            "CALENDAR_BASE_URL": None,
            "TRUSTED_HOSTS": ["events.example.org", "localhost"],
        }

    def test_the_etag_depends_on_the_host(
        self, app: Flask, client: FlaskClient, flask_requests: list[str]
    ) -> None:
        here = etag_of(client)
        there = client.get(FEED, base_url="https://events.example.org").headers["ETag"]
        assert here != there
        fast = client.get(
            FEED, headers={"If-None-Match": there}, base_url="https://events.example.org"
        )
        assert fast.status_code == 304 and fast.headers["ETag"] == there
        assert client.get(FEED, headers={"If-None-Match": there}).status_code == 200
        assert len(flask_requests) == 3

    def test_an_untrusted_host_is_left_to_flask(
        self, client: FlaskClient, flask_requests: list[str]
    ) -> None:
        etag = etag_of(client)
        response = client.get(
            FEED, headers={"If-None-Match": etag}, base_url="https://evil.example.com"
        )
        assert response.status_code == 400
        assert len(flask_requests) == 2
        page = client.get("/", base_url="https://evil.example.com")
        assert (page.status_code, page.mimetype) == (400, "text/plain")
        assert b"not trusted" in page.data


def test_public_documents_do_not_vary_on_cookie(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    assert client.get(FEED).headers["Vary"] == "Accept-Encoding"
    assert client.get("/events/talk@test.ics").headers["Vary"] == "Accept-Encoding"
    assert "Vary" not in client.get("/robots.txt").headers
    assert "Cookie" in client.get("/").headers["Vary"]  # pages show who is signed in


def test_the_version_reader_gives_the_row_as_the_orm_does(app: Flask) -> None:
    from calendar_service.store.models import Calendar

    with app.app_context():
        calendar = db.session.scalars(db.select(Calendar).filter_by(slug="test")).one()
        version_row = version_reader().read("test")
        assert version_row is not None
        assert (version_row.id, version_row.slug, version_row.version, version_row.changed) == (
            calendar.id,
            "test",
            calendar.version,
            calendar.changed,
        )
        assert version_row.changed.tzinfo is not None
        assert version_reader().read("nowhere") is None


def test_the_version_reader_replaces_a_closed_connection(app: Flask) -> None:
    with app.app_context():
        reader = version_reader()
        first = reader.read("test")
        assert reader.connections == 1
        held = reader._checkout()  # noqa: SLF001 - the idle connection, to break it
        held.connection.driver_connection.close()  # type: ignore[union-attr]
        reader._checkin(held)  # noqa: SLF001
        assert reader.read("test") == first
        assert reader.connections == 1  # the broken one was replaced, not kept beside it
