"""Blueprint ``feeds``: the subscribable calendar feeds and single-event downloads.

HTTP as subscribers' clients expect (docs/peers.md B6, B8): ``text/calendar; charset=utf-8``, a
filename, a strong ETag and Last-Modified, 304 for a matching If-None-Match (checked first) or a
valid If-Modified-Since, HEAD, gzip when asked for, and a Cache-Control for feeds polled hourly.

The validators come from the calendar's version row without building anything
(``feeds.validators``).  Every worker reads the version on every request, so a change is seen by
all of them at once; a built feed is kept in the app's ``feeds`` cache (``app_caches``) under
its ETag, which therefore can never serve a stale feed.  Each feed keeps only its newest version
there, built once per process however many threads ask.

Series with a rule are always kept whole, whatever their age: each is one VEVENT, and dropping
it would wipe its past occurrences from every subscriber's calendar; one-off events that ended
before the history cut-off are left out.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from datetime import datetime

from flask import Response, abort, request
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from calendar_service.app_caches import app_caches
from calendar_service.clock import utcnow
from calendar_service.feeds.blueprint import bp
from calendar_service.feeds.validators import (
    CACHE_CONTROL,
    Validators,
    Versioned,
    digest,
    feed_validators,
    held_etag,
    history_cutoff,
    not_modified_headers,
    version_reader,
)
from calendar_service.ical import writer as ical
from calendar_service.store import addresses
from calendar_service.store import categories as category_store
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category, Event
from calendar_service.store.moments import MomentError, format_moment, parse_moment
from calendar_service.store.occurrences import find_occurrence
from calendar_service.web import links

CONTENT_TYPE = "text/calendar; charset=utf-8"


# What a feed holds --------------------------------------------------------------------------------

def feed_events(calendar: Calendar, categories: Sequence[str], cutoff: datetime) -> list[Event]:
    """Published events of the calendar in the filter, less one-offs ended before the cut-off."""
    query = (
        select(Event)
        .where(Event.calendar_id == calendar.id, Event.published.is_(True))
        .where(or_(Event.last_end_utc.is_(None), Event.last_end_utc >= cutoff,
                   Event.rrule.is_not(None)))
        .options(selectinload(Event.overrides), selectinload(Event.categories))
    )
    if categories:
        query = query.where(Event.categories.any(Category.slug.in_(list(categories))))
    return list(db.session.scalars(query).all())


def build_feed(calendar: Calendar | Versioned, categories: Sequence[str], now: datetime) -> bytes:
    """The feed's bytes (cached under its ETag): the one path the view and export-ics share.

    Given only the version row, the calendar itself is loaded when the cache misses.
    """
    validators = feed_validators(calendar, categories, now)

    def build() -> bytes:
        loaded = calendar if isinstance(calendar, Calendar) else db.session.get(
            Calendar, calendar.id)
        if loaded is None:  # deleted since its version was read
            abort(404)
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
        return ical.feed_bytes(events, info, pages, app_caches().blocks)

    return app_caches().feeds.get_or_build(validators.etag, build,
                                           slot=feed_slot(calendar.id, categories))


def feed_slot(calendar_id: int, categories: Sequence[str]) -> str:
    """Which feed a cache entry is a version of: the calendar, its filter and the base URL."""
    return "\x1f".join(["feed", str(calendar_id), *categories, links.base_url()])


def chosen_categories(calendar_id: int, values: Sequence[str]) -> list[str] | None:
    """The filter as sorted unique slugs; None when one names no category of the calendar."""
    wanted = sorted({value.strip() for value in values if value.strip()})
    if not wanted:
        return []
    known = category_store.existing_slugs(calendar_id, wanted)  # not all: there may be thousands
    # A merged category's subscribers keep getting its events, now under the one that took them.
    moved = category_store.standing_for(calendar_id, [slug for slug in wanted if slug not in known])
    if any(slug not in known and slug not in moved for slug in wanted):
        return None
    return sorted({moved.get(slug, slug) for slug in wanted})


# HTTP -------------------------------------------------------------------------------------------

def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _respond(validators: Validators, now: datetime, body: Callable[[], bytes],
             disposition: str, filename: str, slot: Callable[[], str]) -> Response:
    held = held_etag(validators, now, request.headers.get("If-None-Match"),
                     request.headers.get("If-Modified-Since"), _wants_gzip)
    if held is not None:
        return Response(status=304, headers=not_modified_headers(held))
    gzipped = _wants_gzip()
    etag = validators.etag + ("-gzip" if gzipped else "")
    data = body()
    if gzipped:
        data = app_caches().feeds.get_or_build(etag, lambda: gzip.compress(data, mtime=0),
                                               slot=slot() + "\x1fgzip")
    response = Response(data, content_type=CONTENT_TYPE)
    response.headers.set("Content-Disposition", disposition, filename=filename)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.headers["Last-Modified"] = validators.http_date(now)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/calendars/<slug>.ics")
def calendar_feed(slug: str) -> Response:
    """The subscribable feed of a calendar, optionally filtered by ``category`` (any of them).

    A conditional request is answered from the calendar's version row alone, so a 304 costs
    one small query whatever the size of the calendar.
    """
    version_row = version_reader().read(slug)
    if version_row is None:
        abort(404)
    categories = chosen_categories(version_row.id, request.args.getlist("category"))
    if categories is None:
        abort(404)
    now = utcnow()
    validators = feed_validators(version_row, categories, now)
    filename = "-".join([version_row.slug, *categories]) + ".ics"

    return _respond(validators, now, lambda: build_feed(version_row, categories, now), "inline",
                    filename,
                    lambda: feed_slot(version_row.id, categories))


@bp.get("/events/<path:uid>.ics")
def event_feed(uid: str) -> Response:
    """One published event or series as an .ics download; drafts are 404 like unknown UIDs.
    ``on=<recurrence id>`` gives that one date of a series alone (docs/contract.md)."""
    event = addresses.find_by_address(uid)  # by uid, else by its readable slug
    if event is None or not event.published:
        abort(404, description="There is no event at this address.")
    if "on" in request.args:
        return _occurrence_feed(event, request.args.get("on", ""))
    now = utcnow()
    # The calendar's version too: a renamed category changes the event's CATEGORIES.
    calendar = event.calendar
    tag = digest("event", ical.FORMAT_VERSION, event.id, event.uid, event.revision,
                  event.sequence, calendar.version, links.base_url())
    validators = Validators(tag, max(event.updated, calendar.changed))

    def build() -> bytes:
        return app_caches().feeds.get_or_build(
            tag, lambda: ical.event_bytes(event, links.event_page_url(event.address)), slot=slot)

    name = secure_filename(event.title)[:80] or "event"
    slot = f"event\x1f{event.id}\x1f{links.base_url()}"
    return _respond(validators, now, build, "attachment", name + ".ics", lambda: slot)


def _occurrence_feed(event: Event, asked: str) -> Response:
    """One date of a series as its own VEVENT; 404 for a date the series does not have."""
    try:
        recurrence_id = parse_moment(asked.strip()[:40], all_day=event.all_day,
                                     tzid=event.timezone)
    except MomentError:
        abort(404, description="That is not a date of this event: give one of its dates "
                               "as it appears in the event page's links.")
    found = find_occurrence(event, recurrence_id) if event.is_recurring else None
    if found is None:
        abort(404, description="That date is not part of this event.")
    occurrence = found.occurrence
    text = format_moment(recurrence_id)
    override = next((row for row in event.overrides if row.recurrence_id == text), None)
    changed = max(event.updated, override.updated) if override is not None else event.updated
    calendar = event.calendar
    now = utcnow()
    page_url = links.event_page_url(event.address, on=text)
    tag = digest("occurrence", ical.FORMAT_VERSION, event.id, event.uid, event.revision,
                 event.sequence, calendar.version, text, links.base_url())
    validators = Validators(tag, max(changed, calendar.changed))
    slot = f"occurrence\x1f{event.id}\x1f{text}\x1f{links.base_url()}"

    def build() -> bytes:
        return app_caches().feeds.get_or_build(
            tag, lambda: ical.occurrence_bytes(event, occurrence, page_url, changed),
            slot=slot)

    day = text[:10]
    name = (secure_filename(found.title)[:70] or "event") + "-" + day
    return _respond(validators, now, build, "attachment", name + ".ics", lambda: slot)


def export_feed(slug: str, categories: Sequence[str] = ()) -> bytes:
    """The feed of ``slug`` as GET /calendars/<slug>.ics serves it (for ``export-ics``).

    Raises LookupError with a readable message for an unknown calendar or category.
    """
    calendar = db.session.scalar(select(Calendar).where(Calendar.slug == slug))
    if calendar is None:
        raise LookupError(f"no calendar {slug!r}")
    chosen = chosen_categories(calendar.id, categories)
    if chosen is None:
        known = ", ".join(c.slug for c in calendar.categories) or "none"
        raise LookupError(f"calendar {slug!r} has no such category (it has: {known})")
    return build_feed(calendar, chosen, utcnow())

