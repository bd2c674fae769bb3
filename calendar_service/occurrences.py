"""The one seam between stored rows and the recurrence engine.

Views, feeds and the API never read recurrence columns themselves: they ask here for the series
of an event, or for the occurrences of a window.  The window query reads only events whose stored
bounds (first start, last end) can touch the window, so its cost follows the occurrences in the
window rather than the number of series in the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CompoundSelect, Select, or_, select, union_all
from sqlalchemy.orm import selectinload

import rules
from calendar_service.db import db
from calendar_service.models import Calendar, Category, Event, Override
from calendar_service.moments import from_column, parse_stored


def override_of(row: Override, all_day: bool) -> rules.Override:
    """A stored override as the engine's value."""
    return rules.Override(
        recurrence_id=parse_stored(row.recurrence_id, all_day),
        start=None if row.start_local is None else from_column(row.start_local, all_day),
        end=None if row.end_local is None else from_column(row.end_local, all_day),
        title=row.title,
        location=row.location,
        description=row.description,
        cancelled=row.cancelled,
    )


def series_of(event: Event) -> rules.Series:
    """The engine's series for a stored event, overrides included."""
    all_day = event.all_day
    return rules.Series(
        start=from_column(event.start_local, all_day),
        end=from_column(event.end_local, all_day),
        tzid=event.timezone,
        rrule=event.rrule,
        rdates=tuple(parse_stored(value, all_day) for value in event.rdates or ()),
        exdates=tuple(parse_stored(value, all_day) for value in event.exdates or ()),
        overrides=tuple(override_of(row, all_day) for row in event.overrides),
        key=event.uid,
    )


class SeriesCache:
    """Engine series of stored events, per event version, for the read paths (LRU).

    Building a series validates it again (the rule is parsed, the exceptions checked), which is a
    quarter of an agenda's cost.  Keyed by the row's id, ``revision`` and ``updated``, which every
    change moves, so a stale series is never returned.  Writes never use it: operations build
    their series from the row as it is being changed.
    """

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._series: OrderedDict[tuple[int, str, int, datetime], rules.Series] = OrderedDict()
        self._lock = threading.Lock()

    def series(self, event: Event) -> rules.Series:
        key = (event.id, event.uid, event.revision, event.updated)
        with self._lock:
            found = self._series.get(key)
            if found is not None:
                self._series.move_to_end(key)
                return found
        series = series_of(event)
        with self._lock:
            self._series[key] = series
            while len(self._series) > self.size:
                self._series.popitem(last=False)
        return series


_read_series = SeriesCache()


@dataclass(frozen=True)
class Listed:
    """One occurrence with the event it belongs to."""

    event: Event
    occurrence: rules.Occurrence


@dataclass(frozen=True)
class Listing:
    """Occurrences of a window in start order, and whether any event's list was cut."""

    items: tuple[Listed, ...]
    truncated: bool


def touching_ids(window: rules.Window) -> CompoundSelect:
    """Ids of the events whose stored bounds can touch the window.

    Two range scans of the index on (last_end_utc, first_start_utc), one for series that end
    after the window starts and one for series without an end, so the cost follows the series
    near the window, not all the past series of the database (bench/bench_agenda.py).  Written
    as a union rather than an OR because SQLite's planner otherwise scans by first start, which
    reads every series that began before the window.
    """
    ends_after = select(Event.id).where(
        Event.last_end_utc >= window.start_utc, Event.first_start_utc < window.end_utc
    )
    endless = select(Event.id).where(
        Event.last_end_utc.is_(None), Event.first_start_utc < window.end_utc
    )
    return union_all(ends_after, endless)


def filtered(
    query: Select[tuple[Event]],
    *,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    include_drafts: bool = False,
) -> Select[tuple[Event]]:
    """Narrow an event query to a calendar, any of some categories, and published events."""
    if calendar is not None:
        query = query.where(Event.calendar_id == calendar.id)
    if not include_drafts:
        query = query.where(Event.published.is_(True))
    if categories:
        query = query.where(Event.categories.any(Category.slug.in_(list(categories))))
    return query


def window_query(
    window: rules.Window,
    *,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    text: str | None = None,
    include_drafts: bool = False,
) -> Select[tuple[Event]]:
    """Events whose bounds can touch the window, with what expansion and display need loaded."""
    query = (
        select(Event)
        .where(Event.id.in_(touching_ids(window)))
        .options(
            selectinload(Event.overrides),
            selectinload(Event.categories),
            selectinload(Event.calendar),
        )
        .order_by(Event.first_start_utc, Event.id)
    )
    query = filtered(query, calendar=calendar, categories=categories,
                     include_drafts=include_drafts)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Event.title.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
                Event.location.ilike(pattern, escape="\\"),
            )
        )
    return query


def expand_events(
    events: Iterable[Event], window: rules.Window, *, limit: int
) -> Listing:
    """Every occurrence of these events that overlaps the window, in start order.

    Raises rules.ExpansionLimitError when one event would cost more than the engine allows.
    """
    items: list[Listed] = []
    truncated = False
    for event in events:
        expansion = rules.expand(_read_series.series(event), window, limit=limit)
        truncated = truncated or expansion.truncated
        items.extend(Listed(event, occurrence) for occurrence in expansion.occurrences)
    items.sort(key=lambda item: (item.occurrence.start_utc, item.event.title, item.event.uid))
    return Listing(tuple(items), truncated)


def occurrences_in(
    window: rules.Window,
    *,
    limit: int,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    text: str | None = None,
    include_drafts: bool = False,
) -> Listing:
    """The occurrences of a window across the events the filters select."""
    query = window_query(
        window, calendar=calendar, categories=categories, text=text,
        include_drafts=include_drafts,
    )
    events = db.session.scalars(query).all()
    return expand_events(events, window, limit=limit)


def bounds_of(series: rules.Series) -> tuple[datetime, datetime | None]:
    """The stored bounds for a series: its first start and last end in UTC (None: no end)."""
    return rules.series_bounds(series)
