"""The organiser's dashboard and a calendar's list of events cost a page, however many events a
calendar holds: a few statements and bytes for the first rows of the calendars one may change,
nothing of the others, and a calendar's events a page at a time that reaches each one once."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.organiser.dashboard import DASHBOARD_ROWS, PAGE_ROWS
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Event

MakeCalendar = Callable[..., dict[str, Any]]


def add_events(
    app: Flask, slug: str, titles: list[str], prefix: str, continues: dict[int, int] | None = None
) -> list[str]:
    """Copies of one event, one per title, inserted in one statement (an import of thousands
    would take minutes); ``continues`` maps a copy's index to the index of the part it
    continues.  Returns their uids in order."""
    with app.app_context():
        model = operations.create_event(
            {
                "calendar": slug,
                "uid": f"{prefix}-model@x",
                "title": "Model",
                "start": "2031-01-27T14:00:00",
                "rrule": "FREQ=WEEKLY;COUNT=10",
            },
            "test",
        )
        db.session.flush()
        row = dict(
            db.session.execute(select(Event.__table__).where(Event.id == model.id)).mappings().one()
        )
        db.session.delete(model)
        db.session.flush()
        del row["id"]
        uids = [f"{prefix}-{index:05d}@x" for index in range(len(titles))]
        db.session.execute(
            Event.__table__.insert(),
            [
                {**row, "uid": uid, "slug": None, "title": title}
                for uid, title in zip(uids, titles, strict=True)
            ],
        )
        ids = {
            uid: ident
            for uid, ident in db.session.execute(
                select(Event.uid, Event.id).where(Event.uid.in_(uids))
            )
        }
        for later, earlier in (continues or {}).items():
            db.session.execute(
                Event.__table__.update()
                .where(Event.id == ids[uids[later]])
                .values(continues_id=ids[uids[earlier]])
            )
        db.session.commit()
        return uids


def edit_links(text: str) -> list[str]:
    return [
        html.unescape(uid) for uid in re.findall(r'href="/organiser/events/([^"]+)/edit"', text)
    ]


def occurrence_links(text: str) -> list[str]:
    return re.findall(r'href="/organiser/events/([^"]+)/occurrences"', text)


def next_link(text: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" class="more-events" rel="next">', text)
    return html.unescape(found.group(1)) if found else None


def test_the_dashboard_costs_a_page_however_many_events_a_calendar_holds(
    app: Flask, make_calendar: MakeCalendar, signed_in: FlaskClient, sql_statements: list[str]
) -> None:
    make_calendar(slug="big", name="Big calendar")
    add_events(app, "big", [f"A {index:05d}" for index in range(30)], "a")
    sql_statements.clear()
    few = signed_in.get("/organiser/")
    few_statements = len(sql_statements)
    add_events(app, "big", [f"B {index:05d}" for index in range(3000)], "b")
    sql_statements.clear()
    many = signed_in.get("/organiser/")
    assert (few.status_code, many.status_code) == (200, 200)
    assert len(sql_statements) == few_statements <= 12
    assert len(many.data) == len(few.data) < 30_000
    text = many.get_data(as_text=True)
    assert edit_links(text) == [f"a-{index:05d}@x" for index in range(DASHBOARD_ROWS)]
    assert next_link(text) is not None


def test_an_organiser_granted_nothing_reads_no_events(
    app: Flask,
    client: FlaskClient,
    make_calendar: MakeCalendar,
    make_organiser: Callable[..., dict[str, Any]],
    sign_in: Any,
    sql_statements: list[str],
) -> None:
    make_calendar(slug="big", name="Big calendar")
    add_events(app, "big", [f"Event {index:05d}" for index in range(3000)], "e")
    lin = make_organiser("lin@example.org", calendars=())
    sign_in(client, lin["email"])
    sql_statements.clear()
    response = client.get("/organiser/")
    assert response.status_code == 200
    assert not [statement for statement in sql_statements if re.search(r"\bevents\b", statement)], (
        "the dashboard read events"
    )
    assert len(response.data) < 10_000
    text = response.get_data(as_text=True)
    assert "Read only: ask an admin or the calendar's owner" in text
    assert 'href="/organiser/calendars/big/events"' in text
    # Its events are a link away, a page at a time, without links to change them.
    events = client.get("/organiser/calendars/big/events").get_data(as_text=True)
    assert len(occurrence_links(events)) == PAGE_ROWS and edit_links(events) == []


def test_paging_reaches_every_event_once_in_title_order(
    app: Flask, make_calendar: MakeCalendar, signed_in: FlaskClient, sql_statements: list[str]
) -> None:
    make_calendar(slug="big", name="Big calendar")
    # Titles that tie and differ only in case, and ten split series whose earlier parts
    # (indexes 0-9) are continued by later ones (10-19): one row each, the later part.
    names = ["seminar", "Seminar", "SEMINAR", "Ästhetik", "talk", "Talk: a", "b", "a:b", "TALK"]
    titles = [names[index % len(names)] for index in range(333)]
    uids = add_events(app, "big", titles, "e", continues={10 + n: n for n in range(10)})
    expected = set(uids) - set(uids[:10])
    seen: list[str] = []
    text = signed_in.get("/organiser/").get_data(as_text=True)
    seen.extend(edit_links(text))
    url = next_link(text)
    pages = 0
    while url is not None:
        sql_statements.clear()
        response = signed_in.get(url)
        assert response.status_code == 200
        assert len(sql_statements) <= 12
        text = response.get_data(as_text=True)
        assert len(edit_links(text)) <= PAGE_ROWS
        seen.extend(edit_links(text))
        url = next_link(text)
        pages += 1
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert pages == -(-(len(expected) - DASHBOARD_ROWS) // PAGE_ROWS)
    # In title order, case aside, a tie in the order the events were made (titles of plain
    # letters, which every collation orders alike).
    place = {
        uid: (title.lower(), index)
        for index, (uid, title) in enumerate(zip(uids, titles, strict=True))
    }
    plain = [uid for uid in seen if place[uid][0].isascii() and place[uid][0].isalpha()]
    assert plain == sorted(plain, key=place.__getitem__)


@pytest.mark.parametrize("after", ["x", "12", ":title", "99999999999999999999:a"])
def test_a_damaged_page_link_is_a_clear_400(
    signed_in: FlaskClient, make_calendar: MakeCalendar, after: str
) -> None:
    make_calendar(slug="big", name="Big calendar")
    response = signed_in.get("/organiser/calendars/big/events", query_string={"after": after})
    assert response.status_code == 400
    assert "This link to the next page of events is damaged" in response.get_data(as_text=True)
    assert signed_in.get("/organiser/calendars/nowhere/events").status_code == 404
