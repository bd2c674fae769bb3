""" "This and all later ones": end a series before one occurrence and start a new series there.

RFC 5545's RANGE=THISANDFUTURE is understood by few subscribers' clients; what they all
understand is two plain series: the old one with an UNTIL just before the occurrence, and a new
one (a new UID) from the occurrence on, with the organiser's changes.  COUNT is shared out so the
two together have the original number of instances; later exceptions move to the new series.
The new series names the old one as the part it continues (``parts``), so organisers keep one
logical series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rules
from calendar_service.store import operations, parts
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import Event, Override
from calendar_service.store.moments import format_moment, from_column, parse_stored, to_column
from calendar_service.store.occurrences import series_of

CHANGEABLE = ("start", "end", "title", "location", "description")


def end_series_before(event: Event, recurrence_id: rules.Moment, actor: Actor) -> Event:
    """End the series just before this occurrence ("cancel this and all later ones")."""
    if event.rrule is None:
        raise ValidationError({"rrule": "only a repeating rule can end at an occurrence"})

    def later(value: str) -> bool:
        return parse_stored(value, event.all_day) >= recurrence_id

    if recurrence_id <= from_column(event.start_local, event.all_day):
        raise ValidationError({"start": "this is the first occurrence: delete the series instead"})
    return operations.update_event(
        event,
        {
            "rrule": rules.rule_ending_before(series_of(event), recurrence_id),
            "rdates": [value for value in event.rdates or [] if not later(value)],
            "exdates": [value for value in event.exdates or [] if not later(value)],
        },
        actor,
    )


def split_series(
    event: Event, recurrence_id: rules.Moment, changes: Mapping[str, Any], actor: Actor
) -> Event:
    """Apply ``changes`` (EVENT start/end/title/location/description) to the occurrence
    ``recurrence_id`` and every later one; returns the series that now holds them.

    On the first occurrence this is an edit of the whole series.  Raises ValidationError (the
    messages of ``operations``) when the result is not a valid pair of series.
    """
    all_day = event.all_day
    if recurrence_id <= from_column(event.start_local, all_day):
        return operations.update_event(event, dict(changes), actor)
    if event.rrule is None:
        raise ValidationError({"rrule": "only a repeating rule can be split at an occurrence"})
    duration = to_column(from_column(event.end_local, all_day)) - event.start_local
    new_start = changes.get("start") or format_moment(recurrence_id)
    new_start_moment = (
        parse_stored(new_start, all_day) if isinstance(new_start, str) else recurrence_id
    )
    shift = to_column(new_start_moment) - to_column(recurrence_id)

    new_rule = rules.rule_continuing_from(series_of(event), recurrence_id)
    key = format_moment(recurrence_id)

    def later(value: str) -> bool:
        return parse_stored(value, all_day) >= recurrence_id

    def moved(value: str) -> str:
        return format_moment(parse_stored(value, all_day) + shift)

    later_overrides = [
        row for row in event.overrides if later(row.recurrence_id) and row.recurrence_id != key
    ]
    data: dict[str, Any] = {
        "calendar": event.calendar.slug,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "url": event.url,
        "categories": event.category_slugs,
        "all_day": all_day,
        "timezone": event.timezone,
        "start": format_moment(new_start_moment),
        "end": format_moment(new_start_moment + duration),
        "rrule": new_rule,
        "status": event.status,
        "published": event.published,
        "rdates": [moved(value) for value in event.rdates or [] if later(value)],
        "exdates": [moved(value) for value in event.exdates or [] if later(value)],
    }
    data.update({name: value for name, value in changes.items() if name in CHANGEABLE})
    copies = [
        Override(
            recurrence_id=moved(row.recurrence_id),
            cancelled=row.cancelled,
            start_local=row.start_local,
            end_local=row.end_local,
            title=row.title,
            location=row.location,
            description=row.description,
        )
        for row in later_overrides
    ]

    end_series_before(event, recurrence_id, actor)
    successor = operations.create_event(data, actor)
    for row in copies:
        successor.overrides.append(row)
    successor.first_start_utc, successor.last_end_utc = rules.series_bounds(series_of(successor))
    db.session.flush()
    parts.link(event, successor)
    audit(
        actor,
        "split",
        "event",
        event.uid,
        event.calendar,
        recurrence_id=key,
        successor=successor.uid,
    )
    return successor
