"""The organiser's own API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm, TokenForm
from calendar_service.store import accounts
from calendar_service.store.db import db
from calendar_service.store.models import ApiToken


@bp.route("/tokens", methods=["GET", "POST"])
@organiser_required
def tokens() -> Page:
    """The organiser's API tokens: create one (shown once), see the others, revoke."""
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        _token, secret = accounts.create_token(current_user, form.name.data or "")
        db.session.commit()
        form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.organiser_id == current_user.id)
        .order_by(ApiToken.created.desc())
    ).all()
    return render_template("organiser/tokens.html", form=form, secret=secret, tokens=rows,
                           action_form=ActionForm()), status


@bp.post("/tokens/<int:token_id>/revoke")
@organiser_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of the organiser's own tokens; it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organiser_id != current_user.id:
        abort(404)
    if ActionForm().validate_on_submit() and token.revoked is None:
        accounts.revoke_token(token, current_user)
        db.session.commit()
        flash(f"Token “{token.name}” is revoked.")
    return redirect(url_for("organiser.tokens"))
