"""Brute-force throttling of sign-in, kept in the database so it holds across workers.

Every sign-in attempt first writes two rows to ``sign_in_attempts`` and commits them: one keyed
by e-mail and client address (guessing one account's password) and one by the address alone
(trying many accounts).  Only then does it count the rows of each key inside the window, its own
included, and only an attempt whose counts are within the limits goes on to the password check.

Counting after committing is what makes the limit hold for attempts made in parallel: the i-th
attempt to commit sees at least i rows (those before it and its own), so at most ``limit`` of any
number of simultaneous attempts see a count within the limit.  An attempt refused here deletes
its own rows again, so refused attempts never extend a block: only checked passwords count.  A
failed check leaves its rows, a correct one clears the account's failures from that address.

The window slides: each failure stops counting ``window`` after it was made, so a block ends by
itself (the answer says when), and a persistent guesser gets ``limit`` guesses per window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select

from calendar_service.clock import utcnow
from calendar_service.store.db import db
from calendar_service.store.models import SignInAttempt

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures per e-mail and address inside WINDOW
PER_ADDRESS = 30  # failures per address, whatever the e-mail, inside WINDOW


@dataclass(frozen=True)
class Limits:
    """How many failures a key may have inside the sliding window."""

    window: timedelta = WINDOW
    per_account: int = PER_ACCOUNT
    per_address: int = PER_ADDRESS


@dataclass(frozen=True)
class Keys:
    account: str
    address: str


@dataclass(frozen=True)
class Attempt:
    """An attempt the throttle let through to the password check; its committed rows."""

    keys: Keys
    account_row: int
    address_row: int


@dataclass(frozen=True)
class Block:
    """An attempt refused before any password was checked: which limit, and for how long."""

    scope: Literal["account", "address"]
    wait: timedelta

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds()))


def keys_for(email: str, address: str | None) -> Keys:
    address = (address or "unknown")[:100]
    return Keys(
        account=f"account:{email.strip().lower()[:250]}|{address}", address=f"address:{address}"
    )


def begin(keys: Keys, limits: Limits, *, commit: Callable[[], None]) -> Attempt | Block:
    """Record an attempt and commit it, then count: an ``Attempt`` may check one password, a
    ``Block`` may not (its rows are gone again).  ``commit`` is the caller's unit of work's
    commit so far (the store never commits): called either way, so concurrent attempts see
    this one before any password is checked."""
    now = utcnow()
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - limits.window))
    account = SignInAttempt(key=keys.account, at=now)
    address = SignInAttempt(key=keys.address, at=now)
    db.session.add_all([account, address])
    db.session.flush()
    account_id, address_id = account.id, address.id
    commit()
    since = utcnow() - limits.window
    blocks = [
        block
        for block in (
            _over(keys.address, limits.per_address, "address", address_id, since, limits),
            _over(keys.account, limits.per_account, "account", account_id, since, limits),
        )
        if block is not None
    ]
    if not blocks:
        return Attempt(keys, account_id, address_id)
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.id.in_((account_id, address_id))))
    commit()
    # The address-wide block says the most (another account will not help either); the wait is
    # the longest of those that apply.
    return Block(blocks[0].scope, max(block.wait for block in blocks))


def _over(
    key: str,
    limit: int,
    scope: Literal["account", "address"],
    own: int,
    since: datetime,
    limits: Limits,
) -> Block | None:
    """A block when ``key`` has more than ``limit`` attempts in the window (``own`` included)."""
    count = int(
        db.session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.key == key, SignInAttempt.at >= since)
        )
        or 0
    )
    if count <= limit:
        return None
    # Without its own row the key has count - 1; the next attempt fits once count - limit of
    # them have left the window, so the wait ends when the (count - limit)-th oldest does.
    oldest = db.session.scalar(
        select(SignInAttempt.at)
        .where(SignInAttempt.key == key, SignInAttempt.at >= since, SignInAttempt.id != own)
        .order_by(SignInAttempt.at, SignInAttempt.id)
        .offset(count - limit - 1)
        .limit(1)
    )
    wait = (oldest + limits.window - utcnow()) if oldest is not None else limits.window
    return Block(scope, max(wait, timedelta(seconds=1)))


def succeeded(attempt: Attempt) -> None:
    """A correct password clears that account's failures from this address (up to this
    attempt), and the attempt itself was no failure; flush only."""
    db.session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.key == attempt.keys.account, SignInAttempt.id <= attempt.account_row
        )
    )
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt.address_row))
    db.session.flush()


def wait_text(block: Block) -> str:
    """The wait rounded up, in the larger unit past 90 s: "45 seconds", "1 minute", "15 minutes"."""
    seconds = block.seconds
    if seconds <= 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def message(block: Block) -> str:
    """What the sign-in page says: which limit applies and how long to wait."""
    who = "for this account from your address" if block.scope == "account" else "from your address"
    return f"Too many failed sign-ins {who}. Wait {wait_text(block)}, then try again."
