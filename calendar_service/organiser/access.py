"""Who may see organiser pages: signed-in organisers, and admins for admin pages.

Sessions come from Flask-Login with strong session protection; every form carries a CSRF token
(Flask-WTF).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

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


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect), without
    whitespace or control characters (a line break would end the Location header)."""
    if target and target.isprintable() and not any(ch.isspace() for ch in target):
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target):
            return target
    return url_for("organiser.dashboard")
