"""Blueprint ``feeds``: the subscribable calendar feeds and single-event downloads.

HTTP as subscribers' clients expect (docs/peers.md B6, B8): ``text/calendar; charset=utf-8``, a
filename, a strong ETag and Last-Modified, 304 for a matching If-None-Match (checked first) or a
valid If-Modified-Since, HEAD, gzip when asked for, and a Cache-Control for feeds polled hourly
(``web.cache_policy``).

What a feed holds, its bytes and its validators are the feeds service's (``services.feeds``).
The validators come from the calendar's version row, read once per request without building
anything, so a change is seen by every worker at once, and a 304 (``web.http_cache``) costs that
one small query whatever the size of the calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Response, abort, request
from werkzeug.utils import secure_filename

from calendar_service.app_caches import app_caches
from calendar_service.clock import utcnow
from calendar_service.feeds.blueprint import bp
from calendar_service.services import feeds, filters, schedule
from calendar_service.store import addresses
from calendar_service.store.models import Event
from calendar_service.store.moments import MomentError, format_moment, parse_moment
from calendar_service.store.versions import CalendarVersion, VersionReader
from calendar_service.web import http_cache, links
from calendar_service.web.http_cache import Validators

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _download(response: Response, disposition: str, filename: str) -> Response:
    if response.status_code == 200:
        response.content_type = CONTENT_TYPE
        response.headers.set("Content-Disposition", disposition, filename=filename)
    return response


def _poll(
    reader: VersionReader, args: Mapping[str, Any], base_url: str, now: datetime
) -> tuple[CalendarVersion, Validators] | None:
    """The unfiltered feed's version row and validators, from its slug alone."""
    version_row = reader.read(args["slug"])
    if version_row is None:
        return None
    return version_row, feeds.feed_validators(version_row, (), now, base_url)


http_cache.answers_polls("feeds.calendar_feed", _poll)


@bp.get("/calendars/<slug>.ics")
def calendar_feed(slug: str) -> Response:
    """The subscribable feed of a calendar, optionally filtered by ``category`` (any of them)."""
    base_url = links.base_url()
    found = http_cache.polled()  # read once, for a poll the answerer could not answer 304
    if found is not None:
        version_row, validators, now = found
        categories: list[str] = []
    else:
        version_row = http_cache.version_reader().read(slug)
        if version_row is None:
            abort(404)
        chosen = filters.feed_slugs(version_row.id, request.args.getlist("category"))
        if chosen is None:
            abort(404)
        categories, now = chosen, utcnow()
        validators = feeds.feed_validators(version_row, categories, now, base_url)

    def body() -> bytes:
        try:
            return feeds.build_feed(version_row, categories, now, app_caches(), base_url)
        except LookupError:  # deleted since its version was read
            abort(404)

    response = http_cache.conditional(
        validators, now, body, feeds.feed_slot(version_row.id, categories, base_url)
    )
    return _download(response, "inline", "-".join([version_row.slug, *categories]) + ".ics")


@bp.get("/events/<path:uid>.ics")
def event_feed(uid: str) -> Response:
    """One published event or series as an .ics download; drafts are 404 like unknown UIDs.
    ``on=<recurrence id>`` gives that one date of a series alone (docs/contract.md)."""
    event = addresses.find_by_address(uid)  # by uid, else by its readable slug
    if event is None or not event.published:
        abort(404, description="There is no event at this address.")
    if "on" in request.args:
        return _occurrence_feed(event, request.args.get("on", ""))
    base_url = links.base_url()
    response = http_cache.conditional(
        feeds.event_validators(event, base_url),
        utcnow(),
        lambda: feeds.event_bytes(event, app_caches(), base_url),
        f"event\x1f{event.id}\x1f{base_url}",
    )
    return _download(
        response, "attachment", (secure_filename(event.title)[:80] or "event") + ".ics"
    )


def _occurrence_feed(event: Event, asked: str) -> Response:
    """One date of a series as its own VEVENT; 404 for a date the series does not have."""
    try:
        recurrence_id = parse_moment(asked.strip()[:40], all_day=event.all_day, tzid=event.timezone)
    except MomentError:
        abort(
            404,
            description="That is not a date of this event: give one of its dates "
            "as it appears in the event page's links.",
        )
    found = schedule.at(event, recurrence_id) if event.is_recurring else None
    if found is None:
        abort(404, description="That date is not part of this event.")
    text = format_moment(recurrence_id)
    override = next((row for row in event.overrides if row.recurrence_id == text), None)
    base_url = links.base_url()
    response = http_cache.conditional(
        feeds.occurrence_validators(event, text, override, base_url),
        utcnow(),
        lambda: feeds.occurrence_bytes(
            event, found.occurrence, text, override, app_caches(), base_url
        ),
        f"occurrence\x1f{event.id}\x1f{text}\x1f{base_url}",
    )
    name = (secure_filename(found.title)[:70] or "event") + "-" + text[:10]
    return _download(response, "attachment", name + ".ics")
