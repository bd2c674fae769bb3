"""Signing in and out; sign-in attempts are throttled in the database (``store.throttle``).

Signing in rotates the CSRF token; signing out ends the organiser's sessions on the server
(``accounts.end_sessions``), so a cookie copied before it no longer signs anyone in.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from calendar_service.clock import utcnow
from calendar_service.organiser.access import (
    Page,
    current_organiser,
    safe_next,
    start_session,
)
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm, SignInForm
from calendar_service.services.unit_of_work import commit_so_far, unit_of_work
from calendar_service.store import accounts, throttle


def throttle_limits() -> throttle.Limits:
    """The throttle's limits from the configuration (SIGN_IN_*)."""
    config = current_app.config
    return throttle.Limits(
        window=timedelta(seconds=float(config["SIGN_IN_WINDOW_SECONDS"])),
        per_account=int(config["SIGN_IN_PER_ACCOUNT"]),
        per_address=int(config["SIGN_IN_PER_ADDRESS"]),
    )


def throttled_page(form: SignInForm, block: throttle.Block) -> Response:
    response = current_app.make_response(
        (render_template("organiser/sign_in.html", form=form, error=throttle.message(block)), 429)
    )
    response.headers["Retry-After"] = str(block.seconds)
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Page:
    """Sign in with e-mail and password; too many failures answer 429 for a while."""
    if current_user.is_authenticated and current_user.is_active:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("organiser/sign_in.html", form=form), status
    email = form.email.data or ""
    attempt = throttle.begin(
        throttle.keys_for(email, request.remote_addr), throttle_limits(), commit=commit_so_far
    )
    if isinstance(attempt, throttle.Block):
        return throttled_page(form, attempt)
    organiser = accounts.check_password(email, form.password.data or "")
    if organiser is None:
        return render_template(
            "organiser/sign_in.html", form=form, error="The e-mail or the password is not right."
        ), 200
    with unit_of_work():
        throttle.succeeded(attempt)
        organiser.last_sign_in = utcnow()
        start_session(organiser)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out): every
    session of the organiser ends, on the server too."""
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a POST without a token
    if current_user.is_authenticated:
        with unit_of_work():
            accounts.end_sessions(current_organiser())
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("organiser.sign_in"))
