"""VTIMEZONEs in the compact yearly-rule form, read back and checked against zoneinfo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Timezone

from calendar_service.ical.vtimezone import is_utc, transitions_in, uses_yearly_rule, vtimezone


def parsed(tzid: str) -> Timezone:
    component = Timezone.from_ical(vtimezone(tzid).to_ical())
    assert isinstance(component, Timezone)
    return component


def mismatches(tzid: str, first_year: int, last_year: int) -> list[datetime]:
    """Moments whose UTC offset differs between the written VTIMEZONE (read back by icalendar
    without looking the TZID up) and zoneinfo: every 23 hours, and one second either side of
    each of zoneinfo's own changes (so a change written even a second early or late shows)."""
    written = parsed(tzid).to_tz(lookup_tzid=False)
    real = ZoneInfo(tzid)
    moments = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while moment < stop:
        moments.append(moment)
        moment += timedelta(hours=23)  # drifts through every hour of the day
    for year in range(first_year, last_year + 1):
        for change in transitions_in(real, year):
            moments += [change.at_utc - timedelta(seconds=1), change.at_utc]
    return [
        moment
        for moment in moments
        if moment.astimezone(written).utcoffset() != moment.astimezone(real).utcoffset()
    ]


def first_rule_year(tzid: str) -> int:
    return min(
        observance["DTSTART"].dt.year
        for observance in parsed(tzid).walk()
        if observance.name in ("STANDARD", "DAYLIGHT")
    )


@pytest.mark.parametrize(
    "tzid",
    [
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        # Friday before the last Sunday; Saturday 23:00; midnight Sunday; a 30-minute DST.
        "Asia/Jerusalem",
        "America/Nuuk",
        "America/Santiago",
        "Australia/Lord_Howe",
        # Winter as the legal exception, and a zone no yearly rule fits (Cairo's Friday after
        # the last Thursday of October can be 1 November).
        "Europe/Dublin",
        "Africa/Cairo",
    ],
)
def test_offsets_match_zoneinfo_from_the_rules_start_to_2045(tzid: str) -> None:
    # Before its first observance a VTIMEZONE says nothing; from the next year on it must agree.
    assert first_rule_year(tzid) <= 2024
    assert mismatches(tzid, max(first_rule_year(tzid) + 1, 2010), 2045) == []


def test_london_is_two_yearly_rules_on_the_last_sundays() -> None:
    text = vtimezone("Europe/London").to_ical().decode()
    assert text == (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nX-LIC-LOCATION:Europe/London\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19961027T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
        "TZNAME:GMT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19960331T010000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
        "TZNAME:BST\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\n"
        "END:VTIMEZONE\r\n"
    )


def test_new_york_starts_its_rules_in_2007_when_they_began() -> None:
    component = parsed("America/New_York")
    (daylight,) = component.walk("DAYLIGHT")
    (standard,) = component.walk("STANDARD")
    assert daylight["DTSTART"].dt == datetime(2007, 3, 11, 2, 0)
    assert daylight["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"
    assert standard["DTSTART"].dt == datetime(2007, 11, 4, 2, 0)
    assert standard["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"
    assert (str(standard["TZNAME"]), str(daylight["TZNAME"])) == ("EST", "EDT")
    assert mismatches("America/New_York", 2007, 2012) == []


def test_sydney_summer_starts_in_october_and_ends_in_april() -> None:
    component = parsed("Australia/Sydney")
    (daylight,) = component.walk("DAYLIGHT")
    (standard,) = component.walk("STANDARD")
    assert daylight["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=10"
    assert daylight["TZOFFSETTO"].td == timedelta(hours=11)
    assert standard["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"
    assert standard["DTSTART"].dt == datetime(2008, 4, 6, 3, 0)  # 03:00 AEDT, before the change


def test_kolkata_has_a_single_standard_observance_without_rule() -> None:
    component = parsed("Asia/Kolkata")
    assert component.walk("DAYLIGHT") == []
    (standard,) = component.walk("STANDARD")
    assert "RRULE" not in standard and "RDATE" not in standard
    assert (
        standard["TZOFFSETFROM"].td == standard["TZOFFSETTO"].td == timedelta(hours=5, minutes=30)
    )
    assert standard["DTSTART"].dt == datetime(1970, 1, 1)


def test_the_compact_form_has_no_transition_lists_or_comments() -> None:
    for tzid in (
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "Europe/Berlin",
        "America/Los_Angeles",
        "Pacific/Auckland",
    ):
        assert uses_yearly_rule(tzid)
        text = vtimezone(tzid).to_ical()
        assert b"RDATE" not in text and b"COMMENT" not in text
        assert text.count(b"BEGIN:STANDARD") == 1
        assert text.count(b"BEGIN:DAYLIGHT") <= 1


def test_zones_no_yearly_rule_describes_fall_back_to_a_correct_list() -> None:
    # Palestine's clocks follow Ramadan (as Morocco's did until its rules of 2026).
    assert not uses_yearly_rule("Asia/Gaza")
    assert mismatches("Asia/Gaza", 2024, 2032) == []


def test_the_fallback_list_has_no_rdate_and_a_yearly_rule_where_one_fits() -> None:
    # Cairo since 2023: summer from the last Friday of April, every year; winter from the
    # Friday after the last Thursday of October, the last Friday except when that Thursday is
    # the 31st.  Each change is its own observance or in a run with UNTIL; none is an RDATE.
    text = vtimezone("Africa/Cairo", 2026).to_ical()
    assert b"RDATE" not in text
    component = Timezone.from_ical(text)
    (daylight,) = component.walk("DAYLIGHT")
    assert daylight["DTSTART"].dt == datetime(2026, 4, 24)
    assert daylight["RRULE"].to_ical() == b"FREQ=YEARLY;UNTIL=20990424T000000Z;BYDAY=-1FR;BYMONTH=4"
    firsts = [standard["DTSTART"].dt for standard in component.walk("STANDARD")]
    assert firsts[:3] == [datetime(2025, 10, 31), datetime(2030, 11, 1), datetime(2031, 10, 31)]
    assert "RRULE" not in component.walk("STANDARD")[1]
    assert mismatches("Africa/Cairo", 2024, 2060) == []


def test_utc_zones_are_written_as_utc_not_given_a_vtimezone() -> None:
    assert is_utc("UTC") and is_utc("Etc/UTC")
    assert not is_utc("Europe/London") and not is_utc("Africa/Abidjan")


def test_a_change_at_the_stroke_of_a_utc_year_is_found_in_that_year() -> None:
    # São Tomé left local mean time at 00:00 UTC on 1 January 1912.
    (change,) = transitions_in(ZoneInfo("Africa/Sao_Tome"), 1912)
    assert change.at_utc == datetime(1912, 1, 1, tzinfo=UTC)
    assert (change.offset_from, change.offset_to) == (
        -timedelta(minutes=36, seconds=45),
        timedelta(0),
    )
    assert transitions_in(ZoneInfo("Africa/Sao_Tome"), 1911) == []
