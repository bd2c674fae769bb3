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
year's transitions follow that rule gives the observances' DTSTART.

History.  Feeds keep series for ever, so a feed may hold a series begun under older rules (New
York's before 2007, London's before 1996).  Before a VTIMEZONE's first observance clients guess:
ical.js (Thunderbird) reads such times as UTC, libical is an hour off.  ``vtimezone(tzid,
first_year)`` therefore also describes every change in force from the first of January of
``first_year`` (the earliest local year among the feed's times in that zone) up to the current
rule, read off zoneinfo as well: each kind of change (same offsets, same name) is cut into runs
of consecutive years that one yearly rule gives, each written as its own observance with an
RRULE and an UNTIL (the shape Apple writes historical rules in, and Outlook reads); a change in
no such run is an observance of its own (a DTSTART and no RRULE).  Never an RDATE: ical.js
drops an observance's DTSTART when it has RDATEs, and Outlook misreads RDATE lists.  Feeds whose
times all fall after the current rule began get exactly the compact form above, nothing older.

A zone whose current rule cannot be said as a yearly RRULE (Morocco's Ramadan changes; Cairo's
"Friday after the last Thursday", which is sometimes in November) falls back to listing every
change from the one in force on the first of January of ``first_year`` (1970 when none is given)
to 2100 in the same way: runs with a yearly rule and UNTIL, the rest one observance each.

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

from rules import limits

UTC_ZONES = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "UCT",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
        "GMT",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Etc/Greenwich",
        "Greenwich",
    }
)
"""Zones that are UTC all year, for ever: written as ``…Z`` times with no TZID."""

# The years the current rule is read from: 28 years hold every weekday/leap-year alignment.
RULE_YEARS = range(2030, 2058)
# The earliest year a VTIMEZONE describes (as Google's and Apple's do).
FIRST_YEAR = 1970
# The fallback list ends before this year; a list for no given year starts in FIRST_YEAR.
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
        return Transition(
            (local - self.offset_from).replace(tzinfo=UTC),
            self.offset_from,
            self.offset_to,
            self.name,
        )

    def rrule(self, until: datetime | None = None) -> vRecur:
        """The RRULE, ending at ``until`` (an aware UTC instant) when given."""
        parts: dict[str, object] = {"FREQ": "YEARLY", "BYMONTH": [self.month]}
        if until is not None:
            parts["UNTIL"] = until
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


def _infer(found: list[Transition], windows: bool = True) -> YearlyRule | None:
    """The yearly rule these transitions (one a year, same kind) follow, if an RRULE can say it
    (``windows``: also as a weekday in seven days of the month, BYMONTHDAY)."""
    first = found[0]
    locals_ = [transition.local for transition in found]
    if (
        any((t.offset_from, t.offset_to) != (first.offset_from, first.offset_to) for t in found)
        or len({(moment.month, moment.weekday(), moment.time()) for moment in locals_}) != 1
    ):
        return None
    month, weekday = first.local.month, first.local.weekday()
    wall = first.local - first.local.replace(hour=0, minute=0, second=0)
    base = YearlyRule(month, weekday, wall, first.offset_from, first.offset_to, first.name)
    days = [moment.day for moment in locals_]
    from_end = [
        moment.day - calendar_module.monthrange(moment.year, month)[1] - 1 for moment in locals_
    ]
    # "Last" first: where a few years fit both (a fourth Sunday that was also the last), the
    # law said "last" far more often.  Over the 28 years of a current rule only one fits.
    if all(day >= -7 for day in from_end):
        return replace(base, ordinal=-1)
    ordinals = {(day - 1) // 7 + 1 for day in days}
    if len(ordinals) == 1 and max(days) <= 28:
        return replace(base, ordinal=ordinals.pop())
    if not windows:
        return None
    shortest = 28 if month == 2 else calendar_module.monthrange(2001, month)[1]
    for window in (days, from_end):
        low = min(window)
        inside = 1 <= low and low + 6 <= shortest or -shortest <= low and low + 6 <= -1
        if max(window) - low <= 6 and inside:
            return replace(base, monthdays=tuple(range(low, low + 7)))
    return None


def transitions_in(
    tz: ZoneInfo, year: int, step: timedelta = timedelta(hours=12)
) -> list[Transition]:
    """Every change of UTC offset in ``tz`` during one UTC calendar year, in order, found by
    looking every ``step``: offsets never change twice within 12 hours (a longer step misses
    a change undone within it)."""
    found: list[Transition] = []
    start = datetime(year, 1, 1, tzinfo=UTC)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC)
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


def vtimezone(tzid: str, first_year: int | None = None) -> Timezone:
    """A new VTIMEZONE component for an IANA zone (not for UTC zones: see ``is_utc``).

    ``first_year``: the earliest local year it must describe (that of the earliest start among
    the events that use the zone).  The current rule alone when that year is after the rule
    began, or when None; the fallback list of a zone without a yearly rule then begins in 1970.
    """
    component = Timezone()
    component.add("tzid", tzid)
    component.add("x-lic-location", tzid)
    for observance in _plan(tzid, needed_year(tzid, first_year)):
        component.add_component(observance.component())
    return component


@dataclass(frozen=True)
class Observance:
    """One STANDARD or DAYLIGHT component: its first change, and the yearly rule that repeats
    it (None: that change only) up to its ``last`` change (None: for ever)."""

    first: Transition
    daylight: bool
    rule: YearlyRule | None = None
    last: Transition | None = None

    def component(self) -> TimezoneDaylight | TimezoneStandard:
        kind = TimezoneDaylight() if self.daylight else TimezoneStandard()
        kind.add("tzname", self.first.name)
        kind.add("tzoffsetfrom", self.first.offset_from)
        kind.add("tzoffsetto", self.first.offset_to)
        kind.add("dtstart", self.first.local)
        if self.rule is not None:
            kind.add("rrule", self.rule.rrule(None if self.last is None else _until(self.last)))
        return kind


def _until(last: Transition) -> datetime:
    """The UNTIL of a rule whose last change is ``last``: that instant in UTC, or its wall time
    read as UTC when that is later (zones east of Greenwich).

    Both are before the change the rule would give a year later.  The later of the two, because
    readers differ: libical and ical.js turn UNTIL into local time with TZOFFSETFROM, as RFC 5545
    means, while dateutil's ``tzical`` (behind icalendar's ``Timezone.to_tz`` and so behind
    recurring-ical-events) drops the ``Z`` and compares it with the wall time.
    """
    return last.at_utc + max(last.offset_from, timedelta(0))


def needed_year(tzid: str, first_year: int | None) -> int:
    """``first_year`` clamped to the years that give different VTIMEZONEs: any year after the
    current rule began gives the current rule alone, and the fallback list ends in 2100."""
    current = _observances(tzid)
    if current is None:
        return FIRST_YEAR if first_year is None else min(first_year, FALLBACK_LAST_YEAR)
    rule_began = min(first.local.year for first, _rule in current)
    return rule_began + 1 if first_year is None else min(first_year, rule_began + 1)


@functools.lru_cache(maxsize=4096)
def _plan(tzid: str, first_year: int) -> tuple[Observance, ...]:
    """The observances of the VTIMEZONE that describes ``tzid`` from ``first_year`` on."""
    start = datetime(first_year, 1, 1, tzinfo=ZoneInfo(tzid)).astimezone(UTC)
    current = _observances(tzid)
    if current is None:
        return _history(tzid, start, datetime(FALLBACK_LAST_YEAR, 1, 1, tzinfo=UTC))
    # The observance with the larger offset is summer time, also where the law calls winter
    # the exception (Europe/Dublin): clients and Windows expect it that way round.
    summer = max(current, key=lambda item: item[0].offset_to) if len(current) == 2 else None
    rules = tuple(
        Observance(first, (first, rule) == summer, rule)
        for first, rule in sorted(current, key=lambda item: item[0].offset_to)
    )
    rule_began = min(first.at_utc for first, _rule in current)
    if start >= rule_began:
        return rules
    return _history(tzid, start, rule_began) + rules


def _history(tzid: str, start: datetime, stop: datetime) -> tuple[Observance, ...]:
    """Observances for the changes in force from ``start`` until ``stop``: the runs are cut
    from FIRST_YEAR on (or ``start``, if earlier), so each rule is read off all its years
    whatever the feed needs, then trimmed to the change in force at ``start``."""
    cut_from = min(start, datetime(FIRST_YEAR, 1, 1, tzinfo=UTC))
    changes = _changes_between(tzid, cut_from, stop)
    in_force = max(change.at_utc for change in changes if change.at_utc <= start)
    observances = []
    for run, rule in _runs(changes):
        kept = [change for change in run if change.at_utc >= in_force]
        if kept:
            observances.append(
                Observance(
                    kept[0],
                    _daylight(ZoneInfo(tzid), kept[0]),
                    rule if len(kept) > 1 else None,
                    kept[-1] if len(kept) > 1 else None,
                )
            )
    return tuple(sorted(observances, key=lambda observance: observance.first.at_utc))


def _daylight(tz: ZoneInfo, change: Transition) -> bool:
    """Whether a change starts summer time: it puts the clocks forward, into daylight saving
    time or out of the "negative" kind (Irish and Moroccan winters in tzdata), as the larger
    offset is DAYLIGHT in the current rule.  A change of standard time is STANDARD either way.
    """
    before = (change.at_utc - timedelta(seconds=1)).astimezone(tz).dst()
    after = change.at_utc.astimezone(tz).dst()
    return change.offset_to > change.offset_from and (
        bool(after and after > timedelta(0)) or bool(before and before < timedelta(0))
    )


def _changes_between(tzid: str, start: datetime, stop: datetime) -> list[Transition]:
    """The change in force at ``start`` (the latest at or before it), then every change after
    it and before ``stop``."""
    found = [
        change
        for year in range(start.year - 1, stop.year + 1)
        for change in _changes_in(tzid, year)
        if change.at_utc < stop
    ]
    before = [change for change in found if change.at_utc <= start]
    in_force = before[-1] if before else _change_before(tzid, start)
    return [in_force, *(change for change in found if change.at_utc > start)]


def _change_before(tzid: str, start: datetime) -> Transition:
    """The latest change before the UTC year ahead of ``start``'s; when zoneinfo knows none
    since the engine's earliest year, the offset at ``start`` as a change to itself."""
    for year in range(start.year - 2, limits.MIN_YEAR - 2, -1):
        found = _changes_in(tzid, year)
        if found:
            return found[-1]
    tz = ZoneInfo(tzid)
    offset = _offset(tz, start)
    return Transition(start, offset, offset, start.astimezone(tz).tzname() or "")


@functools.lru_cache(maxsize=8192)
def _changes_in(tzid: str, year: int) -> tuple[Transition, ...]:
    return tuple(transitions_in(ZoneInfo(tzid), year))


def _runs(changes: list[Transition]) -> list[tuple[list[Transition], YearlyRule | None]]:
    """The changes cut into observances, each kind of change (same offsets and name) apart.

    Runs of consecutive years that one rule of the form "nth (or last) weekday of the month"
    gives are cut first, the longest from the latest back: the form the laws mostly use and
    Windows zones can hold, so an exception year (São Paulo's carnival) does not stretch a
    rule into seven-day windows.  Changes left over are cut again allowing those windows
    (Jerusalem's "Friday before the last Sunday"); a change in no run is a run of its own,
    with no rule.
    """
    kinds: dict[tuple[timedelta, timedelta, str], list[Transition]] = {}
    for change in changes:
        kinds.setdefault((change.offset_from, change.offset_to, change.name), []).append(change)
    runs: list[tuple[list[Transition], YearlyRule | None]] = []
    for same in kinds.values():
        ordinal = _cut(same, windows=False)
        runs += [(run, rule) for run, rule in ordinal if rule is not None]
        left = sorted(
            (run[0] for run, rule in ordinal if rule is None), key=lambda change: change.at_utc
        )
        runs += _cut(left, windows=True)  # runs stop at gaps: their years must be consecutive
    return runs


def _cut(same: list[Transition], windows: bool) -> list[tuple[list[Transition], YearlyRule | None]]:
    """Changes of one kind, in order, cut from the latest back into the longest runs one yearly
    rule gives; a change in no run of two or more is a run of its own, with no rule."""
    runs: list[tuple[list[Transition], YearlyRule | None]] = []
    end = len(same)
    while end > 0:
        begin, rule = end - 1, None
        while begin > 0 and (longer := _rule_for(same[begin - 1 : end], windows)) is not None:
            begin, rule = begin - 1, longer
        runs.append((same[begin:end], rule))
        end = begin
    return runs


def _rule_for(run: list[Transition], windows: bool) -> YearlyRule | None:
    """The yearly rule giving exactly these changes, one a year in consecutive years, if any."""
    years = [change.local.year for change in run]
    if years != list(range(years[0], years[0] + len(run))):
        return None
    rule = _infer(run, windows)
    if rule is None or any(
        rule.transition_in(year) != change for year, change in zip(years, run, strict=True)
    ):
        return None
    return rule


def uses_yearly_rule(tzid: str) -> bool:
    """Whether the compact form describes this zone (False: the fallback list is used)."""
    return _observances(tzid) is not None
