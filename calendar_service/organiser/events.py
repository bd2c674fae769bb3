"""Organiser pages for events: the editor with its preview, and deletion (the dates of a
series are ``dates``).

Each page is a thin view over ``editor`` (form ↔ draft) and ``services.editing``.  The
editor's forms carry the event's ``revision``: a save based on an older revision is refused with
a conflict message (409) and nothing is overwritten.  An organiser changes only the calendars
they were granted (``permissions``): the editor offers only those, and the pages that change an
event of another calendar answer 403 (its occurrences page stays readable).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import ObjectDeletedError
from werkzeug.wrappers import Response
from wtforms import Form

import rules
from calendar_service.clock import utcnow
from calendar_service.organiser import editor
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import DeleteForm, EventForm, options
from calendar_service.services import editing
from calendar_service.services.drafts import EventDraft
from calendar_service.services.unit_of_work import StaleRevision, unit_of_work
from calendar_service.store import addresses, operations, parts, permissions
from calendar_service.store.db import db
from calendar_service.store.errors import Conflict, Forbidden, ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import in_years

# EVENT field → editor field (the rest are shown above the form).
FORM_FIELDS = {
    "title": "title",
    "description": "description",
    "location": "location",
    "url": "url",
    "categories": "categories",
    "new_category": "new_category",
    "calendar": "calendar",
    "all_day": "all_day",
    "start": "start_date",
    "end": "end_date",
    "timezone": "timezone",
    "status": "status",
    "published": "published",
    "until": "until",
    "count": "count",
    "rrule": "recurrence",
}
PREVIEW_TITLE = "Untitled"
CONFLICT = (
    "Someone else changed this event while you were editing it (it is now at "
    "version {revision}). Nothing was saved. Reload the page to see their changes, "
    "then make yours again."
)


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


def editable_event_or_404(uid: str) -> editing.Editable:
    """The event, which the signed-in organiser must be allowed to change (else 404, 403):
    the one check of the pages that change it."""
    event = event_or_404(uid)
    try:
        return editing.open_event(event, current_user)
    except Forbidden:
        abort(
            403,
            f"You may not change the events of the calendar “{event.calendar.name}”: "
            "ask an admin or the calendar's owner to grant it to you.",
        )


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


def _render_editor(
    form: EventForm,
    calendars: list[Calendar],
    event: Event | None,
    *,
    preview: editor.Preview | None = None,
    general: list[str] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    _label_repeat_choices(form, calendars)
    return render_template(
        "organiser/event_form.html",
        form=form,
        event=event,
        preview=preview,
        general=general or [],
        conflict=conflict,
        zones=zone_names(),
        calendars=calendars,
        occurrence_label=editor.occurrence_label,
    ), status


def _new_form_defaults(calendars: list[Calendar]) -> dict[str, Any]:
    wanted = request.args.get("calendar")
    calendar = next((c for c in calendars if c.slug == wanted), calendars[0])
    today = utcnow().astimezone(ZoneInfo(calendar.timezone)).date()
    return {
        "calendar": calendar.slug,
        "start_date": today + timedelta(days=1),
        "start_time": time(10),
        "end_time": time(11),
        "published": "draft",
    }


def _opening_preview(
    form: EventForm, calendars: list[Calendar], event: Event | None
) -> editor.Preview | None:
    """The preview of the form as it opens, so it is there before anything is pressed (with or
    without the script); None when the values cannot be previewed yet."""
    try:
        draft = editor.form_draft(form, calendars, event)
        return editor.preview(_previewable(draft), calendars, existing=event)
    except ValidationError:
        return None


def _previewable(draft: EventDraft) -> EventDraft:
    """The draft for a preview: a title is needed to save, not to see the dates."""
    return replace(draft, title=draft.title.strip() or PREVIEW_TITLE)


def _saved_message(event: Event) -> str:
    """What a save did, plainly: a draft reaches no one; a published event reaches every
    subscriber of its calendar's feed."""
    if not event.published:
        return (
            f"“{event.title}” is saved as a draft: only organisers see it. Choose "
            "“Published” in the editor to put it in the agenda and the feed."
        )
    return (
        f"“{event.title}” is published in “{event.calendar.name}”: it is in the agenda "
        "and the feed now, and in subscribers' calendars at their next refresh."
    )


@bp.route("/events/new", methods=["GET", "POST"])
@organiser_required
def new_event() -> Page:
    """The editor for a new event; Preview shows the rule in words and the next dates."""
    calendars = calendars_or_none()
    if not calendars:
        exists = any_calendar()
        return render_template("organiser/no_calendar.html", exists=exists), 403 if exists else 200
    if request.method == "GET":
        form = EventForm(data=_new_form_defaults(calendars))
        _label_repeat_choices(form, calendars)
        return _render_editor(
            form, calendars, None, preview=_opening_preview(form, calendars, None)
        )
    return _submit_editor(EventForm(), calendars, None)


@bp.route("/events/<path:uid>/edit", methods=["GET", "POST"])
@organiser_required
def edit_event(uid: str) -> Page:
    """The editor for a stored event or series (the whole series)."""
    target = editable_event_or_404(uid)
    event = target.event
    calendars = calendars_or_none()
    if request.method == "GET":
        form = EventForm(data=editor.form_values(event))
        _label_repeat_choices(form, calendars)
        return _render_editor(
            form, calendars, event, preview=_opening_preview(form, calendars, event)
        )
    return _submit_editor(EventForm(), calendars, target)


def _submit_editor(
    form: EventForm, calendars: list[Calendar], target: editing.Editable | None
) -> Page:
    event = target.event if target is not None else None
    _label_repeat_choices(form, calendars)
    valid = form.validate()
    if form.preview.data and not (form.title.data or "").strip():
        form.title.errors = []  # a title is needed to save, not to see the dates
        valid = not any(field.errors for field in form)
    if not valid:
        return _render_editor(form, calendars, event, status=422)
    try:
        draft = editor.form_draft(form, calendars, event)
        if draft.rrule is None and not (event is not None and event.rdates):
            draft = replace(draft, exdates=())  # nothing to exclude from once it no longer repeats
        if form.preview.data:
            return _render_editor(
                form,
                calendars,
                event,
                preview=editor.preview(_previewable(draft), calendars, existing=event),
            )
        if event is not None and form.revision.data != str(event.revision):
            return _render_editor(
                form,
                calendars,
                event,
                status=409,
                conflict=CONFLICT.format(revision=event.revision),
            )
        wanted = editor.new_categories(form)  # only these may be new: never a typo
        with unit_of_work():
            if target is None:
                event = editing.create_event(
                    draft, current_user, new_categories=wanted, offered=calendars
                )
            else:
                editing.update_event(target, draft, new_categories=wanted, offered=calendars)
            assert event is not None
            message = _saved_message(event)
    except ValidationError as error:
        general = attach_errors(form, error.errors, FORM_FIELDS)
        return _render_editor(form, calendars, event, general=general, status=422)
    except StaleRevision:  # someone else's save committed between this one's read and write
        return _render_editor(
            form,
            calendars,
            event,
            status=409,
            conflict=CONFLICT.format(revision=event_revision(event)),
        )
    except Conflict as error:
        return _render_editor(form, calendars, event, general=[error.detail], status=409)
    flash(message)
    return redirect(url_for("organiser.event_occurrences", uid=event.uid))


@bp.get("/preview.json")
@organiser_required
def preview_json() -> tuple[Response, int]:
    """The editor's preview as JSON, from the form's fields in the query (for the live script)."""
    form = EventForm(formdata=request.args, meta={"csrf": False})
    calendars = calendars_or_none()
    _label_repeat_choices(form, calendars)
    existing = (
        operations.find_event(request.args.get("uid", "")) if request.args.get("uid") else None
    )
    valid = form.validate()
    errors = {name: messages[0] for name, messages in form.errors.items() if messages}
    if not form.title.data:  # an empty title stops a save, not a preview
        errors.pop("title", None)
    if not valid and errors:
        return jsonify({"ok": False, "errors": errors}), 200
    try:
        draft = editor.form_draft(form, calendars, existing)
        result = editor.preview(_previewable(draft), calendars, existing=existing)
    except ValidationError as error:
        return jsonify({"ok": False, "errors": error.errors}), 200
    body = editor.preview_json(result)
    start_date = form.start_date.data
    assert start_date is not None  # DataRequired: the form was validated
    body["choices"] = editor.repeat_choices(start_date, _form_zone(form))
    return jsonify(body), 200


# Deletion -------------------------------------------------------------------------------------


@bp.route("/events/<path:uid>/delete", methods=["GET", "POST"])
@organiser_required
def delete_event(uid: str) -> Page:
    """Ask, then delete an event or a whole series, with every part a split left."""
    target = editable_event_or_404(uid)
    event = target.event
    chain = parts.parts_of(event)
    form = (
        DeleteForm(data={"revision": str(event.revision)})
        if request.method == "GET"
        else DeleteForm()
    )

    def page(conflict: str | None = None, status: int = 200) -> tuple[str, int]:
        return render_template(
            "organiser/delete.html", form=form, event=event, parts=chain, conflict=conflict
        ), status

    if request.method == "POST" and form.validate():
        if form.revision.data != str(event.revision):
            return page(CONFLICT.format(revision=event.revision), 409)
        title = event.title
        try:
            with unit_of_work():
                editing.delete_event(target)
        except StaleRevision:
            return page(CONFLICT.format(revision=event_revision(event)), 409)
        flash(f"“{title}” is deleted.")
        return redirect(url_for("organiser.dashboard"))
    return page()
