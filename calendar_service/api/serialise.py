"""Rows and occurrences as the contract's JSON objects (EVENT, OCCURRENCE, calendar)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import rules
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import format_moment
from calendar_service.store.occurrences import EventOccurrence
from calendar_service.store.values import event_json, utc_text


def occurrence_json(event: Event, occurrence: rules.Occurrence) -> dict[str, Any]:
    """The contract's OCCURRENCE: local times with their offset, dates for all-day events."""
    item = EventOccurrence(event, occurrence)
    return {
        "uid": event.uid,
        "recurrence_id": (
            None if occurrence.recurrence_id is None else format_moment(occurrence.recurrence_id)
        ),
        "title": item.title,
        "start": _instant_text(occurrence.start),
        "end": _instant_text(occurrence.end),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "status": item.status,
        "calendar": event.calendar.slug,
        "categories": event.category_slugs,
        "location": item.location,
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


def event_etag(event: Event) -> str:
    """The strong ETag of an EVENT: it changes with every write (``revision``) and row."""
    return f'"{event.id}-{event.revision}"'


__all__ = ["calendar_json", "event_etag", "event_json", "occurrence_json", "utc_text"]
