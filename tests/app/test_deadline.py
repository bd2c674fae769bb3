"""A read's time limit: past CALENDAR_REQUEST_SECONDS a read stops with 503 and Retry-After,
in the form its client asked for, also under gunicorn's gthread workers (whose own timeout does
not stop a request); writes are not limited; what a stopped read built stays cached, so retries
go further until the answer comes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from app_servers import GUNICORN, fetch
from flask import Flask

from calendar_service import deadline
from calendar_service.store import operations
from calendar_service.store.db import db


def test_check_passes_within_the_limit_and_raises_past_it() -> None:
    with deadline.limited(0.05):
        deadline.check()
        time.sleep(0.06)
        with pytest.raises(deadline.DeadlineExceeded, match="more than 0.05 s"):
            deadline.check()
    deadline.check()  # outside a limit nothing stops


def test_no_limit_when_the_setting_is_zero() -> None:
    with deadline.limited(0):
        time.sleep(0.01)
        deadline.check()


@pytest.fixture
def hurried(app: Flask, make_event: Callable[..., dict[str, Any]]) -> None:
    """Reads get a limit no work fits in; two events to read."""
    app.config["CALENDAR_REQUEST_SECONDS"] = 1e-9
    make_event(title="TPS seminar", rrule="FREQ=MONTHLY;BYDAY=-1WE", start="2026-01-28T14:00:00")
    make_event(title="Co-working", rrule="FREQ=WEEKLY;BYDAY=TU", start="2026-01-06T10:00:00")


@pytest.mark.usefixtures("hurried")
def test_reads_past_the_limit_answer_503_with_retry_after(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/?from=2026-06-01")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "took more than 1e-09 seconds to prepare; try again shortly" in page.text
    assert "Traceback" not in page.text
    api = client.get("/api/v1/occurrences?start=2026-06-01&end=2026-07-01")
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["status"] == 503
    assert client.get("/calendars/test.ics").status_code == 503
    assert client.get("/healthz").status_code == 200  # nothing there grows with the data


@pytest.mark.usefixtures("hurried")
def test_writes_are_not_limited(app: Flask, auth_headers: dict[str, str]) -> None:
    created = app.test_client().post(
        "/api/v1/events",
        headers=auth_headers,
        json={
            "calendar": "test",
            "title": "Book Dash",
            "start": "2027-05-10",
            "end": "2027-05-15",
            "all_day": True,
        },
    )
    assert created.status_code == 201, created.text


@pytest.mark.slow
def test_gthread_workers_stop_a_long_read_and_retries_finish_it(
    app: Flask, serve: Callable[..., str]
) -> None:
    with app.app_context():
        operations.create_calendar(
            {"slug": "big", "name": "Big"}, "test", default_tz="Europe/London"
        )
        for number in range(200):  # long descriptions: each VEVENT takes a while to write
            operations.create_event(
                {
                    "calendar": "big",
                    "title": f"Weekly meeting {number}",
                    "description": "Agenda and notes. " * 1000,
                    "location": "Room 4",
                    "start": f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}T10:00:00",
                    "rrule": "FREQ=WEEKLY",
                },
                "test",
            )
        db.session.commit()
    base = serve([*GUNICORN, "--threads", "4"], {"CALENDAR_REQUEST_SECONDS": "0.1"})
    statuses = []
    # Each stopped read builds what it can in its 0.1 s; on a busy machine that may be a block
    # or two, so the retries are many (a handful on a quiet one).
    for _attempt in range(600):
        status, headers, body, _seconds = fetch(f"{base}/calendars/big.ics")
        statuses.append(status)
        if status == 200:
            break
        assert status == 503 and headers["Retry-After"] == "5", (status, body[:300])
    # Building the whole feed takes 0.4 s or more (2 ms or more a VEVENT; 0.5 s was once
    # enough on a quiet machine), past the 0.1 s limit, so the first read stops ...
    assert statuses[0] == 503
    # ... part-way, as the next does (4 or 5 stop on a quiet machine, more on a busy one): a
    # read that went on to the end of the feed before it stopped would leave every block built
    # for the next ...
    assert statuses.count(503) >= 2, statuses
    # ... and the retries, each building more, end with the whole feed.
    assert statuses[-1] == 200
    assert body.count(b"BEGIN:VEVENT") == 200
