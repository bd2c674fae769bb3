"""A calendar's upcoming occurrences as an Atom 1.0 feed (RFC 4287), for feed readers.

One entry per occurrence, linking to that date's page.  The XML is built with ElementTree,
which escapes text and attributes; characters XML 1.0 cannot hold at all (control characters)
are dropped first, since no escape exists for them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Response, abort, current_app, request, url_for

from calendar_service.clock import utcnow
from calendar_service.public.blueprint import bp
from calendar_service.public.display import ShownOccurrence, shown
from calendar_service.public.viewer_zone import zone_of
from calendar_service.services import filters, listings
from calendar_service.store.operations import find_calendar
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.links import absolute, event_page_url
from calendar_service.web.query import category_args, slug_values

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# The most entries one feed holds: readers show the newest few; more is bytes nobody reads.
MAX_ENTRIES = 100
# Characters XML 1.0 does not allow in a document, escaped or not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class FeedHead:
    """What the feed says about itself."""

    title: str
    subtitle: str
    self_url: str
    page_url: str
    author: str
    updated: datetime


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _stamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, f"{{{ATOM}}}{tag}", {key: _text(value) for key, value in attributes.items()}
    )
    if text is not None:
        element.text = _text(text)
    return element


def entry_summary(item: ShownOccurrence, today_text: str) -> str:
    """ "Wednesday 27 January 2027, 14:00 – 15:00 GMT · Room 1" (cancelled ones say so)."""
    zone = item.end_zone() or item.zone()
    when = today_text + (f" {zone}" if zone else "")
    parts = [("Cancelled: " if item.cancelled else "") + when]
    if item.location.strip():
        parts.append(" ".join(item.location.split()))
    return " · ".join(parts)


def atom_bytes(
    head: FeedHead,
    items: Sequence[ShownOccurrence],
    page_urls: Sequence[str],
    when_texts: Sequence[str],
) -> bytes:
    """The feed document: ``page_urls[i]`` and ``when_texts[i]`` belong to ``items[i]``."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", head.self_url)
    _add(feed, "title", head.title)
    if head.subtitle:
        _add(feed, "subtitle", head.subtitle)
    _add(feed, "updated", _stamp(head.updated))
    _add(feed, "link", rel="self", type="application/atom+xml", href=head.self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=head.page_url)
    author = _add(feed, "author")
    _add(author, "name", head.author)
    _add(feed, "generator", "calendar-service")
    for item, url, when in zip(items, page_urls, when_texts, strict=True):
        entry = _add(feed, "entry")
        _add(entry, "id", url)
        _add(entry, "title", ("Cancelled: " if item.cancelled else "") + item.title)
        _add(entry, "updated", _stamp(item.event.updated))
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        _add(entry, "summary", entry_summary(item, when), type="text")
        if item.description.strip():
            _add(entry, "content", item.description.strip(), type="text")
        for category in item.event.categories:
            _add(entry, "category", term=category.slug, label=category.name)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


@bp.get("/calendars/<slug>.atom")
def atom_feed(slug: str) -> Response:
    """Atom 1.0 of the calendar's upcoming occurrences (``category`` repeatable: any of them)."""
    calendar = find_calendar(slug)
    if calendar is None:
        abort(404, description="There is no calendar with that name.")
    answer_reads(calendar.id)
    resolution = filters.resolve(slug_values(request.args), calendar.id)
    if resolution.unknown:
        abort(404, description="This calendar has no category of that name.")
    chosen = resolution.categories
    slugs = [category.slug for category in chosen]
    tzid, tz = zone_of(calendar)
    now = utcnow()
    today = now.astimezone(tz).date()
    # From now, not from this morning: the page holds the first MAX_ENTRIES that have not
    # ended, never a page of ended ones filtered down to nothing.
    coming, _all = listings.coming(
        calendar,
        slugs,
        now,
        today + timedelta(days=current_app.config["AGENDA_DAYS"]),
        tzid,
        MAX_ENTRIES,
    )
    items = [shown(item, tz) for item in coming]
    # The feed moves on when its first entry ends, and its window at midnight.
    answer_expires(min([next_midnight(now, tz), *(item.occurrence.end_utc for item in items)]))
    names = " or ".join(category.name for category in chosen)
    head = FeedHead(
        title=calendar.name + (f": {names}" if names else ""),
        subtitle=calendar.description,
        self_url=absolute(url_for("agenda.atom_feed", slug=slug, **category_args(slugs))),
        page_url=absolute(url_for("agenda.calendar_page", slug=slug, **category_args(slugs))),
        author=calendar.name,
        updated=max([calendar.changed, *(item.event.updated for item in items)]),
    )
    urls = [event_page_url(item.event.address, item.recurrence_id) for item in items]
    # Read later and out of context, every date says its year (no "today" has that year).
    whens = [item.when_long(date.min) for item in items]
    response = Response(atom_bytes(head, items, urls, whens), content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "public, max-age=900"
    return response
