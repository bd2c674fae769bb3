"""A typed draft validates as the EVENT body that says the same, and a stored event read back
as a draft is the event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

import rules
from calendar_service.services.drafts import EventDraft, draft_of, read_event_json
from calendar_service.store import operations
from calendar_service.store.errors import ValidationError
from calendar_service.store.validation import validate_event

BODY = {
    "calendar": "test",
    "title": "TPS seminar",
    "start": "2031-01-29T14:00:00",
    "end": "2031-01-29T15:00:00",
    "rrule": "FREQ=MONTHLY;BYDAY=-1WE;COUNT=5",
    "exdates": ["2031-02-26T14:00:00"],
    "categories": ["seminars"],
}
DRAFT = EventDraft(
    calendar="test",
    title="TPS seminar",
    start=datetime(2031, 1, 29, 14),
    end=datetime(2031, 1, 29, 15),
    rrule=rules.parse_rule("FREQ=MONTHLY;BYDAY=-1WE;COUNT=5"),
    exdates=(datetime(2031, 2, 26, 14),),
    categories=("seminars",),
)


@pytest.mark.usefixtures("calendar")
def test_a_draft_validates_as_the_body_that_says_the_same(app: Flask) -> None:
    with app.app_context():
        from_body = validate_event(BODY, find_calendar=operations.find_calendar)
        from_draft = validate_event(DRAFT, find_calendar=operations.find_calendar)
    assert from_draft == from_body
    assert from_draft.rrule == "FREQ=MONTHLY;BYDAY=-1WE;COUNT=5"
    assert from_draft.exdates == [datetime(2031, 2, 26, 14)]


@pytest.mark.usefixtures("calendar")
def test_an_offset_is_read_into_the_events_zone(app: Flask) -> None:
    draft = EventDraft(calendar="test", title="Call", start=datetime(2031, 7, 1, 13, tzinfo=UTC))
    with app.app_context():
        values = validate_event(draft, find_calendar=operations.find_calendar)
    assert values.start == datetime(2031, 7, 1, 14)  # Europe/London's summer time
    assert values.timezone == "Europe/London"


@pytest.mark.usefixtures("calendar")
def test_a_draft_of_the_wrong_kind_gets_the_bodys_message(app: Flask) -> None:
    draft = EventDraft(calendar="test", title="Fair", start=datetime(2031, 7, 1, 13), all_day=True)
    with app.app_context(), pytest.raises(ValidationError) as caught:
        validate_event(draft, find_calendar=operations.find_calendar)
    assert caught.value.errors == {
        "start": "all-day events take a date (YYYY-MM-DD), not a date-time"
    }


def test_a_stored_event_read_back_is_the_event(
    app: Flask, make_event: Callable[..., dict[str, Any]]
) -> None:
    uid = make_event(
        **{key: value for key, value in BODY.items() if key != "calendar"}, all_day=False
    )["uid"]
    with app.app_context():
        event = operations.find_event(uid)
        assert event is not None
        draft = draft_of(event)
        assert draft.start == datetime(2031, 1, 29, 14)
        assert draft.rrule_text == event.rrule
        assert draft.exdates == (datetime(2031, 2, 26, 14),)
        assert draft.categories == ("seminars",)
        patched = read_event_json(
            {"start": "2031-01-29", "all_day": True, "end": "2031-01-30"}, event
        )
    assert patched.draft.start == date(2031, 1, 29)
    assert patched.draft.title == "TPS seminar"
    assert patched.errors == {}
