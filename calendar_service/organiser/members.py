"""Who may change a calendar: its owners (and admins) grant and withdraw editor and owner rights.

An owner cannot change their own right here (an admin can), so a calendar never loses its last
owner by a slip.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm, MemberForm
from calendar_service.services.unit_of_work import unit_of_work
from calendar_service.store import accounts, operations, permissions
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Organiser


def managed_calendar_or_404(slug: str) -> Calendar:
    """The calendar, whose rights the signed-in organiser must manage (else 404, 403)."""
    calendar = operations.find_calendar(slug)
    if calendar is None:
        abort(404, "There is no calendar with this short name.")
    if not permissions.may_manage(current_user, calendar):
        abort(403, f"Only admins and owners of “{calendar.name}” may manage who changes it.")
    return calendar


def _own(organiser: Organiser) -> bool:
    """A non-admin's own right, which they may not change here."""
    return organiser.id == current_user.id and not current_user.is_admin


@bp.route("/calendars/<slug>/members", methods=["GET", "POST"])
@organiser_required
def members(slug: str) -> Page:
    """The calendar's editors and owners; grant one (or change their role)."""
    calendar = managed_calendar_or_404(slug)
    form = MemberForm()
    status = 200
    if form.validate_on_submit():
        organiser = accounts.find_organiser(form.email.data or "")
        if organiser is None:
            form.email.errors = [*form.email.errors, "there is no organiser with this e-mail"]
            status = 422
        elif _own(organiser):
            form.email.errors = [
                *form.email.errors,
                "you cannot change your own right: ask an admin",
            ]
            status = 422
        else:
            with unit_of_work():
                permissions.grant(organiser, calendar, form.role.data or "editor", current_user)
            flash(f"{organiser.email} is now {form.role.data} of {calendar.name}.")
            return redirect(url_for("organiser.members", slug=calendar.slug))
    elif form.is_submitted():
        status = 422
    return render_template(
        "organiser/members.html",
        calendar=calendar,
        form=form,
        members=permissions.members_of(calendar),
        action_form=ActionForm(),
        own=_own,
    ), status


@bp.post("/calendars/<slug>/members/<int:organiser_id>/withdraw")
@organiser_required
def withdraw_member(slug: str, organiser_id: int) -> Response:
    """Take an organiser's right to the calendar away."""
    calendar = managed_calendar_or_404(slug)
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, "The form has expired; reload the page and try again.")
    if _own(organiser):
        flash("You cannot withdraw your own right; ask an admin.")
    else:
        with unit_of_work():
            withdrawn = permissions.withdraw(organiser, calendar, current_user)
        if withdrawn:
            flash(f"{organiser.email} may no longer change {calendar.name}.")
    return redirect(url_for("organiser.members", slug=calendar.slug))
