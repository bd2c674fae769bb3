"""Time zones and calendars: DST in London and New York, leap years, last weekdays, edges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rules_helpers import local, make, starts, utc

from rules import Window, expand, is_valid_zone, local_from_aware, to_utc

LONDON = "Europe/London"
NY = "America/New_York"


@pytest.mark.parametrize(
    ("tzid", "wall", "expected_utc"),
    [
        (LONDON, local(2027, 1, 13, 14), utc(2027, 1, 13, 14)),
        (LONDON, local(2027, 7, 14, 14), utc(2027, 7, 14, 13)),
        (LONDON, local(2027, 3, 28, 1, 30), utc(2027, 3, 28, 1, 30)),  # gap: offset before (GMT)
        (LONDON, local(2027, 10, 31, 1, 30), utc(2027, 10, 31, 0, 30)),  # twice: the first (BST)
        (NY, local(2027, 3, 14, 2, 30), utc(2027, 3, 14, 7, 30)),  # gap: offset before (EST)
        (NY, local(2027, 11, 7, 1, 30), utc(2027, 11, 7, 5, 30)),  # twice: the first (EDT)
        (NY, date(2027, 7, 4), utc(2027, 7, 4, 4)),  # a date is local midnight
    ],
)
def test_to_utc_follows_rfc5545(tzid: str, wall: object, expected_utc: object) -> None:
    assert to_utc(wall, tzid) == expected_utc  # type: ignore[arg-type]


def test_local_from_aware_and_zones() -> None:
    assert local_from_aware(utc(2027, 7, 14, 13), LONDON) == local(2027, 7, 14, 14)
    assert is_valid_zone(LONDON) and is_valid_zone("UTC")
    for bad in ("Mars/Olympus", "", "../etc/passwd", "localtime", "europe/london"):
        assert not is_valid_zone(bad)


@pytest.mark.parametrize("tzid", [LONDON, NY])
def test_seminar_keeps_its_wall_clock_all_year(tzid: str) -> None:
    s = make(local(2027, 1, 6, 14), "FREQ=WEEKLY;BYDAY=WE", tzid=tzid)
    occ = expand(s, Window(utc(2027, 1, 1), utc(2028, 1, 1))).occurrences
    assert len(occ) == 52
    assert {(o.start.hour, o.start.minute) for o in occ} == {(14, 0)}  # type: ignore[union-attr]
    assert len({o.start.utcoffset() for o in occ}) == 2  # type: ignore[union-attr]
    assert all(o.end_utc - o.start_utc == timedelta(hours=1) for o in occ)


def test_spring_forward_in_new_york_daily_0230() -> None:
    s = make(local(2027, 3, 12, 2, 30), "FREQ=DAILY", tzid=NY)
    occ = expand(s, Window(utc(2027, 3, 12), utc(2027, 3, 16))).occurrences
    assert [o.recurrence_id for o in occ] == [local(2027, 3, d, 2, 30) for d in (12, 13, 14, 15)]
    gap = occ[2]
    assert gap.start_utc == utc(2027, 3, 14, 7, 30)
    assert gap.start.hour == 3 and gap.start.minute == 30  # type: ignore[union-attr]
    assert occ[3].start_utc == utc(2027, 3, 15, 6, 30)


def test_fall_back_in_london_daily_0130_is_not_doubled() -> None:
    s = make(local(2027, 10, 30, 1, 30), "FREQ=DAILY;COUNT=3", tzid=LONDON)
    occ = expand(s, Window(utc(2027, 10, 29), utc(2027, 11, 2))).occurrences
    assert [o.start_utc for o in occ] == [
        utc(2027, 10, 30, 0, 30),
        utc(2027, 10, 31, 0, 30),
        utc(2027, 11, 1, 1, 30),
    ]


def test_hourly_across_fall_back_keeps_wall_clock_hours() -> None:
    s = make(
        local(2027, 11, 7, 0, 0), "FREQ=HOURLY;COUNT=4", tzid=NY, duration=timedelta(minutes=30)
    )
    occ = expand(s, Window(utc(2027, 11, 7), utc(2027, 11, 8))).occurrences
    assert [o.recurrence_id.hour for o in occ] == [0, 1, 2, 3]  # type: ignore[union-attr]
    assert [o.start_utc.hour for o in occ] == [4, 5, 7, 8]  # 01:00 is EDT (the first)


def test_leap_day_yearly() -> None:
    s = make(date(2028, 2, 29), "FREQ=YEARLY")
    occ = expand(s, Window(utc(2028, 1, 1), utc(2106, 1, 1)), limit=5000).occurrences
    years = [o.start.year for o in occ]
    assert years[:3] == [2028, 2032, 2036] and 2100 not in years and years[-1] == 2104
    assert len(years) == 19


def test_last_day_and_last_weekday_of_month() -> None:
    s = make(local(2027, 1, 31, 9), "FREQ=MONTHLY;BYMONTHDAY=-1")
    got = starts(s, utc(2027, 1, 1), utc(2028, 1, 1))
    assert [x.day for x in got] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    fri = make(local(2027, 1, 29, 9), "FREQ=MONTHLY;BYDAY=-1FR")
    assert [x.day for x in starts(fri, utc(2027, 1, 1), utc(2027, 7, 1))] == [
        29,
        26,
        26,
        30,
        28,
        25,
    ]
    wk = make(local(2027, 1, 29, 9), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
    assert [x.day for x in starts(wk, utc(2027, 1, 1), utc(2027, 7, 1))] == [29, 26, 31, 30, 31, 30]


def test_monthly_31st_skips_short_months() -> None:
    s = make(local(2027, 1, 31, 9), "FREQ=MONTHLY")
    assert [x.month for x in starts(s, utc(2027, 1, 1), utc(2028, 1, 1))] == [1, 3, 5, 7, 8, 10, 12]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # all-day multi-day (3 days: Mon-Wed) weekly in New York; windows in UTC
        ((utc(2027, 1, 6, 4), utc(2027, 1, 6, 5)), [date(2027, 1, 4)]),  # last hour of Wednesday
        ((utc(2027, 1, 7, 5), utc(2027, 1, 8)), []),  # from Thursday 00:00 EST
        ((utc(2027, 1, 7, 4, 59), utc(2027, 1, 8)), [date(2027, 1, 4)]),  # one minute before
        ((utc(2027, 1, 10), utc(2027, 1, 11, 5)), []),  # ends at Monday 00:00
        ((utc(2027, 1, 10), utc(2027, 1, 11, 5, 1)), [date(2027, 1, 11)]),
    ],
)
def test_all_day_multi_day_window_edges(window: tuple, expected: list) -> None:  # type: ignore[type-arg]
    s = make(date(2027, 1, 4), "FREQ=WEEKLY", tzid=NY, duration=timedelta(days=3))
    occ = expand(s, Window(*window)).occurrences
    assert [o.recurrence_id for o in occ] == expected
    for o in occ:
        assert o.end == o.start + timedelta(days=3)  # type: ignore[operator]


def test_zero_length_events_at_window_edges() -> None:
    s = make(local(2027, 1, 4, 10), "FREQ=DAILY", tzid="UTC", duration=timedelta(0))
    assert starts(s, utc(2027, 1, 5, 10), utc(2027, 1, 5, 11)) == [local(2027, 1, 5, 10)]
    assert starts(s, utc(2027, 1, 5, 9), utc(2027, 1, 5, 10)) == []


def test_long_event_started_years_before_the_window() -> None:
    s = make(date(2020, 1, 1), "FREQ=YEARLY", duration=timedelta(days=300))
    occ = expand(s, Window(utc(2030, 10, 1), utc(2030, 10, 2))).occurrences
    assert [o.recurrence_id for o in occ] == [date(2030, 1, 1)]
