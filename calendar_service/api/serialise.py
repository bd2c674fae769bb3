"""Rows and occurrences as the contract's JSON objects (EVENT, OCCURRENCE, calendar)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import rules
from calendar_service.services.rule_text import rule_text
from calendar_service.store import parts
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import format_moment
from calendar_service.store.occurrences import EventOccurrence
from calendar_service.store.permissions import Drafts
from calendar_service.store.values import event_json, utc_text


def events_json(events: Sequence[Event], *, drafts: Drafts) -> list[dict[str, Any]]:
    """The contract's EVENTs, each with the read-only ``recurrence_text`` (the rule in English
    words, made now) and ``continues`` and ``continued_by``: the uids of the earlier and later
    parts of the same series after a change "from this date on" (null when there is none, or
    when it is a draft that ``drafts`` does not show)."""
    links = parts.neighbours(events, drafts=drafts)
    return [
        {
            **event_json(event),
            "recurrence_text": rule_text(event),
            "continues": links[event.id][0],
            "continued_by": links[event.id][1],
        }
        for event in events
    ]


def occurrence_json(
    event: Event, occurrence: rules.Occurrence, shared: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The contract's OCCURRENCE: local times with their offset, dates for all-day events.

    ``shared`` is ``event_fields(event)``, when the caller lists many occurrences of one event
    and has it already (reading the event's calendar and categories once, not per occurrence).
    """
    item = EventOccurrence(event, occurrence)
    fields = shared if shared is not None else event_fields(event)
    return {
        "uid": fields["uid"],
        "recurrence_id": (
            None if occurrence.recurrence_id is None else format_moment(occurrence.recurrence_id)
        ),
        "title": item.title,
        "start": _instant_text(occurrence.start),
        "end": _instant_text(occurrence.end),
        "all_day": fields["all_day"],
        "timezone": fields["timezone"],
        "status": item.status,
        "calendar": fields["calendar"],
        "categories": fields["categories"],
        "location": item.location,
        "url": fields["url"],
        "moved": occurrence.moved,
    }


def event_fields(event: Event) -> dict[str, Any]:
    """What every OCCURRENCE of an event says alike."""
    return {
        "uid": event.uid,
        "all_day": event.all_day,
        "timezone": event.timezone,
        "calendar": event.calendar.slug,
        "categories": event.category_slugs,
        "url": event.url,
    }


def occurrences_json(items: Iterable[EventOccurrence]) -> list[dict[str, Any]]:
    """OCCURRENCEs of many events, each event's shared fields read once."""
    shared: dict[int, dict[str, Any]] = {}
    listed = []
    for item in items:
        fields = shared.get(item.event.id)
        if fields is None:
            fields = shared[item.event.id] = event_fields(item.event)
        listed.append(occurrence_json(item.event, item.occurrence, fields))
    return listed


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


__all__ = [
    "calendar_json",
    "event_etag",
    "event_json",
    "events_json",
    "occurrence_json",
    "occurrences_json",
    "utc_text",
]
