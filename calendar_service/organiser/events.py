"""Organiser pages for events: the editor with its preview, one-occurrence changes, deletion.

Each page is a thin view over ``editor`` (form ↔ EVENT), ``operations`` and ``split``.  The
editor's forms carry the event's ``revision``: a save based on an older revision is refused with
a conflict message (409) and nothing is overwritten.  An organiser changes only the calendars
they were granted (``permissions``): the editor offers only those, and the pages that change an
event of another calendar answer 403 (its occurrences page stays readable).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.wrappers import Response
from wtforms import Form

import rules
from calendar_service.organiser import editor
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import DeleteForm, EventForm, OccurrenceForm, options
from calendar_service.store import addresses, operations, permissions, split
from calendar_service.store.db import db, utcnow
from calendar_service.store.errors import Conflict, NotFound, ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import format_moment, from_column, in_years, to_column
from calendar_service.store.occurrences import EventOccurrence, find_occurrence, read_series

# EVENT field → editor field (the rest are shown above the form).
FORM_FIELDS = {
    "title": "title", "description": "description", "location": "location", "url": "url",
    "categories": "categories", "new_category": "new_category", "calendar": "calendar",
    "all_day": "all_day",
    "start": "start_date", "end": "end_date", "timezone": "timezone", "status": "status",
    "published": "published", "until": "until", "count": "count", "rrule": "recurrence",
}
CONFLICT = ("Someone else changed this event while you were editing it (it is now at "
            "version {revision}). Nothing was saved. Reload the page to see their changes, "
            "then make yours again.")


@functools.cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def calendars_or_none() -> list[Calendar]:
    """The calendars the signed-in organiser may put events in (every one for an admin)."""
    return permissions.editable_calendars(current_user)


def any_calendar() -> bool:
    return db.session.scalar(select(Calendar.id).limit(1)) is not None


def event_revision(event: Event | None) -> int | str:
    """The stored revision after a failed save (the row as it is now), for the conflict note."""
    if event is None:
        return "?"
    try:
        db.session.refresh(event)
    except ObjectDeletedError:
        return "deleted"
    return event.revision


def event_or_404(uid: str) -> Event:
    """The event at this address: its uid, or its readable slug."""
    event = addresses.find_by_address(uid)
    if event is None:
        abort(404, "There is no event with this uid.")
    return event


def editable_event_or_404(uid: str) -> Event:
    """The event, which the signed-in organiser must be allowed to change (else 404, 403)."""
    event = event_or_404(uid)
    if not permissions.may_edit(current_user, event.calendar):
        abort(403, f"You may not change the events of the calendar “{event.calendar.name}”: "
                   "ask an admin or the calendar's owner to grant it to you.")
    return event


def attach_errors(form: Form, errors: Mapping[str, str], fields: Mapping[str, str]) -> list[str]:
    """Put field messages next to their fields; return the ones that belong to no field."""
    general = []
    for name, message in errors.items():
        target = fields.get(name)
        recurrence = getattr(form, "recurrence", None)
        if name == "rrule" and recurrence is not None and recurrence.data == "custom":
            target = "custom_rrule"
        field = getattr(form, target, None) if target else None
        if field is None:
            general.append(f"{name}: {message}")
        else:
            field.errors = [*field.errors, message]
    return general


def _label_repeat_choices(form: EventForm, calendars: list[Calendar]) -> None:
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in calendars)
    form.categories.choices = options(_category_choices(form, calendars))
    start = form.start_date.data
    if not isinstance(start, date) or not in_years(start):  # its message comes from validate
        start = utcnow().date()
    form.recurrence.choices = options(editor.repeat_choices(start, _form_zone(form)))


def _category_choices(form: EventForm, calendars: list[Calendar]) -> list[tuple[str, str]]:
    """The chosen calendar's categories (a category is one calendar's), by name; ticked ones
    of another calendar stay listed, so a change of calendar shows what no longer fits."""
    chosen = next((c for c in calendars if c.slug == form.calendar.data), None)
    known = {category.slug: category.name for category in (chosen.categories if chosen else [])}
    ticked = [slug for slug in (form.categories.data or []) if slug not in known]
    return [*known.items(), *((slug, slug) for slug in ticked if isinstance(slug, str))]


def _form_zone(form: EventForm) -> str:
    zone = (form.timezone.data or "").strip()
    return zone if zone and rules.is_valid_zone(zone) else "UTC"


def _render_editor(form: EventForm, calendars: list[Calendar], event: Event | None, *,
                   preview: editor.Preview | None = None, general: list[str] | None = None,
                   conflict: str | None = None, status: int = 200) -> tuple[str, int]:
    _label_repeat_choices(form, calendars)
    return render_template(
        "organiser/event_form.html", form=form, event=event, preview=preview,
        general=general or [], conflict=conflict, zones=zone_names(), calendars=calendars,
        occurrence_label=editor.occurrence_label,
    ), status


def _new_form_defaults(calendars: list[Calendar]) -> dict[str, Any]:
    wanted = request.args.get("calendar")
    calendar = next((c for c in calendars if c.slug == wanted), calendars[0])
    today = utcnow().astimezone(ZoneInfo(calendar.timezone)).date()
    return {"calendar": calendar.slug, "start_date": today + timedelta(days=1),
            "start_time": time(10), "end_time": time(11), "published": "published"}


@bp.route("/events/new", methods=["GET", "POST"])
@organiser_required
def new_event() -> Page:
    """The editor for a new event; Preview shows the rule in words and the next dates."""
    calendars = calendars_or_none()
    if not calendars:
        exists = any_calendar()
        return render_template("organiser/no_calendar.html", exists=exists), \
            403 if exists else 200
    if request.method == "GET":
        form = EventForm(data=_new_form_defaults(calendars))
        return _render_editor(form, calendars, None)
    return _submit_editor(EventForm(), calendars, None)


@bp.route("/events/<path:uid>/edit", methods=["GET", "POST"])
@organiser_required
def edit_event(uid: str) -> Page:
    """The editor for a stored event or series (the whole series)."""
    event = editable_event_or_404(uid)
    calendars = calendars_or_none()
    if request.method == "GET":
        return _render_editor(EventForm(data=editor.form_values(event)), calendars, event)
    return _submit_editor(EventForm(), calendars, event)


def _submit_editor(form: EventForm, calendars: list[Calendar], event: Event | None) -> Page:
    _label_repeat_choices(form, calendars)
    if not form.validate():
        return _render_editor(form, calendars, event, status=422)
    try:
        data = editor.form_event_data(form)
        if data["rrule"] is None and not (event is not None and event.rdates):
            data["exdates"] = []  # nothing left to exclude from once it no longer repeats
        if form.preview.data:
            return _render_editor(form, calendars, event,
                                  preview=editor.preview(data, existing=event))
        if event is not None and form.revision.data != str(event.revision):
            return _render_editor(form, calendars, event, status=409,
                                  conflict=CONFLICT.format(revision=event.revision))
        wanted = editor.new_categories(form)  # only these may be new: never a typo
        if event is None:
            event = operations.create_event(data, current_user, new_categories=wanted)
            message = f"“{event.title}” is added."
        else:
            operations.update_event(event, data, current_user, new_categories=wanted)
            message = f"“{event.title}” is saved."
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        general = attach_errors(form, error.errors, FORM_FIELDS)
        return _render_editor(form, calendars, event, general=general, status=422)
    except Conflict as error:
        db.session.rollback()
        return _render_editor(form, calendars, event, general=[error.detail], status=409)
    except StaleDataError:  # someone else's save committed between this one's read and write
        db.session.rollback()
        return _render_editor(form, calendars, event, status=409,
                              conflict=CONFLICT.format(revision=event_revision(event)))
    flash(message)
    return redirect(url_for("organiser.event_occurrences", uid=event.uid))


@bp.get("/preview.json")
@organiser_required
def preview_json() -> tuple[Response, int]:
    """The editor's preview as JSON, from the form's fields in the query (for the live script)."""
    form = EventForm(formdata=request.args, meta={"csrf": False})
    calendars = calendars_or_none()
    _label_repeat_choices(form, calendars)
    existing = operations.find_event(request.args.get("uid", "")) if request.args.get("uid") \
        else None
    if not form.validate():
        errors = {name: messages[0] for name, messages in form.errors.items() if messages}
        return jsonify({"ok": False, "errors": errors}), 200
    try:
        data = editor.form_event_data(form)
        result = editor.preview(data, existing=existing)
    except ValidationError as error:
        return jsonify({"ok": False, "errors": error.errors}), 200
    body = editor.preview_json(result)
    start_date = form.start_date.data
    assert start_date is not None  # DataRequired: the form was validated
    body["choices"] = editor.repeat_choices(start_date, _form_zone(form))
    return jsonify(body), 200


# Occurrences ----------------------------------------------------------------------------------


@bp.get("/events/<path:uid>/occurrences")
@organiser_required
def event_occurrences(uid: str) -> Page:
    """The series at a glance: its next occurrences, each one changeable on its own."""
    event = event_or_404(uid)
    series = read_series(event)
    upcoming = rules.upcoming(series, utcnow(), 20)
    if not upcoming:
        first, _last = rules.series_bounds(series)
        upcoming = rules.upcoming(series, first, 20)
    return render_template("organiser/occurrences.html", event=event, upcoming=upcoming,
                           recurring=bool(event.is_recurring),
                           editable=permissions.may_edit(current_user, event.calendar),
                           occurrence_label=editor.occurrence_label, format_moment=format_moment)


def _occurrence_of(event: Event, moment: rules.Moment) -> rules.Occurrence:
    """The occurrence with this recurrence id, as it is now (moved or not); else 404."""
    found = find_occurrence(event, moment)
    if found is None:
        abort(404, "This series has no occurrence at that time.")
    return found.occurrence


def _occurrence_changes(form: OccurrenceForm, event: Event,
                        current: rules.Occurrence) -> dict[str, Any]:
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
            end = datetime.combine(form.end_date.data or start_date, end_time) \
                if end_time else start + duration
            changes["start"], changes["end"] = format_moment(start), format_moment(end)
    recurrence_id = current.recurrence_id
    assert recurrence_id is not None
    series_end = to_column(recurrence_id) + (event.end_local - event.start_local)
    if changes.get("start") == format_moment(recurrence_id) and changes.get("end") in (
        format_moment(series_end), format_moment(series_end.date())
    ):
        del changes["start"], changes["end"]  # where the series puts it: no move
    for name in ("title", "location"):
        value = (getattr(form, name).data or "").strip()
        if value and value != getattr(event, name):
            changes[name] = value
    return changes


@bp.route("/events/<path:uid>/occurrences/<recurrence_id>", methods=["GET", "POST"])
@organiser_required
def change_occurrence(uid: str, recurrence_id: str) -> Page:
    """Move, retitle, cancel or restore one occurrence, or it and every later one."""
    event = editable_event_or_404(uid)
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
        return _render_occurrence(form, event, current, status=409,
                                  conflict=CONFLICT.format(revision=event.revision))
    later = form.scope.data == "later"
    try:
        if form.restore.data:
            operations.clear_override(event, moment, current_user)
            message = "The occurrence is restored."
        elif form.cancel_occurrence.data and later:
            split.end_series_before(event, moment, current_user)
            message = "The series now ends before this occurrence."
        elif form.cancel_occurrence.data:
            operations.set_override(event, moment, {"status": "cancelled"}, current_user)
            message = "The occurrence is cancelled."
        elif later:
            event = split.split_series(event, moment, _occurrence_changes(form, event, current),
                                       current_user)
            message = "This and every later occurrence are changed."
        else:
            operations.set_override(event, moment, _occurrence_changes(form, event, current),
                                    current_user)
            message = "The occurrence is changed."
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        general = attach_errors(form, error.errors, {"start": "start_date", "end": "end_date",
                                                     "title": "title", "location": "location"})
        return _render_occurrence(form, event, current, general=general, status=422)
    except StaleDataError:
        db.session.rollback()
        return _render_occurrence(form, event, current, status=409,
                                  conflict=CONFLICT.format(revision=event_revision(event)))
    flash(message)
    return redirect(url_for("organiser.event_occurrences", uid=event.uid))


def _occurrence_values(event: Event, current: rules.Occurrence) -> dict[str, Any]:
    shown = EventOccurrence(event, current)
    values: dict[str, Any] = {"revision": str(event.revision), "scope": "this",
                              "title": shown.title, "location": shown.location}
    if isinstance(current.start, datetime) and isinstance(current.end, datetime):
        values.update(start_date=current.start.date(), start_time=current.start.time(),
                      end_date=current.end.date(), end_time=current.end.time())
    else:
        values.update(start_date=current.start,
                      end_date=current.end - timedelta(days=1))
    return values


def _render_occurrence(form: OccurrenceForm, event: Event, current: rules.Occurrence, *,
                       general: list[str] | None = None, conflict: str | None = None,
                       status: int = 200) -> tuple[str, int]:
    recurrence_id = current.recurrence_id
    assert recurrence_id is not None
    override = next((row for row in event.overrides
                     if row.recurrence_id == format_moment(recurrence_id)), None)
    return render_template(
        "organiser/occurrence_form.html", form=form, event=event, occurrence=current,
        recurrence_id=format_moment(recurrence_id), override=override,
        first=recurrence_id == from_column(event.start_local, event.all_day),
        label=editor.occurrence_label(current), general=general or [], conflict=conflict,
    ), status


# Deletion -------------------------------------------------------------------------------------


@bp.route("/events/<path:uid>/delete", methods=["GET", "POST"])
@organiser_required
def delete_event(uid: str) -> Page:
    """Ask, then delete an event or a whole series."""
    event = editable_event_or_404(uid)
    form = DeleteForm(data={"revision": str(event.revision)}) if request.method == "GET" \
        else DeleteForm()
    if request.method == "POST" and form.validate():
        if form.revision.data != str(event.revision):
            return render_template("organiser/delete.html", form=form, event=event,
                                   conflict=CONFLICT.format(revision=event.revision)), 409
        title = event.title
        try:
            operations.delete_event(event, current_user)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            return render_template("organiser/delete.html", form=form, event=event,
                                   conflict=CONFLICT.format(revision=event_revision(event))), 409
        flash(f"“{title}” is deleted.")
        return redirect(url_for("organiser.dashboard"))
    return render_template("organiser/delete.html", form=form, event=event, conflict=None)

