"""Fuzzing the engine with RRULE text as anyone might type or send it: whatever the text, the
start, the zone and the window, every call either answers or raises a RulesError, within a
bounded walk and memory.  Nothing else may escape, and nothing may run away."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rules import (
    RulesError,
    Series,
    Window,
    check_overlap,
    describe,
    expand,
    generates,
    normalise_rrule,
    occurrence_at,
    series_bounds,
    upcoming,
)
from rules.limits import MAX_YEAR, MIN_YEAR

if TYPE_CHECKING:
    from tests.conftest import RuleWalks

PARTS = [
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
    "X-FOO",
    "RRULE",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "YEARLY",
            "MONTHLY",
            "WEEKLY",
            "DAILY",
            "HOURLY",
            "MINUTELY",
            "SECONDLY",
            "MO",
            "-1FR",
            "2TU,SU",
            "+53MO",
            "-366",
            "0",
            "1",
            "7",
            "60",
            "366",
            "2147483647",
            "99999999999",
            "-1,1",
            "20271231",
            "20271231T235959Z",
            "99991231",
            "18000101T000000",
            "",
            ",",
            "1,,2",
        ]
    ),
    st.integers(-1000, 10**6).map(str),
    st.text(alphabet="0123456789,-+TZMOUWEHFRSA", max_size=12),
)
ZONES = [
    "Europe/London",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Asia/Kathmandu",
    "UTC",
    "Mars/Olympus",
]
# Each call's budget: dateutil's work (``rule_walks``: days examined and instances yielded) and
# its memory.  The engine's own limits let a call walk a few million steps (finding where a
# yearly COUNT rule ends walks up to 8,200 years of 366 days, once); the runaways this guards
# against walked for minutes and took gigabytes.
STEPS, MEGABYTES = 5_000_000, 64.0


@st.composite
def rrule_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(PARTS), VALUES), min_size=1, max_size=6))
    separator = draw(st.sampled_from([";", "; ", ";;"]))
    text = separator.join(f"{name}={value}" for name, value in parts)
    return draw(st.sampled_from([text, text.lower(), "RRULE:" + text, text + ";"]))


PLAUSIBLE = {
    "INTERVAL": st.sampled_from(["1", "2", "3", "7", "52", "100000"]),
    "COUNT": st.sampled_from(["1", "3", "10", "1000", "100000", "2147483647"]),
    "UNTIL": st.sampled_from(["20271231", "20271231T235959Z", "20300101T000000", "90001231"]),
    "BYDAY": st.sampled_from(["MO", "MO,WE,FR", "-1WE", "1SU", "2TU,-2TH", "53MO", "SA,SU"]),
    "BYMONTHDAY": st.sampled_from(["1", "31", "-1", "29", "1,15", "30,31"]),
    "BYMONTH": st.sampled_from(["2", "3", "12", "1,7"]),
    "BYHOUR": st.sampled_from(["0", "9,17", "23"]),
    "BYMINUTE": st.sampled_from(["0", "30", "0,15,30,45"]),
    "BYSETPOS": st.sampled_from(["1", "-1", "2,-2"]),
    "BYYEARDAY": st.sampled_from(["1", "-1", "100,200", "366"]),
    "BYWEEKNO": st.sampled_from(["1", "53", "-1"]),
    "WKST": st.sampled_from(["MO", "SU"]),
}


@st.composite
def plausible_rrule_text(draw: st.DrawFn) -> str:
    """A FREQ and a few parts with values people use (and some extreme ones)."""
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"]))
    names = draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), max_size=4, unique=True))
    return ";".join([f"FREQ={freq}"] + [f"{name}={draw(PLAUSIBLE[name])}" for name in names])


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    day = draw(st.dates(date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)))
    minute = draw(st.integers(0, 24 * 60 - 1))
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60)  # noqa: DTZ001


@pytest.mark.slow
# A fixed sequence of examples (derandomize), so every run costs the same and checks the same.
# No shrinking: each try of a runaway example walks its whole budget, and shrinking one took
# longer than the per-test timeout, which then reports no example at all.
@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    text=st.one_of(rrule_text(), plausible_rrule_text()),
    start=moments(),
    hours=st.integers(0, 24 * 800),
    tzid=st.sampled_from(ZONES),
    all_day=st.booleans(),
    offset_days=st.integers(-400, 3 * 366),
    span_days=st.integers(1, 400),
)
def test_any_rule_text_answers_or_is_refused_within_bounds(
    rule_walks: RuleWalks,
    memory_at_most: Callable[[float], AbstractContextManager[None]],
    text: str,
    start: datetime,
    hours: int,
    tzid: str,
    all_day: bool,
    offset_days: int,
    span_days: int,
) -> None:
    first: date | datetime = start.date() if all_day else start
    end = first + (timedelta(days=1 + hours // 24) if all_day else timedelta(hours=hours))
    with rule_walks.at_most(STEPS), memory_at_most(MEGABYTES):
        try:
            rule = normalise_rrule(text, first, tzid)
            series = Series(start=first, end=end, tzid=tzid, rrule=rule)
            describe(series)
            bounds = series_bounds(series)
        except (RulesError, ValueError):  # refused: a RulesError, or an unknown zone
            return
    try:  # what a write would refuse: more than MAX_OVERLAP occurrences in progress at once
        check_overlap(series)
        writable = True
    except RulesError:
        writable = False
    assert bounds[0].tzinfo is not None
    window_start = bounds[0] + timedelta(days=offset_days)
    window = Window(window_start, window_start + timedelta(days=span_days))
    with rule_walks.at_most(STEPS), memory_at_most(MEGABYTES):
        try:
            found = expand(series, window, limit=1000)
        except RulesError:
            found = None
    if found is not None:
        assert len(found.occurrences) <= 1000
        assert list(found.occurrences) == sorted(found.occurrences, key=lambda o: o.start_utc)
        for occurrence in found.occurrences[:3]:
            assert occurrence.start_utc < window.end_utc and occurrence.end_utc >= window.start_utc
            with rule_walks.at_most(STEPS), memory_at_most(MEGABYTES):
                rid = occurrence.recurrence_id
                if rid is not None:
                    assert generates(series, rid)
                    if writable:  # else thousands in progress at its start may crowd it out
                        assert occurrence_at(series, rid) is not None
    with rule_walks.at_most(STEPS), memory_at_most(MEGABYTES):
        try:
            upcoming(series, window.start_utc.astimezone(UTC), 10)
        except RulesError:
            pass
