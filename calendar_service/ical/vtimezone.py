"""VTIMEZONE components in the compact yearly-rule form Outlook reads reliably (docs/peers.md B1
#2).

Outlook needs a VTIMEZONE for every TZID a feed uses, and it misreads the shape icalendar's
``add_missing_timezones()`` writes (one observance per transition as RDATE lists, 1970–2038 only,
while our series run for ever).  Google's own feeds, Outlook's and Apple's all use the shape built
here: one STANDARD and one DAYLIGHT observance, each a DTSTART plus ``RRULE:FREQ=YEARLY;
BYMONTH=…;BYDAY=…``, or a single STANDARD for a zone without daylight saving time.

The rule is read off zoneinfo itself (the IANA data of the tzdata package or the system), not
typed in: the transitions of 28 future years (a whole cycle of weekdays and leap years) give the
month, weekday, week of the month and wall time of each change; the first year from which every
year's transitions follow that rule gives the observances' DTSTART.  A zone whose current rule
cannot be said as a yearly RRULE (Morocco's Ramadan changes; Cairo's "Friday after the last
Thursday", which is sometimes in November) falls back to icalendar's transition list, which is
still correct where clients read it, only longer.

All-UTC zones (``UTC``, ``Etc/UTC``, …) get no VTIMEZONE: times in them are written with ``Z``
(Google rejects ``TZID=Etc/UTC``, docs/peers.md B1 #5).
"""

from __future__ import annotations

import calendar as calendar_module
import functools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

UTC_ZONES = frozenset({
    "UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu",
    "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0",
    "Etc/Greenwich", "Greenwich",
})
"""Zones that are UTC all year, for ever: written as ``…Z`` times with no TZID."""

# The years the current rule is read from: 28 years hold every weekday/leap-year alignment.
RULE_YEARS = range(2030, 2058)
# The earliest year a VTIMEZONE describes (as Google's and Apple's do).
FIRST_YEAR = 1970
# The span the fallback transition list covers.
FALLBACK_LAST_YEAR = 2100

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def is_utc(tzid: str) -> bool:
    """True for a zone that is UTC all year: write its times in UTC, with no VTIMEZONE."""
    return tzid in UTC_ZONES


@dataclass(frozen=True)
class Transition:
    """One change of offset: the instant, and the offsets before and after it."""

    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str

    @property
    def local(self) -> datetime:
        """The wall time of the change, read in the offset in force before it (RFC 5545)."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class YearlyRule:
    """When one kind of transition happens each year, as an RRULE can say it.

    ``ordinal`` is 1–4 (nth weekday) or -1 (last weekday); when None, ``monthdays`` is the
    seven-day window (positive, or negative from the month's end) holding the weekday.
    """

    month: int
    weekday: int
    wall: timedelta
    offset_from: timedelta
    offset_to: timedelta
    name: str
    ordinal: int | None = None
    monthdays: tuple[int, ...] = ()

    def day_in(self, year: int) -> date:
        """The local date this rule gives in ``year``."""
        length = calendar_module.monthrange(year, self.month)[1]
        if self.ordinal is not None and self.ordinal > 0:
            candidates = range(7 * (self.ordinal - 1) + 1, 7 * self.ordinal + 1)
        elif self.ordinal == -1:
            candidates = range(length - 6, length + 1)
        else:
            candidates = range(1, length + 1)
        allowed = {day if day > 0 else length + day + 1 for day in self.monthdays}
        for day in candidates:
            moment = date(year, self.month, day)
            if moment.weekday() == self.weekday and (not allowed or day in allowed):
                return moment
        raise ValueError(f"no matching day in {year}")  # not reached for a rule read off data

    def transition_in(self, year: int) -> Transition:
        local = datetime.combine(self.day_in(year), datetime.min.time()) + self.wall
        return Transition((local - self.offset_from).replace(tzinfo=UTC), self.offset_from,
                          self.offset_to, self.name)

    def rrule(self) -> vRecur:
        parts: dict[str, object] = {"FREQ": "YEARLY", "BYMONTH": [self.month]}
        weekday = _WEEKDAYS[self.weekday]
        if self.ordinal is not None:
            parts["BYDAY"] = [f"{self.ordinal}{weekday}"]
        else:
            parts["BYMONTHDAY"] = list(self.monthdays)
            parts["BYDAY"] = [weekday]
        return vRecur(parts)


@functools.cache
def _observances(tzid: str) -> tuple[tuple[Transition, YearlyRule | None], ...] | None:
    """Each observance as its first transition and its yearly rule (None: never repeats).

    None when the zone's current rule is no yearly RRULE: the caller falls back.
    """
    tz = ZoneInfo(tzid)
    future = {year: transitions_in(tz, year) for year in RULE_YEARS}
    counts = {len(found) for found in future.values()}
    if counts == {0}:
        return ((_last_change(tz), None),)
    if counts != {2}:
        return None
    rules: list[YearlyRule] = []
    for index in (0, 1):
        rule = _infer([found[index] for found in future.values()])
        if rule is None:
            return None
        rules.append(rule)
    first_year = RULE_YEARS.start
    while first_year > FIRST_YEAR and _follows(tz, first_year - 1, rules):
        first_year -= 1
    return tuple((rule.transition_in(first_year), rule) for rule in rules)


def _follows(tz: ZoneInfo, year: int, rules: list[YearlyRule]) -> bool:
    expected = sorted((rule.transition_in(year) for rule in rules), key=lambda t: t.at_utc)
    actual = transitions_in(tz, year)
    return [(t.at_utc, t.offset_from, t.offset_to) for t in actual] == [
        (t.at_utc, t.offset_from, t.offset_to) for t in expected
    ]


def _infer(found: list[Transition]) -> YearlyRule | None:
    """The yearly rule these transitions (one a year, same kind) follow, if an RRULE can say it."""
    first = found[0]
    locals_ = [transition.local for transition in found]
    if any(
        (t.offset_from, t.offset_to) != (first.offset_from, first.offset_to) for t in found
    ) or len({(moment.month, moment.weekday(), moment.time()) for moment in locals_}) != 1:
        return None
    month, weekday = first.local.month, first.local.weekday()
    wall = first.local - first.local.replace(hour=0, minute=0, second=0)
    base = YearlyRule(month, weekday, wall, first.offset_from, first.offset_to, first.name)
    days = [moment.day for moment in locals_]
    ordinals = {(day - 1) // 7 + 1 for day in days}
    if len(ordinals) == 1 and max(days) <= 28:
        return replace(base, ordinal=ordinals.pop())
    from_end = [moment.day - calendar_module.monthrange(moment.year, month)[1] - 1
                for moment in locals_]
    if all(day >= -7 for day in from_end):
        return replace(base, ordinal=-1)
    shortest = 28 if month == 2 else calendar_module.monthrange(2001, month)[1]
    for window in (days, from_end):
        low = min(window)
        inside = 1 <= low and low + 6 <= shortest or -shortest <= low and low + 6 <= -1
        if max(window) - low <= 6 and inside:
            return replace(base, monthdays=tuple(range(low, low + 7)))
    return None


def transitions_in(tz: ZoneInfo, year: int) -> list[Transition]:
    """Every change of UTC offset in ``tz`` during one UTC calendar year, in order."""
    found: list[Transition] = []
    start = datetime(year, 1, 1, tzinfo=UTC)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=12)  # offsets never change twice within 12 hours
    low = start - timedelta(seconds=1)  # a change at the stroke of the year is this year's
    low_offset = _offset(tz, low)
    while low < stop:
        high = min(low + step, stop)
        high_offset = _offset(tz, high)
        if high_offset != low_offset:
            found.append(_bisect(tz, low, high))
        low, low_offset = high, high_offset
    return [t for t in found if t.at_utc < stop]


def _bisect(tz: ZoneInfo, low: datetime, high: datetime) -> Transition:
    """The instant in (low, high] where the offset changes, to the second."""
    before = _offset(tz, low)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if _offset(tz, middle) == before:
            low = middle
        else:
            high = middle
    return Transition(high, before, _offset(tz, high), high.astimezone(tz).tzname() or "")


def _offset(tz: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _last_change(tz: ZoneInfo) -> Transition:
    """The latest change of offset before RULE_YEARS, or the 1970 offset when there is none."""
    for year in range(RULE_YEARS.start - 1, FIRST_YEAR - 1, -1):
        found = transitions_in(tz, year)
        if found:
            return found[-1]
    start = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    offset = _offset(tz, start)
    return Transition(start - offset, offset, offset, start.astimezone(tz).tzname() or "")


def vtimezone(tzid: str) -> Timezone:
    """A new VTIMEZONE component for an IANA zone (not for UTC zones: see ``is_utc``)."""
    observances = _observances(tzid)
    if observances is None:
        return _fallback(tzid)
    component = Timezone()
    component.add("tzid", tzid)
    component.add("x-lic-location", tzid)
    summer = max(observances, key=lambda item: item[0].offset_to) if len(observances) == 2 \
        else None
    for first, rule in sorted(observances, key=lambda item: item[0].offset_to):
        # The observance with the larger offset is summer time, also where the law calls winter
        # the exception (Europe/Dublin): clients and Windows expect it that way round.
        kind = TimezoneDaylight() if (first, rule) == summer else TimezoneStandard()
        kind.add("tzname", first.name)
        kind.add("tzoffsetfrom", first.offset_from)
        kind.add("tzoffsetto", first.offset_to)
        kind.add("dtstart", first.local)
        if rule is not None:
            kind.add("rrule", rule.rrule())
        component.add_component(kind)
    return component


@functools.cache
def _fallback_transitions(tzid: str) -> tuple[Transition, ...]:
    tz = ZoneInfo(tzid)
    return tuple(found for year in range(FIRST_YEAR, FALLBACK_LAST_YEAR)
                 for found in transitions_in(tz, year))


def _fallback(tzid: str) -> Timezone:
    """One observance per kind of change, listing each change's wall time as an RDATE.

    Written here rather than by icalendar's ``Timezone.from_tzid``, whose list puts the spring
    change at the wall time after it (Cairo's 00:00 → 01:00 as 01:00), one hour late.
    """
    component = Timezone()
    component.add("tzid", tzid)
    component.add("x-lic-location", tzid)
    groups: dict[tuple[timedelta, timedelta, str], list[Transition]] = {}
    for transition in _fallback_transitions(tzid):
        key = (transition.offset_from, transition.offset_to, transition.name)
        groups.setdefault(key, []).append(transition)
    for (offset_from, offset_to, name), changes in sorted(
        groups.items(), key=lambda item: item[1][0].at_utc
    ):
        kind = TimezoneDaylight() if offset_to > offset_from else TimezoneStandard()
        kind.add("tzname", name)
        kind.add("tzoffsetfrom", offset_from)
        kind.add("tzoffsetto", offset_to)
        kind.add("dtstart", changes[0].local)
        for change in changes[1:]:
            kind.add("rdate", change.local)
        component.add_component(kind)
    return component


def uses_yearly_rule(tzid: str) -> bool:
    """Whether the compact form describes this zone (False: the fallback list is used)."""
    return _observances(tzid) is not None
