"""Organiser pages for admins (organisers, calendars, the audit log) and the .ics import upload."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from calendar_service.ical.reader import IcsImportError, ImportResult, import_ics
from calendar_service.organiser.access import Page, admin_signed_in_required, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.events import attach_errors, zone_names
from calendar_service.organiser.forms import (
    ActionForm,
    CalendarForm,
    ImportForm,
    OrganiserForm,
    options,
)
from calendar_service.store import accounts, operations
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import AuditEntry, Calendar, Event, Organiser

AUDIT_PAGE = 100


@bp.route("/admin/organisers", methods=["GET", "POST"])
@admin_signed_in_required
def organisers() -> Page:
    """Every organiser; add one."""
    form = OrganiserForm()
    status = 200
    if form.validate_on_submit():
        try:
            organiser = accounts.create_organiser(
                form.email.data or "", form.password.data, admin=bool(form.is_admin.data),
                name=form.name.data or "", actor=current_user)
            db.session.commit()
            flash(f"{organiser.email} can now sign in.")
            return redirect(url_for("organiser.organisers"))
        except ValidationError as error:
            db.session.rollback()
            attach_errors(form, error.errors, {"email": "email", "password": "password"})
            status = 422
    elif form.is_submitted():
        status = 422
    rows = db.session.scalars(select(Organiser).order_by(Organiser.email)).all()
    return render_template("organiser/organisers.html", form=form, organisers=rows,
                           action_form=ActionForm()), status


@bp.post("/admin/organisers/<int:organiser_id>/<action>")
@admin_signed_in_required
def organiser_action(organiser_id: int, action: str) -> Response:
    """Deactivate, reactivate, make admin or remove admin rights (never one's own)."""
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None or action not in accounts.ORGANISER_ACTIONS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, "The form has expired; reload the page and try again.")
    if organiser.id == current_user.id:
        flash("You cannot change your own account here; ask another admin.")
        return redirect(url_for("organiser.organisers"))
    accounts.change_access(organiser, action, current_user)
    db.session.commit()
    flash(f"{organiser.email}: {action.replace('-', ' ')} done.")
    return redirect(url_for("organiser.organisers"))


@bp.route("/admin/calendars", methods=["GET", "POST"])
@admin_signed_in_required
def calendars() -> Page:
    """Every calendar with its number of events; create one."""
    form = CalendarForm()
    status = 200
    if form.validate_on_submit():
        try:
            calendar = operations.create_calendar(
                {"slug": (form.slug.data or "").strip(), "name": form.name.data or "",
                 "description": form.description.data or "",
                 "timezone": (form.timezone.data or "").strip() or None},
                current_user, default_tz=current_app.config["CALENDAR_TIMEZONE"])
            db.session.commit()
            flash(f"Calendar “{calendar.name}” is created.")
            return redirect(url_for("organiser.calendars"))
        except ValidationError as error:
            db.session.rollback()
            attach_errors(form, error.errors, {key: key for key in
                                               ("slug", "name", "description", "timezone")})
            status = 422
    elif form.is_submitted():
        status = 422
    counts = dict(db.session.execute(
        select(Event.calendar_id, func.count()).group_by(Event.calendar_id)).all())
    rows = db.session.scalars(select(Calendar).order_by(Calendar.name)).all()
    return render_template("organiser/calendars.html", form=form, calendars=rows, counts=counts,
                           zones=zone_names(),
                           default_tz=current_app.config["CALENDAR_TIMEZONE"]), status


@bp.get("/admin/audit")
@admin_signed_in_required
def audit_log() -> Page:
    """Who changed what and when, newest first."""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    entries = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE + 1).offset((number - 1) * AUDIT_PAGE)
    ).all()
    return render_template("organiser/audit.html", entries=entries[:AUDIT_PAGE], page=number,
                           more=len(entries) > AUDIT_PAGE)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> Page:
    """An upload over the request limit: say so on the import page, not on a bare 413 page."""
    if request.endpoint != "organiser.import_page" or not current_user.is_authenticated:
        return render_template("error.html", error=error, status=413), 413
    form = ImportForm(formdata=None)
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in
                                    db.session.scalars(select(Calendar).order_by(Calendar.name)))
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    message = f"Nothing was imported: the file is larger than the import limit of {limit:,} bytes."
    return render_template("organiser/import.html", form=form, result=None, error=message,
                           limit=limit), 413


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_page() -> Page:
    """Upload an .ics file; the page lists what was created, updated and skipped, and why."""
    form = ImportForm()
    choices = db.session.scalars(select(Calendar).order_by(Calendar.name)).all()
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in choices)
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    result: ImportResult | None = None
    error = None
    status = 200
    if form.validate_on_submit():
        calendar = operations.find_calendar(form.calendar.data or "")
        assert calendar is not None  # the select only offers existing calendars
        data = form.file.data.read(limit + 1)
        try:
            result = import_ics(data, calendar, current_user, max_bytes=limit,
                                source=(form.file.data.filename or "")[:200])
            db.session.commit()
        except IcsImportError as problem:
            db.session.rollback()
            error = f"Nothing was imported: {problem}"
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("organiser/import.html", form=form, result=result, error=error,
                           limit=limit), status
