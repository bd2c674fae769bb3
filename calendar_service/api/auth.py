"""Bearer-token authentication and the per-request transaction of the API's write routes.

Write routes take ``Authorization: Bearer <token>`` (docs/contract.md); a missing or bad token
answers 401 with a ``WWW-Authenticate`` challenge (RFC 6750 §3), a non-admin on an admin route 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from calendar_service.store.accounts import organiser_for_token
from calendar_service.store.db import db
from calendar_service.store.models import Organiser
from calendar_service.web.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])

REALM = 'Bearer realm="calendar-service"'


def _challenge(detail: str, error: str | None) -> ApiError:
    header = REALM if error is None else f'{REALM}, error="{error}"'
    return ApiError(401, detail, headers={"WWW-Authenticate": header})


def bearer_organiser() -> Organiser:
    """The organiser whose live token this request carries; raises ApiError(401) otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.strip():
        raise _challenge("This route needs an API token: Authorization: Bearer <token>.", None)
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _challenge("Use the Bearer scheme: Authorization: Bearer <token>.",
                         "invalid_request")
    organiser = organiser_for_token(secret.strip())
    if organiser is None:
        raise _challenge("The token is unknown, revoked, or its organiser is deactivated.",
                         "invalid_token")
    return organiser


def token_required(view: F) -> F:
    """Authenticate with a bearer token; the organiser is ``g.organiser`` inside the view."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.organiser = bearer_organiser()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_token_required(view: F) -> F:
    """As ``token_required``, and the organiser must be an admin (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        organiser = bearer_organiser()
        if not organiser.is_admin:
            raise ApiError(403, "Only admins may do this.")
        g.organiser = organiser
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def transactional(view: F) -> F:
    """One commit per request: commit what the view flushed, roll everything back on error.

    A unique-constraint race (two requests creating the same uid at once) is an edit conflict.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = view(*args, **kwargs)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise ApiError(409, "Another change to the same item happened at the same time; "
                                "fetch it again and retry.") from None
        except StaleDataError:
            # Someone else's write to the same event committed between this request's read and
            # its write: with If-Match that is a failed precondition, else a conflict.
            db.session.rollback()
            status = 412 if "If-Match" in request.headers else 409
            raise ApiError(status, "The event changed while this request was being made; "
                                   "fetch it again and reapply your change.") from None
        except BaseException:
            db.session.rollback()
            raise
        return result

    return wrapper  # type: ignore[return-value]
