"""Bounded cost: hostile rules and windows answer with a clear limit, after a bounded walk.

The walk is counted where dateutil does it (``rule_walks``: days examined plus instances
yielded), the same on any machine; a hang is stopped by the per-test timeout."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from rules_helpers import local, make, utc

from rules import (
    ExpansionLimitError,
    RRuleValueError,
    Window,
    expand,
    limits,
    normalise_rrule,
    series_bounds,
    upcoming,
)
from rules.recurrence import clear_caches

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

# One window's walk: the calls below walk at most ~5,000 steps; the walks they guard against
# (from DTSTART, or to a COUNT of a billion) are hundreds of thousands and more.
WINDOW_STEPS = 10_000
# Refusing a rule that never occurs walks one 400-year Gregorian cycle of its periods (up to
# ~147,000 days); walking on to the year 9999, as dateutil would, is millions.
CYCLE_STEPS = 200_000


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30,31",
        "FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # every 7 days from a Monday is never a Tuesday
        "FREQ=WEEKLY;INTERVAL=2;BYMONTH=2;BYDAY=MO;BYSETPOS=3",  # never 3 Mondays in a week
        "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31",
    ],
)
def test_rules_that_never_occur_are_refused(rule_walks: RuleWalks, text: str) -> None:
    clear_caches(parsed=True)
    with rule_walks.at_most(CYCLE_STEPS), pytest.raises(RRuleValueError, match="never occurs"):
        normalise_rrule(text, local(2027, 1, 4, 9), "Europe/London")


def test_secondly_is_refused() -> None:
    with pytest.raises(RRuleValueError) as info:
        normalise_rrule("FREQ=SECONDLY", local(2027, 1, 4, 9), "UTC")
    assert info.value.part == "FREQ"
    with pytest.raises(RRuleValueError) as info:
        normalise_rrule("FREQ=MINUTELY;BYSECOND=0,30", local(2027, 1, 4, 9), "UTC")
    assert info.value.part == "BYSECOND"


def test_huge_count_is_cheap(rule_walks: RuleWalks) -> None:
    clear_caches()
    s = make(local(2027, 1, 4, 9), "FREQ=WEEKLY;COUNT=1000000000")
    with rule_walks.at_most(WINDOW_STEPS):
        occ = expand(s, Window(utc(2090, 1, 1), utc(2090, 2, 1)))
    assert len(occ.occurrences) in (4, 5)
    with rule_walks.at_most(WINDOW_STEPS):
        assert series_bounds(s) == (utc(2027, 1, 4, 9), None)
    minutely = make(local(2027, 1, 4, 9), "FREQ=MINUTELY;COUNT=1000000000")
    with rule_walks.at_most(WINDOW_STEPS):
        result = expand(minutely, Window(utc(2030, 1, 1), utc(2030, 1, 2)))
    assert result.truncated


def test_count_that_ends_long_ago_is_found_once_then_cheap(rule_walks: RuleWalks) -> None:
    clear_caches()
    s = make(local(2000, 1, 3, 9), "FREQ=DAILY;COUNT=5000")
    with rule_walks.at_most(2 * 5000 + 100):  # the 5,000 days walked once, each an instance
        last = series_bounds(s)[1]
    assert last == utc(2013, 9, 10, 9)  # 10:00 BST
    with rule_walks.at_most(100):  # a month at most: the end is known, not walked to again
        found = expand(s, Window(utc(2013, 9, 1), utc(2013, 10, 1)))
    assert found.occurrences[-1].recurrence_id == local(2013, 9, 10, 9)


def test_far_until_and_long_windows(rule_walks: RuleWalks) -> None:
    s = make(local(2027, 1, 4, 9), "FREQ=DAILY;UNTIL=89991231T000000Z")
    with rule_walks.at_most(WINDOW_STEPS):
        assert series_bounds(s)[1] == utc(8999, 12, 30, 10)
    with rule_walks.at_most(WINDOW_STEPS):
        far = expand(s, Window(utc(8000, 1, 1), utc(8000, 1, 8)))
    assert len(far.occurrences) == 7
    with rule_walks.at_most(0), pytest.raises(ExpansionLimitError) as info:
        expand(s, Window(utc(2027, 1, 1), utc(2300, 1, 1)))
    assert info.value.field == "window"
    busy = make(local(2027, 1, 4, 9), "FREQ=MINUTELY;BYHOUR=9,10")
    with rule_walks.at_most(0), pytest.raises(ExpansionLimitError):  # refused before walking
        expand(busy, Window(utc(2027, 1, 1), utc(2037, 1, 1)))
    dense = make(local(2027, 1, 4, 9), "FREQ=MINUTELY")
    with rule_walks.at_most(WINDOW_STEPS):
        result = expand(dense, Window(utc(2027, 1, 1), utc(2117, 1, 1)))
    assert result.truncated and len(result.occurrences) == limits.DEFAULT_LIMIT


def test_rare_rule_is_still_cheap(rule_walks: RuleWalks) -> None:
    # 29 February on a Monday: once in 28 years or so
    s = make(local(2027, 1, 4, 9), "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO")
    with rule_walks.at_most(100_000):  # the 45 years of days to the second one, walked once
        occ = upcoming(s, utc(2027, 1, 5), 2)
    assert [o.recurrence_id for o in occ] == [local(2044, 2, 29, 9), local(2072, 2, 29, 9)]


def test_limit_arguments() -> None:
    s = make(local(2027, 1, 4, 9), "FREQ=DAILY")
    with pytest.raises(ExpansionLimitError):
        expand(s, Window(utc(2027, 1, 1), utc(2027, 2, 1)), limit=limits.MAX_LIMIT + 1)
    with pytest.raises(ValueError):
        expand(s, Window(utc(2027, 1, 1), utc(2027, 2, 1)), limit=0)
    with pytest.raises(ExpansionLimitError):
        upcoming(s, utc(2027, 1, 1), limits.MAX_UPCOMING + 1)
    assert upcoming(s, utc(2027, 1, 1), 0) == ()


def test_windows_far_from_the_series_cost_nothing() -> None:
    s = make(date(2027, 1, 4), "FREQ=WEEKLY;COUNT=3", duration=timedelta(days=1))
    assert expand(s, Window(utc(1900, 1, 1), utc(1990, 1, 1))).occurrences == ()
    assert expand(s, Window(utc(9500, 1, 1), utc(9590, 1, 1))).occurrences == ()
