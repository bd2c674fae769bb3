"""Creating and changing events through operations: validation, defaults, exceptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

import rules
from calendar_service.services import schedule
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.errors import Conflict, NotFound, ValidationError
from calendar_service.store.models import AuditEntry, Calendar, Event
from calendar_service.store.values import event_json


def test_create_fills_the_contract_defaults(make_event) -> None:
    event = make_event(title="TPS seminar", rrule="freq=monthly;byday=-1we")
    assert event["end"] == "2027-01-27T15:00:00"
    assert event["timezone"] == "Europe/London"
    assert event["all_day"] is False
    assert event["status"] == "confirmed" and event["published"] is True
    assert event["rrule"] == "FREQ=MONTHLY;BYDAY=-1WE"
    assert event["recurrence_text"] == "Monthly on the last Wednesday"
    assert event["sequence"] == 0 and event["rdates"] == [] and event["exdates"] == []
    assert event["uid"].endswith("@calendar-service")


def test_all_day_end_defaults_to_the_next_day_and_is_inferred_from_a_date(make_event) -> None:
    event = make_event(start="2027-03-03")
    assert event["all_day"] is True
    assert (event["start"], event["end"]) == ("2027-03-03", "2027-03-04")


def test_a_start_with_an_offset_is_converted_into_the_event_zone(make_event) -> None:
    event = make_event(start="2027-07-01T12:00:00Z", timezone="Europe/London")
    assert event["start"] == "2027-07-01T13:00:00"
    assert event["end"] == "2027-07-01T14:00:00"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"colour": "red"}, "colour", "is not a field of an event"),
        ({"title": 7}, "title", "must be a string"),
        ({"title": "  "}, "title", "is required"),
        ({"title": "a\x00b"}, "title", "contains control characters"),
        ({"end": "2027-01-27T13:00:00"}, "end", "must not be before the start"),
        ({"timezone": "Mars/Base"}, "timezone", "is not a known IANA time zone"),
        ({"calendar": "nope"}, "calendar", "there is no calendar 'nope'"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule", "FREQ"),
        ({"rrule": "FREQ=SECONDLY"}, "rrule", "SECONDLY"),
        ({"all_day": True}, "start", "all-day events take a date"),
        ({"start": "2027-02-30T10:00:00"}, "start", "not a real date"),
        ({"start": "tomorrow"}, "start", "is not a date-time"),
        ({"url": "javascript:alert(1)"}, "url", "absolute http"),
        ({"categories": ["Not A Slug!"]}, "categories", "is not a slug"),
        ({"status": "maybe"}, "status", "must be one of"),
        ({"published": "yes"}, "published", "true or false"),
        ({"exdates": ["2027-01-27"]}, "exdates", "entry 1"),
        ({"uid": "has space"}, "uid", "printable ASCII"),
    ],
)
def test_invalid_fields_get_a_message_each_and_nothing_is_saved(
    app: Flask, make_calendar, fields: dict, field: str, message: str
) -> None:
    make_calendar(slug="test")
    data = {"calendar": "test", "title": "Event", "start": "2027-01-27T14:00:00", **fields}
    with app.app_context():
        with pytest.raises(ValidationError) as caught:
            operations.create_event(data, "test")
        db.session.rollback()
        assert message in caught.value.errors[field]
        assert db.session.scalar(select(func.count(Event.id))) == 0


def test_a_taken_uid_is_a_conflict(app: Flask, make_event) -> None:
    make_event(uid="same@example.org")
    with app.app_context(), pytest.raises(Conflict) as caught:
        operations.create_event(
            {
                "calendar": "test",
                "title": "x",
                "start": "2027-01-01T10:00:00",
                "uid": "same@example.org",
            },
            "test",
        )
    assert caught.value.errors == {"uid": "is taken"}


def _event(uid: str) -> Event:
    event = operations.find_event(uid)
    assert event is not None
    return event


def test_update_bumps_sequence_revision_and_the_calendar_version(app: Flask, make_event) -> None:
    created = make_event(rrule="FREQ=WEEKLY")
    with app.app_context():
        version = db.session.scalar(select(Calendar.version))
        event = operations.update_event(_event(created["uid"]), {"location": "Room 1"}, "test")
        db.session.commit()
        assert (event.sequence, event.revision) == (1, 2)
        assert db.session.scalar(select(Calendar.version)) == version + 1
        unchanged = operations.update_event(event, {"location": "Room 1"}, "test")
        assert (unchanged.sequence, unchanged.revision) == (1, 2)
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["create", "create", "update", "update"]


def test_moving_a_series_moves_its_exceptions_with_it(app: Flask, make_event) -> None:
    created = make_event(rrule="FREQ=WEEKLY;COUNT=5", exdates=["2027-02-03T14:00:00"])
    with app.app_context():
        event = _event(created["uid"])
        operations.set_override(event, datetime(2027, 2, 10, 14), {"title": "Special"}, "test")
        event = operations.update_event(
            event, {"start": "2027-01-27T15:30:00", "end": "2027-01-27T16:30:00"}, "test"
        )
        db.session.commit()
        assert event.exdates == ["2027-02-03T15:30:00"]
        assert [row.recurrence_id for row in event.overrides] == ["2027-02-10T15:30:00"]
        window = rules.Window(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
        listing = schedule.page(window, size=100_000, per_event=100)
        titles = [
            (item.occurrence.start.isoformat(), item.occurrence.title) for item in listing.items
        ]
        assert titles == [
            ("2027-01-27T15:30:00+00:00", None),
            ("2027-02-10T15:30:00+00:00", "Special"),
            ("2027-02-17T15:30:00+00:00", None),
            ("2027-02-24T15:30:00+00:00", None),
        ]


def test_changing_the_rule_drops_overrides_it_no_longer_generates(app: Flask, make_event) -> None:
    created = make_event(rrule="FREQ=WEEKLY")
    with app.app_context():
        event = _event(created["uid"])
        operations.set_override(event, datetime(2027, 2, 3, 14), {"status": "cancelled"}, "t")
        operations.set_override(event, datetime(2027, 2, 24, 14), {"status": "cancelled"}, "t")
        event = operations.update_event(event, {"rrule": "FREQ=MONTHLY;BYDAY=-1WE"}, "t")
        db.session.commit()
        assert [row.recurrence_id for row in event.overrides] == ["2027-02-24T14:00:00"]


def test_override_moves_an_occurrence_out_of_its_window_and_updates_the_bounds(
    app: Flask, make_event
) -> None:
    created = make_event(rrule="FREQ=WEEKLY;COUNT=2")
    with app.app_context():
        event = _event(created["uid"])
        assert event.last_end_utc == datetime(2027, 2, 3, 15, tzinfo=UTC)
        operations.set_override(
            event, datetime(2027, 2, 3, 14), {"start": "2027-03-10T09:00:00"}, "t"
        )
        db.session.commit()
        assert event.last_end_utc == datetime(2027, 3, 10, 10, tzinfo=UTC)
        assert event.sequence == 1
        window = rules.Window(datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 3, 11, tzinfo=UTC))
        [item] = schedule.page(window, size=100_000, per_event=10).items
        assert item.occurrence.moved and item.occurrence.start.hour == 9
        operations.clear_override(event, datetime(2027, 2, 3, 14), "t")
        db.session.commit()
        assert event.last_end_utc == datetime(2027, 2, 3, 15, tzinfo=UTC)
        assert event_json(event)["sequence"] == 2


def test_a_recurrence_id_the_series_does_not_generate_is_404(app: Flask, make_event) -> None:
    created = make_event(rrule="FREQ=WEEKLY")
    with app.app_context():
        event = _event(created["uid"])
        assert operations.parse_recurrence_id(event, "2027-02-03T14:00:00") == datetime(
            2027, 2, 3, 14
        )
        for text in ("2027-02-04T14:00:00", "2027-02-03", "garbage", "2027-02-03T14:00:00Z"):
            with pytest.raises(NotFound) as caught:
                operations.parse_recurrence_id(event, text)
            assert "recurrence id" in caught.value.detail or "no occurrence" in caught.value.detail


def test_deleting_an_event_removes_its_overrides_and_touches_the_calendar(
    app: Flask, make_event
) -> None:
    created = make_event(rrule="FREQ=DAILY;COUNT=3")
    with app.app_context():
        event = _event(created["uid"])
        operations.set_override(event, datetime(2027, 1, 28, 14), {"status": "cancelled"}, "t")
        db.session.commit()
        version = db.session.scalar(select(Calendar.version))
        operations.delete_event(event, "t")
        db.session.commit()
        assert db.session.scalar(select(func.count(Event.id))) == 0
        assert db.session.scalar(select(Calendar.version)) == version + 1


def test_reads_after_each_change_see_the_change(app: Flask, make_event) -> None:
    """The read path's series cache is keyed by the row's version: no stale occurrences."""
    created = make_event(rrule="FREQ=WEEKLY;COUNT=3")
    window = rules.Window(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))

    def starts() -> list[tuple[str, bool]]:
        return [
            (item.occurrence.start.isoformat(), item.occurrence.cancelled)
            for item in schedule.page(window, size=100_000, per_event=10).items
        ]

    with app.app_context():
        assert starts() == [
            ("2027-01-27T14:00:00+00:00", False),
            ("2027-02-03T14:00:00+00:00", False),
            ("2027-02-10T14:00:00+00:00", False),
        ]
        event = _event(created["uid"])
        operations.set_override(event, datetime(2027, 2, 3, 14), {"status": "cancelled"}, "t")
        db.session.commit()
        assert starts()[1] == ("2027-02-03T14:00:00+00:00", True)
        operations.update_event(_event(created["uid"]), {"rrule": "FREQ=WEEKLY;COUNT=2"}, "t")
        db.session.commit()
        assert starts() == [
            ("2027-01-27T14:00:00+00:00", False),
            ("2027-02-03T14:00:00+00:00", True),
        ]
        operations.clear_override(_event(created["uid"]), datetime(2027, 2, 3, 14), "t")
        db.session.commit()
        assert starts()[1] == ("2027-02-03T14:00:00+00:00", False)
