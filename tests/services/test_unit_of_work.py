"""The unit of work: what its block did is committed at the end, rolled back on an error, and a
write based on a stale revision is a conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from calendar_service.services.unit_of_work import StaleRevision, unit_of_work
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.errors import Conflict


def _title(app: Flask, uid: str) -> str:
    with app.app_context():
        return str(
            db.session.scalar(text("SELECT title FROM events WHERE uid = :uid"), {"uid": uid})
        )


def test_the_block_is_committed_when_it_ends(
    app: Flask, make_event: Callable[..., dict[str, Any]]
) -> None:
    uid = make_event(uid="seminar@x")["uid"]
    with app.app_context(), unit_of_work():
        event = operations.find_event(uid)
        assert event is not None
        operations.update_event(event, {"title": "Moved"}, "test")
    assert _title(app, uid) == "Moved"


def test_an_error_rolls_the_whole_block_back(
    app: Flask, make_event: Callable[..., dict[str, Any]]
) -> None:
    uid = make_event(uid="seminar@x")["uid"]
    with app.app_context(), pytest.raises(KeyError):
        with unit_of_work():
            event = operations.find_event(uid)
            assert event is not None
            operations.update_event(event, {"title": "Moved"}, "test")
            raise KeyError("after the write")
    assert _title(app, uid) == "Event"


def test_a_write_on_a_stale_revision_is_a_conflict_and_saves_nothing(
    app: Flask, make_event: Callable[..., dict[str, Any]]
) -> None:
    uid = make_event(uid="seminar@x")["uid"]
    with app.app_context():
        event = operations.find_event(uid)
        assert event is not None
        # Someone else's save commits between this one's read and its write.
        with db.engine.begin() as other:
            other.execute(
                text(
                    "UPDATE events SET revision = revision + 1, title = 'Theirs' WHERE uid = :uid"
                ),
                {"uid": uid},
            )
        with pytest.raises(StaleRevision) as caught:
            with unit_of_work():
                operations.update_event(event, {"title": "Mine"}, "test")
    assert isinstance(caught.value, Conflict)
    assert _title(app, uid) == "Theirs"
