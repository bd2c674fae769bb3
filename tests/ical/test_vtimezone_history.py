"""Feeds holding series begun under older rules: their VTIMEZONEs describe those rules too.

A feed's series are read back by engines that know none of our zones: every TZID in the bytes
is renamed to one no library knows, so an engine can only place a time by reading our VTIMEZONE.
recurring-ical-events (through icalendar's ``Timezone.to_tz``, which builds a tzinfo from the
observances with dateutil's ``tzical``) must then place every occurrence at the instant our own
engine (``rules.expand``) gives, from the series' start to 2030, across each historical change
of rule.  ical.js, Thunderbird's engine, is run on the same bytes in test_vtimezone_icaljs.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar, Timezone
from icalendar.timezone import tzp

from calendar_service.ical import writer as ical
from calendar_service.ical.vtimezone import needed_year, transitions_in, vtimezone
from tests.ical.history import (
    LAST_YEAR,
    OLD_SERIES_ZONES,
    SAMPLE_NAMES,
    SAMPLE_ZONES,
    Instant,
    engine_instants,
    feed,
    old_series,
    renamed,
    sample_series,
    series,
    vtimezones,
)


def expanded_by_recurring_ical_events(body: bytes) -> set[Instant]:
    calendar = Calendar.from_ical(body)
    found = set()
    for component in recurring_ical_events.of(calendar).between(
        datetime(1900, 1, 1, tzinfo=UTC), datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    ):
        start, end = component["DTSTART"].dt, component["DTEND"].dt
        assert not isinstance(start.tzinfo, ZoneInfo)  # read from our VTIMEZONE
        found.add((str(component["UID"]), start.astimezone(UTC), end.astimezone(UTC)))
    return found


def test_the_renamed_zones_are_unknown_to_icalendar() -> None:
    for unknown in [*OLD_SERIES_ZONES.values(), *SAMPLE_NAMES.values()]:
        assert tzp.timezone(unknown) is None


@pytest.fixture(scope="module")
def old_feed() -> tuple[set[Instant], set[Instant]]:
    """The old series' occurrences: (our engine's, recurring-ical-events' from the feed)."""
    events = old_series()
    return (
        engine_instants(events),
        expanded_by_recurring_ical_events(renamed(feed(events), OLD_SERIES_ZONES)),
    )


def test_recurring_ical_events_places_old_series_as_our_engine_does(
    old_feed: tuple[set[Instant], set[Instant]],
) -> None:
    expected, got = old_feed
    assert got == expected
    years = {start.year for _uid, start, _end in expected}
    assert min(years) == 1994 and max(years) == LAST_YEAR and len(expected) > 3000


def test_recurring_ical_events_places_series_in_sample_zones_as_our_engine_does() -> None:
    events = sample_series(1975)
    got = expanded_by_recurring_ical_events(renamed(feed(events), SAMPLE_NAMES))
    assert got == engine_instants(events)


@pytest.mark.parametrize(
    ("uid", "utc_start"),
    [
        # New York: DST began on the first Sunday of April until 2006, the second of March since.
        ("new-york@example.org", datetime(2006, 3, 19, 15)),  # EST
        ("new-york@example.org", datetime(2006, 4, 9, 14)),  # EDT (2 April is excluded)
        ("new-york@example.org", datetime(2006, 10, 29, 15)),  # EST: the last Sunday of October
        ("new-york@example.org", datetime(2007, 3, 10, 14)),  # the moved one, Saturday 09:00 EST
        ("new-york@example.org", datetime(2007, 3, 18, 14)),  # EDT
        ("new-york@example.org", datetime(2007, 10, 28, 14)),  # EDT: the first Sunday of November
        # London: BST ended on the fourth Sunday of October until 1995, the last since 1996.
        ("london@example.org", datetime(1995, 10, 21, 9)),  # the RDATE, Saturday: BST
        ("london@example.org", datetime(1995, 10, 22, 10)),  # GMT
        ("london@example.org", datetime(1996, 10, 20, 9)),  # BST
        ("london@example.org", datetime(1996, 10, 27, 10)),  # GMT
        # São Paulo: DST from the third Sunday of October, in 2018 the first of November, and none
        # since 2019.
        ("sao-paulo@example.org", datetime(2017, 10, 15, 12)),  # -02
        ("sao-paulo@example.org", datetime(2018, 10, 21, 13)),  # -03
        ("sao-paulo@example.org", datetime(2018, 11, 4, 12)),  # -02
        ("sao-paulo@example.org", datetime(2019, 2, 17, 13)),  # -03, for good
        ("sao-paulo@example.org", datetime(2019, 11, 3, 13)),
    ],
)
def test_occurrences_after_each_change_of_rule(
    old_feed: tuple[set[Instant], set[Instant]], uid: str, utc_start: datetime
) -> None:
    start = utc_start.replace(tzinfo=UTC)
    engine, read_back = old_feed
    assert (uid, start, start + timedelta(hours=1)) in engine & read_back


LONDON_SINCE_1996 = (
    b"BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nX-LIC-LOCATION:Europe/London\r\n"
    b"BEGIN:STANDARD\r\nDTSTART:19961027T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    b"TZNAME:GMT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
    b"BEGIN:DAYLIGHT\r\nDTSTART:19960331T010000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    b"TZNAME:BST\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\n"
    b"END:VTIMEZONE\r\n"
)


@pytest.mark.parametrize("year", [2026, 1997])
def test_a_feed_of_series_begun_under_the_current_rule_has_the_compact_form(year: int) -> None:
    event = series("today@example.org", "Europe/London", datetime(year, 3, 1, 10))
    assert vtimezones(feed([event])) == {"Europe/London": LONDON_SINCE_1996}


def test_a_series_begun_in_the_rules_first_year_gets_the_change_before_it() -> None:
    # 1 January 1996 is before the rule's first change (31 March 1996): GMT since 22 October.
    event = series("early@example.org", "Europe/London", datetime(1996, 1, 7, 10))
    head, rules_since_1996 = LONDON_SINCE_1996.split(b"BEGIN:STANDARD", 1)
    assert (
        vtimezones(feed([event]))["Europe/London"]
        == head
        + (
            b"BEGIN:STANDARD\r\nDTSTART:19951022T020000\r\nTZNAME:GMT\r\nTZOFFSETFROM:+0100\r\n"
            b"TZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
        )
        + b"BEGIN:STANDARD"
        + rules_since_1996
    )


def test_the_earliest_start_per_zone_decides_and_old_exdates_count() -> None:
    later = series("later@example.org", "America/New_York", datetime(2020, 1, 5, 10))
    older = series("older@example.org", "America/New_York", datetime(2005, 1, 2, 10))
    stale = series(
        "stale@example.org",
        "Europe/London",
        datetime(2020, 1, 5, 10),
        exdates=("1999-01-03T10:00:00",),
    )
    assert ical.zone_years([later, older, stale]) == {
        "America/New_York": 2005,
        "Europe/London": 1999,
    }


def observances(tzid: str, first_year: int) -> list[tuple[object, ...]]:
    """(kind, DTSTART, TZOFFSETTO in hours, UNTIL, BYMONTH, BYDAY) of each observance."""
    component = Timezone.from_ical(vtimezone(tzid, first_year).to_ical())
    assert b"RDATE" not in component.to_ical()
    found = []
    for sub in component.subcomponents:
        rule = sub.get("RRULE", {})
        until = rule.get("UNTIL")
        found.append(
            (
                sub.name,
                sub["DTSTART"].dt,
                sub["TZOFFSETTO"].td / timedelta(hours=1),
                until[0].strftime("%Y-%m-%dT%H:%MZ") if until else None,
                rule.get("BYMONTH", [None])[0],
                rule.get("BYDAY", [None])[0],
            )
        )
    return found


@pytest.mark.parametrize(
    ("tzid", "first_year", "expected"),
    [
        (
            "America/New_York",
            2005,
            [
                ("STANDARD", datetime(2004, 10, 31, 2), -5, "2006-10-29T06:00Z", 10, "-1SU"),
                ("DAYLIGHT", datetime(2005, 4, 3, 2), -4, "2006-04-02T07:00Z", 4, "1SU"),
                ("STANDARD", datetime(2007, 11, 4, 2), -5, None, 11, "1SU"),
                ("DAYLIGHT", datetime(2007, 3, 11, 2), -4, None, 3, "2SU"),
            ],
        ),
        (
            "Europe/London",
            1994,
            [
                # Until 1995 BST ended on the Sunday after the fourth Saturday of October.  UNTIL is
                # the last change's wall time where that is later than its instant (east of UTC).
                ("STANDARD", datetime(1993, 10, 24, 2), 0, "1995-10-22T02:00Z", 10, "4SU"),
                ("DAYLIGHT", datetime(1994, 3, 27, 1), 1, "1995-03-26T01:00Z", 3, "-1SU"),
                ("STANDARD", datetime(1996, 10, 27, 2), 0, None, 10, "-1SU"),
                ("DAYLIGHT", datetime(1996, 3, 31, 1), 1, None, 3, "-1SU"),
            ],
        ),
        (
            "America/Sao_Paulo",
            2016,
            [
                ("DAYLIGHT", datetime(2015, 10, 18, 0), -2, "2017-10-15T03:00Z", 10, "3SU"),
                ("STANDARD", datetime(2016, 2, 21, 0), -3, "2018-02-18T02:00Z", 2, "3SU"),
                ("DAYLIGHT", datetime(2018, 11, 4, 0), -2, None, None, None),  # that year only
                ("STANDARD", datetime(2019, 2, 17, 0), -3, None, None, None),  # no DST since
            ],
        ),
    ],
)
def test_the_observances_from_a_year_under_older_rules(
    tzid: str, first_year: int, expected: list[tuple[object, ...]]
) -> None:
    assert observances(tzid, first_year) == expected


def test_memoised_by_zone_and_the_first_year_that_changes_the_output() -> None:
    assert needed_year("Europe/London", 2026) == needed_year("Europe/London", None) == 1997
    assert needed_year("Europe/London", 1994) == 1994
    assert needed_year("Asia/Gaza", 2026) == 2026
    assert needed_year("Asia/Gaza", None) == 1970


def mismatches(component: bytes, tzid: str, first_year: int, last_year: int) -> list[datetime]:
    """Instants from the first of January of ``first_year`` whose local wall time (and fold),
    placed with the tzinfo icalendar builds from the VTIMEZONE without looking its TZID up,
    is not that instant: every 5 days 7 hours, and one second either side of each of
    zoneinfo's changes.

    Local to UTC, as an engine places an event's times.  (The other way, dateutil's
    ``fromutc`` assumes the standard offset never changes, so it is an hour off on the eve of
    a change like Tehran's of 11 November 1978 whatever the VTIMEZONE says.)
    """
    parsed = Timezone.from_ical(component)
    assert isinstance(parsed, Timezone)
    written = parsed.to_tz(lookup_tzid=False)
    real = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=real).astimezone(UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    moments = [
        start + timedelta(days=5, hours=7) * step
        for step in range((stop - start) // timedelta(days=5, hours=7))
    ]
    for year in range(first_year, last_year + 1):
        for change in transitions_in(real, year):
            moments += [change.at_utc - timedelta(seconds=1), change.at_utc]
    wrong = []
    for moment in moments:
        local = moment.astimezone(real)
        if moment >= start and local.replace(tzinfo=written).astimezone(UTC) != moment:
            wrong.append(moment)
    return wrong


@pytest.mark.parametrize("first_year", [1975, 1995, 2005, 2020])
@pytest.mark.parametrize("tzid", SAMPLE_ZONES)
def test_written_vtimezones_have_no_rdate_and_agree_with_zoneinfo(
    tzid: str, first_year: int
) -> None:
    event = series("sample@example.org", tzid, datetime(first_year, 1, 1, 12))
    block = vtimezones(feed([event]))[tzid]
    assert b"RDATE" not in block
    assert mismatches(block, tzid, first_year, 2045) == []
