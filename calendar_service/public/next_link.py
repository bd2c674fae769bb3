"""The permanent "next one" links, for newsletters: a calendar's (or category's) next occurrence,
and one series' next occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

import rules
from calendar_service import deadline
from calendar_service.clock import utcnow
from calendar_service.public.blueprint import bp
from calendar_service.public.display import shown
from calendar_service.store.addresses import find_by_address
from calendar_service.store.models import Calendar
from calendar_service.store.moments import format_moment
from calendar_service.store.occurrences import (
    EventOccurrence,
    PageKey,
    occurrences_page,
    page_key,
    read_series,
)
from calendar_service.store.operations import find_calendar
from calendar_service.web.query import slug_values
from rules.limits import MAX_WINDOW_SPAN, UPCOMING_HORIZON

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


def next_occurrence(calendar: Calendar, categories: Sequence[str], now: datetime
                    ) -> EventOccurrence | None:
    """The first occurrence not cancelled that has not ended yet, looking further each time:
    a page at a time in start order (never every event of a crowded horizon), each page larger
    than the one before, past at most MAX_LOOKED cancelled dates in all."""
    after: PageKey | None = None
    looked, size = 0, PAGE
    for horizon in NEXT_HORIZONS:
        window = rules.Window(now, now + horizon)
        while looked < MAX_LOOKED:
            try:
                listing = occurrences_page(window, size=size, after=after, calendar=calendar,
                                           categories=categories, skip_costly=True,
                                           without_cancelled=True)
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
            if ((listing.complete and not listing.truncated)
                    or (size == MAX_PAGE and not listing.items)):
                break
            size = min(size * GROWTH, MAX_PAGE)
    return None


def next_of_series(series: rules.Series, now: datetime) -> rules.Occurrence | None:
    """The series' first occurrence not cancelled that has not ended at ``now``, or None.

    The next SERIES_LOOKAHEAD dates first (``rules.upcoming`` finds them however far ahead);
    when every one is cancelled, the series is looked through from ``now`` in contiguous
    windows, each expanded whole (a window holding more than SERIES_STEP is looked at again,
    shorter), so no date is skipped and the first one found is the first in start order.
    """
    upcoming = rules.upcoming(series, now, SERIES_LOOKAHEAD)
    found = next((item for item in upcoming if not item.cancelled), None)
    if found is not None or len(upcoming) < SERIES_LOOKAHEAD:
        return found  # the series (or the engine's horizon) ends before another
    _first, last_end = rules.series_bounds(series)
    horizon = now + UPCOMING_HORIZON  # as far as ``rules.upcoming`` looks
    if last_end is not None:
        horizon = min(horizon, last_end)
    start, looked = now, len(upcoming)
    span = max(upcoming[-1].start_utc - now, SHORTEST_SPAN)
    for _ in range(SERIES_WINDOWS):
        if looked >= SERIES_LOOKED or start >= horizon:
            return None
        deadline.check()
        try:
            expanded = rules.expand(series, rules.Window(start, min(start + span, horizon)),
                                    limit=SERIES_STEP)
        except rules.ExpansionLimitError:
            expanded = None
        if expanded is not None:
            looked += len(expanded.occurrences)
            found = next((item for item in expanded.occurrences if not item.cancelled), None)
            if found is not None:
                return found
        if expanded is None or expanded.truncated:  # too much at once: look nearer
            if span <= SHORTEST_SPAN:
                return None
            span = max(span / GROWTH, SHORTEST_SPAN)
            continue
        start, span = start + span, min(span * GROWTH, MAX_WINDOW_SPAN)
    return None


@bp.get("/calendars/<slug>/next")
def next_page(slug: str) -> Response:
    """Redirect to the page of the calendar's next occurrence (``?category=`` narrows it)."""
    calendar = find_calendar(slug)
    if calendar is None:
        abort(404, description="There is no calendar with that name.")
    categories = slug_values(request.args)
    found = next_occurrence(calendar, categories, utcnow())
    if found is None:
        abort(404, description="Nothing is scheduled in this calendar yet.")
    target = shown(found, ZoneInfo(calendar.timezone))
    on: dict[str, Any] = {"on": target.recurrence_id} if target.recurrence_id else {}
    response = redirect(url_for("agenda.event_page", uid=found.event.address, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<path:uid>/next")
def series_next(uid: str) -> Response:
    """Redirect to the page of this series' next date that is not cancelled (404 when none is
    left): unlike a category's link, it never lands on another event of the same kind."""
    event = find_by_address(uid)  # by uid, else by its readable slug
    if event is None or not event.published:
        abort(404, description="There is no event at this address.")
    found = None
    if event.status != "cancelled":
        try:
            found = next_of_series(read_series(event), utcnow())
        except (rules.RulesError, OverflowError):  # a date at the ends of time
            found = None
    if found is None:
        abort(404, description="No more dates of this event are planned.")
    on: dict[str, Any] = {} if found.recurrence_id is None else {
        "on": format_moment(found.recurrence_id)}
    response = redirect(url_for("agenda.event_page", uid=event.address, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
