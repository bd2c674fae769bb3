"""The one way to occurrences: a page of a window, an event's upcoming dates, the occurrence at
a date, the next one (of a calendar or of one series) and the last one of an ended series.

The surfaces never expand rules themselves: they ask here, and everything here goes through the
app's caches of series and expansions (``app_caches``), looked up once at this door and handed
down to the store, which knows no app.  Every call is bounded: a window, a limit and ``now`` are
given to the engine, never found by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import rules
from calendar_service import deadline
from calendar_service.app_caches import Caches, app_caches
from calendar_service.store import occurrences as stored
from calendar_service.store.budget import Budget
from calendar_service.store.models import Calendar, Event
from calendar_service.store.occurrences import (
    EventOccurrence,
    OccurrencePage,
    PageKey,
    page_key,
    read_series,
)
from calendar_service.store.permissions import Drafts
from rules.limits import MAX_WINDOW_SPAN, UPCOMING_HORIZON


def caches() -> Caches:
    """The app's caches of series and expansions, which every function here reads through."""
    return app_caches()


def page(
    window: rules.Window,
    *,
    size: int,
    after: PageKey | None = None,
    per_event: int | None = None,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    text: str | None = None,
    include_drafts: Drafts = False,
    skip_costly: bool = False,
    without_cancelled: bool = False,
    budget: Budget | None = None,
) -> OccurrencePage:
    """The first ``size`` occurrences of the window after ``after``, in ``page_key`` order,
    of the events the filters select (``store.occurrences.occurrences_page``)."""
    return stored.occurrences_page(
        window,
        caches(),
        size=size,
        after=after,
        per_event=per_event,
        calendar=calendar,
        categories=categories,
        text=text,
        include_drafts=include_drafts,
        skip_costly=skip_costly,
        without_cancelled=without_cancelled,
        budget=budget,
    )


def series(event: Event) -> rules.Series:
    """The event's series as the read paths see it (cached by the row's version)."""
    return read_series(event, caches())


def upcoming(event: Event, now: datetime, count: int) -> tuple[rules.Occurrence, ...]:
    """The event's first ``count`` occurrences that have not ended at ``now``."""
    return rules.upcoming(series(event), now, count)


def next_date(event: Event, now: datetime) -> rules.Occurrence | None:
    """The event's occurrence in progress or next at ``now`` (cancelled or not); None when the
    series has ended or its rule cannot be followed that far (a date at the ends of time).
    One ended by its stored last end is never expanded."""
    if event.last_end_utc is not None and event.last_end_utc <= now - timedelta(seconds=1):
        return None
    try:
        found = rules.upcoming(series(event), now - timedelta(seconds=1), 1)
    except (rules.RulesError, OverflowError):
        return None
    return found[0] if found else None


def dates_to_show(shown: rules.Series, now: datetime, count: int) -> tuple[rules.Occurrence, ...]:
    """The series' next ``count`` dates from ``now``, or for one wholly in the past its first
    ``count``, to show how it went (a series being edited, not stored yet, as well)."""
    found = rules.upcoming(shown, now, count)
    if not found:
        first, _last = rules.series_bounds(shown)
        found = rules.upcoming(shown, first, count)
    return found


def event_dates(event: Event, now: datetime, count: int) -> tuple[rules.Occurrence, ...]:
    """``dates_to_show`` of a stored event."""
    return dates_to_show(series(event), now, count)


def at(event: Event, recurrence_id: rules.Moment) -> EventOccurrence | None:
    """The occurrence a link or a form names by its recurrence id, as it is now (moved,
    retitled or cancelled); None when the series does not generate it or it cannot be found
    within the engine's limits."""
    return stored.find_occurrence(event, recurrence_id, caches())


def last(event: Event, limit: int) -> rules.Occurrence | None:
    """The final occurrence of an ended series (or the only one of a single event), found
    among at most ``limit`` occurrences before its stored last end; None for a series without
    an end, or one too costly to expand there."""
    end = event.last_end_utc
    if end is None:
        return None
    found_series = series(event)
    reach = abs(found_series.duration) + timedelta(days=1)
    window = rules.Window(end - reach, end + timedelta(seconds=1))
    try:
        found = rules.expand(found_series, window, limit=limit).occurrences
    except rules.ExpansionLimitError:
        return None
    return found[-1] if found else None


# Next ones ------------------------------------------------------------------------------------

# Windows searched, one after another, for a calendar's next occurrence.
NEXT_HORIZONS = (timedelta(days=31), timedelta(days=366), timedelta(days=366 * 10))
# The first page looked at (the answer is nearly always its first entry), each next page this
# many times larger up to MAX_PAGE, and the occurrences looked through in all for one that is not
# cancelled: what a request may spend on dates called off one by one (events cancelled as a
# whole are left out by the query itself, however many there are).
PAGE = 100
GROWTH = 4
MAX_PAGE = 5000
MAX_LOOKED = 10_000
# Dates of one series looked at first; when all of them are cancelled, the series is looked
# through in windows of at most SERIES_STEP occurrences (more than a series may have in progress
# at once, rules.limits.MAX_OVERLAP, so a window of the shortest span is never all overlap), at
# most SERIES_WINDOWS of them and SERIES_LOOKED occurrences in all: more than the cancelled
# dates one series may hold (rules.limits.MAX_EXCEPTIONS) with those in progress at each
# window's start counted again, so a series' next date that is on is always found.
SERIES_LOOKAHEAD = 50
SERIES_STEP = 2000
SERIES_WINDOWS = 64
SERIES_LOOKED = 25_000
SHORTEST_SPAN = timedelta(minutes=1)


def next_in(calendar: Calendar, categories: Sequence[str], now: datetime) -> EventOccurrence | None:
    """The first occurrence not cancelled that has not ended yet, looking further each time:
    a page at a time in start order (never every event of a crowded horizon), each page larger
    than the one before, past at most MAX_LOOKED cancelled dates in all."""
    after: PageKey | None = None
    looked, size = 0, PAGE
    for horizon in NEXT_HORIZONS:
        window = rules.Window(now, now + horizon)
        while looked < MAX_LOOKED:
            try:
                listing = page(
                    window,
                    size=size,
                    after=after,
                    calendar=calendar,
                    categories=categories,
                    skip_costly=True,
                    without_cancelled=True,
                )
            except rules.ExpansionLimitError:
                return None
            looked += len(listing.items)
            for item in listing.items:
                if not item.cancelled:
                    return item
            if listing.items:
                after = page_key(listing.items[-1])  # the next horizon goes on from here
            # ``truncated``: a series had more dates in progress at the page's start than the
            # page could take in (all called off, or there would be an answer): a larger page
            # places them.
            if (listing.complete and not listing.truncated) or (
                size == MAX_PAGE and not listing.items
            ):
                break
            size = min(size * GROWTH, MAX_PAGE)
    return None


def next_of(event: Event, now: datetime) -> rules.Occurrence | None:
    """The event's first occurrence not cancelled that has not ended at ``now``; None when
    none is left (or the event is cancelled as a whole, or its dates run past the ends of
    time)."""
    if event.status == "cancelled":
        return None
    try:
        return next_of_series(series(event), now)
    except (rules.RulesError, OverflowError):  # a date at the ends of time
        return None


def next_of_series(found: rules.Series, now: datetime) -> rules.Occurrence | None:
    """The series' first occurrence not cancelled that has not ended at ``now``, or None.

    The next SERIES_LOOKAHEAD dates first (``rules.upcoming`` finds them however far ahead);
    when every one is cancelled, the series is looked through from ``now`` in contiguous
    windows, each expanded whole (a window holding more than SERIES_STEP is looked at again,
    shorter), so no date is skipped and the first one found is the first in start order.
    """
    coming = rules.upcoming(found, now, SERIES_LOOKAHEAD)
    first_on = next((item for item in coming if not item.cancelled), None)
    if first_on is not None or len(coming) < SERIES_LOOKAHEAD:
        return first_on  # the series (or the engine's horizon) ends before another
    _first, last_end = rules.series_bounds(found)
    horizon = now + UPCOMING_HORIZON  # as far as ``rules.upcoming`` looks
    if last_end is not None:
        horizon = min(horizon, last_end)
    start, looked = now, len(coming)
    span = max(coming[-1].start_utc - now, SHORTEST_SPAN)
    for _ in range(SERIES_WINDOWS):
        if looked >= SERIES_LOOKED or start >= horizon:
            return None
        deadline.check()
        try:
            expanded = rules.expand(
                found, rules.Window(start, min(start + span, horizon)), limit=SERIES_STEP
            )
        except rules.ExpansionLimitError:
            expanded = None
        if expanded is not None:
            looked += len(expanded.occurrences)
            first_on = next((item for item in expanded.occurrences if not item.cancelled), None)
            if first_on is not None:
                return first_on
        if expanded is None or expanded.truncated:  # too much at once: look nearer
            if span <= SHORTEST_SPAN:
                return None
            span = max(span / GROWTH, SHORTEST_SPAN)
            continue
        start, span = start + span, min(span * GROWTH, MAX_WINDOW_SPAN)
    return None
