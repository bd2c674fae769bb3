"""What an event page tells machines about the date it shows: schema.org ``Event`` JSON-LD for
search engines and Open Graph tags for link previews (Slack, Teams, e-mail clients).

Both are built as data and serialised by ``json`` and Jinja's autoescaping, never by pasting
strings; ``script_json`` also escapes ``<``, ``>`` and ``&`` so that a title holding
``</script>`` cannot end the script element it is written into.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup

import rules
from calendar_service.public.display import ShownOccurrence
from calendar_service.web.richtext import safe_url

SCHEMA = "https://schema.org/"
# Link previews show about two lines; a longer description is cut at a word.
PREVIEW_CHARACTERS = 200


def _moment(item: ShownOccurrence, *, end: bool) -> str:
    """ISO 8601 with the offset for timed occurrences; dates (the last day, inclusive, for an
    end) for all-day ones, as schema.org reads them."""
    if item.start is None or item.end is None:
        return (item.last_day if end else item.first_day).isoformat()
    return (item.end if end else item.start).isoformat()


def _status(item: ShownOccurrence) -> str:
    if item.cancelled:
        return SCHEMA + "EventCancelled"
    if item.occurrence.moved:
        return SCHEMA + "EventRescheduled"
    return SCHEMA + "EventScheduled"


def _place(location: str) -> tuple[str, dict[str, Any]] | None:
    """(attendance mode, location) for a web address or a place's name; None for no place."""
    online = safe_url(location)
    if online:
        return SCHEMA + "OnlineEventAttendanceMode", {"@type": "VirtualLocation", "url": online}
    if location.strip():
        name = " ".join(location.split())
        return SCHEMA + "OfflineEventAttendanceMode", {
            "@type": "Place",
            "name": name,
            "address": name,
        }
    return None


def event_json_ld(
    item: ShownOccurrence, *, url: str, organizer: str, organizer_url: str
) -> dict[str, Any]:
    """A schema.org Event for one occurrence, ``url`` being the page of that date."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": item.title,
        "startDate": _moment(item, end=False),
        "endDate": _moment(item, end=True),
        "eventStatus": _status(item),
        "url": url,
        "organizer": {"@type": "Organization", "name": organizer, "url": organizer_url},
    }
    place = _place(item.location)
    if place is not None:
        data["eventAttendanceMode"], data["location"] = place
    if item.description.strip():
        data["description"] = item.description.strip()
    rid = item.occurrence.recurrence_id
    if item.occurrence.moved and rid is not None:
        data["previousStartDate"] = (
            rules.to_utc(rid, item.event.timezone).astimezone(item.tz).isoformat()
            if isinstance(rid, datetime)
            else rid.isoformat()
        )
    return data


def script_json(data: dict[str, Any]) -> Markup:
    """JSON safe inside ``<script type="application/ld+json">``: no ``<``, ``>`` or ``&`` is
    left as itself (JSON reads the ``\\u`` escapes back to the same text)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)


def preview_text(when: str, location: str, description: str) -> str:
    """One short paragraph for a link preview: when, where, then the description's start."""
    where = "" if safe_url(location) else " ".join(location.split())
    head = " · ".join(part for part in (when, where or ("Online" if location else "")) if part)
    body = " ".join(description.split())
    if len(body) > PREVIEW_CHARACTERS:
        body = body[:PREVIEW_CHARACTERS].rsplit(" ", 1)[0] + "…"
    return f"{head}. {body}" if body else head


def open_graph(
    item: ShownOccurrence, *, url: str, site_name: str, when: str
) -> list[tuple[str, str]]:
    """Open Graph properties, in order, for the page of one occurrence."""
    title = ("Cancelled: " if item.cancelled else "") + item.title
    return [
        ("og:type", "website"),
        ("og:site_name", site_name),
        ("og:title", title),
        ("og:description", preview_text(when, item.location, item.description)),
        ("og:url", url),
    ]
