"""The IANA zone an imported file's TZID means, as the exporters write them.

Google and Apple write IANA names (``TZID=Europe/London``).  Outlook writes Windows names
(``TZID="GMT Standard Time"``, quoted or not) with a VTIMEZONE of its own that holds only
today's rule; those are mapped through the CLDR windowsZones table as the tzlocal package ships
it (``tzlocal.windows_tz.win_tz``, generated from CLDR's windowsZones.xml), so a London series
keeps its 10:00 wall time in summer.  Outlook also writes VTIMEZONEs under names of its own
("Customized Time Zone", "(UTC+01:00) Amsterdam, Berlin, …"): such a zone is matched to the
IANA zone whose clock changes agree with the file's VTIMEZONE in every year the file's events
use it — the calendar's own zone first, then the file's ``X-WR-TIMEZONE``, then the zones
CLDR names for Windows, then the rest.  When none agrees the caller keeps the file's instants.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import icalendar
from tzlocal.windows_tz import win_tz

import rules
from calendar_service.ical.vtimezone import Transition, transitions_in

MAX_YEARS = 30
"""The most years over which a file's own VTIMEZONE is compared with the IANA zones."""

MAX_MATCHED = 20
"""The most TZIDs of one file compared with the IANA zones (each comparison reads a few hundred
zones); the times of any further unknown ones keep the instants their VTIMEZONE gives."""


def iana_name(tzid: str) -> str | None:
    """The IANA zone a TZID names directly: an IANA name or a Windows name (quotes stripped)."""
    name = tzid.strip().strip('"').strip()
    if rules.is_valid_zone(name):
        return name
    mapped = win_tz.get(name)
    return mapped if mapped is not None and rules.is_valid_zone(mapped) else None


class FileZones:
    """The IANA zone of each TZID a file uses, worked out once per TZID."""

    def __init__(self, parsed: icalendar.Calendar, preferred: Iterable[str]) -> None:
        self._components = {
            str(zone.get("TZID", "")): zone
            for zone in parsed.walk("VTIMEZONE")
            if isinstance(zone, icalendar.Timezone)
        }
        self._years = _years_by_tzid(parsed)
        self._preferred = [name for name in preferred if rules.is_valid_zone(name)]
        self._found: dict[str, str | None] = {}
        self._own: dict[str, tzinfo | None] = {}
        self._compared = 0

    def zone_for(self, tzid: str) -> str | None:
        """The IANA zone for ``tzid``, or None when it names none and no IANA zone agrees with
        the file's own definition of it."""
        if tzid not in self._found:
            self._found[tzid] = iana_name(tzid) or self._matched(tzid)
        return self._found[tzid]

    def tz_for(self, tzid: str) -> tzinfo | None:
        """The zone to read ``tzid``'s wall times in: the IANA zone it means, else the file's
        own VTIMEZONE of that name, else None (the TZID names no zone)."""
        zone = self.zone_for(tzid)
        return ZoneInfo(zone) if zone is not None else self.own_tz(tzid)

    def own_tz(self, tzid: str) -> tzinfo | None:
        """The file's own VTIMEZONE of that name, read afresh: icalendar keeps the first
        definition of each unknown TZID it meets for the rest of the process, so another
        file's "Customized Time Zone" must not stand in for this file's."""
        if tzid not in self._own:
            component = self._components.get(tzid)
            try:
                own = None if component is None else component.to_tz(lookup_tzid=False)
            except (ValueError, TypeError, KeyError, IndexError):
                own = None
            self._own[tzid] = own
        return self._own[tzid]

    def _matched(self, tzid: str) -> str | None:
        self._compared += 1
        if self._compared > MAX_MATCHED:
            return None
        years = self._years.get(tzid)
        own = self.own_tz(tzid) if years else None
        if own is None or not years:
            return None
        first = min(years)
        span = range(first, min(max(years), first + MAX_YEARS - 1) + 1)
        return agreeing_zone(own, span, self._preferred)


def agreeing_zone(own: tzinfo, years: range, preferred: Iterable[str]) -> str | None:
    """The first IANA zone (``preferred`` ones first) whose UTC offsets are those of ``own`` in
    the middle of January and July of ``years`` and on both sides of each of its clock changes in
    those years; None when there is none.

    ``own`` is looked at in as few places as that takes, each once: a file's VTIMEZONE often
    starts in 1601, and each look walks its rules from there."""
    looked: dict[datetime, timedelta | None] = {}

    def own_offset(moment: datetime) -> timedelta | None:
        if moment not in looked:
            looked[moment] = _offset(own, moment)
        return looked[moment]

    samples = [datetime(year, month, 15, 12, tzinfo=UTC) for year in years for month in (1, 7)]
    for name in _candidates(tuple(preferred)):
        zone = ZoneInfo(name)
        if all(_offset(zone, moment) == own_offset(moment) for moment in samples) and _same_changes(
            zone, own_offset, years
        ):
            return name
    return None


def _same_changes(
    zone: ZoneInfo, own_offset: Callable[[datetime], timedelta | None], years: range
) -> bool:
    for year in years:
        for change in _changes(zone.key, year):
            before = change.at_utc - timedelta(seconds=1)
            if (own_offset(before), own_offset(change.at_utc)) != (
                change.offset_from,
                change.offset_to,
            ):
                return False
    return True


def _candidates(preferred: tuple[str, ...]) -> Iterator[str]:
    """The calling order: ``preferred``, then the zones CLDR names for Windows zones, then
    every other zone zoneinfo knows, each once."""
    seen: set[str] = set()
    for name in (*(name for name in preferred if rules.is_valid_zone(name)), *_known_zones()):
        if name not in seen:
            seen.add(name)
            yield name


@functools.lru_cache(maxsize=4096)
def _changes(name: str, year: int) -> tuple[Transition, ...]:
    """A zone's clock changes in a year, looked for a week at a time: no zone has undone a
    change within a week (Morocco's Ramadan suspensions last about a month)."""
    return tuple(transitions_in(ZoneInfo(name), year, step=timedelta(days=7)))


@functools.cache
def _known_zones() -> tuple[str, ...]:
    windows = sorted({name for name in win_tz.values() if rules.is_valid_zone(name)})
    return (*windows, *sorted(available_timezones() - set(windows)))


def _offset(zone: tzinfo, moment: datetime) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _years_by_tzid(parsed: icalendar.Calendar) -> dict[str, set[int]]:
    """The years each TZID is used in by the file's events: their starts, and the last year of
    each series (its UNTIL; a series with no end is looked at in its first two years)."""
    years: dict[str, set[int]] = {}
    for event in parsed.walk("VEVENT"):
        if event.errors:  # skipped by the reader, with the reason
            continue
        start = event.get("DTSTART")
        tzid = getattr(start, "params", {}).get("TZID") if start is not None else None
        value = getattr(start, "dt", None)
        if not tzid or not isinstance(value, datetime):
            continue
        found = years.setdefault(str(tzid), set())
        found.add(value.year)
        found.add(_last_year(event, value.year))
    return years


def _last_year(event: icalendar.cal.Component, first: int) -> int:
    rule = event.get("RRULE")
    if rule is None or isinstance(rule, list):
        return first
    until = (rule.get("UNTIL") or [None])[0]
    return until.year if hasattr(until, "year") else first + 1
