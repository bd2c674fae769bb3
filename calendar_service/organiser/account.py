"""The organiser's own account: a new password (which ends their other sessions)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from werkzeug.wrappers import Response

from calendar_service.organiser.access import (
    Page,
    current_organiser,
    organiser_required,
    start_session,
)
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import PasswordChangeForm
from calendar_service.organiser.sign_in import throttle_limits
from calendar_service.services.unit_of_work import commit_so_far, unit_of_work
from calendar_service.store import accounts, throttle
from calendar_service.store.errors import ValidationError


def _page(form: PasswordChangeForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    return render_template("organiser/account.html", form=form, error=error), status


@bp.route("/account", methods=["GET", "POST"])
@organiser_required
def account() -> Page | Response:
    """Change one's own password: the current one is checked (throttled like sign-in), the new
    one must be long and uncommon; every other session of the account ends."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    organiser = current_organiser()
    attempt = throttle.begin(
        throttle.keys_for(organiser.email, request.remote_addr),
        throttle_limits(),
        commit=commit_so_far,
    )
    if isinstance(attempt, throttle.Block):
        return _page(form, 429, throttle.message(attempt))
    if accounts.check_password(organiser.email, form.current_password.data or "") is None:
        form.current_password.errors = [*form.current_password.errors, "is not right"]
        return _page(form, 422)
    try:
        with unit_of_work():
            throttle.succeeded(attempt)
            accounts.set_password(organiser, form.new_password.data or "", organiser)
            start_session(organiser)  # this browser stays signed in, with the new generation
    except ValidationError as error:
        form.new_password.errors = [*form.new_password.errors, error.errors["password"]]
        return _page(form, 422)
    flash("Your password is changed. Every other session of your account is signed out.")
    return redirect(request.path)
