"""Blueprint ``organiser``: sign-in, the dashboard and API tokens (events and admin pages register
on the same blueprint from ``organiser_events`` and ``organiser_admin``).

Sessions come from Flask-Login with strong session protection; every form carries a CSRF token
(Flask-WTF); failed sign-ins are throttled in the database (``throttle``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

import rules
from calendar_service import accounts, throttle
from calendar_service.db import db, utcnow
from calendar_service.forms import ActionForm, SignInForm, TokenForm
from calendar_service.models import ApiToken, Calendar, Event
from calendar_service.occurrences import series_of
from calendar_service.operations import audit

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

F = TypeVar("F", bound=Callable[..., Any])
Page = str | Response | tuple[str, int]


def organiser_required(view: F) -> F:
    """Signed in as an active organiser (one deactivated meanwhile is signed out)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or not current_user.is_active:
            logout_user()
            return redirect(url_for("organiser.sign_in", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Signed in as an admin; other organisers get 403."""

    @functools.wraps(view)
    @organiser_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "Only admins may manage organisers, calendars and the audit log.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target):
            return target
    return url_for("organiser.dashboard")


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


@bp.get("/")
@organiser_required
def dashboard() -> Page:
    """Every calendar with its events, drafts included, and each one's next occurrence."""
    calendars = db.session.scalars(
        select(Calendar).order_by(Calendar.name).options(
            selectinload(Calendar.events).selectinload(Event.overrides),
            selectinload(Calendar.events).selectinload(Event.categories),
        )
    ).all()
    now = utcnow()
    upcoming: dict[int, rules.Occurrence | None] = {}
    for calendar in calendars:
        for event in calendar.events:
            found = rules.upcoming(series_of(event), now - timedelta(seconds=1), 1)
            upcoming[event.id] = found[0] if found else None
    return render_template("organiser/dashboard.html", calendars=calendars, upcoming=upcoming,
                           action_form=ActionForm())


@bp.route("/tokens", methods=["GET", "POST"])
@organiser_required
def tokens() -> Page:
    """The organiser's API tokens: create one (shown once), see the others, revoke."""
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        _token, secret = accounts.create_token(current_user, form.name.data or "")
        audit(current_user, "create", "token", _token.prefix, name=_token.name)
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
        token.revoked = utcnow()
        audit(current_user, "revoke", "token", token.prefix, name=token.name)
        db.session.commit()
        flash(f"Token “{token.name}” is revoked.")
    return redirect(url_for("organiser.tokens"))


from calendar_service import organiser_admin, organiser_events  # noqa: E402,F401
