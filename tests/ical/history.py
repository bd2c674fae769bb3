"""Feeds of series begun long ago, and what our own engine makes of them: shared by the tests
that read such feeds back with other engines (test_vtimezone_history, test_vtimezone_icaljs).

An engine that knows a zone by name may use its own zone database and never read our
VTIMEZONE, so ``renamed`` gives every zone a name no library knows: an engine can then place a
time only by reading the VTIMEZONE written for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import rules
from calendar_service.ical import writer as ical
from calendar_service.store.models import Event, Override
from calendar_service.store.occurrences import series_of

STAMP = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
# Occurrences are compared up to the end of this year.
LAST_YEAR = 2030
OLD_SERIES_ZONES = {
    "America/New_York": "X-Test/New-York",
    "Europe/London": "X-Test/London",
    "America/Sao_Paulo": "X-Test/Sao-Paulo",
}
SAMPLE_ZONES = [
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Tehran",
    "Africa/Cairo",
    "Africa/Casablanca",
]

Instant = tuple[str, datetime, datetime]
"""An occurrence as (UID, start, end), both aware UTC."""


def series(
    uid: str,
    tzid: str,
    start: datetime,
    *,
    rrule: str = "FREQ=WEEKLY",
    rdates: Iterable[str] = (),
    exdates: Iterable[str] = (),
    overrides: Iterable[Override] = (),
) -> Event:
    """A published series an hour long, with its stored bounds as the store sets them."""
    event = Event(
        uid=uid,
        title=uid,
        timezone=tzid,
        start_local=start,
        end_local=start + timedelta(hours=1),
        all_day=False,
        rrule=rrule,
        rdates=list(rdates),
        exdates=list(exdates),
        status="confirmed",
        published=True,
        sequence=0,
        location="",
        url="",
        description="",
        categories=[],
        overrides=list(overrides),
        created=STAMP,
        updated=STAMP,
    )
    event.first_start_utc, event.last_end_utc = rules.series_bounds(series_of(event))
    return event


def old_series() -> list[Event]:
    """Weekly on Sundays at 10:00, so an occurrence falls on the morning after each change:
    New York from 2005, London from 1994, São Paulo from 2016."""
    new_york = series(
        "new-york@example.org",
        "America/New_York",
        datetime(2005, 1, 2, 10),
        exdates=["2006-04-02T10:00:00"],
        # Moved to the Saturday before 2007's change (the second Sunday of March): still EST.
        overrides=[
            Override(
                recurrence_id="2007-03-11T10:00:00",
                cancelled=False,
                start_local=datetime(2007, 3, 10, 9),
                end_local=datetime(2007, 3, 10, 10),
                title="Moved",
                sequence=1,
                created=STAMP,
                updated=STAMP,
            )
        ],
    )
    # An extra Saturday the day before 1995's autumn change (then the fourth Sunday): BST.
    london = series(
        "london@example.org",
        "Europe/London",
        datetime(1994, 1, 2, 10),
        rdates=["1995-10-21T10:00:00"],
    )
    sao_paulo = series("sao-paulo@example.org", "America/Sao_Paulo", datetime(2016, 1, 3, 10))
    return [new_york, london, sao_paulo]


def sample_series(first_year: int) -> list[Event]:
    """Every eleventh day at noon from the first of January of ``first_year``, in each sample
    zone, so each weekday and season meets every rule."""
    return [
        series(
            f"sample-{index}@example.org",
            tzid,
            datetime(first_year, 1, 1, 12),
            rrule="FREQ=DAILY;INTERVAL=11",
        )
        for index, tzid in enumerate(SAMPLE_ZONES)
    ]


SAMPLE_NAMES = {tzid: f"X-Test/Zone-{index}" for index, tzid in enumerate(SAMPLE_ZONES)}


def feed(events: list[Event]) -> bytes:
    info = ical.FeedInfo(
        name="History",
        description="",
        timezone="Europe/London",
        source_url="https://events.example.org/calendars/history.ics",
    )
    return ical.feed_bytes(events, info, {})


def renamed(body: bytes, names: Mapping[str, str]) -> bytes:
    """The feed with each zone name replaced by one no library knows (lines unfolded first,
    so a name split by folding is renamed too), less X-WR-TIMEZONE: a display hint, which
    readers look up in their own zone database (x-wr-timezone, in recurring-ical-events)."""
    text = re.sub(r"X-WR-TIMEZONE:[^\r]*\r\n", "", body.decode().replace("\r\n ", ""))
    for tzid, unknown in names.items():
        text = text.replace(tzid, unknown)
    assert not any(tzid in text for tzid in names)
    return text.encode()


def engine_instants(events: list[Event]) -> set[Instant]:
    """Every occurrence our engine gives up to LAST_YEAR, less the cancelled ones (a feed
    writes those as EXDATEs), in windows of ten years."""
    found = set()
    end = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    for event in events:
        start = event.first_start_utc
        while start < end:
            window = rules.Window(start, min(start.replace(year=start.year + 10), end))
            for occurrence in rules.expand(series_of(event), window, limit=10_000).occurrences:
                if not occurrence.cancelled and occurrence.start_utc >= window.start_utc:
                    found.add((event.uid, occurrence.start_utc, occurrence.end_utc))
            start = window.end_utc
    return found


def vtimezones(body: bytes) -> dict[str, bytes]:
    """Each VTIMEZONE of a feed, by TZID, as written."""
    found = {}
    for block in re.findall(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", body, flags=re.S):
        tzid = re.search(rb"TZID:([^\r]*)", block)
        assert tzid is not None
        found[tzid.group(1).decode()] = block
    return found
