"""Two organisers change the same event at the same moment: the If-Match check and the write are
one statement (``WHERE revision = …``), so exactly one wins and the other hears 412, whatever
the timing; and concurrent changes give the calendar a version each, so no feed built between
two commits is cached under a version that lacks one of them."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Event

ROUNDS = 20


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on their own threads, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_organisers_patching_with_one_if_match_never_both_win(
    app: Flask,
    make_event: Callable[..., dict[str, Any]],
    make_organiser: Callable[..., dict[str, Any]],
    make_token: Callable[[str], str],
) -> None:
    event = make_event(uid="seminar@test", title="TPS seminar")
    tokens = [
        make_token(make_organiser(email=email)["email"])
        for email in ("ada@example.org", "grace@example.org")
    ]
    clients = [app.test_client(), app.test_client()]
    url = f"/api/v1/events/{event['uid']}"
    for round_number in range(ROUNDS):
        etag = clients[0].get(url).headers["ETag"]
        titles = [f"Round {round_number} by {who}" for who in ("Ada", "Grace")]
        answers = in_parallel(
            *[
                functools.partial(
                    clients[index].patch,
                    url,
                    json={"title": titles[index]},
                    headers={"Authorization": f"Bearer {tokens[index]}", "If-Match": etag},
                )
                for index in range(2)
            ]
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 412], (round_number, statuses)
        winner = titles[[answer.status_code for answer in answers].index(200)]
        assert clients[0].get(url).json["title"] == winner


def test_concurrent_changes_give_the_calendar_a_version_each(
    app: Flask, make_event: Callable[..., dict[str, Any]], auth_headers: dict[str, str]
) -> None:
    uids = [
        make_event(uid=f"talk-{index}@test", title=f"Talk {index}")["uid"] for index in range(2)
    ]
    clients = [app.test_client(), app.test_client()]
    with app.app_context():
        before = db.session.scalar(select(Calendar.version).where(Calendar.slug == "test"))
    for round_number in range(ROUNDS):
        in_parallel(
            *[
                functools.partial(
                    clients[index].patch,
                    f"/api/v1/events/{uids[index]}",
                    json={"title": f"Talk {index} v{round_number}"},
                    headers=auth_headers,
                )
                for index in range(2)
            ]
        )
    with app.app_context():
        after = db.session.scalar(select(Calendar.version).where(Calendar.slug == "test"))
        titles = sorted(db.session.scalars(select(Event.title)))
    assert after - before == 2 * ROUNDS
    assert titles == [f"Talk 0 v{ROUNDS - 1}", f"Talk 1 v{ROUNDS - 1}"]
