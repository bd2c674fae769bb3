"""Every public GET route under hypothesis, over its query string: names and values of any kind
(the routes' own names with real and broken values, ``url_for``'s keywords ``_anchor``,
``_external``, ``_method`` and ``_scheme``, names repeated, empty values, names alone, unicode,
values of thousands of characters, raw and broken percent escapes, bytes that are no UTF-8).
Whatever the query holds, no answer is a server error.

The routes are read from the app's url_map (the organiser's pages aside), so a new public route
must be given real path arguments here before the suite passes; the paths name the seeded
calendar, a real series and this month.  The examples are bounded (a fixed number per route,
derandomised on CI), so a run costs the same every time on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calendar_service.clock import utcnow

EXAMPLES_PER_ROUTE = 20
SLUG = "turing-roche"
# What fills each path argument of a public route: the seeded calendar, a real series, the
# current month, a real static file.
ARGUMENTS: dict[str, Callable[[str], str]] = {
    "slug": lambda uid: SLUG,
    "uid": lambda uid: uid,
    "year": lambda uid: str(utcnow().year),
    "month": lambda uid: str(utcnow().month),
    "filename": lambda uid: "app.js",
}
# Every name a public route reads, and names that meant something to url_for or elsewhere.
NAMES = [
    "from",
    "days",
    "calendar",
    "category",
    "q",
    "after",
    "tz",
    "on",
    "start",
    "end",
    "limit",
    "series",
    "theme",
    "lang",
    "next",
    "_anchor",
    "_external",
    "_method",
    "_scheme",
    "_",
    "",
    "ref",
]
# Raw query parts, sent as they are: broken escapes, a NUL, bytes that are no UTF-8, plus signs.
RAW = [
    "%",
    "%zz",
    "q=%FF%FE",
    "tz=%C3%28",
    "_anchor=%00",
    "category=%E2%82",
    "a=b=c",
    "q=+++",
    "&&",
    "=",
    "=x",
    "on=%2F..%2F",
]


def public_get_routes(app: Flask) -> dict[str, str]:
    """endpoint → rule of every GET route that is not an organiser's page."""
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and not rule.endpoint.startswith("organiser.")
    }


def fill(rule: str, uid: str) -> str:
    """The rule with each ``<converter:name>`` replaced by a real value."""
    path = rule
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].rpartition(":")[2]
        assert name in ARGUMENTS, f"no real value for <{name}> in {rule}: add one to ARGUMENTS"
        path = path[:start] + quote(ARGUMENTS[name](uid), safe="/@") + path[end + 1 :]
    return path


def real_values(app: Flask) -> tuple[str, list[str]]:
    """A seeded series' uid, and values the routes accept: slugs, dates, zones, numbers, one
    of its recurrence ids, a page key."""
    client = app.test_client()
    occurrences = client.get("/api/v1/occurrences?start=2027-01-01&end=2027-12-31").get_json()
    series = [item for item in occurrences["occurrences"] if item["recurrence_id"]]
    assert series, occurrences
    first = series[0]
    categories = client.get("/api/v1/calendars").get_json()["calendars"][0]["categories"]
    values = [
        SLUG,
        first["uid"],
        first["recurrence_id"],
        first["start"][:10],
        first["start"],
        "2027-01-01",
        "2027-12-31T23:59:59Z",
        "1",
        "7",
        "366",
        "367",
        "0",
        "-1",
        "1e3",
        "Europe/London",
        "America/New_York",
        "UTC",
        "Nowhere/Else",
        "dark",
        "de",
        "1",
        "true",
        "http://evil.example/",
        "javascript:alert(1)",
        f"20270101T000000Z,,{first['uid']}",
        f"99999999T999999Z,x,{first['uid']}",
        *(category["slug"] for category in categories[:3]),
    ]
    return first["uid"], values


def query_strings(values: list[str]) -> st.SearchStrategy[str]:
    name = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
    value = st.one_of(
        st.sampled_from(values),
        st.just(""),
        st.text(max_size=40),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.builds(
            lambda char, count: char * count,
            st.characters(),
            st.integers(min_value=1_000, max_value=5_000),
        ),
    )
    pair = st.one_of(
        st.tuples(name, value).map(lambda nv: f"{quote(nv[0], safe='')}={quote(nv[1], safe='')}"),
        name.map(lambda alone: quote(alone, safe="")),  # a name without "="
        st.sampled_from(RAW),
    )
    return st.lists(pair, max_size=8).map("&".join)


# The routes fuzzed one by one; "others" stands for every other public GET route (robots.txt,
# static files, and any route added later).
NAMED = [
    "agenda.index",
    "agenda.calendar_page",
    "agenda.month_view",
    "agenda.event_page",
    "agenda.atom_feed",
    "agenda.embed",
    "agenda.next_page",
    "agenda.series_next",
    "feeds.calendar_feed",
    "feeds.event_feed",
    "api.list_calendars",
    "api.list_events",
    "api.get_event",
    "api.list_occurrences",
    "api.openapi",
    "health.healthz",
]


def fuzz(client: FlaskClient, path: str, values: list[str]) -> None:
    """EXAMPLES_PER_ROUTE generated query strings on ``path``: none answers 5xx."""

    @given(query=query_strings(values))
    @example(query="calendar=turing-roche&limit=1&_anchor=x&_method=POST&_scheme=x&_external=1")
    @settings(
        max_examples=EXAMPLES_PER_ROUTE, deadline=None, suppress_health_check=list(HealthCheck)
    )
    def send(query: str) -> None:
        response = client.get(f"{path}?{query}")
        response.close()  # a static file's answer holds the file open until closed
        assert response.status_code < 500, (
            f"{path}?{query}",
            response.status_code,
            response.get_data()[:500],
        )

    send()


def test_every_named_route_is_a_public_get_route(seeded: Flask) -> None:
    assert set(NAMED) <= set(public_get_routes(seeded))


@pytest.mark.parametrize("endpoint", [*NAMED, "others"])
def test_no_query_string_gets_a_server_error(seeded: Flask, endpoint: str) -> None:
    routes = public_get_routes(seeded)
    uid, values = real_values(seeded)
    names = [endpoint] if endpoint != "others" else sorted(set(routes) - set(NAMED))
    client = seeded.test_client()
    for name in names:
        path = fill(routes[name], uid)
        plain = client.get(path)
        plain.close()
        assert plain.status_code < 500, path
        fuzz(client, path, values)


@pytest.mark.parametrize("raw", ["q=\xff", "\xff=1", "_anchor=\xe9", "category=\xc3"])
def test_a_query_of_raw_bytes_that_are_no_utf8_is_a_400(seeded: Flask, raw: str) -> None:
    """A server hands such bytes on as they came (WSGI's QUERY_STRING is Latin-1): every
    public route refuses them as a bad request, not a failure to read its parameters (or,
    when the bytes are in a parameter it does not read, may give the answer it holds)."""
    routes = public_get_routes(seeded)
    uid, _values = real_values(seeded)
    client = seeded.test_client()
    statuses = {}
    for name, rule in sorted(routes.items()):
        response = client.get(fill(rule, uid), environ_overrides={"QUERY_STRING": raw})
        response.close()
        statuses[name] = response.status_code
    assert {name: status for name, status in statuses.items() if status != 400} in (
        {},
        {"api.list_calendars": 200},
    )  # the list real_values read, from the answer cache
    assert client.get("/", environ_overrides={"QUERY_STRING": "q=\xc3\xa9"}).status_code == 200
