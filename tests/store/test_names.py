"""Names and time values: one definition serves validation and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from calendar_service.store.identifiers import SLUG, SLUG_PATTERN, UID, UID_PATTERN
from calendar_service.store.moments import MOMENT_PATTERN, is_date_text, parse_moment


@pytest.mark.parametrize(
    "text, ok",
    [
        ("tps", True),
        ("ai-uk", True),
        ("a" * 64, True),
        ("2027", True),
        ("-x", False),
        ("TPS", False),
        ("a" * 65, False),
        ("a_b", False),
        ("", False),
    ],
)
def test_slugs(text: str, ok: bool) -> None:
    assert bool(SLUG.match(text)) is ok


@pytest.mark.parametrize(
    "text, ok",
    [
        ("talk@test", True),
        ("abc/def.ics@x", True),
        ("!" * 255, True),
        ("a b", False),
        ("", False),
        ("é@x", False),
        ("x" * 256, False),
    ],
)
def test_uids(text: str, ok: bool) -> None:
    assert bool(UID.match(text)) is ok


@pytest.mark.parametrize(
    "text",
    [
        "2027-01-27",
        "2027-01-27T14:00",
        "2027-01-27T14:00:00",
        "2027-01-27 14:00:00.5",
        "2027-01-27T14:00:00Z",
        "2027-01-27T14:00:00+01:00",
        "2027-01-27T14:00:00-0500",
    ],
)
def test_the_moment_pattern_matches_what_events_accept(text: str) -> None:
    assert re.match(MOMENT_PATTERN, text)
    parse_moment(text, all_day=is_date_text(text), tzid="Europe/London")  # does not raise


@pytest.mark.parametrize("text", ["27/01/2027", "2027-1-27", "2027-01-27T14", "tomorrow"])
def test_the_moment_pattern_refuses_other_forms(text: str) -> None:
    assert not re.match(MOMENT_PATTERN, text)


def test_the_openapi_document_states_the_same_forms(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    event = spec["components"]["schemas"]["Event"]["properties"]
    assert event["uid"]["pattern"] == UID_PATTERN
    assert event["calendar"]["pattern"] == SLUG_PATTERN
    assert event["categories"]["items"]["pattern"] == SLUG_PATTERN
    assert event["start"]["pattern"] == event["exdates"]["items"]["pattern"] == MOMENT_PATTERN
    assert (event["title"]["maxLength"], event["categories"]["maxItems"]) == (500, 20)
    parameters = spec["components"]["parameters"]
    assert parameters["uid"]["schema"]["pattern"] == UID_PATTERN
    assert parameters["calendar"]["schema"]["pattern"] == SLUG_PATTERN
