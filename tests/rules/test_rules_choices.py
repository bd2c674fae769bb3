"""Form choices ↔ RRULE text, round-tripped."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import local

from rules import RRuleValueError, RuleChoice, describe_rule, from_rrule, to_rrule

LONDON = "Europe/London"
START = local(2027, 1, 27, 14)  # the 4th and last Wednesday of January 2027

CHOICES = [
    (RuleChoice("daily"), "FREQ=DAILY", "Daily"),
    (
        RuleChoice("daily", interval=3, ends="after", count=5),
        "FREQ=DAILY;INTERVAL=3;COUNT=5",
        "Every 3 days, 5 times",
    ),
    (RuleChoice("weekly", weekdays=("WE",)), "FREQ=WEEKLY;BYDAY=WE", "Every week on Wednesday"),
    (
        RuleChoice("weekly", interval=2, weekdays=("TU",)),
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "Every 2 weeks on Tuesday",
    ),
    (
        RuleChoice("weekly", weekdays=("MO", "FR"), ends="on_date", until=date(2027, 12, 24)),
        "FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20271224T235959Z",
        "Weekly on Monday and Friday, until 24 December 2027",
    ),
    (RuleChoice("monthly"), "FREQ=MONTHLY;BYMONTHDAY=27", "Monthly on the 27th"),
    (
        RuleChoice("monthly", monthly_mode="nth_weekday", ordinal=-1),
        "FREQ=MONTHLY;BYDAY=-1WE",
        "Monthly on the last Wednesday",
    ),
    (
        RuleChoice("monthly", monthly_mode="nth_weekday", ordinal=4, interval=2),
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=4WE",
        "Every 2 months on the 4th Wednesday",
    ),
    (RuleChoice("yearly"), "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=27", "Annually on 27 January"),
    (
        RuleChoice("yearly", yearly_mode="nth_weekday", ordinal=4, ends="after", count=3),
        "FREQ=YEARLY;BYMONTH=1;BYDAY=4WE;COUNT=3",
        "Annually on the 4th Wednesday of January, 3 times",
    ),
]


@pytest.mark.parametrize(("choice", "text", "words"), CHOICES)
def test_choice_round_trip(choice: RuleChoice, text: str, words: str) -> None:
    assert to_rrule(choice, START, LONDON) == text
    assert from_rrule(text, START, LONDON) == choice
    assert describe_rule(text, START, LONDON) == words


def test_all_day_choice_until_is_a_date() -> None:
    choice = RuleChoice("weekly", weekdays=("WE",), ends="on_date", until=date(2027, 6, 30))
    text = to_rrule(choice, date(2027, 1, 27), LONDON)
    assert text == "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630"
    assert from_rrule(text, date(2027, 1, 27), LONDON) == choice


def test_every_simple_choice_round_trips() -> None:
    starts = [local(2027, 1, 27, 14), local(2027, 7, 3, 9), date(2028, 2, 29)]
    for start in starts:
        for freq in ("daily", "weekly", "monthly", "yearly"):
            for interval in (1, 2, 5):
                for mode in ("a", "b"):
                    for ends in ("never", "on_date", "after"):
                        choice = RuleChoice(
                            freq,  # type: ignore[arg-type]
                            interval=interval,
                            weekdays=("MO", "TH") if freq == "weekly" else (),
                            monthly_mode="nth_weekday"
                            if freq == "monthly" and mode == "b"
                            else "day_of_month",
                            yearly_mode="nth_weekday"
                            if freq == "yearly" and mode == "b"
                            else "date",
                            ordinal=-1 if mode == "b" and freq in ("monthly", "yearly") else None,
                            ends=ends,  # type: ignore[arg-type]
                            until=date(2030, 5, 1) if ends == "on_date" else None,
                            count=7 if ends == "after" else None,
                        )
                        text = to_rrule(choice, start, LONDON)
                        assert from_rrule(text, start, LONDON) == choice, text


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=DAILY;BYHOUR=9,17",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=MONTHLY;BYDAY=-1FR",  # the start is a Wednesday
        "FREQ=YEARLY;BYMONTH=3;BYDAY=2TU",
        "FREQ=HOURLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU",
    ],
)
def test_custom_rules_are_not_choices(text: str) -> None:
    assert from_rrule(text, START, LONDON) is None


def test_bad_choices() -> None:
    with pytest.raises(RRuleValueError) as info:
        to_rrule(RuleChoice("weekly", ends="after"), START, LONDON)
    assert info.value.part == "COUNT"
    with pytest.raises(RRuleValueError):
        to_rrule(RuleChoice("monthly", monthly_mode="nth_weekday", ordinal=5), START, LONDON)
    with pytest.raises(RRuleValueError):
        to_rrule(RuleChoice("daily", interval=0), START, LONDON)
