"""The 304 decision of a feed from its validators (``services.feeds``), without building the
feed: what both the feed views and the poll answerer in front of Flask answer from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from werkzeug.http import parse_date, parse_etags

from calendar_service.services.feeds import Validators
from calendar_service.store.versions import version_reader as version_reader  # re-exported

# Shared caches may answer for 15 minutes; after that they revalidate, which costs a 304.
CACHE_CONTROL = "public, max-age=900"


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
