"""A rule with a date in every period it visits is accepted without the 400-year walk that
looks for one (a new worker checks each of its series' rules); others are still walked, and a
rule that never occurs is still refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from rules import RRuleValueError, recurrence
from rules.recurrence import clear_caches


def test_rules_with_a_date_in_every_period_are_accepted_without_a_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked: list[str] = []
    real = recurrence._check_cycle
    monkeypatch.setattr(
        recurrence,
        "_check_cycle",
        lambda rule, kwargs, dtstart: walked.append(rule.freq) or real(rule, kwargs, dtstart),
    )
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
            recurrence.normalise_rrule(
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", start, "Europe/London"
            )
    finally:
        clear_caches(parsed=True)
