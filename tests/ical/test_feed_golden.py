"""A small fixed calendar serialised by ical.writer equals tests/data/feeds/small-calendar.ics.

The writer is pure: rows in, bytes out, no request and no clock, so the rows are built in memory
with fixed timestamps.  To accept an intended change of output, run with ``UPDATE_GOLDEN=1``,
read the diff, and raise ``ical.FORMAT_VERSION``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from calendar_service.ical import writer as ical
from calendar_service.store.models import Category, Event, Override

GOLDEN = Path(__file__).parents[1] / "data" / "feeds" / "small-calendar.ics"
STAMP = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)


def small_calendar() -> list[Event]:
    seminars = Category(slug="seminars", name="Seminars, talks")
    seminar = Event(
        uid="seminar@example.org",
        title="Research seminar; monthly",
        timezone="Europe/London",
        start_local=datetime(2026, 9, 30, 14),
        end_local=datetime(2026, 9, 30, 15),
        all_day=False,
        rrule="FREQ=MONTHLY;BYDAY=-1WE;UNTIL=20270630T130000Z",
        rdates=[],
        exdates=["2026-12-30T14:00:00"],
        status="confirmed",
        published=True,
        sequence=3,
        location="Room 1, Main building",
        url="https://example.org/seminar",
        description="Talks on\nresearch software.",
        categories=[seminars],
        created=datetime(2026, 8, 1, 9, tzinfo=UTC),
        updated=STAMP,
        first_start_utc=datetime(2026, 9, 30, 13, tzinfo=UTC),
        last_end_utc=datetime(2027, 6, 30, 14, tzinfo=UTC),
        overrides=[
            Override(
                recurrence_id="2026-10-28T14:00:00",
                cancelled=False,
                start_local=datetime(2026, 10, 29, 10),
                end_local=datetime(2026, 10, 29, 11),
                title="Research seminar (moved to Thursday)",
                sequence=2,
                created=STAMP,
                updated=STAMP,
            ),
            Override(
                recurrence_id="2027-01-27T14:00:00",
                cancelled=True,
                sequence=3,
                created=STAMP,
                updated=STAMP,
            ),
        ],
    )
    dash = Event(
        uid="book-dash@example.org",
        title="Book Dash 📚",
        timezone="Europe/London",
        start_local=datetime(2026, 11, 9),
        end_local=datetime(2026, 11, 14),
        all_day=True,
        rrule=None,
        rdates=[],
        exdates=[],
        status="cancelled",
        published=True,
        sequence=1,
        location="",
        url="",
        description="",
        categories=[],
        overrides=[],
        created=datetime(2026, 8, 2, 9, tzinfo=UTC),
        updated=STAMP,
        first_start_utc=datetime(2026, 11, 9, tzinfo=UTC),
        last_end_utc=datetime(2026, 11, 14, tzinfo=UTC),
    )
    call = Event(
        uid="call@example.org",
        title="Community call",
        timezone="America/New_York",
        start_local=datetime(2026, 10, 6, 11),
        end_local=datetime(2026, 10, 6, 12),
        all_day=False,
        rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=6",
        rdates=["2026-10-08T11:00:00"],
        exdates=[],
        status="tentative",
        published=True,
        sequence=0,
        location="Online",
        url="",
        description="",
        categories=[],
        overrides=[],
        created=datetime(2026, 8, 3, 9, tzinfo=UTC),
        updated=datetime(2026, 8, 3, 9, tzinfo=UTC),
        first_start_utc=datetime(2026, 10, 6, 15, tzinfo=UTC),
        last_end_utc=datetime(2026, 12, 15, 17, tzinfo=UTC),
    )
    return [dash, call, seminar]


def render(events: list[Event] | None = None) -> bytes:
    """The feed of ``events`` (the small calendar's rows, in their order, by default)."""
    info = ical.FeedInfo(
        name="Example: Seminars, talks",
        description="A small calendar.",
        timezone="Europe/London",
        source_url="https://events.example.org/calendars/example.ics",
    )
    events = small_calendar() if events is None else events
    pages = {e.uid: f"https://events.example.org/events/{e.uid}" for e in events}
    return ical.feed_bytes(events, info, pages)


def test_a_small_calendar_serialises_to_the_golden_file() -> None:
    body = render()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(body)
    assert body == GOLDEN.read_bytes()
    assert render() == body  # and again: nothing depends on the clock or on order of input


def test_the_order_of_the_rows_does_not_change_the_bytes() -> None:
    assert render(list(reversed(small_calendar()))) == GOLDEN.read_bytes()


def test_the_golden_calendar_expands_as_its_rows_say() -> None:
    import recurring_ical_events
    from icalendar import Calendar as ICalendar

    calendar = ICalendar.from_ical(GOLDEN.read_bytes())
    seen = [
        (str(e["UID"]), e.decoded("DTSTART"), str(e["STATUS"]))
        for e in recurring_ical_events.of(calendar).between((2026, 1, 1), (2028, 1, 1))
    ]
    seminar = [start for uid, start, _ in seen if uid == "seminar@example.org"]
    assert [(s.month, s.day, s.hour) for s in seminar] == [
        (9, 30, 14),
        (10, 29, 10),
        (11, 25, 14),
        (2, 24, 14),
        (3, 31, 14),
        (4, 28, 14),
        (5, 26, 14),
        (6, 30, 14),
    ]  # December and January excluded, October moved
    assert len([uid for uid, _, _ in seen if uid == "call@example.org"]) == 7
    assert [status for uid, _, status in seen if uid == "book-dash@example.org"] == ["CANCELLED"]
