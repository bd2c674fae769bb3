"""Organiser pages for the dates of a series: the list, and one date's own time, title, place
and description, or its cancellation with a note; each change for this date only, for it and
every later date, or for all of them (as Google Calendar and Outlook ask).

"This and following" splits the series (``store.split``) into parts that stay one logical
series (``store.parts``): "all" reaches every part.  Ending a series, or cancelling all of it,
asks first on a page of its own that needs no script, with a button that looks like what it
does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

import rules
from calendar_service.clock import utcnow
from calendar_service.organiser import editor
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.events import (
    CONFLICT,
    attach_errors,
    editable_event_or_404,
    event_or_404,
    event_revision,
)
from calendar_service.organiser.forms import OccurrenceForm
from calendar_service.services import editing, schedule
from calendar_service.services.unit_of_work import StaleRevision, unit_of_work
from calendar_service.store import operations, parts, permissions
from calendar_service.store.errors import NotFound, ValidationError
from calendar_service.store.models import Event
from calendar_service.store.moments import format_moment, from_column, to_column
from calendar_service.store.occurrences import EventOccurrence

FIELDS = {
    "start": "start_date",
    "end": "end_date",
    "title": "title",
    "location": "location",
    "description": "description",
}


@bp.get("/events/<path:uid>/occurrences")
@organiser_required
def event_occurrences(uid: str) -> Page:
    """The series at a glance: its next dates, each one changeable on its own, and the other
    parts of the same logical series."""
    event = event_or_404(uid)
    upcoming = schedule.event_dates(event, utcnow(), 20)
    return render_template(
        "organiser/occurrences.html",
        event=event,
        upcoming=[EventOccurrence(event, item) for item in upcoming],
        recurring=bool(event.is_recurring),
        earlier=parts.earlier_part(event),
        later=parts.later_part(event),
        editable=permissions.may_edit(current_user, event.calendar),
        occurrence_label=editor.occurrence_label,
        format_moment=format_moment,
    )


def _occurrence_of(event: Event, moment: rules.Moment) -> rules.Occurrence:
    """The occurrence with this recurrence id, as it is now (moved or not); else 404."""
    found = schedule.at(event, moment)
    if found is None:
        abort(404, "This series has no occurrence at that time.")
    return found.occurrence


def _occurrence_changes(
    form: OccurrenceForm, event: Event, current: rules.Occurrence
) -> dict[str, Any]:
    """EVENT-style changes from the form: only what differs from the series stays an override."""
    changes: dict[str, Any] = {}
    start_date = form.start_date.data
    if start_date is not None:
        if event.all_day:
            changes["start"] = start_date.isoformat()
            last = form.end_date.data or start_date
            changes["end"] = (last + timedelta(days=1)).isoformat()
        else:
            start_time = form.start_time.data or current.start.time()  # type: ignore[union-attr]
            start = datetime.combine(start_date, start_time)
            end_time = form.end_time.data
            duration = to_column(from_column(event.end_local, False)) - event.start_local
            end = (
                datetime.combine(form.end_date.data or start_date, end_time)
                if end_time
                else start + duration
            )
            changes["start"], changes["end"] = format_moment(start), format_moment(end)
    recurrence_id = current.recurrence_id
    assert recurrence_id is not None
    series_end = to_column(recurrence_id) + (event.end_local - event.start_local)
    if changes.get("start") == format_moment(recurrence_id) and changes.get("end") in (
        format_moment(series_end),
        format_moment(series_end.date()),
    ):
        del changes["start"], changes["end"]  # where the series puts it: no move
    for name in ("title", "location", "description"):
        value = (getattr(form, name).data or "").strip()
        if value and value != getattr(event, name).strip():
            changes[name] = value
    return changes


@bp.route("/events/<path:uid>/occurrences/<recurrence_id>", methods=["GET", "POST"])
@organiser_required
def change_occurrence(uid: str, recurrence_id: str) -> Page:
    """Change, describe, cancel or restore one date, it and every later one, or all of them;
    ending or cancelling more than one date asks first."""
    target = editable_event_or_404(uid)
    event = target.event
    try:
        moment = operations.parse_recurrence_id(event, recurrence_id)
    except NotFound as error:
        abort(404, error.detail)
    current = _occurrence_of(event, moment)
    if request.method == "GET":
        form = OccurrenceForm(data=_occurrence_values(event, current))
        return _render_occurrence(form, event, current)
    form = OccurrenceForm()
    if not form.validate():
        return _render_occurrence(form, event, current, status=422)
    if form.revision.data != str(event.revision):
        return _render_occurrence(
            form, event, current, status=409, conflict=CONFLICT.format(revision=event.revision)
        )
    scope = form.scope.data if form.scope.data in ("later", "all") else "this"
    if form.cancel_occurrence.data and scope != "this" and form.confirmed.data != "yes":
        return _render_confirmation(form, event, current, scope)
    try:
        with unit_of_work():
            shown, message = _apply(form, target, current, scope)
    except ValidationError as error:
        general = attach_errors(form, error.errors, FIELDS)
        return _render_occurrence(form, event, current, general=general, status=422)
    except StaleRevision:
        return _render_occurrence(
            form,
            event,
            current,
            status=409,
            conflict=CONFLICT.format(revision=event_revision(event)),
        )
    flash(message)
    return redirect(url_for("organiser.event_occurrences", uid=shown.uid))


def _apply(
    form: OccurrenceForm, target: editing.Editable, current: rules.Occurrence, scope: str
) -> tuple[Event, str]:
    """Make the change the form asks for; returns the part to show next and what was done."""
    event = target.event
    moment = current.recurrence_id
    assert moment is not None
    if form.restore.data:
        editing.restore_occurrence(target, moment)
        return event, "The date is restored as the series has it."
    if form.cancel_occurrence.data:
        note = (form.note.data or "").strip() if scope == "this" else ""
        return event, editing.cancel(target, moment, scope, note)
    changes = _occurrence_changes(form, event, current)
    if scope == "later":
        successor = editing.change_from(target, moment, changes)
        return successor, "This date and every later one are changed."
    if scope == "all":
        editing.change_every_part(target, moment, changes)
        return event, "Every date of the series is changed."
    editing.change_occurrence(target, moment, changes)
    return event, "The date is changed."


def _day(moment: rules.Moment) -> str:
    day = moment.date() if isinstance(moment, datetime) else moment
    return f"{day:%a} {day.day} {day:%b %Y}"


def _occurrence_values(event: Event, current: rules.Occurrence) -> dict[str, Any]:
    shown = EventOccurrence(event, current)
    values: dict[str, Any] = {
        "revision": str(event.revision),
        "scope": "this",
        "title": shown.title,
        "location": shown.location,
        "description": shown.own_description,
        "note": shown.note,
    }
    if isinstance(current.start, datetime) and isinstance(current.end, datetime):
        values.update(
            start_date=current.start.date(),
            start_time=current.start.time(),
            end_date=current.end.date(),
            end_time=current.end.time(),
        )
    else:
        values.update(start_date=current.start, end_date=current.end - timedelta(days=1))
    return values


def _render_occurrence(
    form: OccurrenceForm,
    event: Event,
    current: rules.Occurrence,
    *,
    general: list[str] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    recurrence_id = current.recurrence_id
    assert recurrence_id is not None
    override = next(
        (row for row in event.overrides if row.recurrence_id == format_moment(recurrence_id)), None
    )
    return render_template(
        "organiser/occurrence_form.html",
        form=form,
        event=event,
        occurrence=current,
        recurrence_id=format_moment(recurrence_id),
        override=override,
        label=editor.occurrence_label(current),
        general=general or [],
        conflict=conflict,
    ), status


def _render_confirmation(
    form: OccurrenceForm, event: Event, current: rules.Occurrence, scope: str
) -> tuple[str, int]:
    """The step before ending a series or cancelling all of it: what goes, what stays."""
    moment = current.recurrence_id
    assert moment is not None
    chain = parts.parts_of(event)
    first = moment == from_column(event.start_local, event.all_day)
    ends = scope == "later" and not first
    form.confirmed.data = "yes"
    return render_template(
        "organiser/confirm_cancel.html",
        form=form,
        event=event,
        scope=scope,
        ends=ends,
        day=_day(moment),
        label=editor.occurrence_label(current),
        recurrence_id=format_moment(moment),
        first_day=_first_day(chain[0]),
        later_parts=chain[chain.index(event) + 1 :],
    ), 200


def _first_day(event: Event) -> date:
    return event.start_local.date()
