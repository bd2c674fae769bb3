"""One unit of work per request or command: it commits in one place, rolls everything back on
an error, and turns a lost race into a conflict in one place.

The store only flushes; what a request or a command changed is committed when its
``unit_of_work`` block ends without an error.  Someone else's write that committed between this
one's read and its write shows as SQLAlchemy's ``StaleDataError`` (an event's ``revision`` is
its version counter) and becomes ``StaleRevision``; a unique row made by two writers at once
(``IntegrityError``) becomes ``ConcurrentChange``.  Both are ``store.errors.Conflict``s, so an
unhandled one answers 409; the pages and the API say it their own way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from calendar_service.store.db import db
from calendar_service.store.errors import Conflict


class StaleRevision(Conflict):
    """What this change was based on changed meanwhile: nothing of it was saved."""

    def __init__(self) -> None:
        super().__init__(
            "The item changed while this change was being made; fetch it again "
            "and reapply the change."
        )


class ConcurrentChange(Conflict):
    """Another change made the same item at the same time: nothing of this one was saved."""

    def __init__(self) -> None:
        super().__init__(
            "Another change to the same item happened at the same time; fetch it again and retry."
        )


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did when it ends; roll it all back when it raises.  Raises
    ``StaleRevision`` or ``ConcurrentChange`` (rolled back) for a lost race."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleRevision() from None
    except IntegrityError:
        db.session.rollback()
        raise ConcurrentChange() from None
    except BaseException:
        db.session.rollback()
        raise


def commit_so_far() -> None:
    """Commit what the unit of work did up to here, before it ends: for what others must see
    at once (a sign-in attempt counted before the password is checked, a token's last use, an
    import's finished batches), where waiting for the end would hide it or hold locks."""
    db.session.commit()


def roll_back() -> None:
    """Drop what the unit of work did so far (a page that answers an error itself)."""
    db.session.rollback()
