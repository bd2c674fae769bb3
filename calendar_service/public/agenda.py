"""The agenda: upcoming occurrences grouped by day, and what the other public pages share.

Views stay thin: the query string is read by ``params``, occurrences come from the one seam
(``store.occurrences.occurrences_in``, which reads only series whose stored bounds touch the
window), and ``display`` decides how they read.  Only published events appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select

import rules
from calendar_service.public import subscribe
from calendar_service.public.blueprint import bp
from calendar_service.public.display import ShownOccurrence, agenda_days, shown
from calendar_service.public.params import parse_params
from calendar_service.store.db import db, utcnow
from calendar_service.store.models import Calendar, Category
from calendar_service.store.occurrences import OccurrenceList, occurrences_in
from calendar_service.store.operations import find_calendar
from calendar_service.web.query import EARLIEST, LATEST

# The most occurrences one agenda page lists (it ends at a day boundary and links on).
MAX_SHOWN = 300
# Most occurrences one event contributes to a page: one more than a page shows, so an event
# cut short by it is always cut after the page's own end (its first ones are the ones kept).
PAGE_LIMIT = MAX_SHOWN + 1
# The agenda first expands this span: when it alone fills a page, the rest is never expanded.
PROBE = timedelta(days=7)
# How many upcoming occurrences an event page lists.
UPCOMING = 10

def zone_of(calendar: Calendar | None) -> tuple[str, ZoneInfo]:
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    return tzid, ZoneInfo(tzid)


def window_of(first: date, end: date, tzid: str) -> rules.Window:
    """Local midnight of ``first`` to local midnight of ``end`` in the zone."""
    return rules.Window(rules.to_utc(first, tzid), rules.to_utc(end, tzid))


def listing_for(window: rules.Window, **filters: Any) -> tuple[OccurrenceList, str | None]:
    """The window's occurrences, and a message naming the events left out because expanding
    them over it costs too much (the others are listed all the same)."""
    listing = occurrences_in(window, limit=PAGE_LIMIT, skip_costly=True, **filters)
    if not listing.too_costly:
        return listing, None
    names = sorted({event.title for event in listing.too_costly})
    shown_names = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return listing, (f"Some events repeat too often to list over this span and are left out: "
                     f"{shown_names}. Try fewer days, or open the event's own page.")


def category_args(categories: Sequence[str]) -> dict[str, Any]:
    """url_for arguments repeating ``category`` for each slug."""
    return {"category": list(categories)} if categories else {}


def _filter_choices(calendar: Calendar | None) -> tuple[list[Calendar], list[Category]]:
    """Calendars for the filter form, and categories (of the chosen calendar, else all, by slug)."""
    calendars = list(db.session.scalars(select(Calendar).order_by(Calendar.name)))
    categories: dict[str, Category] = {}
    for each in [calendar] if calendar else calendars:
        for category in each.categories:
            categories.setdefault(category.slug, category)
    return calendars, sorted(categories.values(), key=lambda category: category.name.lower())


@bp.get("/")
def index() -> tuple[str, int]:
    """The agenda: upcoming occurrences grouped by day (docs/contract.md: from, days, calendar,
    category, q)."""
    params = parse_params(request.args, default_days=current_app.config["AGENDA_DAYS"])
    calendar = None
    if params.calendar:
        calendar = find_calendar(params.calendar)
        if calendar is None:
            abort(404, description="There is no calendar with that name.")
    tzid, tz = zone_of(calendar)
    today = utcnow().astimezone(tz).date()
    first = params.first_day(today)
    end = min(first + timedelta(days=params.days), LATEST + timedelta(days=1))
    filters: dict[str, Any] = {"calendar": calendar, "categories": params.categories,
                               "text": params.text or None}
    listing, problem = listing_for(window_of(first, min(first + PROBE, end), tzid), **filters)
    if len(listing.items) <= MAX_SHOWN and first + PROBE < end:
        listing, problem = listing_for(window_of(first, end, tzid), **filters)
    items = [shown(item, tz) for item in listing.items]
    items, end, more = _one_page(items, first, end)
    continue_url = url_for("agenda.index", **params.query(start=end)) if more else None
    calendars, categories = _filter_choices(calendar)
    chosen = [category for category in categories if category.slug in params.categories]
    home = calendar or (calendars[0] if len(calendars) == 1 else None)
    feeds = _subscribe_feeds(home, chosen)
    month_url = None if home is None else url_for(
        "agenda.month_view", slug=home.slug, year=first.year, month=first.month,
        **category_args(params.categories))
    status = 400 if params.errors else 200
    return render_template(
        "agenda.html", params=params, calendar=calendar, tzid=tzid, today=today, first=first,
        last=end - timedelta(days=1), days=agenda_days(items, first, today),
        truncated=listing.truncated, problem=problem, calendars=calendars,
        categories=categories, feeds=feeds, subscribe_calendars=calendars,
        platforms=subscribe.PLATFORMS, copy_help=subscribe.COPY_HELP,
        earlier=url_for("agenda.index", **params.shifted(today, -params.days)),
        later=continue_url or url_for("agenda.index", **params.shifted(today, params.days)),
        this_week=url_for("agenda.index", **params.query(start=None)),
        earliest=first <= EARLIEST, latest=end > LATEST, month_url=month_url,
        continue_url=continue_url, continue_from=end,
    ), status


def _one_page(items: list[ShownOccurrence], first: date, end: date
              ) -> tuple[list[ShownOccurrence], date, bool]:
    """At most about MAX_SHOWN occurrences, cut at a day boundary: (items, new end, cut?).

    A busy institute calendar can hold thousands of occurrences in eight weeks; a page of them
    all is megabytes no one reads.  The page ends before the first day it cannot show whole,
    and links on from that day.
    """
    if len(items) <= MAX_SHOWN:
        return items, end, False
    cut = max(items[MAX_SHOWN].first_day, first)
    kept = [item for item in items if max(item.first_day, first) < cut]
    if not kept:  # one day alone holds more than a page: show that day whole
        cut = cut + timedelta(days=1)
        kept = [item for item in items if max(item.first_day, first) < cut]
    return kept, cut, True


def _subscribe_feeds(calendar: Calendar | None, chosen: Sequence[Category]
                     ) -> list[subscribe.Feed]:
    """Feeds for the panel: the chosen categories together first, then the calendar's own."""
    if calendar is None:
        return []
    own = [category for category in chosen if category.calendar_id == calendar.id]
    feeds = [subscribe.feed(calendar, own)] if len(own) > 1 else []
    return feeds + subscribe.panel(calendar)
