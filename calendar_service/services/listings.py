"""What the read surfaces list: the agenda (and its search), the month grid, the Atom feed,
the embed, an event page's dates and the API's lists of occurrences and events.

Each is a page of the schedule (``schedule.page``) with the sizes, windows and filters that
surface shows; the surfaces render what they are given.  The windows are local days of a zone,
or from ``now`` for the lists of what is coming, so no number of occurrences that ended earlier
today can fill those.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select

import rules
from calendar_service.services import schedule
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Event
from calendar_service.store.occurrences import (
    EventOccurrence,
    OccurrencePage,
    PageKey,
    filtered,
    load_listed,
)
from calendar_service.store.operations import find_event
from calendar_service.store.permissions import Drafts

# The most occurrences one agenda page lists (it ends at a day boundary and links on; a day
# that alone holds more is cut inside and continued with ``after``).
MAX_SHOWN = 300
# Most occurrences one event contributes to a page: one more than a page shows, so an event
# cut short by it is always cut after the page's own end (its first ones are the ones kept).
PAGE_LIMIT = MAX_SHOWN + 1
# The agenda first expands this span: when it alone fills a page, the rest is never expanded.
PROBE = timedelta(days=7)
# A search lists at most RECENT_SHOWN matches of the RECENT_DAYS before today besides.
RECENT_DAYS = 28
RECENT_SHOWN = 20
# How many upcoming occurrences an event page lists.
UPCOMING = 10
# The most occurrences one month grid places (the first, in start order).
MONTH_MAX = 1000


def window_of(first: date, end: date, tzid: str) -> rules.Window:
    """Local midnight of ``first`` to local midnight of ``end`` in the zone."""
    return rules.Window(rules.to_utc(first, tzid), rules.to_utc(end, tzid))


def coming_window(now: datetime, end: date, tzid: str) -> rules.Window:
    """From ``now`` to local midnight of ``end``: what has not ended yet (one in progress is in
    it).  The lists of what is coming (Atom, the embed) read from here rather than from this
    morning, so no number of occurrences that ended earlier today, however large, fills their
    page ahead of the coming ones: the database and the engine never hand the ended ones over."""
    return rules.Window(now, max(rules.to_utc(end, tzid), now + timedelta(seconds=1)))


def costly_message(names: Sequence[str]) -> str | None:
    """Says which events a page leaves out because they repeat too often for its span (or
    together cost more than one page may): ``names``, their titles in order, each once."""
    if not names:
        return None
    shown_names = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"Some events repeat too often to list over this span and are left out: "
        f"{shown_names}. Try fewer days, or open the event's own page."
    )


# The agenda and its search -------------------------------------------------------------------


def agenda(
    first: date,
    end: date,
    tzid: str,
    after: PageKey | None,
    *,
    calendar: Calendar | None,
    categories: Sequence[str],
    text: str | None,
) -> tuple[OccurrencePage, str | None]:
    """The agenda's page of the days ``first`` to ``end`` (exclusive) from ``after`` on: one
    more occurrence than a page shows (the one past the page says where it ends), and a message
    naming the events left out as too costly for the span (the others are listed all the same).
    The first PROBE days are read first: when they fill a page, the rest is never expanded."""
    probe = _agenda_page(
        window_of(first, min(first + PROBE, end), tzid),
        after,
        calendar=calendar,
        categories=categories,
        text=text,
    )
    page, problem = probe
    if page.complete and len(page.items) <= MAX_SHOWN and first + PROBE < end:
        return _agenda_page(
            window_of(first, end, tzid), after, calendar=calendar, categories=categories, text=text
        )
    return probe


def _agenda_page(
    window: rules.Window,
    after: PageKey | None,
    *,
    calendar: Calendar | None,
    categories: Sequence[str],
    text: str | None,
) -> tuple[OccurrencePage, str | None]:
    page = schedule.page(
        window,
        size=MAX_SHOWN + 1,
        after=after,
        skip_costly=True,
        calendar=calendar,
        categories=categories,
        text=text,
    )
    return page, costly_message(page.costly_names)


def after_key(start_utc: datetime, recurrence_id: str, uid: str) -> PageKey:
    """The full ``page_key`` of a link's position (an occurrence's start, recurrence id text
    and uid): the title is the event's as it is now ("" when the event is gone, which shows
    that instant's occurrences again, never skips one)."""
    event = find_event(uid)
    return (start_utc, event.title if event is not None else "", uid, recurrence_id)


def recent_matches(
    today: date, tzid: str, *, calendar: Calendar | None, categories: Sequence[str], text: str
) -> list[EventOccurrence]:
    """Occurrences of the RECENT_DAYS before ``today`` that match a search and have ended:
    what a visitor looks for has often just happened."""
    window = window_of(today - timedelta(days=RECENT_DAYS), today, tzid)
    listing = schedule.page(
        window,
        size=RECENT_SHOWN,
        calendar=calendar,
        categories=categories,
        text=text,
        skip_costly=True,
    )
    return [item for item in listing.items if item.occurrence.end_utc <= window.end_utc]


# Month, Atom, embed ---------------------------------------------------------------------------


def month(
    calendar: Calendar, first: date, end: date, tzid: str, categories: Sequence[str]
) -> tuple[OccurrencePage, str | None]:
    """The first MONTH_MAX occurrences of a month grid's days, at most PAGE_LIMIT of each
    event, and the message naming those left out as too costly."""
    page = schedule.page(
        window_of(first, end, tzid),
        size=MONTH_MAX,
        per_event=PAGE_LIMIT,
        calendar=calendar,
        categories=categories,
        skip_costly=True,
    )
    return page, costly_message(page.costly_names)


def coming(
    calendar: Calendar, categories: Sequence[str], now: datetime, end: date, tzid: str, size: int
) -> tuple[list[EventOccurrence], bool]:
    """The first ``size`` occurrences that have not ended at ``now``, up to local midnight of
    ``end`` (Atom, the embed), and whether that was all of them."""
    listing = schedule.page(
        coming_window(now, end, tzid),
        size=size,
        calendar=calendar,
        categories=categories,
        skip_costly=True,
    )
    # (A zero-length one starting this instant is in the window and is over.)
    return [item for item in listing.items if item.occurrence.end_utc > now], listing.complete


# The API --------------------------------------------------------------------------------------

# The most occurrences in one API answer, whatever the per-event limit (then "truncated": true).
MAX_TOTAL = 10_000


def occurrences(
    window: rules.Window,
    limit: int,
    *,
    calendar: Calendar | None,
    categories: Sequence[str],
    drafts: Drafts,
) -> OccurrencePage:
    """The API's occurrences of a window: the first MAX_TOTAL in start order, at most ``limit``
    of each event, reading at most as many one-off events however many the window holds (a
    day of 95,000 took 17 s and 700 MB when all were read).  A series too costly for the
    window, or past what one answer may spend, is left out and named: one costly series never
    refuses the window for every other."""
    return schedule.page(
        window,
        size=MAX_TOTAL,
        per_event=limit,
        calendar=calendar,
        categories=categories,
        include_drafts=drafts,
        skip_costly=True,
    )


def events(
    limit: int,
    after: str | None,
    *,
    calendar: Calendar | None,
    categories: Sequence[str],
    drafts: Drafts,
) -> tuple[list[Event], bool]:
    """The API's events (series) by uid after ``after``, at most ``limit``, with what listing
    them shows loaded, and whether more follow."""
    query = select(Event).order_by(Event.uid).limit(limit + 1)
    if after is not None:
        query = query.where(Event.uid > after)
    query = filtered(query, calendar=calendar, categories=categories, include_drafts=drafts)
    found = list(db.session.scalars(query))
    listed = found[:limit]
    load_listed(listed)
    return listed, len(found) > limit
