"""Feeds: what a calendar's feed holds, its bytes, and its validators (ETag, Last-Modified).

The one place the feed is made, whoever asks for it: the feeds blueprint (GET
/calendars/<slug>.ics), the ``export-ics`` command, and the HTTP cache deciding a 304 from the
validators alone.

A feed's ETag is a hash of the calendar's ``version`` (bumped in the same transaction as any
change), the category filter, the history cut-off, the base URL and ``ical.FORMAT_VERSION``;
a built feed is kept in the ``feeds`` cache under it, so a cached feed is never stale.  Each feed
keeps only its newest version there, built once per process however many threads ask.

History: a feed leaves out one-off events (and RDATE-only sets) whose last occurrence ended before
the cut-off, the first of the month ``HISTORY_MONTHS`` months before the current one.  The cut-off
moves once a month, and its date is part of the ETag and of Last-Modified, so the moving window
never makes a cached feed or a 304 wrong.  Series with a rule are always kept whole, whatever
their age: each is one VEVENT, and dropping it would wipe its past occurrences from every
subscriber's calendar.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

import rules
from calendar_service.app_caches import Caches
from calendar_service.clock import utcnow
from calendar_service.ical import writer as ical
from calendar_service.services import filters
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category, Event, Override
from calendar_service.web import links
from calendar_service.web.http_cache import Validators

# One-off events that ended before the first of the month this many months back are left out.
HISTORY_MONTHS = 6


def history_cutoff(now: datetime) -> tuple[datetime, datetime]:
    """(cut-off, rollover): events ending before the cut-off are left out of feeds; the
    rollover is when the cut-off last moved (the first instant of this month, UTC)."""
    rollover = datetime(now.year, now.month, 1, tzinfo=UTC)
    months = now.year * 12 + now.month - 1 - HISTORY_MONTHS
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC), rollover


def digest(*parts: object) -> str:
    """A short stable hash of the parts: the body of an ETag."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]


class Versioned(Protocol):
    """What a feed's validators are made of: a Calendar, or just its version row."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def changed(self) -> datetime: ...


# Validators ----------------------------------------------------------------------------------


def feed_validators(
    calendar: Versioned, categories: Sequence[str], now: datetime, base_url: str
) -> Validators:
    """The feed's ETag and Last-Modified, from the calendar's version row alone."""
    cutoff, rollover = history_cutoff(now)
    return _validators(
        calendar.id,
        calendar.slug,
        calendar.version,
        calendar.changed,
        tuple(categories),
        cutoff,
        rollover,
        base_url,
    )


@functools.lru_cache(maxsize=4096)
def _validators(
    calendar_id: int,
    slug: str,
    version: int,
    changed: datetime,
    categories: tuple[str, ...],
    cutoff: datetime,
    rollover: datetime,
    base_url: str,
) -> Validators:
    """Memoised: every poll of an unchanged feed asks for the same validators."""
    tag = digest(
        "feed",
        ical.FORMAT_VERSION,
        calendar_id,
        slug,
        version,
        ",".join(categories),
        cutoff.date(),
        base_url,
    )
    return Validators(tag, max(changed, rollover))


def event_validators(event: Event, base_url: str) -> Validators:
    """An event's download: its revision, and the calendar's version too (a renamed category
    changes the event's CATEGORIES)."""
    calendar = event.calendar
    tag = digest(
        "event",
        ical.FORMAT_VERSION,
        event.id,
        event.uid,
        event.revision,
        event.sequence,
        calendar.version,
        base_url,
    )
    return Validators(tag, max(event.updated, calendar.changed))


def occurrence_validators(
    event: Event, recurrence_id: str, override: Override | None, base_url: str
) -> Validators:
    """One date of a series as its own download (``recurrence_id`` as the link names it)."""
    calendar = event.calendar
    tag = digest(
        "occurrence",
        ical.FORMAT_VERSION,
        event.id,
        event.uid,
        event.revision,
        event.sequence,
        calendar.version,
        recurrence_id,
        base_url,
    )
    return Validators(tag, max(occurrence_changed(event, override), calendar.changed))


def occurrence_changed(event: Event, override: Override | None) -> datetime:
    """When one date of a series last changed: the series', or its override's if later."""
    return max(event.updated, override.updated) if override is not None else event.updated


# What a feed holds ---------------------------------------------------------------------------


def feed_events(calendar: Calendar, categories: Sequence[str], cutoff: datetime) -> list[Event]:
    """Published events of the calendar in the filter, less one-offs ended before the cut-off."""
    query = (
        select(Event)
        .where(Event.calendar_id == calendar.id, Event.published.is_(True))
        .where(
            or_(
                Event.last_end_utc.is_(None), Event.last_end_utc >= cutoff, Event.rrule.is_not(None)
            )
        )
        .options(selectinload(Event.overrides), selectinload(Event.categories))
    )
    if categories:
        query = query.where(Event.categories.any(Category.slug.in_(list(categories))))
    return list(db.session.scalars(query).all())


def build_feed(
    calendar: Calendar | Versioned,
    categories: Sequence[str],
    now: datetime,
    caches: Caches,
    base_url: str,
) -> bytes:
    """The feed's bytes (cached under its ETag): the one path the view and export-ics share.

    Given only the version row, the calendar itself is loaded when the cache misses; raises
    LookupError when it was deleted since its version was read.
    """
    validators = feed_validators(calendar, categories, now, base_url)

    def build() -> bytes:
        loaded = (
            calendar if isinstance(calendar, Calendar) else db.session.get(Calendar, calendar.id)
        )
        if loaded is None:
            raise LookupError(f"no calendar {calendar.slug!r}")
        cutoff, _ = history_cutoff(now)
        events = feed_events(loaded, categories, cutoff)
        names = [c.name for c in loaded.categories if c.slug in categories]
        info = ical.FeedInfo(  # named as the subscribe panel names it (subscribe.feed)
            name=loaded.name + (": " + " or ".join(names) if names else ""),
            description=loaded.description,
            timezone=loaded.timezone,
            source_url=links.feed_url(loaded.slug, categories),
        )
        pages = {e.uid: links.event_page_url(e.address) for e in events}
        return ical.feed_bytes(events, info, pages, caches.blocks)

    return caches.feeds.get_or_build(
        validators.etag, build, slot=feed_slot(calendar.id, categories, base_url)
    )


def feed_slot(calendar_id: int, categories: Sequence[str], base_url: str) -> str:
    """Which feed a cache entry is a version of: the calendar, its filter and the base URL."""
    return "\x1f".join(["feed", str(calendar_id), *categories, base_url])


def event_bytes(event: Event, caches: Caches, base_url: str) -> bytes:
    """One event or series as a calendar of its own (cached under its ETag)."""
    tag = event_validators(event, base_url).etag
    return caches.feeds.get_or_build(
        tag,
        lambda: ical.event_bytes(event, links.event_page_url(event.address)),
        slot=f"event\x1f{event.id}\x1f{base_url}",
    )


def occurrence_bytes(
    event: Event,
    occurrence: rules.Occurrence,
    recurrence_id: str,
    override: Override | None,
    caches: Caches,
    base_url: str,
) -> bytes:
    """One date of a series (``recurrence_id`` as the link names it) as its own VEVENT."""
    tag = occurrence_validators(event, recurrence_id, override, base_url).etag
    page_url = links.event_page_url(event.address, on=recurrence_id)
    changed = occurrence_changed(event, override)
    return caches.feeds.get_or_build(
        tag,
        lambda: ical.occurrence_bytes(event, occurrence, page_url, changed),
        slot=f"occurrence\x1f{event.id}\x1f{recurrence_id}\x1f{base_url}",
    )


def export_feed(slug: str, categories: Sequence[str], caches: Caches, base_url: str) -> bytes:
    """The feed of ``slug`` as GET /calendars/<slug>.ics serves it (for ``export-ics``).

    Raises LookupError with a readable message for an unknown calendar or category.
    """
    calendar = db.session.scalar(select(Calendar).where(Calendar.slug == slug))
    if calendar is None:
        raise LookupError(f"no calendar {slug!r}")
    chosen = filters.feed_slugs(calendar.id, categories)
    if chosen is None:
        known = ", ".join(c.slug for c in calendar.categories) or "none"
        raise LookupError(f"calendar {slug!r} has no such category (it has: {known})")
    return build_feed(calendar, chosen, utcnow(), caches, base_url)
