"""RRULE parsing, normalising, errors, and plain-English descriptions."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from rules_helpers import local, make

from rules import RRuleSyntaxError, RRuleValueError, RulesError, describe, normalise_rrule

START = local(2027, 3, 9, 14)  # a Tuesday, the 2nd of March 2027


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=WE", "Every week on Wednesday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Every 2 weeks on Tuesday"),
        ("FREQ=MONTHLY;BYDAY=-1WE", "Monthly on the last Wednesday"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=2TU", "Annually on the 2nd Tuesday of March"),
        ("FREQ=DAILY;COUNT=5", "Daily, 5 times"),
        (
            "FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20271224T235959Z",
            "Weekly on Monday and Friday, until 24 December 2027",
        ),
        ("FREQ=WEEKLY", "Every week on Tuesday"),
        ("FREQ=MONTHLY", "Monthly on the 9th"),
        ("FREQ=YEARLY", "Annually on 9 March"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "Monthly on the last day"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "Monthly on the last weekday"),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "Monthly on the 13th when that is a Friday"),
        ("FREQ=DAILY;COUNT=1", "Daily, once"),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "Daily on weekdays"),
        ("FREQ=HOURLY;INTERVAL=2", "Every 2 hours"),
        ("FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10", "Every 15 minutes between 09:00 and 10:59"),
        ("FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0", "Daily at 09:00 and 17:00"),
        # A series split at its 6 July occurrence ends one second before it (13:59:59 BST): its
        # last date is the week before, and no instance of 6 July is left to mention.
        ("FREQ=WEEKLY;UNTIL=20270706T125959Z", "Every week on Tuesday, until 5 July 2027"),
        (
            "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0;UNTIL=20271201T120000Z",
            "Daily at 09:00 and 17:00, until 1 December 2027 at 12:00",
        ),
        (
            "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0;UNTIL=20271201T080000Z",
            "Daily at 09:00 and 17:00, until 30 November 2027",
        ),
    ],
)
def test_describe(text: str, expected: str) -> None:
    assert describe(make(START, text)) == expected


def test_describe_one_off_and_rdates() -> None:
    assert describe(make(START)) is None
    assert (
        describe(make(date(2027, 5, 1), rdates=(date(2027, 6, 5),)))
        == "On 1 May 2027 and 5 June 2027"
    )


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("rrule:freq=weekly;byday=we", START, "FREQ=WEEKLY;BYDAY=WE"),
        (" FREQ=WEEKLY ; INTERVAL=1 ; WKST=MO ; ", START, "FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYDAY=+2TU,-1WE;COUNT=10", START, "FREQ=MONTHLY;BYDAY=2TU,-1WE;COUNT=10"),
        ("FREQ=WEEKLY;UNTIL=20270701T140000", START, "FREQ=WEEKLY;UNTIL=20270701T130000Z"),
        ("FREQ=WEEKLY;UNTIL=2027-07-01", START, "FREQ=WEEKLY;UNTIL=20270701T225959Z"),
        ("FREQ=WEEKLY;UNTIL=20270701T130000Z", START, "FREQ=WEEKLY;UNTIL=20270701T130000Z"),
        ("FREQ=WEEKLY;UNTIL=20270701", date(2027, 3, 9), "FREQ=WEEKLY;UNTIL=20270701"),
    ],
)
def test_normalise(text: str, start: object, expected: str) -> None:
    assert normalise_rrule(text, start, "Europe/London") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "part", "words"),
    [
        ("", RRuleSyntaxError, "FREQ", "FREQ"),
        ("INTERVAL=2", RRuleSyntaxError, "FREQ", "FREQ is required"),
        ("FREQ=FORTNIGHTLY", RRuleSyntaxError, "FREQ", "not one of"),
        ("FREQ=SECONDLY", RRuleValueError, "FREQ", "once a minute"),
        ("FREQ=WEEKLY;FOO=1", RRuleSyntaxError, "FOO", "unknown part"),
        ("FREQ=WEEKLY;INTERVAL=0", RRuleValueError, "INTERVAL", "positive"),
        ("FREQ=WEEKLY;INTERVAL=x", RRuleSyntaxError, "INTERVAL", "whole number"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20280101T000000Z", RRuleValueError, "COUNT", "both"),
        ("FREQ=MONTHLY;BYSETPOS=1", RRuleValueError, "BYSETPOS", "another BY part"),
        ("FREQ=WEEKLY;BYDAY=2TU", RRuleValueError, "BYDAY", "MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6TU", RRuleValueError, "BYDAY", "at most 5"),
        ("FREQ=MONTHLY;BYDAY=XX", RRuleSyntaxError, "BYDAY", "weekday"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", RRuleValueError, "BYMONTHDAY", "out of range"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", RRuleValueError, "BYMONTHDAY", "WEEKLY"),
        ("FREQ=MONTHLY;BYYEARDAY=1", RRuleValueError, "BYYEARDAY", "MONTHLY"),
        ("FREQ=MONTHLY;BYWEEKNO=1", RRuleValueError, "BYWEEKNO", "YEARLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", RRuleValueError, "BYMONTHDAY", "never"),
        ("FREQ=WEEKLY;WEEKLY", RRuleSyntaxError, "WEEKLY", "NAME=VALUE"),
        ("FREQ=WEEKLY;FREQ=DAILY", RRuleSyntaxError, "FREQ", "more than once"),
        ("FREQ=WEEKLY;UNTIL=2027-13-01", RRuleValueError, "UNTIL", "real date"),
    ],
)
def test_bad_rules(text: str, kind: type[RulesError], part: str, words: str) -> None:
    with pytest.raises(kind) as info:
        normalise_rrule(text, START, "Europe/London")
    assert info.value.part == part
    assert words in info.value.message


def test_until_of_the_wrong_kind_for_all_day() -> None:
    with pytest.raises(RRuleValueError) as info:
        normalise_rrule("FREQ=DAILY;UNTIL=20270401T100000Z", date(2027, 3, 9), "Europe/London")
    assert info.value.part == "UNTIL" and "date" in info.value.message


def test_rule_that_never_occurs_is_refused_quickly() -> None:
    with pytest.raises(RRuleValueError, match="never occurs"):
        normalise_rrule("FREQ=DAILY;INTERVAL=7;BYDAY=MO", START, "Europe/London")


def test_import_rules_loads_no_web_framework() -> None:
    code = (
        "import sys, rules; print(any(m.split('.')[0] in ('flask', 'sqlalchemy') "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
