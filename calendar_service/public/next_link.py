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

# Windows searched, one after another, for a calendar's next occurrence.
NEXT_HORIZONS = (timedelta(days=31), timedelta(days=366), timedelta(days=366 * 10))
# Pages of PAGE occurrences looked through, in all, for one that is not cancelled.
PAGE = 100
MAX_PAGES = 20
# Dates of one series looked through for one that is not cancelled.
SERIES_LOOKAHEAD = 50


def next_occurrence(calendar: Calendar, categories: Sequence[str], now: datetime
                    ) -> EventOccurrence | None:
    """The first occurrence not cancelled that has not ended yet, looking further each time:
    a page at a time in start order (never every event of a crowded horizon), past at most
    MAX_PAGES pages of cancelled ones in all."""
    after: PageKey | None = None
    pages = 0
    for horizon in NEXT_HORIZONS:
        while pages < MAX_PAGES:
            pages += 1
            try:
                listing = occurrences_page(rules.Window(now, now + horizon), size=PAGE,
                                           after=after, calendar=calendar,
                                           categories=categories, skip_costly=True)
            except rules.ExpansionLimitError:
                return None
            for item in listing.items:
                if not item.occurrence.cancelled and item.event.status != "cancelled":
                    return item
            if listing.items:
                after = page_key(listing.items[-1])  # the next horizon goes on from here
            if listing.complete or not listing.items:
                break
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
            upcoming = rules.upcoming(read_series(event), utcnow(), SERIES_LOOKAHEAD)
        except rules.RulesError:
            upcoming = ()
        found = next((item for item in upcoming if not item.cancelled), None)
    if found is None:
        abort(404, description="No more dates of this event are planned.")
    on: dict[str, Any] = {} if found.recurrence_id is None else {
        "on": format_moment(found.recurrence_id)}
    response = redirect(url_for("agenda.event_page", uid=event.address, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
