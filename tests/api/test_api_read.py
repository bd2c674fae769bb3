"""The public read API against the contract: fields, window overlap, order, cancelled
occurrences, truncation, drafts and bad parameters."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

MakeEvent = Callable[..., dict[str, Any]]
OCCURRENCE_FIELDS = {
    "uid",
    "recurrence_id",
    "title",
    "start",
    "end",
    "all_day",
    "timezone",
    "status",
    "calendar",
    "categories",
    "location",
    "url",
}


def occurrences(client: FlaskClient, query: str, **headers: str) -> dict[str, Any]:
    response = client.get("/api/v1/occurrences?" + query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def starts(body: dict[str, Any]) -> list[str]:
    return [item["start"] for item in body["occurrences"]]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


# Calendars and events -------------------------------------------------------------------------


def test_calendars_list_each_calendar_with_the_contract_fields_and_subscribe_links(
    client: FlaskClient, seeded: Flask
) -> None:
    body = client.get("/api/v1/calendars").get_json()
    [calendar] = body["calendars"]
    assert {"slug", "name", "description", "timezone", "feed_url"} <= set(calendar)
    assert calendar["slug"] == "turing-roche"
    assert calendar["timezone"] == "Europe/London"
    assert calendar["next_url"] == "http://localhost/calendars/turing-roche/next"
    assert {category["slug"] for category in calendar["categories"]} >= {"tps", "ai-uk"}
    assert calendar["feed_url"] == "http://localhost/calendars/turing-roche.ics"
    assert calendar["subscribe"]["apple"] == "webcal://localhost/calendars/turing-roche.ics"
    assert calendar["subscribe"]["google"] == (
        "https://calendar.google.com/calendar/render?"
        "cid=webcal%3A%2F%2Flocalhost%2Fcalendars%2Fturing-roche.ics"
    )
    tps = next(item for item in calendar["categories"] if item["slug"] == "tps")
    assert tps["feed_url"] == "http://localhost/calendars/turing-roche.ics?category=tps"
    assert tps["subscribe"]["outlook_com"].startswith(
        "https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Flocalhost%2F"
    )


def test_an_event_reads_back_as_the_contract_event(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    made = make_event(
        uid="series/one@example.org",
        title="TPS seminar",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        categories=["tps"],
        exdates=["2027-12-29T14:00:00"],
    )
    response = client.get("/api/v1/events/series/one@example.org")
    assert response.status_code == 200
    event = response.get_json()
    # The contract's EVENT, and the parts a change "from this date on" links (none here).
    assert event == {**made, "continues": None, "continued_by": None}
    assert event["recurrence_text"] == "Monthly on the last Wednesday"
    assert event["start"] == "2027-01-27T14:00:00" and event["end"] == "2027-01-27T15:00:00"


def test_events_of_a_calendar_leave_out_other_calendars_and_drafts(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="a@x", calendar="one")
    make_event(uid="b@x", calendar="two")
    make_event(uid="draft@x", calendar="one", published=False)
    body = client.get("/api/v1/events?calendar=one").get_json()
    assert [event["uid"] for event in body["events"]] == ["a@x"]
    everything = client.get("/api/v1/events").get_json()
    assert sorted(event["uid"] for event in everything["events"]) == ["a@x", "b@x"]


def test_a_draft_is_404_without_a_token_and_visible_with_one(
    client: FlaskClient, make_event: MakeEvent, auth_headers: dict[str, str]
) -> None:
    make_event(uid="draft@x", published=False)
    problem(client.get("/api/v1/events/draft@x"), 404)
    bearer = auth_headers
    assert client.get("/api/v1/events/draft@x", headers=bearer).get_json()["published"] is False
    listed = client.get("/api/v1/events", headers=bearer).get_json()["events"]
    assert [event["uid"] for event in listed] == ["draft@x"]
    window = "start=2027-01-01&end=2027-02-01"
    assert occurrences(client, window)["occurrences"] == []
    assert len(occurrences(client, window, **bearer)["occurrences"]) == 1


def test_a_bad_token_is_a_401_not_the_public_view(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="a@x")
    response = client.get("/api/v1/events/a@x", headers={"Authorization": "Bearer nope"})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem(client.get("/api/v1/events", headers={"Authorization": "Basic abc"}), 401)


def test_unknown_uids_and_calendars_are_problem_404s(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="a@x")
    problem(client.get("/api/v1/events/missing@x"), 404)
    problem(client.get("/api/v1/events?calendar=nowhere"), 404)
    problem(client.get("/api/v1/occurrences?start=2027-01-01&end=2027-02-01&calendar=nowhere"), 404)


# Occurrences ----------------------------------------------------------------------------------


def test_occurrences_carry_the_contract_fields_with_offsets_in_the_event_zone(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="s@x",
        title="Seminar",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        categories=["tps"],
        location="Room 1",
        url="https://example.org/s",
    )
    body = occurrences(client, "start=2027-06-01&end=2027-08-01")
    first = body["occurrences"][0]
    assert OCCURRENCE_FIELDS <= set(first)
    assert first == {
        **first,
        "uid": "s@x",
        "recurrence_id": "2027-06-30T14:00:00",
        "title": "Seminar",
        "start": "2027-06-30T14:00:00+01:00",
        "end": "2027-06-30T15:00:00+01:00",
        "all_day": False,
        "timezone": "Europe/London",
        "status": "confirmed",
        "calendar": "test",
        "categories": ["tps"],
        "location": "Room 1",
        "url": "https://example.org/s",
    }
    assert starts(body) == ["2027-06-30T14:00:00+01:00", "2027-07-28T14:00:00+01:00"]
    assert body["truncated"] is False


def test_single_events_have_no_recurrence_id_and_all_day_ones_are_dates(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="one@x", start="2027-03-03T10:00:00")
    make_event(uid="day@x", all_day=True, start="2027-03-03")
    body = occurrences(client, "start=2027-03-01&end=2027-03-10")
    by_uid = {item["uid"]: item for item in body["occurrences"]}
    assert by_uid["one@x"]["recurrence_id"] is None
    assert (by_uid["day@x"]["start"], by_uid["day@x"]["end"]) == ("2027-03-03", "2027-03-04")
    assert by_uid["day@x"]["all_day"] is True


def test_the_window_takes_every_occurrence_that_overlaps_it(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="running@x", start="2027-01-10T23:00:00", end="2027-01-11T01:00:00")
    make_event(uid="ends-at-start@x", start="2027-01-10T22:00:00", end="2027-01-11T00:00:00")
    make_event(uid="starts-at-end@x", start="2027-01-12T00:00:00")
    make_event(uid="inside@x", start="2027-01-11T12:00:00")
    make_event(uid="week@x", all_day=True, start="2027-01-08", end="2027-01-15")
    body = occurrences(client, "start=2027-01-11&end=2027-01-12")
    assert [item["uid"] for item in body["occurrences"]] == ["week@x", "running@x", "inside@x"]


def test_occurrences_of_several_series_come_in_start_order(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="weekly@x", start="2027-01-05T15:00:00", rrule="FREQ=WEEKLY;BYDAY=TU")
    make_event(uid="monthly@x", start="2027-01-27T14:00:00", rrule="FREQ=MONTHLY;BYDAY=-1WE")
    make_event(uid="early@x", start="2027-01-19T09:00:00")
    body = occurrences(client, "start=2027-01-18&end=2027-02-03")
    assert [(item["uid"], item["start"][:16]) for item in body["occurrences"]] == [
        ("early@x", "2027-01-19T09:00"),
        ("weekly@x", "2027-01-19T15:00"),
        ("weekly@x", "2027-01-26T15:00"),
        ("monthly@x", "2027-01-27T14:00"),
        ("weekly@x", "2027-02-02T15:00"),
    ]


def test_cancelled_and_moved_occurrences_are_listed_as_such(
    client: FlaskClient, make_event: MakeEvent, override: Callable[..., None]
) -> None:
    make_event(uid="weekly@x", start="2027-01-05T15:00:00", rrule="FREQ=WEEKLY;BYDAY=TU")
    override("weekly@x", "2027-01-12T15:00:00", status="cancelled")
    override("weekly@x", "2027-01-19T15:00:00", start="2027-01-21T10:00:00")
    body = occurrences(client, "start=2027-01-10&end=2027-01-24")
    assert [
        (item["recurrence_id"], item["start"], item["status"], item["moved"])
        for item in body["occurrences"]
    ] == [
        ("2027-01-12T15:00:00", "2027-01-12T15:00:00+00:00", "cancelled", False),
        ("2027-01-19T15:00:00", "2027-01-21T10:00:00+00:00", "confirmed", True),
    ]


def test_a_cancelled_series_lists_its_occurrences_as_cancelled(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="off@x", status="cancelled", rrule="FREQ=DAILY;COUNT=2")
    body = occurrences(client, "start=2027-01-27&end=2027-01-30")
    assert [item["status"] for item in body["occurrences"]] == ["cancelled", "cancelled"]


def test_bounds_without_an_offset_are_local_time_in_the_calendars_zone(
    client: FlaskClient, make_calendar: Callable[..., dict[str, Any]], make_event: MakeEvent
) -> None:
    make_calendar(slug="ny", timezone="America/New_York")
    make_event(calendar="ny", uid="ny@x", start="2027-01-27T20:00:00")  # 01:00Z on the 28th
    assert occurrences(client, "calendar=ny&start=2027-01-27&end=2027-01-28")["occurrences"]
    assert occurrences(client, "calendar=ny&start=2027-01-27T19:00:00&end=2027-01-27T21:00:00")[
        "occurrences"
    ]
    utc = occurrences(client, "calendar=ny&start=2027-01-27T00:00:00Z&end=2027-01-28T00:00:00Z")
    assert utc["occurrences"] == []
    offset = occurrences(
        client, "calendar=ny&start=2027-01-28T00:30:00%2B00:00&end=2027-01-28T02:00:00%2B00:00"
    )
    assert [item["start"] for item in offset["occurrences"]] == ["2027-01-27T20:00:00-05:00"]
    assert offset["start"] == "2027-01-28T00:30:00Z"


def test_calendar_and_category_filters_narrow_the_occurrences(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="tps@x", categories=["tps"])
    make_event(uid="aiuk@x", categories=["ai-uk"])
    make_event(uid="other@x", calendar="other", categories=["tps"])
    window = "start=2027-01-27&end=2027-01-28"

    def uids(query: str) -> list[str]:
        return sorted(item["uid"] for item in occurrences(client, query)["occurrences"])

    assert uids(window) == ["aiuk@x", "other@x", "tps@x"]
    assert uids(window + "&calendar=test") == ["aiuk@x", "tps@x"]
    assert uids(window + "&calendar=test&category=tps") == ["tps@x"]
    assert uids(window + "&category=tps&category=ai-uk") == ["aiuk@x", "other@x", "tps@x"]
    assert uids(window + "&category=nothing") == []


def test_an_answer_cut_at_the_per_event_limit_says_truncated(
    app: Flask, client: FlaskClient, make_event: MakeEvent
) -> None:
    app.config["OCCURRENCE_LIMIT"] = 5
    make_event(uid="daily@x", start="2027-01-01T09:00:00", rrule="FREQ=DAILY")
    make_event(uid="once@x", start="2027-01-20T09:00:00")
    body = occurrences(client, "start=2027-01-01&end=2027-02-01")
    assert body["truncated"] is True and body["limit"] == 5
    daily = [item["start"][:10] for item in body["occurrences"] if item["uid"] == "daily@x"]
    assert daily == ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05"]
    assert any(item["uid"] == "once@x" for item in body["occurrences"])
    assert occurrences(client, "start=2027-01-01&end=2027-01-03")["truncated"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("end=2027-02-01", "start"),
        ("start=2027-01-01", "end"),
        ("start=yesterday&end=2027-02-01", "start"),
        ("start=2027-02-30&end=2027-03-01", "start"),
        ("start=2027-01-01&end=2027-13-01", "end"),
        ("start=2027-01-01T25:00&end=2027-02-01", "start"),
        ("start=2027-02-01&end=2027-01-01", "end"),
        ("start=2027-02-01&end=2027-02-01", "end"),
        ("start=2027-01-01&end=2037-01-01", "end"),
        ("start=0001-01-01&end=0001-02-01", "start"),
        ("start=9999-01-01&end=9999-02-01", "start"),
        ("start=" + "9" * 5000 + "&end=2027-01-01", "start"),
    ],
)
def test_bad_windows_are_422_problems_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    body = problem(client.get("/api/v1/occurrences?" + query), 422)
    assert field in body["errors"]


def test_a_control_character_in_a_bound_is_a_400_problem(client: FlaskClient) -> None:
    body = problem(client.get("/api/v1/occurrences?start=%00&end=2027-01-01"), 400)
    assert body["detail"] == "The address contains control characters."


def test_a_dense_rule_over_a_long_window_walks_only_what_it_answers(
    client: FlaskClient, make_event: MakeEvent, rule_walks: RuleWalks
) -> None:
    make_event(
        uid="minutely@x",
        start="2027-01-01T00:00:00",
        end="2027-01-01T00:00:30",
        rrule="FREQ=MINUTELY",
    )
    # A page of 1,000 minutes and a day's slack past it (~2,600 minutes walked), or a refusal
    # before any walk: never the window's million minutes.
    with rule_walks.at_most(10_000):
        response = client.get("/api/v1/occurrences?start=2027-01-01&end=2028-12-31")
    if response.status_code == 200:
        assert response.get_json()["truncated"] is True
        assert len(response.get_json()["occurrences"]) == 1000
    else:
        assert "end" in problem(response, 422)["errors"]


# OpenAPI --------------------------------------------------------------------------------------


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    described = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, (path, method)
    contract = {
        ("/calendars", "get"),
        ("/calendars", "post"),
        ("/events", "get"),
        ("/events", "post"),
        ("/events/{uid}", "get"),
        ("/events/{uid}", "patch"),
        ("/events/{uid}", "delete"),
        ("/occurrences", "get"),
        ("/openapi.json", "get"),
        ("/events/{uid}/occurrences/{recurrence_id}", "put"),
        ("/events/{uid}/occurrences/{recurrence_id}", "delete"),
    }
    assert contract <= described
    limit = app.config["OCCURRENCE_LIMIT"]
    assert f"{limit} occurrences per event" in spec["info"]["description"]
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]
