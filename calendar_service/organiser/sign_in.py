"""Signing in and out; failed sign-ins are throttled in the database (``store.throttle``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from calendar_service.organiser.access import Page, safe_next
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm, SignInForm
from calendar_service.store import accounts, throttle
from calendar_service.store.db import db, utcnow


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
    keys = throttle.keys_for(email, request.remote_addr)
    if throttle.is_throttled(keys):
        message = (f"Too many failed sign-ins for this account from your address. "
                   f"Wait {throttle.minutes_to_wait()} minutes, then try again.")
        return render_template("organiser/sign_in.html", form=form, error=message), 429
    organiser = accounts.check_password(email, form.password.data or "")
    if organiser is None:
        throttle.record_failure(keys)
        db.session.commit()
        return render_template("organiser/sign_in.html", form=form,
                               error="The e-mail or the password is not right."), 200
    throttle.record_success(keys)
    organiser.last_sign_in = utcnow()
    login_user(organiser)
    db.session.commit()
    return redirect(safe_next(request.args.get("next")))


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out)."""
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a POST without a token
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("organiser.sign_in"))
