"""A list's ``next`` link carries on the list's own parameters and nothing else: ``url_for``'s
keywords (``_anchor``, ``_method``, ``_scheme``, ``_external``) in a query string were passed to
it and answered 500 (or, for ``_external``, a link with the host twice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

LISTS = [
    (
        "/api/v1/events?calendar=test&category=talks&limit=1",
        "events",
        {"calendar": ["test"], "category": ["talks"], "limit": ["1"], "after": ["a@x"]},
    ),
    ("/api/v1/calendars?limit=1", "calendars", {"limit": ["1"], "after": ["test"]}),
]
EXTRAS = [
    "_anchor=x",
    "_method=POST",
    "_scheme=javascript",
    "_external=1",
    "_external=",
    "_anchor=x&_anchor=y",
    "ref=%22%3E%3Cb%3E",
    "after2=z",
    "next=http://evil.example",
]


@pytest.fixture
def two_of_each(
    make_event: Callable[..., dict[str, Any]], make_calendar: Callable[..., dict[str, Any]]
) -> None:
    make_event(uid="a@x", title="A", categories=["talks"])
    make_event(uid="b@x", title="B", categories=["talks"])
    make_calendar(slug="zz-second", name="Second")


@pytest.mark.parametrize("extra", EXTRAS)
@pytest.mark.parametrize(("url", "key", "carried"), LISTS, ids=["events", "calendars"])
def test_the_next_link_carries_only_the_lists_parameters(
    client: FlaskClient,
    two_of_each: None,
    url: str,
    key: str,
    carried: dict[str, list[str]],
    extra: str,
) -> None:
    plain = client.get(url)
    answer = client.get(f"{url}&{extra}")
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert len(body[key]) == 1
    next_url = body["next"]
    parts = urlsplit(next_url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "http",
        "localhost",
        urlsplit(url).path,
        "",
    )
    assert parse_qs(parts.query) == carried
    assert answer.headers["Link"] == f'<{next_url}>; rel="next"'
    assert answer.data == plain.data


def test_the_next_link_keeps_repeated_categories_in_their_order(
    client: FlaskClient, two_of_each: None
) -> None:
    body = client.get("/api/v1/events?category=zz&category=talks&limit=1&_anchor=x").get_json()
    assert parse_qs(urlsplit(body["next"]).query) == {
        "category": ["zz", "talks"],
        "limit": ["1"],
        "after": ["a@x"],
    }


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/occurrences?start=2027-01-01&end=2027-02-01&_anchor=x&_external=1",
        "/api/v1/events/a@x?_method=POST&_scheme=x",
        "/api/v1/openapi.json?_external=1",
    ],
)
def test_other_reads_ignore_the_same_parameters(
    client: FlaskClient, two_of_each: None, url: str
) -> None:
    answer = client.get(url)
    plain = client.get(
        url.split("?")[0] + ("?start=2027-01-01&end=2027-02-01" if "occurrences" in url else "")
    )
    assert (answer.status_code, answer.data) == (200, plain.data)
