"""Rows and occurrences as the contract's JSON objects (EVENT, OCCURRENCE, calendar)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import rules
from calendar_service.models import Calendar, Event
from calendar_service.moments import format_moment, from_column


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
        "recurrence_text": event.recurrence_text,
        "created": utc_text(event.created),
        "updated": utc_text(event.updated),
    }


def occurrence_json(event: Event, occurrence: rules.Occurrence) -> dict[str, Any]:
    """The contract's OCCURRENCE: local times with their offset, dates for all-day events."""
    cancelled = occurrence.cancelled or event.status == "cancelled"
    return {
        "uid": event.uid,
        "recurrence_id": (
            None if occurrence.recurrence_id is None else format_moment(occurrence.recurrence_id)
        ),
        "title": occurrence.title if occurrence.title is not None else event.title,
        "start": _instant_text(occurrence.start),
        "end": _instant_text(occurrence.end),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "status": "cancelled" if cancelled else event.status,
        "calendar": event.calendar.slug,
        "categories": event.category_slugs,
        "location": occurrence.location if occurrence.location is not None else event.location,
        "url": event.url,
        "moved": occurrence.moved,
    }


def _instant_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def calendar_json(calendar: Calendar, feed_url: str) -> dict[str, Any]:
    """The contract's calendar entry; the feed module adds the subscribe links."""
    return {
        "slug": calendar.slug,
        "name": calendar.name,
        "description": calendar.description,
        "timezone": calendar.timezone,
        "feed_url": feed_url,
    }
