"""Ending a series at an occurrence, the rule that continues it, and finding one occurrence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rules_helpers import local, make, starts, utc

from rules import (
    Override,
    SeriesError,
    occurrence_at,
    rule_continuing_from,
    rule_ending_before,
)
from rules.endings import instances_before

WED = local(2027, 1, 6, 18)  # a Wednesday, 18:00 London (GMT)


def test_a_timed_rule_ends_one_second_before_the_occurrence_in_utc() -> None:
    series = make(WED, "FREQ=WEEKLY;COUNT=8")
    # 3 February 2027 18:00 GMT is 18:00Z; the old series may reach 17:59:59Z.
    assert rule_ending_before(series, local(2027, 2, 3, 18)) == "FREQ=WEEKLY;UNTIL=20270203T175959Z"


def test_a_summer_cut_is_converted_with_the_summer_offset() -> None:
    series = make(WED, "FREQ=WEEKLY")
    # 7 July 2027 18:00 BST is 17:00Z.
    assert rule_ending_before(series, local(2027, 7, 7, 18)) == "FREQ=WEEKLY;UNTIL=20270707T165959Z"


def test_an_all_day_rule_ends_the_day_before() -> None:
    series = make(date(2027, 3, 1), "FREQ=MONTHLY;BYMONTHDAY=1")
    assert (
        rule_ending_before(series, date(2027, 6, 1)) == "FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20270531"
    )


def test_the_ended_rule_stops_exactly_before_the_cut() -> None:
    series = make(WED, "FREQ=WEEKLY;COUNT=8")
    ended = make(WED, rule_ending_before(series, local(2027, 2, 3, 18)))
    assert starts(ended, utc(2027, 1, 1), utc(2028, 1, 1)) == [
        local(2027, 1, 6, 18),
        local(2027, 1, 13, 18),
        local(2027, 1, 20, 18),
        local(2027, 1, 27, 18),
    ]


def test_count_is_shared_between_the_two_series() -> None:
    series = make(WED, "FREQ=WEEKLY;COUNT=8", exdates=(local(2027, 1, 13, 18),))
    # Four instances of the bare rule come before 3 February, the EXDATE'd one included.
    assert instances_before(series, local(2027, 2, 3, 18)) == 4
    assert rule_continuing_from(series, local(2027, 2, 3, 18)) == "FREQ=WEEKLY;COUNT=4"


def test_a_continuation_keeps_an_until_and_at_least_one_instance() -> None:
    assert (
        rule_continuing_from(make(WED, "FREQ=WEEKLY;UNTIL=20271231T000000Z"), local(2027, 2, 3, 18))
        == "FREQ=WEEKLY;UNTIL=20271231T000000Z"
    )
    assert (
        rule_continuing_from(make(WED, "FREQ=WEEKLY;COUNT=2"), local(2027, 3, 3, 18))
        == "FREQ=WEEKLY;COUNT=1"
    )


def test_a_series_without_a_rule_cannot_end_at_an_occurrence() -> None:
    with pytest.raises(SeriesError):
        rule_ending_before(make(WED, rdates=(local(2027, 2, 1, 9),)), local(2027, 2, 1, 9))


def test_occurrence_at_finds_a_moved_occurrence_where_it_now_is() -> None:
    moved_to = local(2027, 1, 21, 9)
    series = make(
        WED,
        "FREQ=WEEKLY;COUNT=8",
        overrides=(
            Override(
                recurrence_id=local(2027, 1, 20, 18),
                start=moved_to,
                end=moved_to + timedelta(hours=1),
                title="Moved",
            ),
        ),
    )
    found = occurrence_at(series, local(2027, 1, 20, 18))
    assert found is not None
    assert (found.start_utc, found.title, found.moved) == (utc(2027, 1, 21, 9), "Moved", True)


def test_occurrence_at_is_none_for_a_time_the_series_does_not_generate() -> None:
    series = make(WED, "FREQ=WEEKLY;COUNT=8", exdates=(local(2027, 1, 13, 18),))
    assert occurrence_at(series, local(2027, 1, 7, 18)) is None
    assert occurrence_at(series, local(2027, 1, 13, 18)) is None  # removed by an EXDATE
    assert occurrence_at(series, local(2027, 3, 3, 18)) is None  # after COUNT ran out
    found = occurrence_at(series, local(2027, 1, 27, 18))
    assert found is not None and found.start_utc == utc(2027, 1, 27, 18)
