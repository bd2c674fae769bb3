"""Every list answer of the API is bounded: /events and /calendars come a page at a time, with a
``next`` link in the JSON and a ``Link: <…>; rel="next"`` header (a security review found
/api/v1/events answering 95,000 events at once: 10 s and 37 MB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.app_caches import app_caches
from calendar_service.store import operations
from calendar_service.store.db import db

EVENTS = 1050


@pytest.fixture
def many_events(app: Flask, make_calendar: Callable[..., dict[str, Any]]) -> list[str]:
    """1,050 published events in calendar ``test`` and one draft; their uids, sorted."""
    make_calendar(slug="test")
    uids = [f"ev-{(index * 7919) % EVENTS:04d}@x" for index in range(EVENTS)]
    with app.app_context():
        for number, uid in enumerate(uids):
            operations.create_event(
                {
                    "calendar": "test",
                    "uid": uid,
                    "title": f"Event {number}",
                    "start": f"2027-{1 + number % 12:02d}-10T10:00:00",
                },
                "test",
            )
        operations.create_event(
            {
                "calendar": "test",
                "uid": "draft@x",
                "title": "Draft",
                "start": "2027-01-01T10:00:00",
                "published": False,
            },
            "test",
        )
        db.session.commit()
    return sorted(uids)


def walk(
    client: FlaskClient, url: str, key: str = "events", **headers: str
) -> list[list[dict[str, Any]]]:
    """Follow ``next`` from ``url``; each page's items, checking the Link header on the way."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url is not None:
        assert len(pages) < 50, "the pages never end"
        response = client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.get_json()
        pages.append(body[key])
        next_url = body["next"]
        if next_url is None:
            assert "Link" not in response.headers
        else:
            assert response.headers["Link"] == f'<{next_url}>; rel="next"'
            assert next_url.startswith("http://localhost/api/v1/")
    return pages


def test_events_come_100_a_page_by_default_each_once_in_uid_order(
    client: FlaskClient, many_events: list[str]
) -> None:
    pages = walk(client, "/api/v1/events")
    assert [len(page) for page in pages] == [100] * 10 + [50]
    assert [event["uid"] for page in pages for event in page] == many_events
    first = client.get("/api/v1/events").get_json()
    assert set(first) == {"events", "next"}
    assert parse_qs(urlsplit(first["next"]).query) == {"after": [many_events[99]]}


def test_the_largest_page_is_1000_events(client: FlaskClient, many_events: list[str]) -> None:
    pages = walk(client, "/api/v1/events?limit=1000&calendar=test")
    assert [len(page) for page in pages] == [1000, 50]
    assert [event["uid"] for page in pages for event in page] == many_events
    # Each event in full, as GET /api/v1/events/<uid> gives it.
    one = pages[1][0]
    assert one == client.get(f"/api/v1/events/{one['uid']}").get_json()


def test_the_next_link_keeps_the_query_and_a_token_also_pages_drafts(
    client: FlaskClient, many_events: list[str], auth_headers: dict[str, str]
) -> None:
    body = client.get("/api/v1/events?calendar=test&limit=7").get_json()
    assert parse_qs(urlsplit(body["next"]).query) == {
        "calendar": ["test"],
        "limit": ["7"],
        "after": [many_events[6]],
    }
    pages = walk(client, "/api/v1/events?limit=500", **auth_headers)
    listed = [event["uid"] for page in pages for event in page]
    assert listed == sorted([*many_events, "draft@x"])


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("limit=%D9%A3", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("after=two%20words", "after"),
        ("after=" + "x" * 300, "after"),
        ("after=caf%C3%A9", "after"),
    ],
)
def test_a_bad_limit_or_after_is_a_422(
    client: FlaskClient, make_event: Callable[..., Any], query: str, field: str
) -> None:
    make_event(uid="one@x")
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and field in problem["errors"]


def test_calendars_come_a_page_at_a_time_with_at_most_100_categories_each(
    client: FlaskClient, app: Flask, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    for slug in ("alpha", "beta", "gamma"):
        make_calendar(slug=slug, name=slug.title())
    with app.app_context():
        for number in range(6):  # 120 categories in "beta"
            operations.create_event(
                {
                    "calendar": "beta",
                    "title": f"Tagged {number}",
                    "start": "2027-01-01T10:00:00",
                    "categories": [f"t{number}-{slot:02d}" for slot in range(20)],
                },
                "test",
            )
        db.session.commit()
    pages = walk(client, "/api/v1/calendars?limit=2", key="calendars")
    assert [[entry["slug"] for entry in page] for page in pages] == [["alpha", "beta"], ["gamma"]]
    beta = pages[0][1]
    assert len(beta["categories"]) == 100 and beta["categories_truncated"] is True
    assert beta["categories"][0]["slug"] == "t0-00"
    assert beta["categories"][-1]["slug"] == "t4-19"
    assert pages[0][0]["categories"] == [] and pages[0][0]["categories_truncated"] is False
    whole = client.get("/api/v1/calendars").get_json()
    assert [entry["slug"] for entry in whole["calendars"]] == ["alpha", "beta", "gamma"]
    assert whole["next"] is None
    assert client.get("/api/v1/calendars?limit=201").status_code == 422
    assert client.get("/api/v1/calendars?after=Not%20a%20slug").status_code == 422


def test_the_description_documents_the_pages(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, default, most in (("/events", 100, 1000), ("/calendars", 50, 200)):
        operation = spec["paths"][path]["get"]
        limit = next(item for item in operation["parameters"] if item.get("name") == "limit")
        assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (default, most)
        assert any(item.get("name") == "after" for item in operation["parameters"])
        answer = operation["responses"]["200"]
        assert "next" in answer["content"]["application/json"]["schema"]["properties"]
        assert "Link" in answer["headers"]
        assert "422" in operation["responses"]


def test_occurrences_read_no_more_one_off_events_than_the_answer_lists(
    client: FlaskClient,
    app: Flask,
    make_calendar: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer's total cap applies to reading too: the first occurrences in start order, the
    same as the uncapped answer's, and ``truncated`` exactly when there were more."""
    from calendar_service.services import listings

    make_calendar(slug="test")
    with app.app_context():
        for index in range(300):
            operations.create_event(
                {
                    "calendar": "test",
                    "uid": f"talk-{index:03d}@x",
                    "title": f"Talk {index % 4}",
                    "start": f"2027-03-10T{9 + index % 3:02d}:00:00",
                },
                "test",
            )
        operations.create_event(
            {
                "calendar": "test",
                "uid": "hourly@x",
                "title": "Hourly",
                "start": "2027-03-10T08:30:00",
                "rrule": "FREQ=HOURLY",
            },
            "test",
        )
        db.session.commit()
    url = "/api/v1/occurrences?start=2027-03-10&end=2027-03-11"

    def listed() -> tuple[list[tuple[str, str]], bool]:
        body = client.get(url).get_json()
        return [(item["uid"], item["start"]) for item in body["occurrences"]], body["truncated"]

    everything, cut = listed()
    assert (len(everything), cut) == (300 + 16, False)  # hourly from 08:30: 16 that day
    for total in (50, 101, 316):
        monkeypatch.setattr(listings, "MAX_TOTAL", total)
        with app.app_context():  # the code changed under the cache: as after a deploy
            app_caches().answers.clear()
        assert listed() == (everything[:total], total < 316), total
