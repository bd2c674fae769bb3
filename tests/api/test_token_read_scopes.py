"""Token scopes narrow reads as well as writes: a token reads the drafts of the calendars its
organiser may change (every calendar for an admin), and of those only the ones it is kept to,
whether it reads or writes.  Another calendar's draft answers 404 as it does without a token, in
every read of the API: one event, the list of events, the occurrences."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.store import accounts, operations
from calendar_service.store.db import db

A, B = "cal-a", "cal-b"
UIDS = [f"{kind}@{slug}" for slug in (A, B) for kind in ("draft", "public")]
PUBLISHED = {f"public@{A}", f"public@{B}"}


@pytest.fixture
def first_day(clock: Any) -> date:
    return clock.today() + timedelta(days=1)


@pytest.fixture
def calendars(
    make_calendar: Callable[..., dict[str, Any]],
    make_event: Callable[..., Any],
    make_organiser: Callable[..., dict[str, Any]],
    first_day: date,
) -> None:
    """Calendars A and B, each with a weekly draft and a weekly published series; ada may change
    both, bob A alone, carol neither, grace is an admin."""
    make_calendar(slug=A, name="Calendar A")
    make_calendar(slug=B, name="Calendar B")
    for uid in UIDS:
        make_event(
            calendar=uid.split("@")[1],
            uid=uid,
            title=uid,
            rrule="FREQ=WEEKLY",
            start=f"{first_day}T10:00:00",
            published=uid in PUBLISHED,
        )
    make_organiser("ada@example.org")
    make_organiser("bob@example.org", calendars=(A,))
    make_organiser("carol@example.org", calendars=())
    make_organiser("grace@example.org", admin=True)


def headers_for(
    app: Flask, email: str | None, scope: str, slugs: tuple[str, ...]
) -> dict[str, str]:
    if email is None:
        return {}
    with app.app_context():
        organiser = accounts.find_organiser(email)
        _row, secret = accounts.create_token(
            organiser,
            "reader",
            scope=scope,
            calendars=[operations.find_calendar(slug) for slug in slugs],
        )
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def what_each_read_shows(
    client: FlaskClient, headers: dict[str, str], first_day: date
) -> dict[str, set[str]]:
    """The uids each API read shows with these headers: one event at a time, the list of
    events (of all calendars and of each), and a month's occurrences (likewise)."""
    window = f"start={first_day}&end={first_day + timedelta(days=30)}"
    shown: dict[str, set[str]] = {"one at a time": set()}
    for uid in UIDS:
        response = client.get(f"/api/v1/events/{uid}", headers=headers)
        assert response.status_code in (200, 404), response.json
        if response.status_code == 200:
            shown["one at a time"].add(uid)
        else:
            assert response.json["detail"] == "There is no event with this uid."
    for name, query in (("all", ""), (A, f"calendar={A}"), (B, f"calendar={B}")):
        listed = client.get(f"/api/v1/events?limit=1000&{query}", headers=headers)
        assert listed.status_code == 200, listed.json
        shown[f"events of {name}"] = {event["uid"] for event in listed.json["events"]}
        found = client.get(f"/api/v1/occurrences?{window}&{query}", headers=headers)
        assert found.status_code == 200, found.json
        uids = [item["uid"] for item in found.json["occurrences"]]
        assert all(uids.count(uid) >= 4 for uid in set(uids))  # weekly over a month
        shown[f"occurrences of {name}"] = set(uids)
    return shown


def expected(drafts: set[str]) -> dict[str, set[str]]:
    every = PUBLISHED | drafts
    return {
        "one at a time": every,
        **{f"{kind} of all": every for kind in ("events", "occurrences")},
        **{
            f"{kind} of {slug}": {uid for uid in every if uid.endswith(slug)}
            for kind in ("events", "occurrences")
            for slug in (A, B)
        },
    }


@pytest.mark.parametrize(
    ("email", "scope", "slugs", "drafts"),
    [
        # Kept to calendar A: A's drafts only, reading or writing, whoever made it.
        ("ada@example.org", "read", (A,), {f"draft@{A}"}),
        ("ada@example.org", "write", (A,), {f"draft@{A}"}),
        ("grace@example.org", "read", (A,), {f"draft@{A}"}),
        # Not kept to calendars: the drafts of the calendars its organiser may change.
        ("bob@example.org", "read", (), {f"draft@{A}"}),
        ("bob@example.org", "write", (), {f"draft@{A}"}),
        ("carol@example.org", "read", (), set()),
        ("ada@example.org", "read", (), {f"draft@{A}", f"draft@{B}"}),
        ("grace@example.org", "read", (), {f"draft@{A}", f"draft@{B}"}),
        (None, "", (), set()),
    ],
)
def test_a_token_reads_only_the_drafts_of_its_calendars(
    app: Flask,
    client: FlaskClient,
    calendars: None,
    first_day: date,
    email: str | None,
    scope: str,
    slugs: tuple[str, ...],
    drafts: set[str],
) -> None:
    headers = headers_for(app, email, scope, slugs)
    assert what_each_read_shows(client, headers, first_day) == expected(drafts)


def test_a_lost_grant_hides_that_calendars_drafts_from_the_organisers_tokens(
    app: Flask, client: FlaskClient, calendars: None, first_day: date
) -> None:
    from calendar_service.store import permissions

    headers = headers_for(app, "bob@example.org", "read", ())
    assert client.get(f"/api/v1/events/draft@{A}", headers=headers).status_code == 200
    with app.app_context():
        permissions.withdraw(
            accounts.find_organiser("bob@example.org"), operations.find_calendar(A), "test"
        )
        db.session.commit()
    assert what_each_read_shows(client, headers, first_day) == expected(set())


def test_a_part_in_another_calendar_is_not_named_when_it_is_a_draft(
    app: Flask, client: FlaskClient, calendars: None
) -> None:
    """``continues``/``continued_by`` name another part of the series only when the reader
    may see it: a later part moved to B as a draft is null to a token kept to A."""
    with app.app_context():
        earlier = operations.find_event(f"public@{A}")
        later = operations.find_event(f"draft@{B}")
        later.continues_id = earlier.id
        db.session.commit()
    kept_to_a = headers_for(app, "ada@example.org", "read", (A,))
    every = headers_for(app, "ada@example.org", "read", ())
    read = client.get(f"/api/v1/events/public@{A}", headers=kept_to_a)
    assert read.status_code == 200 and read.json["continued_by"] is None
    assert (
        client.get(f"/api/v1/events/public@{A}", headers=every).json["continued_by"] == f"draft@{B}"
    )
    listed = client.get(f"/api/v1/events?calendar={A}", headers=kept_to_a).json["events"]
    assert {event["uid"]: event["continued_by"] for event in listed} == {
        f"draft@{A}": None,
        f"public@{A}": None,
    }
