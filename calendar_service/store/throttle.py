"""Brute-force throttling of sign-in, kept in the database so it holds across workers.

A failed sign-in leaves two rows in ``sign_in_attempts``: one keyed by e-mail and client address
(guessing one account's password) and one by address alone (trying many accounts).  While either
key has too many failures inside the window, sign-in is refused before the password is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from calendar_service.store.db import db, utcnow
from calendar_service.store.models import SignInAttempt

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures per e-mail and address inside WINDOW
PER_ADDRESS = 30  # failures per address, whatever the e-mail, inside WINDOW


@dataclass(frozen=True)
class Keys:
    account: str
    address: str


def keys_for(email: str, address: str | None) -> Keys:
    address = (address or "unknown")[:100]
    return Keys(account=f"account:{email.strip().lower()[:250]}|{address}",
                address=f"address:{address}")


def _failures(key: str) -> int:
    since = utcnow() - WINDOW
    count = db.session.scalar(
        select(func.count()).select_from(SignInAttempt)
        .where(SignInAttempt.key == key, SignInAttempt.at >= since)
    )
    return int(count or 0)


def is_throttled(keys: Keys) -> bool:
    """Whether this e-mail from this address (or this address at all) must wait."""
    return _failures(keys.account) >= PER_ACCOUNT or _failures(keys.address) >= PER_ADDRESS


def record_failure(keys: Keys) -> None:
    """Count one failed attempt, and forget attempts older than the window; flush only."""
    now = utcnow()
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - WINDOW))
    db.session.add_all([SignInAttempt(key=keys.account, at=now),
                        SignInAttempt(key=keys.address, at=now)])
    db.session.flush()


def record_success(keys: Keys) -> None:
    """A correct password clears that account's failures from this address."""
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.key == keys.account))


def minutes_to_wait() -> int:
    return int(WINDOW.total_seconds() // 60)
