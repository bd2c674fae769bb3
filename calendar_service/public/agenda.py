"""Public pages: the agenda, an event's page, a month grid and the permanent "next one" link.

Views stay thin: the query string is read by ``params``, occurrences come from the one
seam (``occurrences.occurrences_in``, which reads only series whose stored bounds touch the
window), and ``display`` decides how they read.  Only published events appear; a draft's page
answers 404 unless an organiser is signed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

import rules
from calendar_service.public import subscribe
from calendar_service.public.add_to_calendar import Details, google_link, outlook_links
from calendar_service.public.blueprint import bp
from calendar_service.public.display import (
    ShownOccurrence,
    agenda_days,
    grid_bounds,
    month_grid,
    shown,
)
from calendar_service.public.params import parse_params
from calendar_service.store.db import db, utcnow
from calendar_service.store.models import Calendar, Category, Event
from calendar_service.store.moments import MomentError, parse_moment
from calendar_service.store.occurrences import (
    EventOccurrence,
    OccurrenceList,
    find_occurrence,
    occurrences_in,
    series_of,
)
from calendar_service.store.operations import find_calendar, find_event
from calendar_service.web.links import event_page_url
from calendar_service.web.query import EARLIEST, LATEST, slug_values

# The most occurrences one agenda page lists (it ends at a day boundary and links on).
MAX_SHOWN = 300
# Most occurrences one event contributes to a page: one more than a page shows, so an event
# cut short by it is always cut after the page's own end (its first ones are the ones kept).
PAGE_LIMIT = MAX_SHOWN + 1
# The agenda first expands this span: when it alone fills a page, the rest is never expanded.
PROBE = timedelta(days=7)
# How many upcoming occurrences an event page lists.
UPCOMING = 10
# Windows searched, one after another, for a calendar's next occurrence.
NEXT_HORIZONS = (timedelta(days=31), timedelta(days=366), timedelta(days=366 * 10))

def _zone(calendar: Calendar | None) -> tuple[str, ZoneInfo]:
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    return tzid, ZoneInfo(tzid)


def _window(first: date, end: date, tzid: str) -> rules.Window:
    """Local midnight of ``first`` to local midnight of ``end`` in the zone."""
    return rules.Window(rules.to_utc(first, tzid), rules.to_utc(end, tzid))


def _listing(window: rules.Window, **filters: Any) -> tuple[OccurrenceList, str | None]:
    """The window's occurrences, or an empty listing and a message when it costs too much."""
    try:
        return occurrences_in(window, limit=PAGE_LIMIT, **filters), None
    except rules.ExpansionLimitError:
        return OccurrenceList((), False), ("That span holds too many occurrences to show at once; "
                                    "try fewer days.")


def _category_args(categories: Sequence[str]) -> dict[str, Any]:
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
    tzid, tz = _zone(calendar)
    today = utcnow().astimezone(tz).date()
    first = params.first_day(today)
    end = min(first + timedelta(days=params.days), LATEST + timedelta(days=1))
    filters: dict[str, Any] = {"calendar": calendar, "categories": params.categories,
                               "text": params.text or None}
    listing, problem = _listing(_window(first, min(first + PROBE, end), tzid), **filters)
    if len(listing.items) <= MAX_SHOWN and first + PROBE < end:
        listing, problem = _listing(_window(first, end, tzid), **filters)
    items = [shown(item, tz) for item in listing.items]
    items, end, more = _one_page(items, first, end)
    continue_url = url_for("agenda.index", **params.query(start=end)) if more else None
    calendars, categories = _filter_choices(calendar)
    chosen = [category for category in categories if category.slug in params.categories]
    home = calendar or (calendars[0] if len(calendars) == 1 else None)
    feeds = _subscribe_feeds(home, chosen)
    month_url = None if home is None else url_for(
        "agenda.month_view", slug=home.slug, year=first.year, month=first.month,
        **_category_args(params.categories))
    status = 400 if params.errors else 422 if problem else 200
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


# Event page -----------------------------------------------------------------------------------

def _visible_event(uid: str) -> Event:
    """The event, if this visitor may see it: drafts only for signed-in organisers."""
    event = find_event(uid)
    if event is None or (not event.published and not current_user.is_authenticated):
        abort(404, description="There is no event at this address.")
    return event


def occurrence_at(event: Event, text: str) -> rules.Occurrence | None:
    """The occurrence a link names by its recurrence id, wherever an override moved it."""
    try:
        recurrence_id = parse_moment(text, all_day=event.all_day, tzid=event.timezone)
    except MomentError:
        return None
    found = find_occurrence(event, recurrence_id)
    return None if found is None else found.occurrence


def _last_occurrence(event: Event, series: rules.Series) -> rules.Occurrence | None:
    """The final occurrence of an ended series (or the only one of a single event)."""
    end = event.last_end_utc
    if end is None:
        return None
    reach = abs(series.duration) + timedelta(days=1)
    window = rules.Window(end - reach, end + timedelta(seconds=1))
    try:
        found = rules.expand(series, window, limit=PAGE_LIMIT).occurrences
    except rules.ExpansionLimitError:
        return None
    return found[-1] if found else None


def _details(item: ShownOccurrence, event_url: str) -> Details:
    occurrence = item.occurrence
    text = item.description.strip()
    details = f"{text}\n\n{event_url}" if text else event_url
    return Details(title=item.title, start=occurrence.start, end=occurrence.end,
                   location=item.location, details=details, tzid=item.event.timezone)


@bp.get("/events/<path:uid>")
def event_page(uid: str) -> str:
    """One event or series: details, the next occurrences, add-to-calendar and subscribe."""
    event = _visible_event(uid)
    calendar = event.calendar
    tzid, tz = _zone(calendar)
    now = utcnow()
    today = now.astimezone(tz).date()
    series = series_of(event)
    upcoming = [shown(EventOccurrence(event, occurrence), tz)
                for occurrence in rules.upcoming(series, now, UPCOMING)]
    asked = request.args.get("on", "").strip()
    missing = False
    chosen = None
    if asked:
        found = occurrence_at(event, asked[:40])
        missing = found is None
        chosen = None if found is None else shown(EventOccurrence(event, found), tz)
    if chosen is None:
        live = [item for item in upcoming if not item.cancelled]
        chosen = live[0] if live else upcoming[0] if upcoming else None
    if chosen is None:
        last = _last_occurrence(event, series)
        chosen = None if last is None else shown(EventOccurrence(event, last), tz)
    page_url = event_page_url(event.uid)
    add_links: dict[str, str] = {}
    if chosen is not None:
        details = _details(chosen, page_url)
        add_links = {"google": google_link(details), **outlook_links(details)}
    feeds = [subscribe.feed(calendar, [category]) for category in event.categories]
    feeds.append(subscribe.feed(calendar))
    return render_template(
        "event.html", event=event, calendar=calendar, tzid=tzid, tz=tz, today=today,
        chosen=chosen, upcoming=upcoming, missing=missing, ended=not upcoming,
        add_links=add_links, feeds=feeds, platforms=subscribe.PLATFORMS,
        copy_help=subscribe.COPY_HELP, page_url=page_url,
    )


# Month grid -----------------------------------------------------------------------------------

def _month_shift(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


@bp.get("/calendars/<slug>/<int:year>/<int:month>")
def month_view(slug: str, year: int, month: int) -> str:
    """A month as a grid of weeks, Monday first; ``category`` (repeatable) narrows it."""
    calendar = find_calendar(slug)
    if calendar is None or not 1 <= month <= 12 or not EARLIEST.year <= year <= LATEST.year:
        abort(404, description="There is no such calendar month.")
    categories = tuple(slug_values(request.args))
    tzid, tz = _zone(calendar)
    today = utcnow().astimezone(tz).date()
    first, end = grid_bounds(year, month)
    listing, problem = _listing(_window(first, end, tzid), calendar=calendar,
                                categories=categories)
    weeks = month_grid(year, month, [shown(item, tz) for item in listing.items])
    before, after = _month_shift(year, month, -1), _month_shift(year, month, 1)
    extra = _category_args(categories)
    return render_template(
        "month.html", calendar=calendar, tzid=tzid, today=today, weeks=weeks,
        month_start=date(year, month, 1), problem=problem, categories=categories,
        previous=url_for("agenda.month_view", slug=slug, year=before[0], month=before[1],
                         **extra) if before[0] >= EARLIEST.year else None,
        following=url_for("agenda.month_view", slug=slug, year=after[0], month=after[1],
                          **extra) if after[0] <= LATEST.year else None,
        this_month=url_for("agenda.month_view", slug=slug, year=today.year, month=today.month,
                           **extra),
        agenda=url_for("agenda.index", calendar=slug, **extra),
    )


# The permanent "next one" link ----------------------------------------------------------------

def next_occurrence(calendar: Calendar, categories: Sequence[str], now: datetime
                    ) -> EventOccurrence | None:
    """The first occurrence not cancelled that has not ended yet, looking further each time."""
    for horizon in NEXT_HORIZONS:
        try:
            listing = occurrences_in(rules.Window(now, now + horizon), limit=UPCOMING,
                                     calendar=calendar, categories=categories)
        except rules.ExpansionLimitError:
            return None
        for item in listing.items:
            if not item.occurrence.cancelled and item.event.status != "cancelled":
                return item
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
    response = redirect(url_for("agenda.event_page", uid=found.event.uid, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
