"""Descriptions in another language: a phrasebook handed to ``describe`` changes every word,
English stays the default, and ``rules`` needs no translation machinery to do it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from rules_helpers import local, make

from rules import ENGLISH, Phrasebook, describe, describe_rule, phrasebook_for
from rules.phrasebook import plural

START = local(2027, 3, 9, 14)  # a Tuesday

# A test-only phrasebook: enough German for the rules below.  Its "every other week" for an
# INTERVAL of 2 is an idiom English does not use.
GERMAN = replace(
    ENGLISH,
    day_names=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    month_names=(
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    ordinal=lambda n: "letzten" if n == -1 else f"{n}.",
    and_word="und",
    date="{day}. {month} {year}",
    once_each={**ENGLISH.once_each, "YEARLY": "Jährlich", "MONTHLY": "Monatlich"},
    every_week="Jede Woche",
    every_n={
        **ENGLISH.every_n,
        "WEEKLY": lambda n: "Jede zweite Woche" if n == 2 else "Alle {n} Wochen",
    },
    nth_weekday="{ordinal} {day}",
    monthdays="{days}",
    of_months="{days} {months}",
    on="am {days}",
    times=plural("einmal", "{n}-mal"),
    until="bis {date}",
    plus_dates=plural("und an {n} weiteren Tag", "und an {n} weiteren Tagen"),
)


@pytest.mark.parametrize(
    ("text", "english", "german"),
    [
        (
            "FREQ=MONTHLY;BYDAY=-1WE",
            "Monthly on the last Wednesday",
            "Monatlich am letzten Mittwoch",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1WE;UNTIL=20310429T235959Z",
            "Monthly on the last Wednesday, until 29 April 2031",
            "Monatlich am letzten Mittwoch, bis 29. April 2031",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "Every 2 weeks on Tuesday",
            "Jede zweite Woche am Dienstag",
        ),
        ("FREQ=WEEKLY;INTERVAL=3", "Every 3 weeks on Tuesday", "Alle 3 Wochen am Dienstag"),
        ("FREQ=WEEKLY;BYDAY=WE", "Every week on Wednesday", "Jede Woche am Mittwoch"),
        (
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24,26",
            "Annually on the 24th and 26th of December",
            "Jährlich am 24. und 26. Dezember",
        ),
        (
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24,26;COUNT=3",
            "Annually on the 24th and 26th of December, 3 times",
            "Jährlich am 24. und 26. Dezember, 3-mal",
        ),
    ],
)
def test_a_second_phrasebook_changes_the_words(text: str, english: str, german: str) -> None:
    assert describe_rule(text, START, "Europe/London") == english
    assert describe_rule(text, START, "Europe/London", GERMAN) == german
    assert describe(make(START, text), GERMAN) == german


def test_extra_dates_are_counted_in_the_phrasebook_s_plural() -> None:
    series = make(START, "FREQ=MONTHLY;BYDAY=-1WE", rdates=(local(2027, 4, 1, 14),))
    assert describe(series) == "Monthly on the last Wednesday, plus 1 other date"
    assert describe(series, GERMAN) == "Monatlich am letzten Mittwoch, und an 1 weiteren Tag"


def test_dates_without_a_rule_use_the_phrasebook_s_date() -> None:
    series = make(date(2027, 5, 1), rdates=(date(2027, 6, 5),))
    assert describe(series) == "On 1 May 2027 and 5 June 2027"
    assert (
        describe(series, replace(GERMAN, on_dates="Am {dates}"))
        == "Am 1. Mai 2027 und 5. Juni 2027"
    )


def test_english_is_the_default_and_the_fallback_of_language_codes() -> None:
    series = make(START, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    assert describe(series) == describe(series, ENGLISH) == "Every 2 weeks on Tuesday"
    for code in ("en", "en-GB", "en_US", "EN", "de", "fr-CA"):
        assert phrasebook_for(code) is ENGLISH
    assert isinstance(ENGLISH, Phrasebook)
