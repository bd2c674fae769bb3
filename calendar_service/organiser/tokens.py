"""The organiser's own API tokens: create (shown once; read or write, for some calendars or all,
expiring or not), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from calendar_service.clock import utcnow
from calendar_service.organiser.access import Page, current_organiser, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.events import attach_errors
from calendar_service.organiser.forms import ActionForm, TokenForm, options
from calendar_service.services.unit_of_work import unit_of_work
from calendar_service.store import accounts, permissions
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import ApiToken, Calendar


def _token_form(calendars: list[Calendar], formdata: bool = True) -> TokenForm:
    form = TokenForm() if formdata else TokenForm(formdata=None)
    form.calendars.choices = options((calendar.slug, calendar.name) for calendar in calendars)
    return form


def _create(form: TokenForm, calendars: list[Calendar]) -> str:
    """The new token's secret; raises ValidationError with the form's field names."""
    chosen = [calendar for calendar in calendars if calendar.slug in (form.calendars.data or ())]
    lifetime = form.expires.data or "never"
    expires = None if lifetime == "never" else utcnow() + timedelta(days=int(lifetime))
    _token, secret = accounts.create_token(
        current_organiser(),
        form.name.data or "",
        scope=form.scope.data or "write",
        calendars=chosen,
        expires=expires,
    )
    return secret


@bp.route("/tokens", methods=["GET", "POST"])
@organiser_required
def tokens() -> Page:
    """The organiser's API tokens: create one (shown once), see the others, revoke."""
    calendars = permissions.editable_calendars(current_user)
    form = _token_form(calendars)
    secret = None
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                secret = _create(form, calendars)
            form = _token_form(calendars, formdata=False)
        except ValidationError as error:
            attach_errors(
                form, error.errors, {key: key for key in ("scope", "calendars", "expires")}
            )
            status = 422
    elif form.is_submitted():
        status = 422
    rows = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.organiser_id == current_user.id)
        .order_by(ApiToken.created.desc())
    ).all()
    return render_template(
        "organiser/tokens.html",
        form=form,
        secret=secret,
        tokens=rows,
        action_form=ActionForm(),
        now=utcnow(),
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@organiser_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of the organiser's own tokens; it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organiser_id != current_user.id:
        abort(404)
    if ActionForm().validate_on_submit() and token.revoked is None:
        with unit_of_work():
            accounts.revoke_token(token, current_user)
        flash(f"Token “{token.name}” is revoked.")
    return redirect(url_for("organiser.tokens"))
