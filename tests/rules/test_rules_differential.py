"""Differential check: the same series expanded by recurring-ical-events (an independent
RFC 5545 engine) gives the same occurrences."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from rules_helpers import local, utc

from rules import Override, Series, Window, expand
from rules.timezones import zone

SERIES = [
    Series(
        start=local(2027, 1, 6, 18),
        end=local(2027, 1, 6, 19, 30),
        tzid="Europe/London",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        exdates=(local(2027, 2, 3, 18),),
        overrides=(
            Override(
                local(2027, 2, 10, 18), start=local(2027, 2, 11, 9), end=local(2027, 2, 11, 10)
            ),
        ),
        key="weekly",
    ),
    Series(
        start=local(2027, 1, 27, 14),
        end=local(2027, 1, 27, 15),
        tzid="Europe/London",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        key="monthly-last",
    ),
    Series(
        start=local(2027, 3, 9, 10),
        end=local(2027, 3, 9, 12),
        tzid="America/New_York",
        rrule="FREQ=YEARLY;BYMONTH=3;BYDAY=2TU",
        key="yearly-nth",
    ),
    Series(
        start=local(2027, 3, 10, 23),
        end=local(2027, 3, 11, 1),
        tzid="America/New_York",
        rrule="FREQ=DAILY;COUNT=10",
        rdates=(local(2027, 4, 1, 12),),
        key="daily-count",
    ),
    Series(
        start=date(2027, 1, 4),
        end=date(2027, 1, 7),
        tzid="Australia/Sydney",
        rrule="FREQ=WEEKLY;INTERVAL=2;UNTIL=20270630",
        key="all-day",
    ),
    Series(
        start=local(2027, 1, 1, 8, 15),
        end=local(2027, 1, 1, 8, 45),
        tzid="Asia/Tokyo",
        rrule="FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=20",
        key="setpos",
    ),
]


def _value(series: Series, moment: Any) -> Any:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=zone(series.tzid))
    return moment


def to_calendar(series: Series) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//rules//EN")
    cal.add("version", "2.0")
    master = icalendar.Event()
    master.add("uid", series.key)
    master.add("dtstamp", utc(2027, 1, 1))
    master.add("dtstart", _value(series, series.start))
    master.add("dtend", _value(series, series.end))
    master.add("rrule", icalendar.vRecur.from_ical(series.rrule))
    for rdate in series.rdates:
        master.add("rdate", _value(series, rdate))
    for exdate in series.exdates:
        master.add("exdate", _value(series, exdate))
    cal.add_component(master)
    for override in series.overrides:
        ev = icalendar.Event()
        ev.add("uid", series.key)
        ev.add("dtstamp", utc(2027, 1, 1))
        ev.add("recurrence-id", _value(series, override.recurrence_id))
        ev.add("dtstart", _value(series, override.start))
        ev.add("dtend", _value(series, override.end))
        cal.add_component(ev)
    return cal


def _instant(value: Any, series: Series) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(zone("UTC"))
    return datetime.combine(value, datetime.min.time(), zone(series.tzid)).astimezone(zone("UTC"))


@pytest.mark.parametrize("series", SERIES, ids=[s.key for s in SERIES])
@pytest.mark.parametrize(
    "window",
    [
        (utc(2027, 1, 1), utc(2028, 1, 1)),
        (utc(2027, 3, 13), utc(2027, 3, 20)),
        (utc(2029, 10, 1), utc(2030, 4, 1)),
    ],
)
def test_same_as_recurring_ical_events(series: Series, window: tuple[datetime, datetime]) -> None:
    ours = [(o.start_utc, o.end_utc) for o in expand(series, Window(*window)).occurrences]
    theirs = sorted(
        (_instant(ev["DTSTART"].dt, series), _instant(ev["DTEND"].dt, series))
        for ev in recurring_ical_events.of(to_calendar(series)).between(*window)
    )
    assert ours == theirs
    assert all(end - start >= timedelta(0) for start, end in ours)
