"""The agenda: upcoming occurrences grouped by day, and what the other public pages share.

Views stay thin: the query string is read by ``params``, occurrences come from the one seam
(``services.schedule.page``, which reads only series whose stored bounds touch the
window, and at most a page of one-off events), and ``display`` decides how they read.  Only
published events appear.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select

import rules
from calendar_service.clock import utcnow
from calendar_service.public import subscribe
from calendar_service.public.blueprint import bp
from calendar_service.public.display import ShownOccurrence, agenda_days, shown
from calendar_service.public.params import MAX_DAYS, After, AgendaParams, parse_params
from calendar_service.public.snippet import embed_snippet
from calendar_service.public.viewer_zone import display_zone, other_args, zone_choices
from calendar_service.services import filters, schedule
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category
from calendar_service.store.occurrences import (
    OccurrencePage,
    PageKey,
    page_key,
)
from calendar_service.store.operations import find_calendar, find_event
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.query import EARLIEST, LATEST

# The most occurrences one agenda page lists (it ends at a day boundary and links on; a day
# that alone holds more is cut inside and continued with ``after``).
MAX_SHOWN = 300
# Most occurrences one event contributes to a page: one more than a page shows, so an event
# cut short by it is always cut after the page's own end (its first ones are the ones kept).
PAGE_LIMIT = MAX_SHOWN + 1
# The agenda first expands this span: when it alone fills a page, the rest is never expanded.
PROBE = timedelta(days=7)
# A search without dates covers this many days from today (the most a query may ask for),
# and lists at most RECENT_SHOWN matches of the RECENT_DAYS before today.
SEARCH_DAYS = MAX_DAYS
RECENT_DAYS = 28
RECENT_SHOWN = 20
# How many upcoming occurrences an event page lists.
UPCOMING = 10

def zone_of(calendar: Calendar | None) -> tuple[str, ZoneInfo]:
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    return tzid, ZoneInfo(tzid)


def window_of(first: date, end: date, tzid: str) -> rules.Window:
    """Local midnight of ``first`` to local midnight of ``end`` in the zone."""
    return rules.Window(rules.to_utc(first, tzid), rules.to_utc(end, tzid))


def coming_window(now: datetime, end: date, tzid: str) -> rules.Window:
    """From ``now`` to local midnight of ``end``: what has not ended yet (one in progress is in
    it).  The lists of what is coming (Atom, the embed) read from here rather than from this
    morning, so no number of occurrences that ended earlier today, however large, fills their
    page ahead of the coming ones: the database and the engine never hand the ended ones over."""
    return rules.Window(now, max(rules.to_utc(end, tzid), now + timedelta(seconds=1)))


def page_for(window: rules.Window, after: PageKey | None, **filters: Any
             ) -> tuple[OccurrencePage, str | None]:
    """One more occurrence than a page shows, from ``after`` on (the one past the page says
    where it ends), and a message naming the events left out because expanding them over the
    span costs too much (the others are listed all the same)."""
    page = schedule.page(window, size=MAX_SHOWN + 1, after=after, skip_costly=True,
                            **filters)
    return page, costly_message(page.costly_names)


def costly_message(names: Sequence[str]) -> str | None:
    """Says which events a page leaves out because they repeat too often for its span (or
    together cost more than one page may): ``names``, their titles in order, each once."""
    if not names:
        return None
    shown_names = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"Some events repeat too often to list over this span and are left out: "
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
    return agenda_page(params, calendar, agenda_linker(None))


@bp.get("/calendars/<slug>")
def calendar_page(slug: str) -> tuple[str, int]:
    """One calendar's agenda: the query of ``/`` applies, the calendar is the path's."""
    calendar = find_calendar(slug)
    if calendar is None:
        abort(404, description="There is no calendar with that name.")
    answer_reads(calendar.id)
    params = parse_params(request.args, default_days=current_app.config["AGENDA_DAYS"])
    params = replace(params, calendar=calendar.slug)
    return agenda_page(params, calendar, agenda_linker(calendar.slug))


def searched(params: AgendaParams) -> AgendaParams:
    """A search with no dates of its own covers the coming year, not the default weeks: a
    visitor looking for "AI UK" in November should find it in March."""
    if params.text and params.start is None and not request.args.get("days"):
        return replace(params, days=SEARCH_DAYS)
    return params


def recent_matches(params: AgendaParams, calendar: Calendar | None, tz: ZoneInfo,
                   today: date) -> list[ShownOccurrence]:
    """Occurrences of the last RECENT_DAYS that match a search from today (shown apart, marked
    as past): what a visitor looks for has often just happened."""
    if not params.text or params.start is not None:
        return []
    window = window_of(today - timedelta(days=RECENT_DAYS), today, tz.key)
    listing = schedule.page(window, size=RECENT_SHOWN, calendar=calendar,
                               categories=params.categories, text=params.text,
                               skip_costly=True)
    return [shown(item, tz) for item in listing.items
            if item.occurrence.end_utc <= window.end_utc]


Linker = Callable[..., str]


def agenda_linker(slug: str | None) -> Linker:
    """Builds links to the agenda being shown: ``/`` with its query, or a calendar's own page
    (where ``calendar`` is the path, never the query)."""
    if slug is None:
        return lambda **args: url_for("agenda.index", **args)

    def link(**args: Any) -> str:
        args.pop("calendar", None)
        return url_for("agenda.calendar_page", slug=slug, **args)

    return link


def agenda_page(params: AgendaParams, calendar: Calendar | None, link: Linker
                ) -> tuple[str, int]:
    """The agenda of the parameters, its links built by ``link``."""
    params = searched(params)
    calendars, categories = _filter_choices(calendar)
    params = _known_categories(params, categories, calendar)
    calendar_tzid, _ = zone_of(calendar)
    tzid, tz = display_zone(calendar_tzid, params.zone)
    now = utcnow()
    today = now.astimezone(tz).date()
    answer_expires(next_midnight(now, tz))  # "today" and the default first day move on
    first = params.first_day(today)
    end = min(first + timedelta(days=params.days), LATEST + timedelta(days=1))
    filters: dict[str, Any] = {"calendar": calendar, "categories": params.categories,
                               "text": params.text or None}
    after = _after_key(params.after)
    listing, problem = page_for(window_of(first, min(first + PROBE, end), tzid), after, **filters)
    if listing.complete and len(listing.items) <= MAX_SHOWN and first + PROBE < end:
        listing, problem = page_for(window_of(first, end, tzid), after, **filters)
    items, cut = _one_page(listing, tz, first)
    continue_url, within = None, False
    if cut is not None:
        end, within = (cut.day + timedelta(days=1), True) if cut.after else (cut.day, False)
        continue_url = link(**_continue_query(params, cut))
    chosen = [category for category in categories if category.slug in params.categories]
    home = calendar or (calendars[0] if len(calendars) == 1 else None)
    feeds = _subscribe_feeds(home, chosen)
    month_url = None if home is None else url_for(
        "agenda.month_view", slug=home.slug, year=first.year, month=first.month,
        **category_args(params.categories))
    status = 400 if params.errors else 200
    return render_template(
        "agenda.html", params=params, calendar=calendar, home=home, link=link,
        on_calendar_page=request.endpoint == "agenda.calendar_page",
        tzid=tzid, calendar_tzid=calendar_tzid, zones=zone_choices(), keep_args=other_args(),
        today=today, first=first,
        last=end - timedelta(days=1), days=agenda_days(items, first, today),
        truncated=listing.truncated, problem=problem, calendars=calendars,
        categories=categories, chosen=chosen, feeds=feeds,
        recent=recent_matches(params, calendar, tz, today), recent_days=RECENT_DAYS,
        snippet=None if home is None else embed_snippet(home, chosen),
        view_feed=bool(feeds) and feeds[0].category is not None,
        subscribe_calendars=calendars,
        platforms=subscribe.PLATFORMS, copy_help=subscribe.COPY_HELP,
        earlier=link(**params.shifted(today, -params.days)),
        later=continue_url or link(**params.shifted(today, params.days)),
        this_week=link(**params.query(start=None)),
        earliest=first <= EARLIEST, latest=end > LATEST, month_url=month_url,
        continue_url=continue_url, continue_from=cut.day if cut else end,
        continue_within=within, continued=params.after is not None and not params.errors.get(
            "after"),
        day_start_url=link(**params.query()),
    ), status


def _known_categories(params: AgendaParams, categories: Sequence[Category],
                      calendar: Calendar | None) -> AgendaParams:
    """The filter without categories the calendars do not have, reported like any bad value
    (a 400 that says so), rather than an empty agenda that looks like "nothing is on".  On one
    agenda a merged category's slug stands for the one that took its events."""
    resolution = filters.resolve(params.categories,
                                 calendar.id if calendar is not None else None,
                                 known={category.slug for category in categories})
    if resolution.unknown:
        params.errors["category"] = "There is no category with that name."
    return replace(params, categories=resolution.known)


@dataclass(frozen=True)
class Cut:
    """Where a page that could not list everything continues: from ``day`` (at its start), or
    inside it after the occurrence ``after``."""

    day: date
    after: After | None


def _after_key(after: After | None) -> PageKey | None:
    """The full ``page_key`` of the link's position: the title is the event's as it is now
    ("" when the event is gone, which shows that instant's occurrences again, never skips
    one)."""
    if after is None:
        return None
    event = find_event(after.uid)
    return (after.start_utc, event.title if event is not None else "", after.uid,
            after.recurrence_id)


def _continue_query(params: AgendaParams, cut: Cut) -> dict[str, Any]:
    return params.query(start=cut.day, after=cut.after) if cut.after else params.query(
        start=cut.day)


def _one_page(listing: OccurrencePage, tz: ZoneInfo, first: date
              ) -> tuple[list[ShownOccurrence], Cut | None]:
    """At most MAX_SHOWN occurrences, and where the next page starts (None: nothing left).

    A busy institute calendar can hold thousands of occurrences in eight weeks; a page of them
    all is megabytes no one reads.  The page ends before the first day it cannot show whole,
    and links on from that day; when one day alone holds more than a page from where this page
    starts, the page ends inside that day and links on from its last occurrence (``after``).
    ``listing`` holds one occurrence more than a page, when there is one.
    """
    items = [shown(item, tz) for item in listing.items]
    if listing.complete and len(items) <= MAX_SHOWN:
        return items, None
    if len(items) > MAX_SHOWN:
        cut = max(items[MAX_SHOWN].first_day, first)
        kept = [item for item in items[:MAX_SHOWN] if max(item.first_day, first) < cut]
        if kept:
            return kept, Cut(cut, None)
        items = items[:MAX_SHOWN]
    if not items:  # nothing placeable from here (a rule denser than any page): the next day
        return [], Cut(first + timedelta(days=1), None)
    last = items[-1]
    start, _title, uid, rid = page_key(last.item)
    return items, Cut(max(last.first_day, first), After(start, rid, uid))


def _subscribe_feeds(calendar: Calendar | None, chosen: Sequence[Category]
                     ) -> list[subscribe.Feed]:
    """Feeds for the panel: the feed of the view (the chosen categories) first, then the whole
    calendar and its other categories."""
    if calendar is None:
        return []
    own = [category for category in chosen if category.calendar_id == calendar.id]
    if not own:
        return subscribe.panel(calendar)
    rest = [category for category in calendar.categories if [category] != own]
    return ([subscribe.feed(calendar, own), subscribe.feed(calendar)]
            + [subscribe.feed(calendar, [category]) for category in rest])
