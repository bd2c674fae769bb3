"""Absolute links: feed URLs and the per-platform subscribe links (docs/peers.md B7).

No single link subscribes everywhere: Apple takes webcal://, Google only its ``cid`` render URL
with a URL-encoded webcal:// address, Outlook.com and Outlook for Microsoft 365 have separate
"add from web" pages, and everything else wants the plain https URL to paste.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app, request, url_for


def base_url() -> str:
    """CALENDAR_BASE_URL, else the scheme and host of the current request."""
    return origin(current_app.config.get("CALENDAR_BASE_URL"), request.scheme, request.host)


def origin(configured: str | None, scheme: str, host: str) -> str:
    """The base URL from the setting when there is one, else from the request's scheme and
    host (what host_url gives, without its IRI decoding: this runs on every feed hit)."""
    if configured:
        return str(configured).rstrip("/")
    return f"{scheme}://{host}"


def absolute(path: str) -> str:
    return base_url() + path


def feed_url(slug: str, categories: Sequence[str] = ()) -> str:
    """The https (or http) URL of a calendar's feed, optionally filtered to categories."""
    path = url_for("feeds.calendar_feed", slug=slug)
    if categories:
        path += "?" + urlencode([("category", category) for category in categories])
    return absolute(path)


def event_page_url(address: str, on: str | None = None) -> str:
    """The absolute URL of an event's page (written into feeds as the event's link) at its
    ``address`` (its readable slug, or its uid), or of one date's page with ``on``, its
    recurrence id."""
    if on:
        return absolute(url_for("agenda.event_page", uid=address, on=on))
    return absolute(url_for("agenda.event_page", uid=address))


# A map search that needs no key and loads nothing until the visitor follows the link.
MAP_SEARCH = "https://www.openstreetmap.org/search"


def map_url(place: str) -> str:
    """A plain link to the place on OpenStreetMap."""
    return MAP_SEARCH + "?" + urlencode({"query": " ".join(place.split())})


def subscribe_links(https_url: str, name: str) -> dict[str, str]:
    """Subscribe links for each platform, for one feed URL."""
    parts = urlsplit(https_url)
    webcal = urlunsplit(("webcal", parts.netloc, parts.path, parts.query, ""))
    outlook_query = urlencode({"url": https_url, "name": name})
    return {
        "https": https_url,
        "apple": webcal,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        "outlook_com": "https://outlook.live.com/calendar/0/addfromweb?" + outlook_query,
        "outlook_365": "https://outlook.office.com/calendar/0/addfromweb?" + outlook_query,
    }
