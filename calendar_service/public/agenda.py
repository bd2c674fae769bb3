"""The agenda: upcoming occurrences grouped by day, on ``/`` and on each calendar's page.

Views stay thin: the query string is read by ``params``, occurrences come from the agenda's
listing (``services.listings.agenda``, a page of the schedule), and ``display`` decides how they
read.  Only published events appear.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select

from calendar_service.clock import utcnow
from calendar_service.public import subscribe
from calendar_service.public.blueprint import bp
from calendar_service.public.display import ShownOccurrence, agenda_days, shown
from calendar_service.public.params import MAX_DAYS, After, AgendaParams, parse_params
from calendar_service.public.snippet import embed_snippet
from calendar_service.public.viewer_zone import display_zone, other_args, zone_choices, zone_of
from calendar_service.services import filters, listings
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category
from calendar_service.store.occurrences import (
    OccurrencePage,
    page_key,
)
from calendar_service.store.operations import find_calendar
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.query import EARLIEST, LATEST, category_args

# A search without dates covers this many days from today (the most a query may ask for).
SEARCH_DAYS = MAX_DAYS


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


def recent_matches(
    params: AgendaParams, calendar: Calendar | None, tz: ZoneInfo, today: date
) -> list[ShownOccurrence]:
    """Matches of a search from today in the days before it (shown apart, marked as past)."""
    if not params.text or params.start is not None:
        return []
    return [
        shown(item, tz)
        for item in listings.recent_matches(
            today, tz.key, calendar=calendar, categories=params.categories, text=params.text
        )
    ]


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


def agenda_page(params: AgendaParams, calendar: Calendar | None, link: Linker) -> tuple[str, int]:
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
    after = (
        None
        if params.after is None
        else listings.after_key(
            params.after.start_utc, params.after.recurrence_id, params.after.uid
        )
    )
    listing, problem = listings.agenda(
        first,
        end,
        tzid,
        after,
        calendar=calendar,
        categories=params.categories,
        text=params.text or None,
    )
    items, cut = _one_page(listing, tz, first)
    continue_url, within = None, False
    if cut is not None:
        end, within = (cut.day + timedelta(days=1), True) if cut.after else (cut.day, False)
        continue_url = link(**_continue_query(params, cut))
    chosen = [category for category in categories if category.slug in params.categories]
    home = calendar or (calendars[0] if len(calendars) == 1 else None)
    feeds = _subscribe_feeds(home, chosen)
    month_url = (
        None
        if home is None
        else url_for(
            "agenda.month_view",
            slug=home.slug,
            year=first.year,
            month=first.month,
            **category_args(params.categories),
        )
    )
    status = 400 if params.errors else 200
    return render_template(
        "agenda.html",
        params=params,
        calendar=calendar,
        home=home,
        link=link,
        on_calendar_page=request.endpoint == "agenda.calendar_page",
        tzid=tzid,
        calendar_tzid=calendar_tzid,
        zones=zone_choices(),
        keep_args=other_args(),
        today=today,
        first=first,
        last=end - timedelta(days=1),
        days=agenda_days(items, first, today),
        truncated=listing.truncated,
        problem=problem,
        calendars=calendars,
        categories=categories,
        chosen=chosen,
        feeds=feeds,
        recent=recent_matches(params, calendar, tz, today),
        recent_days=listings.RECENT_DAYS,
        snippet=None if home is None else embed_snippet(home, chosen),
        view_feed=bool(feeds) and feeds[0].category is not None,
        subscribe_calendars=calendars,
        platforms=subscribe.PLATFORMS,
        copy_help=subscribe.COPY_HELP,
        earlier=link(**params.shifted(today, -params.days)),
        later=continue_url or link(**params.shifted(today, params.days)),
        this_week=link(**params.query(start=None)),
        earliest=first <= EARLIEST,
        latest=end > LATEST,
        month_url=month_url,
        continue_url=continue_url,
        continue_from=cut.day if cut else end,
        continue_within=within,
        continued=params.after is not None and not params.errors.get("after"),
        day_start_url=link(**params.query()),
    ), status


def _known_categories(
    params: AgendaParams, categories: Sequence[Category], calendar: Calendar | None
) -> AgendaParams:
    """The filter without categories the calendars do not have, reported like any bad value
    (a 400 that says so), rather than an empty agenda that looks like "nothing is on".  On one
    agenda a merged category's slug stands for the one that took its events."""
    resolution = filters.resolve(
        params.categories,
        calendar.id if calendar is not None else None,
        known={category.slug for category in categories},
    )
    if resolution.unknown:
        params.errors["category"] = "There is no category with that name."
    return replace(params, categories=resolution.known)


@dataclass(frozen=True)
class Cut:
    """Where a page that could not list everything continues: from ``day`` (at its start), or
    inside it after the occurrence ``after``."""

    day: date
    after: After | None


def _continue_query(params: AgendaParams, cut: Cut) -> dict[str, Any]:
    return (
        params.query(start=cut.day, after=cut.after) if cut.after else params.query(start=cut.day)
    )


def _one_page(
    listing: OccurrencePage, tz: ZoneInfo, first: date
) -> tuple[list[ShownOccurrence], Cut | None]:
    """At most listings.MAX_SHOWN occurrences, and where the next page starts (None: nothing left).

    A busy institute calendar can hold thousands of occurrences in eight weeks; a page of them
    all is megabytes no one reads.  The page ends before the first day it cannot show whole,
    and links on from that day; when one day alone holds more than a page from where this page
    starts, the page ends inside that day and links on from its last occurrence (``after``).
    ``listing`` holds one occurrence more than a page, when there is one.
    """
    items = [shown(item, tz) for item in listing.items]
    if listing.complete and len(items) <= listings.MAX_SHOWN:
        return items, None
    if len(items) > listings.MAX_SHOWN:
        cut = max(items[listings.MAX_SHOWN].first_day, first)
        kept = [item for item in items[: listings.MAX_SHOWN] if max(item.first_day, first) < cut]
        if kept:
            return kept, Cut(cut, None)
        items = items[: listings.MAX_SHOWN]
    if not items:  # nothing placeable from here (a rule denser than any page): the next day
        return [], Cut(first + timedelta(days=1), None)
    last = items[-1]
    start, _title, uid, rid = page_key(last.item)
    return items, Cut(max(last.first_day, first), After(start, rid, uid))


def _subscribe_feeds(calendar: Calendar | None, chosen: Sequence[Category]) -> list[subscribe.Feed]:
    """Feeds for the panel: the feed of the view (the chosen categories) first, then the whole
    calendar and its other categories."""
    if calendar is None:
        return []
    own = [category for category in chosen if category.calendar_id == calendar.id]
    if not own:
        return subscribe.panel(calendar)
    rest = [category for category in calendar.categories if [category] != own]
    return [subscribe.feed(calendar, own), subscribe.feed(calendar)] + [
        subscribe.feed(calendar, [category]) for category in rest
    ]
