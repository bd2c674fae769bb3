"""The recurrence examples of RFC 5545 §3.8.5.3 (DTSTART in America/New_York)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rules_helpers import local

from rules import Series, Window, expand, to_utc

NY = "America/New_York"


def d(text: str) -> datetime:
    """'1997-09-02' or '1997-09-02 14:30' as a naive local time (09:00 when no time is given)."""
    if " " not in text:
        text += " 09:00"
    return datetime.fromisoformat(text)


def days(year_month: str, *day_numbers: int, at: str = "09:00") -> list[datetime]:
    return [d(f"{year_month}-{n:02d} {at}") for n in day_numbers]


CASES = [
    ("daily, 10 times", "1997-09-02", "FREQ=DAILY;COUNT=10", days("1997-09", *range(2, 12))),
    (
        "daily until 24 December",
        "1997-09-02",
        "FREQ=DAILY;UNTIL=19971224T000000Z",
        [d("1997-09-02") + timedelta(days=i) for i in range(113)],
    ),
    ("every other day", "1997-09-02", "FREQ=DAILY;INTERVAL=2", days("1997-09", 2, 4, 6, 8, 10, 12)),
    (
        "every 10 days, 5 times",
        "1997-09-02",
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        days("1997-09", 2, 12, 22) + days("1997-10", 2, 12),
    ),
    (
        "every day in January for 3 years",
        "1998-01-01",
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
        days("1998-01", *range(1, 32))
        + days("1999-01", *range(1, 32))
        + days("2000-01", *range(1, 32)),
    ),
    (
        "weekly, 10 times",
        "1997-09-02",
        "FREQ=WEEKLY;COUNT=10",
        days("1997-09", 2, 9, 16, 23, 30) + days("1997-10", 7, 14, 21, 28) + days("1997-11", 4),
    ),
    (
        "weekly until 24 December",
        "1997-09-02",
        "FREQ=WEEKLY;UNTIL=19971224T000000Z",
        [d("1997-09-02") + timedelta(weeks=i) for i in range(17)],
    ),
    (
        "Tuesday and Thursday for five weeks",
        "1997-09-02",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
        days("1997-09", 2, 4, 9, 11, 16, 18, 23, 25, 30) + days("1997-10", 2),
    ),
    (
        "every other week on MO, WE, FR",
        "1997-09-01",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        days("1997-09", 1, 3, 5, 15, 17, 19, 29)
        + days("1997-10", 1, 3, 13, 15, 17, 27, 29, 31)
        + days("1997-11", 10, 12, 14, 24, 26, 28)
        + days("1997-12", 8, 10, 12, 22),
    ),
    (
        "every other week on TU and TH, 8 times",
        "1997-09-02",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
        days("1997-09", 2, 4, 16, 18, 30) + days("1997-10", 2, 14, 16),
    ),
    (
        "first Friday, 10 times",
        "1997-09-05",
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        days("1997-09", 5)
        + days("1997-10", 3)
        + days("1997-11", 7)
        + days("1997-12", 5)
        + days("1998-01", 2)
        + days("1998-02", 6)
        + days("1998-03", 6)
        + days("1998-04", 3)
        + days("1998-05", 1)
        + days("1998-06", 5),
    ),
    (
        "every other month, first and last Sunday",
        "1997-09-07",
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        days("1997-09", 7, 28)
        + days("1997-11", 2, 30)
        + days("1998-01", 4, 25)
        + days("1998-03", 1, 29)
        + days("1998-05", 3, 31),
    ),
    (
        "second-to-last Monday, 6 times",
        "1997-09-22",
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        days("1997-09", 22)
        + days("1997-10", 20)
        + days("1997-11", 17)
        + days("1997-12", 22)
        + days("1998-01", 19)
        + days("1998-02", 16),
    ),
    (
        "third-to-last day of the month",
        "1997-09-28",
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        days("1997-09", 28)
        + days("1997-10", 29)
        + days("1997-11", 28)
        + days("1997-12", 29)
        + days("1998-01", 29)
        + days("1998-02", 26),
    ),
    (
        "2nd and 15th, 10 times",
        "1997-09-02",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        days("1997-09", 2, 15)
        + days("1997-10", 2, 15)
        + days("1997-11", 2, 15)
        + days("1997-12", 2, 15)
        + days("1998-01", 2, 15),
    ),
    (
        "first and last day, 10 times",
        "1997-09-30",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        days("1997-09", 30)
        + days("1997-10", 1, 31)
        + days("1997-11", 1, 30)
        + days("1997-12", 1, 31)
        + days("1998-01", 1, 31)
        + days("1998-02", 1),
    ),
    (
        "every 18 months, 10th to 15th",
        "1997-09-10",
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        days("1997-09", *range(10, 16)) + days("1999-03", 10, 11, 12, 13),
    ),
    (
        "every Tuesday, every other month",
        "1997-09-02",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        days("1997-09", 2, 9, 16, 23, 30)
        + days("1997-11", 4, 11, 18, 25)
        + days("1998-01", 6, 13, 20, 27)
        + days("1998-03", 3, 10, 17, 24, 31),
    ),
    (
        "June and July, 10 times",
        "1997-06-10",
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        [d(f"{y}-{m:02d}-10") for y in range(1997, 2002) for m in (6, 7)],
    ),
    (
        "every other year in Jan, Feb, Mar",
        "1997-03-10",
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
        [d("1997-03-10")] + [d(f"{y}-{m:02d}-10") for y in (1999, 2001, 2003) for m in (1, 2, 3)],
    ),
    (
        "every third year, days 1, 100, 200",
        "1997-01-01",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        [
            d(x)
            for x in (
                "1997-01-01",
                "1997-04-10",
                "1997-07-19",
                "2000-01-01",
                "2000-04-09",
                "2000-07-18",
                "2003-01-01",
                "2003-04-10",
                "2003-07-19",
                "2006-01-01",
            )
        ],
    ),
    (
        "every 20th Monday of the year",
        "1997-05-19",
        "FREQ=YEARLY;BYDAY=20MO",
        [d("1997-05-19"), d("1998-05-18"), d("1999-05-17")],
    ),
    (
        "Monday of week 20",
        "1997-05-12",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        [d("1997-05-12"), d("1998-05-11"), d("1999-05-17")],
    ),
    (
        "every Thursday in March",
        "1997-03-13",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
        days("1997-03", 13, 20, 27)
        + days("1998-03", 5, 12, 19, 26)
        + days("1999-03", 4, 11, 18, 25),
    ),
    (
        "Thursdays in June, July and August",
        "1997-06-05",
        "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8",
        days("1997-06", 5, 12, 19, 26)
        + days("1997-07", 3, 10, 17, 24, 31)
        + days("1997-08", 7, 14, 21, 28),
    ),
    (
        "first Saturday after the first Sunday",
        "1997-09-13",
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        days("1997-09", 13)
        + days("1997-10", 11)
        + days("1997-11", 8)
        + days("1997-12", 13)
        + days("1998-01", 10)
        + days("1998-02", 7)
        + days("1998-03", 7)
        + days("1998-04", 11)
        + days("1998-05", 9)
        + days("1998-06", 13),
    ),
    (
        "US presidential election day",
        "1996-11-05",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        [d("1996-11-05"), d("2000-11-07"), d("2004-11-02")],
    ),
    (
        "third TU, WE or TH, 3 times",
        "1997-09-04",
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        [d("1997-09-04"), d("1997-10-07"), d("1997-11-06")],
    ),
    (
        "second-to-last weekday",
        "1997-09-29",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        [
            d(x)
            for x in (
                "1997-09-29",
                "1997-10-30",
                "1997-11-27",
                "1997-12-30",
                "1998-01-29",
                "1998-02-26",
                "1998-03-30",
            )
        ],
    ),
    (
        "every 3 hours from 09:00",
        "1997-09-02",
        "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z",
        [d("1997-09-02 09:00"), d("1997-09-02 12:00"), d("1997-09-02 15:00")],
    ),
    (
        "every 15 minutes, 6 times",
        "1997-09-02",
        "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
        [d("1997-09-02 09:00") + timedelta(minutes=15 * i) for i in range(6)],
    ),
    (
        "every hour and a half, 4 times",
        "1997-09-02",
        "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
        [d("1997-09-02 09:00") + timedelta(minutes=90 * i) for i in range(4)],
    ),
    (
        "every 20 minutes 09:00-16:40 (daily form)",
        "1997-09-02",
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
        [d("1997-09-02 09:00") + timedelta(minutes=20 * i) for i in range(24)]
        + [d("1997-09-03 09:00")],
    ),
    (
        "every 20 minutes 09:00-16:40 (minutely form)",
        "1997-09-02",
        "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
        [d("1997-09-02 09:00") + timedelta(minutes=20 * i) for i in range(24)]
        + [d("1997-09-03 09:00")],
    ),
    (
        "WKST=MO",
        "1997-08-05",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
        days("1997-08", 5, 10, 19, 24),
    ),
    (
        "WKST=SU",
        "1997-08-05",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
        days("1997-08", 5, 17, 19, 31),
    ),
    (
        "an invalid date (30 February) is skipped",
        "2007-01-15",
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
        days("2007-01", 15, 30) + days("2007-02", 15) + days("2007-03", 15, 30),
    ),
]


@pytest.mark.parametrize(("name", "start", "rule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rfc5545_example(name: str, start: str, rule: str, expected: list[datetime]) -> None:
    series = Series(start=d(start), end=d(start) + timedelta(hours=1), tzid=NY, rrule=rule)
    begin = to_utc(series.start, NY)
    window = Window(begin, to_utc(expected[-1], NY) + timedelta(minutes=1))
    got = [o.recurrence_id for o in expand(series, window, limit=5000).occurrences]
    assert got == expected


def test_friday_13th_with_dtstart_excluded() -> None:
    series = Series(
        start=d("1997-09-02"),
        end=d("1997-09-02 10:00"),
        tzid=NY,
        rrule="FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        exdates=(d("1997-09-02"),),
    )
    window = Window(to_utc(series.start, NY), to_utc(local(2000, 10, 14), NY))
    got = [o.recurrence_id for o in expand(series, window).occurrences]
    assert got == [
        d("1998-02-13"),
        d("1998-03-13"),
        d("1998-11-13"),
        d("1999-08-13"),
        d("2000-10-13"),
    ]


def test_dtstart_not_matching_the_rule_is_still_the_first_instance() -> None:
    """RFC 5545 §3.8.5.3: DTSTART defines the first instance, and counts towards COUNT."""
    series = Series(
        start=d("1997-09-02"),
        end=d("1997-09-02 10:00"),
        tzid=NY,
        rrule="FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3",
    )
    window = Window(to_utc(series.start, NY), to_utc(local(2001, 1, 1), NY))
    got = [o.recurrence_id for o in expand(series, window).occurrences]
    assert got == [d("1997-09-02"), d("1998-02-13"), d("1998-03-13")]
