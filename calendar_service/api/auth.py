"""Bearer-token authentication and the per-request transaction of the API's write routes.

Write routes take ``Authorization: Bearer <token>`` (docs/contract.md); a missing, unknown,
revoked or expired token answers 401 with a ``WWW-Authenticate`` challenge (RFC 6750 §3) that
says which.  403 answers a read-only token on a write route, a non-admin on an admin route, and a
write to a calendar the organiser was not granted or the token is not for (``require_calendar``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from calendar_service.services.unit_of_work import ConcurrentChange, StaleRevision, unit_of_work
from calendar_service.store import operations
from calendar_service.store.accounts import token_for
from calendar_service.store.models import ApiToken, Calendar, Organiser
from calendar_service.web.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])

REALM = 'Bearer realm="calendar-service"'


def _challenge(detail: str, error: str | None) -> ApiError:
    header = REALM if error is None else f'{REALM}, error="{error}"'
    return ApiError(401, detail, headers={"WWW-Authenticate": header})


def bearer_token() -> ApiToken:
    """The live token this request carries; raises ApiError(401) otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.strip():
        raise _challenge("This route needs an API token: Authorization: Bearer <token>.", None)
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _challenge("Use the Bearer scheme: Authorization: Bearer <token>.", "invalid_request")
    token = token_for(secret.strip())
    if not isinstance(token, ApiToken):
        raise _challenge(token, "invalid_token")
    return token


def bearer_organiser() -> Organiser:
    """The organiser whose live token this request carries; raises ApiError(401) otherwise."""
    return bearer_token().organiser


def _write_token() -> ApiToken:
    token = bearer_token()
    if token.scope != "write":
        raise ApiError(403, "This token may only read; changes need a token with write scope.")
    g.token, g.organiser = token, token.organiser
    return token


def token_required(view: F) -> F:
    """Authenticate with a write-scoped bearer token; the organiser is ``g.organiser`` and the
    token ``g.token`` inside the view."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _write_token()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_token_required(view: F) -> F:
    """As ``token_required``, and the organiser must be an admin and the token not narrowed to
    some calendars (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _write_token()
        if not token.organiser.is_admin:
            raise ApiError(403, "Only admins may do this.")
        if token.calendars:
            raise ApiError(
                403, "This token is for some calendars only; this needs one that is not."
            )
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_calendar(calendar: Calendar) -> None:
    """403 unless the request's token is for ``calendar``: not narrowed to other calendars.
    Whether its organiser was granted the calendar is the editing service's one question."""
    token: ApiToken = g.token
    if token.calendars and calendar not in token.calendars:
        slugs = ", ".join(item.slug for item in token.calendars)
        raise ApiError(403, f"This token may change only the calendars {slugs}.")


def require_named_calendar(body: Any) -> None:
    """``require_calendar`` for the existing calendar a body names, if it names one (an unknown
    one is left to validation, a 422)."""
    slug = body.get("calendar") if isinstance(body, dict) else None
    calendar = operations.find_calendar(slug) if isinstance(slug, str) else None
    if calendar is not None:
        require_calendar(calendar)


def transactional(view: F) -> F:
    """One unit of work per request: commit what the view flushed, roll everything back on
    error.  A lost race is an edit conflict: someone else's write to the same event committed
    between this request's read and its write (with If-Match a failed precondition), or two
    requests made the same uid at once."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit_of_work():
                return view(*args, **kwargs)
        except ConcurrentChange:
            raise ApiError(
                409,
                "Another change to the same item happened at the same time; "
                "fetch it again and retry.",
            ) from None
        except StaleRevision:
            status = 412 if "If-Match" in request.headers else 409
            raise ApiError(
                status,
                "The event changed while this request was being made; "
                "fetch it again and reapply your change.",
            ) from None

    return wrapper  # type: ignore[return-value]
