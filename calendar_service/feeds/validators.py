"""A feed's validators (ETag, Last-Modified) from the calendar's version row, without building
the feed: what both the feed views and the poll answerer in front of Flask answer from.

A feed's ETag is a hash of the calendar's ``version`` (bumped in the same transaction as any
change), the category filter, the history cut-off, the base URL and ``ical.FORMAT_VERSION``.

History: a feed leaves out one-off events (and RDATE-only sets) whose last occurrence ended before
the cut-off, the first of the month ``HISTORY_MONTHS`` months before the current one.  The cut-off
moves once a month, and its date is part of the ETag and of Last-Modified, so the moving window
never makes a cached feed or a 304 wrong.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from werkzeug.http import http_date as _http_date
from werkzeug.http import parse_date, parse_etags

from calendar_service.ical import writer as ical
from calendar_service.store.versions import version_reader as version_reader  # re-exported
from calendar_service.web import links

# Shared caches may answer for 15 minutes; after that they revalidate, which costs a 304.
CACHE_CONTROL = "public, max-age=900"
# One-off events that ended before the first of the month this many months back are left out.
HISTORY_MONTHS = 6


@dataclass(frozen=True)
class Validators:
    """What a conditional request is answered from: computed without building the body."""

    etag: str  # without quotes; the gzip representation adds "-gzip"
    last_modified: datetime

    def http_date(self, now: datetime) -> str:
        """Last-Modified as sent: the version's stamp, or the response's own time while that
        stamp is still ahead of the clock (RFC 9110 §8.8.2.1; ``Calendar.touch`` puts each
        version a second after the last, so a burst of changes runs a little ahead)."""
        return _http_date(min(self.last_modified, now).replace(microsecond=0))


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


def feed_validators(calendar: Versioned, categories: Sequence[str], now: datetime,
                    base_url: str | None = None) -> Validators:
    """The feed's ETag and Last-Modified; ``base_url`` defaults to the current request's."""
    cutoff, rollover = history_cutoff(now)
    return _validators(calendar.id, calendar.slug, calendar.version, calendar.changed,
                       tuple(categories), cutoff, rollover, base_url or links.base_url())


@functools.lru_cache(maxsize=4096)
def _validators(calendar_id: int, slug: str, version: int, changed: datetime,
                categories: tuple[str, ...], cutoff: datetime, rollover: datetime,
                base_url: str) -> Validators:
    """Memoised: every poll of an unchanged feed asks for the same validators."""
    tag = digest("feed", ical.FORMAT_VERSION, calendar_id, slug, version, ",".join(categories),
                  cutoff.date(), base_url)
    return Validators(tag, max(changed, rollover))

def held_etag(validators: Validators, now: datetime, if_none_match: str | None,
              if_modified_since: str | None, wants_gzip: Callable[[], bool]) -> str | None:
    """RFC 9110 §13.1: If-None-Match decides when present; else a valid If-Modified-Since.

    Returns the ETag to answer 304 with (the representation the client holds), or None.
    Takes the header values, not the request, so the poll answerer (feeds.polls) answers polls with
    it too.
    """
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        for tag in (validators.etag, validators.etag + "-gzip"):
            if tags.contains_weak(tag):
                return tag
        return None
    since = parse_date(if_modified_since)
    if since is None or since > now:  # unparseable or in the future: ignored
        return None
    if validators.last_modified.replace(microsecond=0) > since:
        return None
    return validators.etag + ("-gzip" if wants_gzip() else "")


def not_modified_headers(held: str) -> list[tuple[str, str]]:
    """The headers of a 304: the held ETag and what a 200 would say about caching it (RFC 9110
    §15.4.5; Last-Modified is left out, as werkzeug leaves it out of every 304)."""
    return [("ETag", f'"{held}"'), ("Cache-Control", CACHE_CONTROL),
            ("Vary", "Accept-Encoding")]
