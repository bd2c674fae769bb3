"""HTTP behaviour of the feeds: headers, conditional requests, HEAD, gzip, caching, 404s."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.http import http_date, parse_date

from calendar_service.app_caches import app_caches
from calendar_service.ical import writer as ical
from calendar_service.web.cache_policy import FEED as CACHE_CONTROL

if TYPE_CHECKING:
    from tests.conftest import Clock

Make = Callable[..., dict[str, Any]]
FEED = "/calendars/test.ics"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how often a feed body is built (not served from the cache)."""
    calls: list[int] = []
    real = ical.feed_bytes

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ical, "feed_bytes", counting)
    return calls


def test_feed_headers(client: FlaskClient, calendar_with_event: dict[str, Any]) -> None:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == "inline; filename=test.ics"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert parse_date(response.headers["Last-Modified"]) is not None
    assert response.headers["Cache-Control"] == CACHE_CONTROL == "public, max-age=900"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "Content-Encoding" not in response.headers
    assert int(response.headers["Content-Length"]) == len(response.data)
    filtered = client.get(FEED + "?category=talks")
    assert filtered.headers["Content-Disposition"] == "inline; filename=test-talks.ics"
    assert filtered.headers["ETag"] != etag


def test_event_download_headers(client: FlaskClient, calendar_with_event: dict[str, Any]) -> None:
    response = client.get("/events/talk@test.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=Talk.ics"
    assert (
        client.get(
            "/events/talk@test.ics", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_a_matching_if_none_match_gets_304_without_a_body(
    client: FlaskClient, calendar_with_event: dict[str, Any]
) -> None:
    etag = client.get(FEED).headers["ETag"]
    for header in (etag, f'"other", {etag}', "*", "W/" + etag):
        response = client.get(FEED, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.data == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == CACHE_CONTROL
    assert client.get(FEED, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_if_modified_since_is_used_only_when_valid_and_without_if_none_match(
    client: FlaskClient,
    calendar_with_event: dict[str, Any],
    settled: Callable[[], None],
    clock: Clock,
) -> None:
    settled()
    response = client.get(FEED)
    last_modified = response.headers["Last-Modified"]
    changed = parse_date(last_modified)
    assert changed is not None
    assert client.get(FEED, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = http_date(changed - timedelta(seconds=1))
    assert client.get(FEED, headers={"If-Modified-Since": earlier}).status_code == 200
    for invalid in ("yesterday", "Mon, 99 Foo 2026 00:00:00 GMT", ""):
        assert client.get(FEED, headers={"If-Modified-Since": invalid}).status_code == 200
    future = http_date(clock.now() + timedelta(days=2))  # the app's future, not the machine's
    assert client.get(FEED, headers={"If-Modified-Since": future}).status_code == 200
    # If-None-Match is checked first: a stale ETag wins over a fresh date.
    assert (
        client.get(
            FEED, headers={"If-Modified-Since": last_modified, "If-None-Match": '"stale"'}
        ).status_code
        == 200
    )


def test_the_304_path_does_not_build_the_feed(
    app: Flask,
    client: FlaskClient,
    calendar_with_event: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    settled: Callable[[], None],
) -> None:
    settled()
    response = client.get(FEED)
    app_caches(app).feeds.clear()  # as a worker that has never built it

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the feed was built for a conditional request")

    monkeypatch.setattr(ical, "feed_bytes", refuse)
    assert client.get(FEED, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert (
        client.get(
            FEED, headers={"If-Modified-Since": response.headers["Last-Modified"]}
        ).status_code
        == 304
    )


def test_a_built_feed_is_reused_until_the_calendar_changes(
    client: FlaskClient,
    calendar_with_event: dict[str, Any],
    builds: list[int],
    change: Callable[..., dict[str, Any]],
) -> None:
    first = client.get(FEED)
    assert client.get(FEED).data == first.data
    client.head(FEED)
    assert len(builds) == 1
    change("talk@test", title="Talk (room changed)")
    second = client.get(FEED)
    assert len(builds) == 2
    assert second.headers["ETag"] != first.headers["ETag"]
    assert b"Talk (room changed)" in second.data
    response = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200 and response.data == second.data


def test_every_worker_sees_a_change_at_once(
    client: FlaskClient,
    other_worker: FlaskClient,
    calendar_with_event: dict[str, Any],
    change: Callable[..., dict[str, Any]],
) -> None:
    other = other_worker
    first = client.get(FEED)
    assert other.get(FEED).headers["ETag"] == first.headers["ETag"]
    change("talk@test", location="Room 7")
    fresh = other.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200
    assert b"Room 7" in fresh.data
    assert client.get(FEED).data == fresh.data


def test_head_has_the_headers_of_get_and_no_body(
    client: FlaskClient, calendar_with_event: dict[str, Any], clock: Any
) -> None:
    # A burst of changes puts the calendar's Last-Modified a second or so ahead of the clock,
    # and until the clock passes it each answer says its own time instead (RFC 9110 8.8.2.1):
    # let the clock pass it, so GET and HEAD compare the calendar's own stamp.
    clock.move(timedelta(seconds=10))
    get = client.get(FEED)
    head = client.head(FEED)
    assert head.status_code == 200 and head.data == b""
    for name in (
        "Content-Type",
        "Content-Length",
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "Content-Disposition",
    ):
        assert head.headers[name] == get.headers[name]
    assert client.head(FEED, headers={"If-None-Match": get.headers["ETag"]}).status_code == 304
    assert client.head("/calendars/nope.ics").status_code == 404


def test_gzip_when_the_client_accepts_it(
    client: FlaskClient, calendar_with_event: dict[str, Any]
) -> None:
    plain = client.get(FEED)
    packed = client.get(FEED, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]  # a different representation
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert client.get(FEED, headers={"Accept-Encoding": "gzip;q=0"}).data == plain.data
    again = client.get(
        FEED, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["ETag"] == packed.headers["ETag"]


# The draft is a one-off on a fixed date: with the clock before it, only its being a draft can
# keep it out of the feed (long after it, the history window would, whatever the bug).
@pytest.mark.now("2026-12-01T12:00:00+00:00")
def test_unknown_calendars_categories_and_events_are_404(
    client: FlaskClient, calendar_with_event: dict[str, Any], make_event: Make
) -> None:
    make_event(uid="draft@test", title="Draft", published=False)
    assert client.get("/calendars/nope.ics").status_code == 404
    assert client.get(FEED + "?category=nope").status_code == 404
    assert client.get(FEED + "?category=talks&category=nope").status_code == 404
    assert client.get("/events/nope@test.ics").status_code == 404
    assert client.get("/events/draft@test.ics").status_code == 404
    assert b"draft@test" not in client.get(FEED).data


def test_uids_with_slashes_and_dots_are_served(client: FlaskClient, make_event: Make) -> None:
    make_event(uid="2027/talks/opening.day@example.org", title="Opening")
    response = client.get("/events/2027/talks/opening.day@example.org.ics")
    assert response.status_code == 200
    assert b"UID:2027/talks/opening.day@example.org" in response.data


def test_hostile_query_values_never_give_a_500(
    client: FlaskClient, calendar_with_event: dict[str, Any]
) -> None:
    for query in (
        "?category=%00",
        "?category=" + "x" * 5000,
        "?category=",
        "?category=talks" * 3,
        "?category=%ff%fe",
    ):
        assert client.get(FEED + query).status_code in (200, 400, 404), query
    assert client.get(FEED, headers={"If-None-Match": '"\x00'}).status_code == 200


def test_export_ics_writes_the_bytes_the_feed_serves(
    client: FlaskClient, runner: FlaskCliRunner, calendar_with_event: dict[str, Any]
) -> None:
    served = client.get(FEED).data
    result = runner.invoke(args=["export-ics", "--calendar", "test"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == served
    filtered = runner.invoke(args=["export-ics", "--calendar", "test", "--category", "talks"])
    assert filtered.stdout_bytes == client.get(FEED + "?category=talks").data


def test_export_ics_of_an_unknown_calendar_is_one_readable_line(
    runner: FlaskCliRunner, calendar_with_event: dict[str, Any]
) -> None:
    result = runner.invoke(args=["export-ics", "--calendar", "nope"])
    assert result.exit_code == 1
    assert result.output == "Error: no calendar 'nope'\n"
    result = runner.invoke(args=["export-ics", "--calendar", "test", "--category", "x"])
    assert result.exit_code == 1
    assert result.output == "Error: calendar 'test' has no such category (it has: talks)\n"


def test_last_modified_follows_the_calendars_last_change(
    client: FlaskClient,
    calendar_with_event: dict[str, Any],
    change: Callable[..., dict[str, Any]],
    clock: Clock,
) -> None:
    before = parse_date(client.get(FEED).headers["Last-Modified"])
    change("talk@test", title="Renamed")
    after = parse_date(client.get(FEED).headers["Last-Modified"])
    assert before is not None and after is not None and after >= before
    now = clock.now()
    assert after <= now and after >= datetime(now.year, now.month, 1, tzinfo=UTC)


def test_changes_within_one_second_never_let_if_modified_since_answer_304(
    client: FlaskClient, calendar_with_event: dict[str, Any], change: Make, clock: Clock
) -> None:
    """Last-Modified is stated to the second: each version gets a later second than the last,
    so a client revalidating with If-Modified-Since alone always hears of a change."""
    uid = calendar_with_event["uid"]
    held = client.get(FEED).headers["Last-Modified"]
    for number in range(4):  # four changes, well within one second
        change(uid, title=f"Version {number}")
        for encoding in ("identity", "gzip"):
            response = client.get(
                FEED, headers={"If-Modified-Since": held, "Accept-Encoding": encoding}
            )
            assert response.status_code == 200
            body = response.data
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            assert f"SUMMARY:Version {number}".encode() in body
            # Never ahead of the response's own time (RFC 9110 §8.8.2.1).
            assert parse_date(response.headers["Last-Modified"]) <= clock.now()
        held = response.headers["Last-Modified"]


def test_an_older_series_brings_older_rules_into_the_vtimezone_under_a_new_etag(
    client: FlaskClient,
    make_event: Make,
    change: Callable[..., dict[str, Any]],
    builds: list[int],
) -> None:
    # The VTIMEZONE depends on the earliest start in each zone, which only a change to the
    # calendar's events moves, and every such change raises the version in the ETag.
    make_event(
        uid="call@test",
        timezone="America/New_York",
        start="2027-01-03T10:00:00",
        rrule="FREQ=WEEKLY",
    )
    first = client.get(FEED)
    assert b"DTSTART:20070311T020000" in first.data and b"UNTIL" not in first.data
    change("call@test", start="2005-01-02T10:00:00", end="2005-01-02T11:00:00")
    second = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and len(builds) == 2
    assert b"DTSTART:20041031T020000\r\nRRULE:FREQ=YEARLY;UNTIL=20061029T060000Z" in second.data
    assert client.get("/events/call@test.ics").data.count(b"BEGIN:STANDARD") == 2
    change("call@test", start="2027-01-03T10:00:00", end="2027-01-03T11:00:00")
    third = client.get(FEED, headers={"If-None-Match": second.headers["ETag"]})
    assert third.status_code == 200 and third.data.count(b"BEGIN:STANDARD") == 1
