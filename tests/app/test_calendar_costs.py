"""A calendar's cost is bounded, not only a series': many series each under the engine's own
limits (five thousand of one-minute occurrences lasting 16 h 39 min, each under the 1,000
in-progress bound) cost every page what it lists, leave other calendars' pages as they were,
and a calendar cannot be written past its limits (``store.calendar_limits``).

The hostile rows are inserted as ``operations.create_event`` stores them (thousands of API
calls would be slow); every write that crosses a limit goes through the real write path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

import rules
from calendar_service.app_caches import app_caches
from calendar_service.services.imports import import_ics
from calendar_service.store import calendar_limits, operations
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Event

if TYPE_CHECKING:
    from tests.conftest import Clock, RuleWalks

Memory = Callable[[float], AbstractContextManager[None]]
Make = Callable[..., dict[str, Any]]
# What any public page may make dateutil walk beside a calendar of costly series: the pages
# below walk a few tens of thousands of steps; before the per-request budget one walked over
# twenty million (a few thousand series, each its 2,500-minute look-back and slack).
PAGE_STEPS = 300_000
# What one answer of the occurrences API may walk (it lists up to 10,000).
API_STEPS = 1_500_000
HOSTILE = 1_000
LENGTH = timedelta(hours=16, minutes=39)


def hostile_rows(
    calendar_id: int,
    start: datetime,
    count: int,
    *,
    prefix: str = "bomb",
    length: timedelta = LENGTH,
    rrule: str = "FREQ=MINUTELY",
) -> list[dict[str, Any]]:
    """``count`` series of one-minute repeats lasting ``length`` from ``start`` (UTC wall time),
    as ``operations.create_event`` stores them."""
    series = rules.Series(start=start, end=start + length, tzid="UTC", rrule=rrule)
    first, last = rules.series_bounds(series)
    updated = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "uid": f"{prefix}-{index:05d}@x",
            "calendar_id": calendar_id,
            "title": f"Bomb {index:05d}",
            "description": "",
            "location": "",
            "url": "",
            "all_day": False,
            "start_local": start,
            "end_local": series.end,
            "timezone": "UTC",
            "rrule": series.rrule,
            "rdates": [],
            "exdates": [],
            "status": "confirmed",
            "published": True,
            "sequence": 0,
            "revision": 1,
            "first_start_utc": first,
            "last_end_utc": last,
            "created": updated,
            "updated": updated,
        }
        for index in range(count)
    ]


def insert_rows(app: Flask, slug: str, rows_for: Callable[[int], list[dict[str, Any]]]) -> None:
    with app.app_context():
        calendar_id = db.session.scalar(select(Calendar.id).where(Calendar.slug == slug))
        assert calendar_id is not None
        db.session.execute(insert(Event), rows_for(calendar_id))
        db.session.get(Calendar, calendar_id).touch()  # type: ignore[union-attr]
        db.session.commit()


def attack_start(clock: Clock) -> datetime:
    """Midnight (UTC) six days ago: every window from today on starts inside the look-back."""
    today = clock.now().astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=6), datetime.min.time())


@pytest.fixture
def bystander(make_calendar: Make, make_event: Make, clock: Clock) -> dict[str, Any]:
    """Calendar ``quiet`` with a weekly seminar from today, and calendar ``hostile``, empty."""
    make_calendar(slug="quiet", name="Quiet calendar")
    make_calendar(slug="hostile", name="Hostile calendar", timezone="UTC")
    today = clock.today()
    return make_event(
        calendar="quiet",
        uid="seminar@x",
        title="Quiet seminar",
        start=f"{today}T14:00:00",
        end=f"{today}T15:00:00",
        rrule="FREQ=WEEKLY",
    )


@pytest.fixture
def attacked(app: Flask, bystander: dict[str, Any], clock: Clock) -> Iterator[None]:
    """``HOSTILE`` costly series in calendar ``hostile`` beside the bystander."""
    insert_rows(app, "hostile", lambda cid: hostile_rows(cid, attack_start(clock), HOSTILE))
    yield


def public_paths(clock: Clock) -> list[str]:
    today = clock.today()
    return [
        "/",
        "/calendars/hostile",
        "/embed?calendar=hostile",
        "/calendars/hostile.atom",
        f"/calendars/hostile/{today.year}/{today.month}",
        "/calendars/hostile/next",
        "/?days=60&q=Bomb",
        f"/calendars/hostile?from={today + timedelta(days=3)}&days=30",
    ]


# Reading: a page costs what it lists ------------------------------------------------------


@pytest.mark.usefixtures("attacked")
def test_every_public_page_walks_what_it_lists_beside_thousands_of_costly_series(
    client: FlaskClient, clock: Clock, rule_walks: RuleWalks, memory_at_most: Memory
) -> None:
    assert client.get("/robots.txt").status_code == 200  # templates and caches warm
    client.application.config["CALENDAR_REQUEST_SECONDS"] = 0  # counted, not timed
    for path in public_paths(clock):
        app_caches(client.application).clear()
        with rule_walks.at_most(PAGE_STEPS):
            response = client.get(path)
        assert response.status_code in (200, 302), (path, response.status_code)
    # Memory, for the two pages that hold the most (tracing every allocation is slow).
    for path in public_paths(clock)[:1] + public_paths(clock)[4:5]:
        app_caches(client.application).clear()
        with memory_at_most(30):
            assert client.get(path).status_code == 200


@pytest.mark.usefixtures("attacked")
def test_the_agenda_names_what_it_leaves_out_and_the_bystander_keeps_its_page(
    client: FlaskClient, rule_walks: RuleWalks
) -> None:
    with rule_walks.at_most(PAGE_STEPS):
        response = client.get("/")
    assert response.status_code == 200
    notice = re.search(
        r'<div class="notice notice-error" role="alert">(.*?)</div>', response.text, re.S
    )
    assert notice is not None
    assert "Bomb 0" in notice.group(1) and "more" in notice.group(1)
    # The occurrences in progress since yesterday of the series it could list fill the page
    # (as one such series alone would); the bystander's own page is its own.
    assert response.text.count('class="occurrence-title"') == 300
    with rule_walks.at_most(PAGE_STEPS):
        quiet = client.get("/calendars/quiet")
    assert quiet.status_code == 200
    assert "Quiet seminar" in quiet.text and "notice-error" not in quiet.text


@pytest.mark.usefixtures("attacked")
def test_the_occurrences_api_over_two_years_is_bounded_and_says_what_it_left_out(
    client: FlaskClient, clock: Clock, rule_walks: RuleWalks, memory_at_most: Memory
) -> None:
    today = clock.today()
    query = {"start": str(today), "end": str(today + timedelta(days=730))}
    assert client.get("/api/v1/calendars").status_code == 200  # warm
    # Tracing every allocation makes the request several times slower: its bound is counted
    # (steps, megabytes), not timed.
    client.application.config["CALENDAR_REQUEST_SECONDS"] = 0
    with rule_walks.at_most(API_STEPS), memory_at_most(60):
        response = client.get("/api/v1/occurrences", query_string=query)
    assert response.status_code == 200
    body = response.json
    assert body["truncated"] is True
    assert 0 < body["left_out_count"] < HOSTILE
    assert len(body["left_out"]) == 20 and all(uid.startswith("bomb-") for uid in body["left_out"])
    assert "too costly" in body["notice"]
    assert len(body["occurrences"]) == 10_000
    with rule_walks.at_most(API_STEPS):
        one_day = client.get(
            "/api/v1/occurrences",
            query_string={
                "start": str(today),
                "end": str(today + timedelta(days=1)),
                "calendar": "hostile",
            },
        )
    assert one_day.status_code == 200


def bystander_costs(
    client: FlaskClient, clock: Clock, rule_walks: RuleWalks, statements: list[str]
) -> dict[str, tuple[int, int, int]]:
    """(status, dateutil steps, SQL statements) of each of the bystander's pages, cold."""
    today = clock.today()
    costs = {}
    for path in (
        "/calendars/quiet",
        "/calendars/quiet.atom",
        "/embed?calendar=quiet",
        "/calendars/quiet/next",
        f"/calendars/quiet/{today.year}/{today.month}",
        f"/api/v1/occurrences?calendar=quiet&start={today}&end={today + timedelta(days=730)}",
        "/events/seminar@x",
    ):
        app_caches(client.application).clear()
        rule_walks.reset()
        statements.clear()
        status = client.get(path).status_code
        costs[path] = (status, rule_walks.steps, len(statements))
    return costs


def test_a_bystander_costs_the_same_whatever_another_calendar_holds(
    app: Flask,
    client: FlaskClient,
    bystander: dict[str, Any],
    clock: Clock,
    rule_walks: RuleWalks,
    sql_statements: list[str],
) -> None:
    assert client.get("/robots.txt").status_code == 200  # warm
    quiet = bystander_costs(client, clock, rule_walks, sql_statements)
    assert {status for status, _steps, _count in quiet.values()} <= {200, 302}
    insert_rows(app, "hostile", lambda cid: hostile_rows(cid, attack_start(clock), HOSTILE))
    assert bystander_costs(client, clock, rule_walks, sql_statements) == quiet


def test_the_pages_of_a_hostile_calendar_cost_no_more_with_ten_times_the_series(
    app: Flask, client: FlaskClient, bystander: dict[str, Any], clock: Clock, rule_walks: RuleWalks
) -> None:
    start = attack_start(clock)
    insert_rows(app, "hostile", lambda cid: hostile_rows(cid, start, HOSTILE // 10))
    paths = public_paths(clock)

    def walked() -> list[int]:
        steps = []
        for path in paths:
            app_caches(app).clear()
            rule_walks.reset()
            assert client.get(path).status_code in (200, 302)
            steps.append(rule_walks.steps)
        return steps

    fewer = walked()
    insert_rows(
        app, "hostile", lambda cid: hostile_rows(cid, start, HOSTILE - HOSTILE // 10, prefix="more")
    )
    more = walked()
    # Not quite the same walks: a page's first step for each series is its share of the page,
    # smaller among more series; but nowhere near ten times the walk.
    assert all(steps <= 1.5 * before for steps, before in zip(more, fewer, strict=True)), (
        more,
        fewer,
    )


# One costly series leaves the others listed --------------------------------------------------


def test_one_costly_series_no_longer_refuses_every_long_window_of_the_api(
    client: FlaskClient, make_calendar: Make, make_event: Make, clock: Clock
) -> None:
    """Once a day at 09:00, walked minute by minute: too costly over more than six weeks."""
    make_calendar(slug="a", name="A")
    make_calendar(slug="b", name="B")
    today = clock.today()
    make_event(
        calendar="a",
        uid="nine@x",
        title="Nine o'clock",
        start=f"{today}T09:00:00",
        end=f"{today}T09:01:00",
        rrule="FREQ=MINUTELY;BYHOUR=9;BYMINUTE=0",
    )
    make_event(
        calendar="b", uid="weekly@x", title="Weekly", start=f"{today}T14:00:00", rrule="FREQ=WEEKLY"
    )
    query = {"start": str(today), "end": str(today + timedelta(days=364))}
    response = client.get("/api/v1/occurrences", query_string=query)
    assert response.status_code == 200, response.json
    body = response.json
    assert [item["uid"] for item in body["occurrences"]] == ["weekly@x"] * 52
    assert body["truncated"] is True
    assert body["left_out"] == ["nine@x"] and body["left_out_count"] == 1
    alone = client.get("/api/v1/occurrences", query_string={**query, "calendar": "b"})
    assert alone.status_code == 200 and "left_out" not in alone.json
    assert alone.json["truncated"] is False
    # Asked for alone, the costly series is still a 422 that says so.
    costly = client.get("/api/v1/occurrences", query_string={**query, "calendar": "a"})
    assert costly.status_code == 422
    assert "too costly" in costly.json["errors"]["end"]
    # Over a short window it is listed as before.
    week = client.get(
        "/api/v1/occurrences",
        query_string={"start": str(today), "end": str(today + timedelta(days=7))},
    )
    assert week.status_code == 200 and "left_out" not in week.json
    assert sorted({item["uid"] for item in week.json["occurrences"]}) == ["nine@x", "weekly@x"]


# Writing: a calendar's limits ----------------------------------------------------------------


def post(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    return client.post(
        "/api/v1/events", headers=headers, json={"calendar": "hostile", "title": "Bomb", **fields}
    )


def attack_fields(start: datetime, length: timedelta = LENGTH, **more: Any) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "end": (start + length).isoformat(),
        "timezone": "UTC",
        "rrule": "FREQ=MINUTELY",
        **more,
    }


def test_the_api_refuses_the_series_that_would_put_too_many_in_progress_at_once(
    app: Flask,
    client: FlaskClient,
    bystander: dict[str, Any],
    clock: Clock,
    auth_headers: dict[str, str],
) -> None:
    start = attack_start(clock)
    each = rules.at_once(
        rules.Series(start=start, end=start + LENGTH, tzid="UTC", rrule="FREQ=MINUTELY")
    )
    assert each == 999  # just under the series' own bound (1,000)
    room = calendar_limits.MAX_IN_PROGRESS // each
    insert_rows(app, "hostile", lambda cid: hostile_rows(cid, start, room - 1))
    last = post(client, auth_headers, uid="last-fits@x", **attack_fields(start))
    assert last.status_code == 201, last.json
    refused = post(client, auth_headers, uid="one-more@x", **attack_fields(start))
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    message = refused.json["errors"]["end"]
    assert "20,000" in message and "in progress at once" in message and "Hostile" in message
    # The limit is on the sum: what is left takes occurrences that many minutes long, no more.
    left = calendar_limits.MAX_IN_PROGRESS - room * each
    too_long = post(
        client, auth_headers, uid="short@x", **attack_fields(start, timedelta(minutes=left + 1))
    )
    assert too_long.status_code == 422
    assert (
        post(
            client, auth_headers, uid="short@x", **attack_fields(start, timedelta(minutes=left))
        ).status_code
        == 201
    )
    # A change that adds nothing is never refused, even in a full calendar ...
    renamed = client.patch(
        "/api/v1/events/last-fits@x", headers=auth_headers, json={"title": "Renamed"}
    )
    assert renamed.status_code == 200
    # ... and one that makes the event cost less makes room for another.
    shorter = client.patch(
        "/api/v1/events/last-fits@x",
        headers=auth_headers,
        json={"end": (start + timedelta(minutes=1)).isoformat()},
    )
    assert shorter.status_code == 200
    assert (
        post(
            client, auth_headers, uid="fits-now@x", **attack_fields(start, timedelta(minutes=900))
        ).status_code
        == 201
    )
    # Other calendars are untouched by this one's limit.
    other = client.post(
        "/api/v1/events",
        headers=auth_headers,
        json={"calendar": "quiet", "title": "Long", **attack_fields(start)},
    )
    assert other.status_code == 201


def test_the_api_refuses_the_series_that_would_start_too_many_a_day(
    app: Flask,
    client: FlaskClient,
    bystander: dict[str, Any],
    clock: Clock,
    auth_headers: dict[str, str],
) -> None:
    start = attack_start(clock)
    minute = timedelta(minutes=1)
    each = rules.at_once(
        rules.Series(start=start, end=start + minute, tzid="UTC", rrule="FREQ=MINUTELY"),
        timedelta(days=1),
    )
    room = calendar_limits.MAX_A_DAY // each
    insert_rows(app, "hostile", lambda cid: hostile_rows(cid, start, room, length=minute))
    refused = post(client, auth_headers, uid="one-more@x", **attack_fields(start, minute))
    assert refused.status_code == 422
    message = refused.json["errors"]["rrule"]
    assert "100,000" in message and "on one day" in message
    daily = post(
        client, auth_headers, uid="daily@x", **attack_fields(start, minute, rrule="FREQ=DAILY")
    )
    assert daily.status_code == 201, daily.json
    one_off = post(client, auth_headers, uid="once@x", start=start.isoformat(), timezone="UTC")
    assert one_off.status_code == 201


def test_the_api_refuses_the_repeating_event_past_the_most_a_calendar_holds(
    app: Flask,
    client: FlaskClient,
    bystander: dict[str, Any],
    clock: Clock,
    auth_headers: dict[str, str],
) -> None:
    start = attack_start(clock)
    insert_rows(
        app,
        "hostile",
        lambda cid: hostile_rows(
            cid,
            start,
            calendar_limits.MAX_SERIES - 1,
            length=timedelta(minutes=30),
            rrule="FREQ=WEEKLY",
        ),
    )
    weekly = {"start": start.isoformat(), "timezone": "UTC", "rrule": "FREQ=WEEKLY"}
    assert post(client, auth_headers, uid="last@x", **weekly).status_code == 201
    refused = post(client, auth_headers, uid="one-more@x", **weekly)
    assert refused.status_code == 422
    assert "10,000" in refused.json["errors"]["rrule"]
    assert (
        post(
            client, auth_headers, uid="once@x", start=start.isoformat(), timezone="UTC"
        ).status_code
        == 201
    )  # a one-off needs no room
    made_one_off = client.patch("/api/v1/events/last@x", headers=auth_headers, json={"rrule": None})
    assert made_one_off.status_code == 200
    assert post(client, auth_headers, uid="one-more@x", **weekly).status_code == 201


def test_the_editor_says_which_limit_a_series_would_pass(
    app: Flask, signed_in: FlaskClient, bystander: dict[str, Any], clock: Clock
) -> None:
    start = attack_start(clock)
    insert_rows(
        app,
        "hostile",
        lambda cid: hostile_rows(cid, start, calendar_limits.MAX_IN_PROGRESS // 1000),
    )
    end = start + LENGTH
    response = signed_in.post(
        "/organiser/events/new",
        data={
            "title": "One more",
            "calendar": "hostile",
            "start_date": f"{start:%Y-%m-%d}",
            "start_time": "00:00",
            "end_date": f"{end:%Y-%m-%d}",
            "end_time": f"{end:%H:%M}",
            "timezone": "UTC",
            "recurrence": "custom",
            "custom_rrule": "FREQ=MINUTELY",
            "ends": "never",
            "status": "confirmed",
            "published": "published",
            "save": "Save",
        },
    )
    assert response.status_code == 422
    block = re.search(
        r'<div class="field field-error" id="field-end_date">(.*?)</div>', response.text, re.S
    )
    assert block is not None and "20,000" in block.group(1)
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.title == "One more")) is None


def ics(*uids: str, start: datetime) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN"]
    end = start + LENGTH
    for uid in uids:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"SUMMARY:{uid}",
            f"DTSTART:{start:%Y%m%dT%H%M%S}Z",
            f"DTEND:{end:%Y%m%dT%H%M%S}Z",
            "RRULE:FREQ=MINUTELY",
            "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def test_an_import_saves_what_fits_and_skips_the_rest_with_the_reason(
    app: Flask, signed_in: FlaskClient, bystander: dict[str, Any], clock: Clock
) -> None:
    start = attack_start(clock)
    insert_rows(
        app,
        "hostile",
        lambda cid: hostile_rows(cid, start, calendar_limits.MAX_IN_PROGRESS // 1000 - 2),
    )
    body = ics("first@x", "second@x", "third@x", "fourth@x", start=start)
    with app.app_context():
        target = operations.find_calendar("hostile")
        assert target is not None
        result = import_ics(body, target, "test", max_bytes=100_000)
        db.session.commit()
    assert result.created == ["first@x", "second@x"]
    assert [item.what for item in result.skipped] == ["third@x", "fourth@x"]
    assert all("20,000" in item.reason for item in result.skipped)
    # Importing the same file again updates what is there and still skips the rest.
    with app.app_context():
        target = operations.find_calendar("hostile")
        assert target is not None
        again = import_ics(body, target, "test", max_bytes=100_000)
        db.session.commit()
    assert again.created == [] and sorted(again.unchanged) == ["first@x", "second@x"]
    assert len(again.skipped) == 2
    page = signed_in.post(
        "/organiser/import",
        data={"calendar": "hostile", "file": (BytesIO(ics("fifth@x", start=start)), "more.ics")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert "20,000" in page.text
