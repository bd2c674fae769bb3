"""What an import costs grows with the file, never with its square (a security review found one
CATEGORIES line of 200,000 names taking 347 s, and 3,000 RECURRENCE-IDs 146 s against 1.65 s for
300).  Each test counts what the import does (SQL statements, category lookups, the overrides it
builds into series, the names it reads) and checks what it stored; a larger file is compared
with a smaller one imported in the same test."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import rules.validate
from calendar_service.ical import reader
from calendar_service.services.imports import ImportResult, import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Category, Override
from calendar_service.store.validation import MAX_CATEGORIES

LIMIT = 4 * 1024 * 1024
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//costs//EN\r\n"
FOOT = "END:VCALENDAR\r\n"


@dataclass
class Cost:
    """What one import did, counted."""

    statements: int = 0  # SQL statements sent
    writes: int = 0  # of them, those that change rows (the audit trail's own aside)
    category_reads: int = 0  # of them, those that read the categories table
    series_overrides: int = 0  # overrides built into engine series, each time one is built
    names: int = 0  # category names read from CATEGORIES lines
    cpu: float = 0.0  # seconds of the importing thread's CPU time, to compare within a test


@pytest.fixture
def counted_import(
    app: Flask, sql_statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[bytes], tuple[ImportResult, Cost]]:
    """``counted_import(data)``: import into calendar ``test`` and commit; (result, cost)."""
    cost = Cost()
    validate_series = rules.validate.validate_series
    category_names = reader._category_names  # noqa: SLF001

    def counting_validate(series: Any) -> None:
        cost.series_overrides += len(series.overrides)
        validate_series(series)

    def counting_names(component: Any) -> Iterator[object]:
        for name in category_names(component):
            cost.names += 1
            yield name

    monkeypatch.setattr(rules.validate, "validate_series", counting_validate)
    monkeypatch.setattr(reader, "_category_names", counting_names)

    def run(data: bytes) -> tuple[ImportResult, Cost]:
        nonlocal cost
        cost = Cost()
        with app.app_context():
            calendar = operations.find_calendar("test")
            assert calendar is not None
            sql_statements.clear()
            began = time.thread_time()
            result = import_ics(data, calendar, "test", max_bytes=LIMIT)
            db.session.commit()
            cost.cpu = time.thread_time() - began
        cost.statements = len(sql_statements)
        cost.writes = sum(
            statement.startswith(("INSERT", "UPDATE", "DELETE"))
            and "audit_entries" not in statement
            for statement in sql_statements
        )
        cost.category_reads = sum(
            bool(re.search(r"\bFROM categories\b", statement)) for statement in sql_statements
        )
        return result, cost

    return run


def many_categories(count: int, uid: str = "tagged@x", prefix: str = "c") -> bytes:
    names = ",".join(f"{prefix}{index}" for index in range(count))
    return (
        HEAD + f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid}\r\n"
        "DTSTART:20270101T100000Z\r\nCATEGORIES:" + names + "\r\nEND:VEVENT\r\n" + FOOT
    ).encode()


def test_a_line_of_200000_categories_keeps_the_first_ones_with_a_note(
    app: Flask, calendar: dict[str, Any], counted_import: Callable[..., tuple[ImportResult, Cost]]
) -> None:
    _, kept = counted_import(many_categories(MAX_CATEGORIES, uid="kept@x", prefix="k"))
    data = many_categories(200_000)
    assert len(data) > 1_400_000
    result, cost = counted_import(data)
    # Reading stops at the first name past the limit: the rest of the line is never looked at
    # (every name was compared with those kept so far: 347 s).
    assert cost.names == MAX_CATEGORIES + 1
    # And what is stored costs what storing the limit costs, whatever the line held.
    assert cost.statements == kept.statements
    assert (result.created, result.skipped) == (["tagged@x"], [])
    assert [(note.what, note.reason) for note in result.notes] == [
        (
            "tagged@x",
            f"only its first {MAX_CATEGORIES} categories were kept (an event has at "
            f"most {MAX_CATEGORIES})",
        )
    ]
    with app.app_context():
        event = operations.find_event("tagged@x")
        assert event is not None
        assert [category.slug for category in event.categories] == sorted(
            f"c{index}" for index in range(MAX_CATEGORIES)
        )


def repeated_categories(uid: str, repeats: int, names: tuple[str, ...]) -> bytes:
    line = ",".join(list(names) * repeats)
    return (
        HEAD + f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid}\r\nDTSTART:20270101T100000Z\r\n"
        "CATEGORIES:" + line + "\r\nEND:VEVENT\r\n" + FOOT
    ).encode()


def test_repeated_categories_count_once_and_make_no_note(
    app: Flask, calendar: dict[str, Any], counted_import: Callable[..., tuple[ImportResult, Cost]]
) -> None:
    _, once = counted_import(repeated_categories("once@x", 1, ("Tea", "tea", "TEA!", "Cake")))
    result, cost = counted_import(
        repeated_categories("dup@x", 50_000, ("Talks", "talks", "TALKS!", "Lab"))
    )
    assert cost.names == 200_000  # each read once
    assert cost.statements == once.statements  # and stored as four such names once are
    assert (result.created, result.notes) == (["dup@x"], [])
    with app.app_context():
        event = operations.find_event("dup@x")
        assert event is not None
        assert [category.slug for category in event.categories] == ["lab", "talks"]


def overridden_series(count: int, title: str = "moved") -> bytes:
    """A daily series of ``count`` days with every occurrence moved an hour later, retitled."""
    parts = [
        HEAD,
        "BEGIN:VEVENT\r\nUID:daily@x\r\nSUMMARY:Daily\r\n"
        "DTSTART;TZID=Europe/London:20270101T100000\r\n"
        "DTEND;TZID=Europe/London:20270101T110000\r\n"
        f"RRULE:FREQ=DAILY;COUNT={count}\r\nEND:VEVENT\r\n",
    ]
    for index in range(count):
        day = datetime(2027, 1, 1, 10) + timedelta(days=index)
        parts.append(
            "BEGIN:VEVENT\r\nUID:daily@x\r\n"
            f"RECURRENCE-ID;TZID=Europe/London:{day:%Y%m%dT%H%M%S}\r\n"
            f"DTSTART;TZID=Europe/London:{day + timedelta(hours=1):%Y%m%dT%H%M%S}\r\n"
            f"DTEND;TZID=Europe/London:{day + timedelta(hours=2):%Y%m%dT%H%M%S}\r\n"
            f"SUMMARY:{title} {index}\r\nEND:VEVENT\r\n"
        )
    parts.append(FOOT)
    return "".join(parts).encode()


def stored_overrides(app: Flask) -> list[tuple[str, str | None, datetime | None]]:
    with app.app_context():
        return [
            (row.recurrence_id, row.title, row.start_local)
            for row in db.session.scalars(select(Override).order_by(Override.recurrence_id))
        ]


def test_3000_changed_occurrences_cost_about_ten_times_300(
    app: Flask,
    make_calendar: Callable[..., dict[str, Any]],
    occurrences_between: Callable[..., list[Any]],
    counted_import: Callable[..., tuple[ImportResult, Cost]],
) -> None:
    make_calendar(slug="test")
    small, small_cost = counted_import(overridden_series(300))
    assert small.created == ["daily@x"]
    with app.app_context():
        event = operations.find_event("daily@x")
        assert event is not None
        operations.delete_event(event, "test")
        db.session.commit()
    large, large_cost = counted_import(overridden_series(3000))
    assert (large.created, large.skipped) == (["daily@x"], [])
    # Ten times the overrides, ten times the work: the series is built with all of them a
    # fixed number of times (the old import rebuilt it for each one: a hundred times the
    # overrides built, and ~90 times the seconds), in statements that grow with them.
    assert large_cost.series_overrides <= 10 * small_cost.series_overrides
    assert large_cost.statements <= 11 * small_cost.statements
    rows = stored_overrides(app)
    assert len(rows) == 3000
    assert rows[0] == ("2027-01-01T10:00:00", "moved 0", datetime(2027, 1, 1, 11))
    assert rows[-1] == ("2035-03-19T10:00:00", "moved 2999", datetime(2035, 3, 19, 11))
    with app.app_context():
        event = operations.find_event("daily@x")
        assert event is not None and event.sequence == 0  # a new event starts at SEQUENCE 0
    # Summer time: 11:00 BST is 10:00 UTC.
    shown = occurrences_between(
        "2027-07-01",
        "2027-07-02",
        lambda item: (item.occurrence.title, item.occurrence.start.isoformat()),
    )
    assert shown == [("moved 181", "2027-07-01T11:00:00+01:00")]


def test_reimporting_3000_changed_occurrences_touches_only_what_differs(
    app: Flask,
    calendar: dict[str, Any],
    counted_import: Callable[..., tuple[ImportResult, Cost]],
) -> None:
    counted_import(overridden_series(3000))
    again, same = counted_import(overridden_series(3000))
    assert (again.unchanged, again.updated) == (["daily@x"], [])
    # Nothing written for the 3,000 that say the same again (the audit trail aside), and the
    # series built with its overrides a fixed number of times, not once for each.
    assert same.writes == 0
    assert same.series_overrides <= 3 * 3000
    # Half of them gone from the file, the other half retitled.
    data = overridden_series(1500, title="renamed").replace(b"COUNT=1500", b"COUNT=3000")
    changed, cost = counted_import(data)
    assert changed.updated == ["daily@x"]
    assert cost.series_overrides <= 3 * 3000
    rows = stored_overrides(app)
    assert len(rows) == 1500
    assert rows[-1] == ("2031-02-08T10:00:00", "renamed 1499", datetime(2031, 2, 8, 11))
    with app.app_context():
        event = operations.find_event("daily@x")
        assert event is not None and event.sequence == 1  # one new version, not 3,000
        count = db.session.scalar(select(func.count()).select_from(Override))
        assert count == 1500


def tagged_events(count: int, first: int = 0) -> bytes:
    """``count`` one-off events with 20 categories each, none shared: the calendar's list of
    categories grows by 20 with every event."""
    parts = [HEAD]
    for index in range(first, first + count):
        names = ",".join(f"e{index}-c{slot}" for slot in range(20))
        parts.append(
            f"BEGIN:VEVENT\r\nUID:tagged-{index}@x\r\nSUMMARY:Tagged {index}\r\n"
            f"DTSTART:20270101T100000Z\r\nCATEGORIES:{names}\r\nEND:VEVENT\r\n"
        )
    parts.append(FOOT)
    return "".join(parts).encode()


def test_an_import_that_adds_20000_categories_costs_in_proportion(
    app: Flask,
    calendar: dict[str, Any],
    counted_import: Callable[..., tuple[ImportResult, Cost]],
) -> None:
    """Each new category used to be looked for by scanning all the calendar's categories: 1,000
    events with 20 new ones each took 190 s, 500 took 25 s.  On PostgreSQL a query for each
    event's categories, in one long transaction, read all the calendar's categories (its
    statistics still said the table was empty): 85.7 s, until the import looked them up in a
    map read once."""
    small, small_cost = counted_import(tagged_events(200))
    large, large_cost = counted_import(tagged_events(1000, first=200))
    assert (len(small.created), len(large.created)) == (200, 1000)
    # The calendar's categories read once for the import, not once for each event.
    assert large_cost.category_reads == small_cost.category_reads == 1
    # 5 times the events: about 5 times the statements, and the CPU time (5.3 times measured on
    # a quiet machine; when each lookup scanned the list, 25 times and more).
    assert large_cost.statements <= 6 * small_cost.statements
    assert large_cost.cpu < 15 * max(small_cost.cpu, 0.05), (small_cost.cpu, large_cost.cpu)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Category))
        assert count == 1200 * 20
        event = operations.find_event("tagged-1199@x")
        assert event is not None
        assert [category.slug for category in event.categories] == sorted(
            f"e1199-c{slot}" for slot in range(20)
        )
