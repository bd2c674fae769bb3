"""Walks every few days at fixed times (daily rules, and weekly rules on one weekday) are made
without dateutil; they give what dateutil's walk gives, from any start, whole expansions too.
And a rule with a date in every period is accepted without the walk that finds one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from rules import RRuleValueError, Series, Window, expand, recurrence
from rules.recurrence import _every_few_days, _walker, clear_caches, recurrence_for

RULES = ["FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0,30",
         "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "FREQ=WEEKLY;BYDAY=SU;WKST=SU",
         "FREQ=DAILY;INTERVAL=2;COUNT=30", "FREQ=WEEKLY;UNTIL=20280101T000000Z",
         "FREQ=DAILY;BYSECOND=30"]


@pytest.mark.parametrize("text", RULES)
def test_walks_every_few_days_are_dateutils_from_any_start(text: str) -> None:
    rnd = random.Random(text)
    for _ in range(30):
        start = datetime(2020, 1, 1, 0, 0) + timedelta(  # noqa: DTZ001 (wall time)
            days=rnd.randrange(2000), hours=rnd.randrange(24), minutes=rnd.choice((0, 45)))
        rec = recurrence_for(text, start, "Europe/London")
        assert rec.day_times is not None, text
        begin = rec.walk_start + timedelta(days=rec.walk_rule.interval * rnd.randrange(300))
        ours = list(islice(_every_few_days(begin, rec.walk_rule.interval, rec.day_times), 50))
        theirs = list(islice(iter(_walker(rec.walk_rule, rec.walk_start, begin)), 50))
        assert ours == theirs, (text, start, begin)


def test_other_walks_keep_dateutil() -> None:
    start = datetime(2027, 1, 4, 10)  # noqa: DTZ001 (wall time)
    for text in ("FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY", "FREQ=HOURLY",
                 "FREQ=DAILY;BYMONTH=1,7", "FREQ=DAILY;BYDAY=MO"):
        assert recurrence_for(text, start, "Europe/London").day_times is None, text


def test_walks_end_with_the_calendar() -> None:
    times = recurrence_for("FREQ=DAILY", datetime(2027, 1, 1, 9), "UTC").day_times  # noqa: DTZ001
    assert times is not None
    last = list(_every_few_days(datetime(9999, 12, 29, 10), 1, times))  # noqa: DTZ001
    assert last == [datetime(9999, 12, 30, 9), datetime(9999, 12, 31, 9)]  # noqa: DTZ001


@pytest.mark.parametrize("text", RULES)
def test_expansions_are_those_of_dateutils_walks(text: str, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    """Over both clock changes of 2027, from starts on either side of one."""
    windows = [Window(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC)),
               Window(datetime(2027, 10, 20, tzinfo=UTC), datetime(2027, 11, 5, tzinfo=UTC))]
    series = [Series(start=start, end=start + timedelta(hours=length), tzid="Europe/London",
                     rrule=text)
              for start in (datetime(2026, 10, 25, 1, 30), datetime(2027, 3, 28, 0, 30))  # noqa: DTZ001
              for length in (1, 30)]

    def expansions() -> list[object]:
        return [expand(each, window, limit=limit) for each in series for window in windows
                for limit in (1, 7, 1000)]

    ours = expansions()
    clear_caches(parsed=True)
    monkeypatch.setattr(recurrence, "_day_times", lambda rule, walk_start: None)
    try:
        assert expansions() == ours
    finally:
        clear_caches(parsed=True)


def test_rules_with_a_date_in_every_period_are_accepted_without_a_walk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[str] = []
    real = recurrence._check_cycle
    monkeypatch.setattr(recurrence, "_check_cycle",
                        lambda rule, kwargs, dtstart: walked.append(rule.freq) or real(
                            rule, kwargs, dtstart))
    clear_caches(parsed=True)
    try:
        start = datetime(2027, 1, 29, 10)  # noqa: DTZ001 (wall time)
        for text in ("FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY"):
            recurrence.normalise_rrule(text, start, "Europe/London")
        assert walked == []
        # The 29th is not in every month: walked (and found in the next January).
        recurrence.normalise_rrule("FREQ=MONTHLY", start, "Europe/London")
        assert walked == ["MONTHLY"]
        with pytest.raises(RRuleValueError, match="never occurs"):
            recurrence.normalise_rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", start,
                                       "Europe/London")
    finally:
        clear_caches(parsed=True)
