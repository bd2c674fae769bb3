"""The app served the ways people run it, hit with many requests: the development server of
`make run` (a thread per request) and gunicorn with many threads.  Every answer must come, none
may be a 5xx.  A connection a request took and never gave back would empty the pool (as many
connections as the server has threads, and as many again in overflow) within a few requests,
after which every answer is a 503: hundreds of requests answered 200 or 304 show that each
request gives its connection back.  How long answers take belongs in bench/, not here."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from app_servers import DEVELOPMENT, GUNICORN, fetch

pytestmark = pytest.mark.slow


def timed(url: str, headers: dict[str, str] | None = None) -> tuple[int, float, dict[str, str]]:
    """(status, seconds, headers) of one GET on a new connection."""
    status, answer_headers, _body, seconds = fetch(url, headers=headers)
    return status, seconds, answer_headers


@pytest.fixture
def served(
    serve: Callable[[list[str]], str], make_event: Callable[..., dict]
) -> Callable[[list[str]], str]:
    """A server process on the test database, with a small calendar in it."""
    make_event(title="TPS seminar", rrule="FREQ=MONTHLY;BYDAY=-1WE", start="2026-01-28T14:00:00")
    make_event(title="Co-working", rrule="FREQ=WEEKLY;BYDAY=TU", start="2026-01-06T10:00:00")
    return serve


def requests_for(base: str) -> list[tuple[str, dict[str, str]]]:
    """What subscribers and visitors send: feed fetches and polls, pages, the API, health."""
    etag = timed(f"{base}/calendars/test.ics")[2]["ETag"]
    return [
        (f"{base}/calendars/test.ics", {}),
        (f"{base}/calendars/test.ics", {"If-None-Match": etag}),
        (f"{base}/calendars/test.ics", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
        (f"{base}/?from=2026-06-01", {}),
        (f"{base}/api/v1/occurrences?start=2026-06-01&end=2026-07-01", {}),
        (f"{base}/calendars/test/2026/6", {}),
        (f"{base}/healthz", {}),
    ]


Answers = list[tuple[int, float]]


def hammer(base: str, sequential: int, parallel: int, clients: int) -> tuple[Answers, Answers]:
    """(status, seconds) of ``sequential`` requests one after another, then of ``parallel``
    from ``clients`` at once, after one of each to warm the server up (its first page compiles
    the templates)."""
    mix = requests_for(base)
    for url, headers in mix:
        timed(url, headers)
    alone = [timed(*mix[index % len(mix)])[:2] for index in range(sequential)]
    with ThreadPoolExecutor(clients) as pool:
        loaded = [
            answer[:2]
            for answer in pool.map(lambda index: timed(*mix[index % len(mix)]), range(parallel))
        ]
    return alone, loaded


def polls(count: int) -> int:
    """How many of ``count`` requests of the mix are polls with the feed's current ETag (a
    If-Modified-Since later than the server's clock is ignored, as RFC 9110 says)."""
    return sum(1 for index in range(count) if index % 7 == 1)


def check(alone: Answers, loaded: Answers) -> None:
    """Every request was answered: a 304 to each poll, a 200 to everything else; no 503 from
    an emptied pool, no other 5xx, no 404."""
    statuses = [status for status, _ in alone + loaded]
    assert statuses.count(304) == polls(len(alone)) + polls(len(loaded)), sorted(set(statuses))
    assert statuses.count(200) == len(statuses) - statuses.count(304), sorted(set(statuses))


def test_the_development_server_keeps_answering(served: Callable[[list[str]], str]) -> None:
    """`make run` serves with `flask run`: a thread per request, hundreds of them."""
    base = served(DEVELOPMENT)
    alone, loaded = hammer(base, sequential=350, parallel=150, clients=8)
    check(alone, loaded)
    assert len(alone + loaded) == 500
    # It still answers afterwards, and says it is healthy.
    assert timed(f"{base}/healthz")[0] == 200


@pytest.mark.parametrize("threads", [1, 32])
def test_gunicorn_keeps_answering_at_any_thread_count(
    served: Callable[[list[str]], str], threads: int
) -> None:
    base = served([*GUNICORN, "--threads", str(threads)])
    alone, loaded = hammer(base, sequential=200, parallel=200, clients=16)
    check(alone, loaded)
    assert timed(f"{base}/healthz")[0] == 200
