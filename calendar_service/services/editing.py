"""The editing use cases the organiser pages and the API share: create, update and delete an
event; change, cancel or restore one occurrence; "this and all later ones" (a split); a
calendar's categories.

Authorization happens here, once per change: ``open_event`` asks whether the actor may change
the event's calendar and hands back an ``Editable`` that the use cases on an existing event
take, so nothing below asks again; a create, or an update that moves the event, asks once
for the calendar the draft names.  The store's functions (``operations``, ``split``,
``categories``) are storage and ask nothing.  Nothing here commits: the caller's
``unit_of_work`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rules
from calendar_service.store import categories, operations, parts, permissions, split
from calendar_service.store.audit import Actor
from calendar_service.store.drafts import EventDraft
from calendar_service.store.models import Calendar, Category, Event
from calendar_service.store.moments import format_moment, from_column, parse_stored, to_column

EventInput = EventDraft | Mapping[str, Any]
"""A typed draft, or an EVENT body of the API (the changed fields on update)."""


@dataclass(frozen=True)
class Editable:
    """An event that ``actor`` was found allowed to change (``open_event``)."""

    event: Event
    actor: Actor


def open_event(event: Event, actor: Actor) -> Editable:
    """The event as ``actor`` may change it; raises Forbidden when they may not."""
    permissions.require_edit(actor, event.calendar)
    return Editable(event, actor)


def create_event(
    draft: EventInput,
    actor: Actor,
    *,
    new_categories: operations.NewCategories = None,
    offered: Sequence[Calendar] = (),
) -> Event:
    """Add an event to the calendar the draft names, which ``actor`` must be allowed to change
    (an unknown one is validation's field error); raises Forbidden, ValidationError, Conflict.
    ``offered``: calendars the caller has read already (the editor's list), found without a
    query."""
    calendar = operations.target_calendar(draft, offered=offered)
    if calendar is not None:
        permissions.require_edit(actor, calendar)
    return operations.create_event(draft, actor, new_categories=new_categories, calendar=calendar)


def update_event(
    target: Editable,
    draft: EventInput,
    *,
    new_categories: operations.NewCategories = None,
    offered: Sequence[Calendar] = (),
) -> Event:
    """Change the event as the draft says; a calendar it moves to must be the actor's to
    change too.  Raises Forbidden, ValidationError, Conflict."""
    event, actor = target.event, target.actor
    calendar = operations.target_calendar(draft, event, offered)
    if calendar is not None and calendar is not event.calendar:
        permissions.require_edit(actor, calendar)
    return operations.update_event(
        event, draft, actor, new_categories=new_categories, calendar=calendar
    )


def delete_event(target: Editable) -> None:
    """Delete the event with every part a split left, the latest first (no part is left
    naming a gone one)."""
    for part in reversed(parts.parts_of(target.event)):
        _also(target, part)
        operations.delete_event(part, target.actor)


def delete_one(target: Editable) -> None:
    """Delete this event (or series) alone."""
    operations.delete_event(target.event, target.actor)


# One occurrence -------------------------------------------------------------------------------


def change_occurrence(
    target: Editable, recurrence_id: rules.Moment, changes: Mapping[str, Any]
) -> None:
    """Move, retitle, describe or cancel one occurrence."""
    operations.set_override(target.event, recurrence_id, changes, target.actor)


def restore_occurrence(target: Editable, recurrence_id: rules.Moment) -> None:
    """Restore one occurrence to what the series says."""
    operations.clear_override(target.event, recurrence_id, target.actor)


def change_from(target: Editable, recurrence_id: rules.Moment, changes: Mapping[str, Any]) -> Event:
    """Change this occurrence and every later one: the series that now holds them."""
    return split.split_series(target.event, recurrence_id, changes, target.actor)


def change_every_part(
    target: Editable, recurrence_id: rules.Moment, changes: Mapping[str, Any]
) -> None:
    """Apply one date's changes to every part of its series: texts as they are, a new time as
    the same shift of every start, with the new length."""
    event = target.event
    texts = {
        name: changes[name] for name in ("title", "location", "description") if name in changes
    }
    shift = length = None
    if "start" in changes:
        start = parse_stored(changes["start"], event.all_day)
        shift = to_column(start) - to_column(recurrence_id)
        length = to_column(parse_stored(changes["end"], event.all_day)) - to_column(start)
    for part in parts.parts_of(event):
        data: dict[str, Any] = dict(texts)
        if shift is not None and length is not None:
            begins = part.start_local + shift
            data["start"] = format_moment(from_column(begins, part.all_day))
            data["end"] = format_moment(from_column(begins + length, part.all_day))
        if data:
            _also(target, part)
            operations.update_event(part, data, target.actor)


def cancel(target: Editable, recurrence_id: rules.Moment, scope: str, note: str = "") -> str:
    """Cancel this date (``this``, with its note), it and every later one (``later``: the
    series ends before it) or every date (``all``); what was done, in words."""
    event, actor = target.event, target.actor
    chain = parts.parts_of(event)
    if scope == "this":
        operations.set_override(
            event, recurrence_id, {"status": "cancelled", "description": note or None}, actor
        )
        return "The date is cancelled."
    first = recurrence_id == from_column(event.start_local, event.all_day)
    if scope == "later" and not first:
        split.end_series_before(event, recurrence_id, actor)
        later = chain[chain.index(event) + 1 :]
    else:
        later = chain if scope == "all" else chain[chain.index(event) :]
    for part in later:
        _also(target, part)
        operations.update_event(part, {"status": "cancelled"}, actor)
    if scope == "later" and not first:
        return f"The series now ends before {_day(recurrence_id)}."
    return (
        "Every date of the series is cancelled."
        if scope == "all"
        else f"Every date from {_day(recurrence_id)} on is cancelled."
    )


def _also(target: Editable, part: Event) -> None:
    """A part of the opened series that was moved to another calendar is asked for on its own
    (the parts of a series are in its calendar otherwise: asked once, by ``open_event``)."""
    if part.calendar is not target.event.calendar:
        permissions.require_edit(target.actor, part.calendar)


def _day(moment: rules.Moment) -> str:
    day = moment.date() if isinstance(moment, datetime) else moment
    return f"{day:%a} {day.day} {day:%b %Y}"


# Categories -----------------------------------------------------------------------------------


def create_category(calendar: Calendar, name: str, actor: Actor) -> Category:
    """A new category of the calendar (admins only), with its own feed."""
    permissions.require_admin(actor, "manage categories")
    return categories.create_category(calendar, name, actor)


def rename_category(category: Category, name: str, actor: Actor) -> None:
    """A new name for a category; its slug, and so its feed address, stays (admins only)."""
    permissions.require_admin(actor, "manage categories")
    categories.rename_category(category, name, actor)


def merge_category(source: Category, target: Category, actor: Actor) -> int:
    """Move a category's events to another and delete it (admins only): how many moved."""
    permissions.require_admin(actor, "manage categories")
    return categories.merge_category(source, target, actor)


def delete_category(category: Category, actor: Actor, move_to: Category | None = None) -> int:
    """Delete a category, its events moved to ``move_to`` or to none (admins only)."""
    permissions.require_admin(actor, "manage categories")
    return categories.delete_category(category, actor, move_to)
