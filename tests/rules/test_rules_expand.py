"""Expansion: DST, edges, exceptions, all-day, single events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rules_helpers import local, make, starts, utc

from rules import (
    ExpansionLimitError,
    Override,
    Series,
    Window,
    expand,
    generates,
    series_bounds,
    to_utc,
    upcoming,
)


def test_london_seminar_keeps_wall_clock_across_dst() -> None:
    s = make(local(2027, 1, 13, 14), "FREQ=WEEKLY")
    occ = expand(s, Window(utc(2027, 1, 1), utc(2028, 1, 1))).occurrences
    assert len(occ) == 51
    assert {o.start.hour for o in occ} == {14}  # type: ignore[union-attr]
    jan = occ[0]
    jul = next(o for o in occ if o.start_utc.month == 7)
    assert jan.start_utc == utc(2027, 1, 13, 14)
    assert jul.start_utc.hour == 13  # BST
    assert jul.start.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]


def test_spring_forward_nonexistent_time_uses_offset_before_gap() -> None:
    # 28 March 2027 01:30 does not exist in London: read with GMT → 01:30 UTC (02:30 BST).
    s = make(local(2027, 3, 27, 1, 30), "FREQ=DAILY;COUNT=3")
    occ = expand(s, Window(utc(2027, 3, 26), utc(2027, 3, 31))).occurrences
    assert [o.recurrence_id for o in occ] == [
        local(2027, 3, 27, 1, 30),
        local(2027, 3, 28, 1, 30),
        local(2027, 3, 29, 1, 30),
    ]
    assert occ[1].start_utc == utc(2027, 3, 28, 1, 30)
    assert occ[2].start_utc == utc(2027, 3, 29, 0, 30)


def test_fall_back_ambiguous_time_is_the_first() -> None:
    s = make(local(2027, 11, 6, 1, 30), "FREQ=DAILY;COUNT=2", tzid="America/New_York")
    occ = expand(s, Window(utc(2027, 11, 1), utc(2027, 11, 10))).occurrences
    assert occ[1].start_utc == utc(2027, 11, 7, 5, 30)  # EDT (-4), the first 01:30
    assert to_utc(local(2027, 11, 7, 1, 30), "America/New_York") == utc(2027, 11, 7, 5, 30)


def test_window_edges() -> None:
    s = make(local(2027, 1, 4, 10), "FREQ=DAILY", tzid="UTC")
    # in progress at the window start → included; ending exactly at the start → not
    assert starts(s, utc(2027, 1, 5, 10, 30), utc(2027, 1, 5, 11)) == [local(2027, 1, 5, 10)]
    assert starts(s, utc(2027, 1, 5, 11), utc(2027, 1, 6, 10)) == []
    assert starts(s, utc(2027, 1, 5, 11), utc(2027, 1, 6, 10, 0, 1)) == [local(2027, 1, 6, 10)]


def test_week_long_all_day_event_started_before_window() -> None:
    s = make(date(2027, 1, 4), "FREQ=MONTHLY", duration=timedelta(days=7))
    occ = expand(s, Window(utc(2027, 2, 8), utc(2027, 2, 9))).occurrences
    assert [(o.start, o.end) for o in occ] == [(date(2027, 2, 4), date(2027, 2, 11))]


def test_single_event_has_no_recurrence_id() -> None:
    s = make(local(2027, 5, 1, 9))
    occ = expand(s, Window(utc(2027, 1, 1), utc(2028, 1, 1))).occurrences
    assert len(occ) == 1 and occ[0].recurrence_id is None


def test_exceptions() -> None:
    start = local(2027, 1, 6, 9)
    s = make(
        start,
        "FREQ=WEEKLY;COUNT=5",
        rdates=(local(2027, 1, 8, 9),),
        exdates=(local(2027, 1, 13, 9), local(2027, 1, 20, 9)),
        overrides=(
            Override(local(2027, 1, 27, 9), start=local(2027, 3, 1, 9), title="moved"),
            Override(local(2027, 1, 20, 9), cancelled=True),  # EXDATE wins
            Override(local(2027, 2, 3, 9), cancelled=True),
        ),
    )
    occ = expand(s, Window(utc(2027, 1, 1), utc(2027, 2, 10))).occurrences
    assert [(o.recurrence_id, o.cancelled) for o in occ] == [
        (local(2027, 1, 6, 9), False),
        (local(2027, 1, 8, 9), False),
        (local(2027, 2, 3, 9), True),
    ]
    moved = expand(s, Window(utc(2027, 3, 1), utc(2027, 3, 2))).occurrences
    assert len(moved) == 1 and moved[0].moved and moved[0].title == "moved"
    assert moved[0].recurrence_id == local(2027, 1, 27, 9)
    assert generates(s, local(2027, 1, 13, 9))  # EXDATE'd but generated
    assert not generates(s, local(2027, 2, 10, 9))  # past COUNT
    assert series_bounds(s) == (utc(2027, 1, 6, 9), utc(2027, 3, 1, 10))


def test_limits_are_quick() -> None:
    with pytest.raises(ExpansionLimitError):
        expand(
            make(local(2027, 1, 1), "FREQ=MINUTELY;BYHOUR=9"),
            Window(utc(2027, 1, 1), utc(2037, 1, 1)),
        )
    huge = make(local(2027, 1, 1, 9), "FREQ=WEEKLY;COUNT=1000000000")
    assert series_bounds(huge)[1] is None
    result = expand(
        make(local(2027, 1, 1), "FREQ=MINUTELY"), Window(utc(2027, 1, 1), utc(2027, 2, 1)), limit=10
    )
    assert result.truncated and len(result.occurrences) == 10


def test_upcoming() -> None:
    s = make(local(2017, 1, 4, 18), "FREQ=WEEKLY;INTERVAL=2")
    nxt = upcoming(s, utc(2027, 6, 1), 3)
    assert [o.recurrence_id for o in nxt] == [
        local(2027, 6, 9, 18),
        local(2027, 6, 23, 18),
        local(2027, 7, 7, 18),
    ]


def test_upcoming_walks_past_a_window_too_costly_to_expand_at_once() -> None:
    """Every 15 minutes, in January only: from February the next ones are eleven months away,
    further than one MINUTELY window may reach; upcoming walks on in windows it can afford."""
    series = Series(
        start=datetime(2019, 2, 1),
        end=datetime(2019, 2, 1),
        tzid="Europe/London",
        rrule="FREQ=MINUTELY;INTERVAL=15;BYMONTH=1",
    )
    found = upcoming(series, datetime(2019, 2, 1, tzinfo=UTC), 4)
    assert [occurrence.start_utc for occurrence in found] == [
        datetime(2019, 2, 1, tzinfo=UTC),
        datetime(2020, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2020, 1, 1, 0, 15, tzinfo=UTC),
        datetime(2020, 1, 1, 0, 30, tzinfo=UTC),
    ]
