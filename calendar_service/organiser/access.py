"""Who may see organiser pages: signed-in organisers, and admins for admin pages.

Sessions come from Flask-Login with strong session protection; each carries the organiser's
session generation (``Organiser.get_id``), so sign-out, a new password or deactivation ends it on
the server too.  Every form carries a CSRF token (Flask-WTF), a new one from each sign-in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from calendar_service.store.models import Organiser

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


def admin_signed_in_required(view: F) -> F:
    """Signed in as an admin; other organisers get 403."""

    @functools.wraps(view)
    @organiser_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "Only admins may manage organisers, calendars and the audit log.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def start_session(organiser: Organiser) -> None:
    """Sign the organiser in on this browser with a new CSRF token: a token (or a page) from
    before signing in is no good afterwards.  Also after a password change, whose new session
    generation the session must carry to stay signed in."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
    login_user(organiser)


def current_organiser() -> Organiser:
    """The signed-in organiser itself (not Flask-Login's proxy), for the store."""
    organiser = current_user._get_current_object()
    assert isinstance(organiser, Organiser)
    return organiser


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect), without
    whitespace or control characters (a line break would end the Location header)."""
    if target and target.isprintable() and not any(ch.isspace() for ch in target):
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("organiser.dashboard")
