"""Organiser pages for admins: organisers (a new password, their calendars), calendars and the
audit log."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from calendar_service.organiser.access import Page, admin_signed_in_required, start_session
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.events import attach_errors, zone_names
from calendar_service.organiser.forms import (
    ActionForm,
    CalendarForm,
    GrantForm,
    OrganiserForm,
    PasswordResetForm,
    options,
)
from calendar_service.services.unit_of_work import unit_of_work
from calendar_service.store import accounts, operations, permissions
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
            with unit_of_work():
                organiser = accounts.create_organiser(
                    form.email.data or "",
                    form.password.data,
                    admin=bool(form.is_admin.data),
                    name=form.name.data or "",
                    actor=current_user,
                )
            if organiser.is_admin:
                flash(f"{organiser.email} can now sign in.")
            else:
                flash(
                    f"{organiser.email} can now sign in; grant them the calendars they are "
                    "to change."
                )
            return redirect(url_for("organiser.organiser_page", organiser_id=organiser.id))
        except ValidationError as error:
            attach_errors(form, error.errors, {"email": "email", "password": "password"})
            status = 422
    elif form.is_submitted():
        status = 422
    rows = db.session.scalars(select(Organiser).order_by(Organiser.email)).all()
    return render_template(
        "organiser/organisers.html", form=form, organisers=rows, action_form=ActionForm()
    ), status


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
    with unit_of_work():
        accounts.change_access(organiser, action, current_user)
    flash(f"{organiser.email}: {action.replace('-', ' ')} done.")
    return redirect(url_for("organiser.organisers"))


def organiser_or_404(organiser_id: int) -> Organiser:
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None:
        abort(404)
    return organiser


def _grant_form(formdata: bool = True) -> GrantForm:
    form = GrantForm() if formdata else GrantForm(formdata=None)
    form.calendar.choices = options(
        (calendar.slug, calendar.name)
        for calendar in db.session.scalars(select(Calendar).order_by(Calendar.name))
    )
    return form


def _organiser_page(
    organiser: Organiser,
    *,
    password_form: PasswordResetForm | None = None,
    grant_form: GrantForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    calendars = db.session.scalars(select(Calendar).order_by(Calendar.name)).all()
    roles = {member.calendar_id: member.role for member in organiser.memberships}
    return render_template(
        "organiser/organiser.html",
        organiser=organiser,
        calendars=calendars,
        roles=roles,
        password_form=password_form or PasswordResetForm(formdata=None),
        grant_form=grant_form or _grant_form(formdata=False),
    ), status


@bp.get("/admin/organisers/<int:organiser_id>")
@admin_signed_in_required
def organiser_page(organiser_id: int) -> Page:
    """One organiser: the calendars they may change, a new password."""
    return _organiser_page(organiser_or_404(organiser_id))


@bp.post("/admin/organisers/<int:organiser_id>/calendars")
@admin_signed_in_required
def grant_calendar(organiser_id: int) -> Page:
    """Make the organiser editor or owner of a calendar, or take their right to it away."""
    organiser = organiser_or_404(organiser_id)
    form = _grant_form()
    if not form.validate_on_submit():
        return _organiser_page(organiser, grant_form=form, status=422)
    calendar = operations.find_calendar(form.calendar.data or "")
    assert calendar is not None  # the select only offers existing calendars
    with unit_of_work():
        if form.role.data == "none":
            permissions.withdraw(organiser, calendar, current_user)
            message = f"{organiser.email} may no longer change {calendar.name}."
        else:
            permissions.grant(organiser, calendar, form.role.data or "editor", current_user)
            message = f"{organiser.email} is now {form.role.data} of {calendar.name}."
    flash(message)
    return redirect(url_for("organiser.organiser_page", organiser_id=organiser.id))


@bp.post("/admin/organisers/<int:organiser_id>/password")
@admin_signed_in_required
def reset_password(organiser_id: int) -> Page:
    """Set another organiser's password (a forgotten one); every session of theirs ends."""
    organiser = organiser_or_404(organiser_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _organiser_page(organiser, password_form=form, status=422)
    try:
        with unit_of_work():
            accounts.set_password(organiser, form.password.data or "", current_user)
            if organiser.id == current_user.id:
                start_session(organiser)
    except ValidationError as error:
        form.password.errors = [*form.password.errors, error.errors["password"]]
        return _organiser_page(organiser, password_form=form, status=422)
    flash(f"{organiser.email} has a new password; every session of theirs is signed out.")
    return redirect(url_for("organiser.organiser_page", organiser_id=organiser.id))


@bp.route("/admin/calendars", methods=["GET", "POST"])
@admin_signed_in_required
def calendars() -> Page:
    """Every calendar with its number of events; create one."""
    form = CalendarForm()
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                calendar = operations.create_calendar(
                    {
                        "slug": (form.slug.data or "").strip(),
                        "name": form.name.data or "",
                        "description": form.description.data or "",
                        "timezone": (form.timezone.data or "").strip() or None,
                    },
                    current_user,
                    default_tz=current_app.config["CALENDAR_TIMEZONE"],
                )
            flash(f"Calendar “{calendar.name}” is created.")
            return redirect(url_for("organiser.calendars"))
        except ValidationError as error:
            attach_errors(
                form,
                error.errors,
                {key: key for key in ("slug", "name", "description", "timezone")},
            )
            status = 422
    elif form.is_submitted():
        status = 422
    counts = dict(
        db.session.execute(
            select(Event.calendar_id, func.count()).group_by(Event.calendar_id)
        ).all()
    )
    rows = db.session.scalars(select(Calendar).order_by(Calendar.name)).all()
    return render_template(
        "organiser/calendars.html",
        form=form,
        calendars=rows,
        counts=counts,
        zones=zone_names(),
        default_tz=current_app.config["CALENDAR_TIMEZONE"],
    ), status


@bp.get("/admin/audit")
@admin_signed_in_required
def audit_log() -> Page:
    """Who changed what and when, newest first."""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    entries = db.session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE + 1)
        .offset((number - 1) * AUDIT_PAGE)
    ).all()
    return render_template(
        "organiser/audit.html",
        entries=entries[:AUDIT_PAGE],
        page=number,
        more=len(entries) > AUDIT_PAGE,
    )
