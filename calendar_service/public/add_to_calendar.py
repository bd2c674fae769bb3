"""Per-occurrence "add to calendar" links for Google Calendar and Outlook (docs/peers.md B7 #48).

These are the web clients' own compose pages, filled in from the query string.  Times go in
UTC with a ``Z`` (Outlook reads a bare time in the viewer's zone); all-day occurrences go as
dates, Google's end exclusive, Outlook's with ``allday=true``.  Text is percent-encoded with
``%20`` for spaces so a ``+`` in a title ("C++ clinic") stays a plus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK_COM = "https://outlook.live.com/calendar/0/deeplink/compose"
OUTLOOK_365 = "https://outlook.office.com/calendar/0/deeplink/compose"

# Google and Outlook cut long query strings; a description beyond this is shortened.
MAX_DETAILS = 1500


@dataclass(frozen=True)
class Details:
    """What the links need of one occurrence."""

    title: str
    start: datetime | date
    end: datetime | date
    location: str
    details: str
    tzid: str


def _query(pairs: list[tuple[str, str]]) -> str:
    """Percent-encoded, empty values left out."""
    return urlencode([(key, value) for key, value in pairs if value], quote_via=quote, safe="")


def _shorten(text: str) -> str:
    if len(text) <= MAX_DETAILS:
        return text
    return text[: MAX_DETAILS - 1].rstrip() + "…"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def google_link(item: Details) -> str:
    """Google Calendar's event template, pre-filled."""
    if isinstance(item.start, datetime) and isinstance(item.end, datetime):
        dates = f"{_utc(item.start):%Y%m%dT%H%M%SZ}/{_utc(item.end):%Y%m%dT%H%M%SZ}"
    else:
        end = item.end if item.end > item.start else item.start + timedelta(days=1)
        dates = f"{item.start:%Y%m%d}/{end:%Y%m%d}"
    pairs = [
        ("action", "TEMPLATE"),
        ("text", item.title),
        ("dates", dates),
        ("details", _shorten(item.details)),
        ("location", item.location),
        ("ctz", item.tzid),
    ]
    return GOOGLE + "?" + _query(pairs)


def outlook_links(item: Details) -> dict[str, str]:
    """Outlook's compose page for personal accounts (outlook.com) and work ones (Microsoft 365)."""
    if isinstance(item.start, datetime) and isinstance(item.end, datetime):
        start = f"{_utc(item.start):%Y-%m-%dT%H:%M:%SZ}"
        end = f"{_utc(item.end):%Y-%m-%dT%H:%M:%SZ}"
        all_day = "false"
    else:
        start, end, all_day = item.start.isoformat(), item.end.isoformat(), "true"
    query = _query(
        [
            ("path", "/calendar/action/compose"),
            ("rru", "addevent"),
            ("subject", item.title),
            ("startdt", start),
            ("enddt", end),
            ("allday", all_day),
            ("body", _shorten(item.details)),
            ("location", item.location),
        ]
    )
    return {"outlook_com": OUTLOOK_COM + "?" + query, "outlook_365": OUTLOOK_365 + "?" + query}
