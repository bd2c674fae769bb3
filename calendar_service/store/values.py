"""A stored event as the contract's EVENT fields: what the API answers, what an update merges
into, and what the audit log snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from calendar_service.store.models import Event
from calendar_service.store.moments import format_moment, from_column


def utc_text(value: datetime) -> str:
    """An aware instant as ISO 8601 UTC with a Z, to the second."""
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event_json(event: Event) -> dict[str, Any]:
    """The contract's EVENT for one stored event."""
    return {
        "uid": event.uid,
        "calendar": event.calendar.slug,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "url": event.url,
        "categories": event.category_slugs,
        "start": format_moment(from_column(event.start_local, event.all_day)),
        "end": format_moment(from_column(event.end_local, event.all_day)),
        "timezone": event.timezone,
        "all_day": event.all_day,
        "rrule": event.rrule,
        "rdates": list(event.rdates or []),
        "exdates": list(event.exdates or []),
        "status": event.status,
        "published": event.published,
        "sequence": event.sequence,
        "created": utc_text(event.created),
        "updated": utc_text(event.updated),
    }
