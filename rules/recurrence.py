"""The one importer of ``dateutil.rrule``: RRULE text in, naive local instances out, bounded.

Recurrence math is dateutil's.  What this module adds:

* **Explicit defaults.**  dateutil fills missing BY parts from DTSTART (the weekday of a WEEKLY
  rule, the day of a MONTHLY one, the time of day, ...).  ``_explicit`` writes them out, so the
  same rule can be started from any later period without changing what it generates.
* **The fast path.**  ``dateutil.rrule.between`` walks from DTSTART, so a window ten years on
  costs ten years of steps.  ``Recurrence.instances`` starts the walk at the beginning of the
  period (year, month, week, day, hour or minute, per WKST) that contains the window's start,
  moved forward from DTSTART's period by a whole number of INTERVALs — the rule's phase is kept,
  and every period dateutil generates is self-contained, so the result is identical.
  A COUNT rule is turned into the same rule ending at its COUNT-th instance (found once by a
  bounded walk and cached), or, when COUNT cannot bite before the window ends (the most
  instances the periods up to the window could hold is below COUNT), into the open rule.
* **Bounded cost.**  dateutil only checks UNTIL on a date that matches, so a rule that never
  matches would run to year 9999.  ``check_rule`` refuses such rules (one 400-year Gregorian
  cycle, walked from near year 9999, decides it); for any other rule a match follows within one
  cycle.  Every walk is costed first (``walk_cost``) and refused over ``limits.MAX_WALK_STEPS``.

DTSTART is always the first instance of a series (RFC 5545 §3.8.5.3, §3.3.10): when the rule
does not generate it, ``expand`` adds it and it uses up one COUNT.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil import rrule as du

from rules import limits
from rules.errors import ExpansionLimitError, RRuleValueError, SeriesError
from rules.model import Moment
from rules.rule_text import Rule, for_start, format_rule, parse, until_local
from rules.timezones import is_valid_zone, local_from_aware, to_utc

_FREQ = {
    "YEARLY": du.YEARLY,
    "MONTHLY": du.MONTHLY,
    "WEEKLY": du.WEEKLY,
    "DAILY": du.DAILY,
    "HOURLY": du.HOURLY,
    "MINUTELY": du.MINUTELY,
}
# Measured cost (≈µs) for dateutil to examine one period of each frequency, and per instance.
_PERIOD_COST = {"YEARLY": 30, "MONTHLY": 5, "WEEKLY": 3, "DAILY": 2, "HOURLY": 2, "MINUTELY": 2}
_INSTANCE_COST = 2
UNIT = {
    "YEARLY": timedelta(days=365),
    "MONTHLY": timedelta(days=28),
    "WEEKLY": timedelta(days=7),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
}
_DAYS_IN_PERIOD = {
    "YEARLY": 366,
    "MONTHLY": 31,
    "WEEKLY": 7,
    "DAILY": 1,
    "HOURLY": 1,
    "MINUTELY": 1,
}
# Periods in one full Gregorian cycle (400 years = 146097 days = 20871 weeks).
_CYCLE = {"YEARLY": 400, "MONTHLY": 4800, "WEEKLY": 20871, "DAILY": 146097}
_END_OF_TIME = datetime(9999, 12, 31, 23, 59)  # noqa: DTZ001
# Local times and UTC differ by under a day; instance order in local time and in UTC agree
# except within that much (clock changes), so walks look this far past where they must stop.
DST_SLACK = timedelta(hours=26)


def _to_datetime(value: Moment) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


# --- periods ------------------------------------------------------------------------------------


def period_index(freq: str, value: datetime, wkst: int) -> int:
    """Index of the ``freq`` period containing ``value`` (consecutive periods differ by one)."""
    if freq == "YEARLY":
        return value.year
    if freq == "MONTHLY":
        return value.year * 12 + value.month - 1
    ordinal = value.toordinal()
    if freq == "WEEKLY":
        week_start = ordinal - (value.weekday() - wkst) % 7
        return (week_start - 1 - wkst) // 7
    if freq == "DAILY":
        return ordinal
    if freq == "HOURLY":
        return ordinal * 24 + value.hour
    return (ordinal * 24 + value.hour) * 60 + value.minute


def period_start(freq: str, index: int, wkst: int) -> datetime:
    """The first moment of the period ``index`` (inverse of ``period_index``)."""
    if freq == "YEARLY":
        return datetime(index, 1, 1)  # noqa: DTZ001
    if freq == "MONTHLY":
        return datetime(index // 12, index % 12 + 1, 1)  # noqa: DTZ001
    if freq == "WEEKLY":
        return datetime.fromordinal(index * 7 + 1 + wkst)
    if freq == "DAILY":
        return datetime.fromordinal(index)
    if freq == "HOURLY":
        return datetime.fromordinal(index // 24) + timedelta(hours=index % 24)
    return datetime.fromordinal(index // 1440) + timedelta(minutes=index % 1440)


# --- dateutil arguments ---------------------------------------------------------------------------


def _explicit(rule: Rule, dtstart: datetime) -> dict[str, Any]:
    """dateutil keyword arguments with every DTSTART-derived default written out."""
    kwargs: dict[str, Any] = {
        "freq": _FREQ[rule.freq],
        "interval": rule.interval,
        "wkst": rule.wkst,
        "cache": False,
    }
    byweekday: list[Any] = [du.weekday(wd, n) if n else du.weekday(wd) for n, wd in rule.byday]
    bymonth = list(rule.bymonth)
    bymonthday = list(rule.bymonthday)
    if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
        if rule.freq == "YEARLY":
            bymonth = bymonth or [dtstart.month]
            bymonthday = [dtstart.day]
        elif rule.freq == "MONTHLY":
            bymonthday = [dtstart.day]
        elif rule.freq == "WEEKLY":
            byweekday = [du.weekday(dtstart.weekday())]
    freq = _FREQ[rule.freq]
    byhour = list(rule.byhour) or ([dtstart.hour] if freq < du.HOURLY else [])
    byminute = list(rule.byminute) or ([dtstart.minute] if freq < du.MINUTELY else [])
    bysecond = list(rule.bysecond) or [dtstart.second]
    for name, values in (
        ("bymonth", bymonth),
        ("bymonthday", bymonthday),
        ("byweekday", byweekday),
        ("byyearday", list(rule.byyearday)),
        ("byweekno", list(rule.byweekno)),
        ("bysetpos", list(rule.bysetpos)),
        ("byhour", byhour),
        ("byminute", byminute),
        ("bysecond", bysecond),
    ):
        if values:
            kwargs[name] = values
    return kwargs


def _build(
    rule: Rule,
    kwargs: dict[str, Any],
    dtstart: datetime,
    until: datetime | None = None,
    count: int | None = None,
) -> du.rrule:
    try:
        return du.rrule(dtstart=dtstart, until=until, count=count, **kwargs)
    except ValueError as exc:  # dateutil: unreachable BYHOUR/BYMINUTE for the INTERVAL, ...
        raise RRuleValueError(f"the rule cannot produce any time: {exc}", part=None) from None


def _iterate(rule: du.rrule) -> Iterator[datetime]:
    try:
        yield from rule
    except ValueError as exc:
        raise RRuleValueError(f"the rule cannot produce any time: {exc}", part=None) from None


def _shifted(rule: Rule, dtstart: datetime, target: datetime) -> datetime:
    """The latest walk start ≤ ``target`` equivalent to ``dtstart``: the start of a period a
    whole number of INTERVALs after DTSTART's period (or DTSTART itself)."""
    first = period_index(rule.freq, dtstart, rule.wkst)
    wanted = period_index(rule.freq, target, rule.wkst)
    steps = (wanted - first) // rule.interval
    if steps <= 0:
        return dtstart
    return period_start(rule.freq, first + steps * rule.interval, rule.wkst)


# --- cost -------------------------------------------------------------------------------------


def _days_per_period(rule: Rule, kwargs: dict[str, Any]) -> int:
    """An upper bound on the matching days in one period."""
    freq = rule.freq
    bound = _DAYS_IN_PERIOD[freq]
    if freq in ("HOURLY", "MINUTELY", "DAILY"):
        return 1
    months = len(kwargs.get("bymonth", ())) or (12 if freq == "YEARLY" else 1)
    if freq == "MONTHLY":
        months = 1
    if "bymonthday" in kwargs:
        bound = min(bound, len(kwargs["bymonthday"]) * months)
    if rule.byyearday:
        bound = min(bound, len(rule.byyearday))
    if rule.byweekno:
        bound = min(bound, 7 * len(rule.byweekno))
    if "byweekday" in kwargs:
        plain = sum(1 for n, _ in rule.byday if n == 0) or (0 if rule.byday else 1)
        ordinal = sum(1 for n, _ in rule.byday if n != 0)
        per = {"YEARLY": 53 if not rule.bymonth else 5 * months, "MONTHLY": 5, "WEEKLY": 1}
        if freq == "YEARLY" and rule.bymonth:
            ordinal *= months
        bound = min(bound, plain * per[freq] + ordinal)
    return max(bound, 1)


def _instances_per_period(rule: Rule, kwargs: dict[str, Any]) -> int:
    """An upper bound on the instances one period can hold."""
    times = 1
    if rule.freq in ("YEARLY", "MONTHLY", "WEEKLY", "DAILY"):
        times = len(kwargs.get("byhour", ())) * len(kwargs.get("byminute", ()))
    elif rule.freq == "HOURLY":
        times = len(kwargs.get("byminute", ()))
    total = _days_per_period(rule, kwargs) * max(times, 1)
    if rule.bysetpos:
        total = min(total, len(rule.bysetpos))
    return total


def _dense(rule: Rule, dtstart: datetime) -> bool:
    """True when every visited period surely holds an instance (so a walk of n instances
    costs about n periods)."""
    if rule.has_date_filter or rule.bysetpos:
        return (
            rule.freq == "WEEKLY"
            and bool(rule.byday)
            and not (
                rule.bymonthday or rule.byyearday or rule.byweekno or rule.bymonth or rule.bysetpos
            )
        )
    if rule.freq == "HOURLY":
        return not rule.byhour
    if rule.freq == "MINUTELY":
        return not (rule.byhour or rule.byminute)
    if rule.freq in ("YEARLY", "MONTHLY"):
        return dtstart.day <= 28
    return True


# Shortest time between two periods of each frequency (weeks of years: 52 weeks = 364 days).
_SHORTEST_PERIOD = {**UNIT, "YEARLY": timedelta(days=364)}


def _shortest_gap(rule: Rule, kwargs: dict[str, Any]) -> timedelta:
    """A lower bound on the time between two instances of the rule."""
    step = _SHORTEST_PERIOD[rule.freq] * rule.interval
    if rule.freq == "MINUTELY":
        return step
    if len(kwargs.get("byminute", ())) > 1:
        return timedelta(minutes=1)
    if rule.freq == "HOURLY":
        return step
    if len(kwargs.get("byhour", ())) > 1:
        return timedelta(hours=1)
    if _days_per_period(rule, kwargs) > 1:
        return timedelta(days=1)
    return step


def per_period_bound(rule: Rule, dtstart: datetime) -> int:
    """An upper bound on the instances one period of the rule (a year for YEARLY) can hold."""
    return _instances_per_period(rule, _explicit(rule, dtstart))


def in_progress_bound(rule: Rule, dtstart: datetime, duration: timedelta) -> int:
    """An upper bound on the instances that can be in progress at once when each lasts
    ``duration``: the fewer of (instances at least the shortest gap apart within one duration)
    and (the most instances one period holds, times the periods one duration can touch).
    Computed from the rule's parts alone, without a walk."""
    if duration <= timedelta(0):
        return 1
    kwargs = _explicit(rule, dtstart)
    by_gap = -(-duration // _shortest_gap(rule, kwargs))
    periods = duration // (_SHORTEST_PERIOD[rule.freq] * rule.interval) + 2
    return min(by_gap, _instances_per_period(rule, kwargs) * periods)


# --- rule checks --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def check_rule(rule: Rule, dtstart: datetime) -> None:
    """Refuse a rule that never generates a date (RRuleValueError), at bounded cost.

    The calendar repeats every 400 years, so a rule matches somewhere iff it matches within one
    cycle of its periods; the check walks one cycle, in phase with DTSTART, ending at year 9999.
    A rule with a date in every period it visits (``_dense``: every week has its BYDAY weekdays,
    every month the DTSTART day up to the 28th) needs no walk, which a new worker would
    otherwise make for each of its series.
    """
    if rule.freq not in ("HOURLY", "MINUTELY") and _dense(rule, dtstart):
        return
    kwargs = _explicit(rule, dtstart)
    if rule.freq in ("HOURLY", "MINUTELY"):
        if rule.has_date_filter:
            day_rule = Rule(
                freq="DAILY",
                byday=rule.byday,
                bymonthday=rule.bymonthday,
                byyearday=rule.byyearday,
                byweekno=rule.byweekno,
                bymonth=rule.bymonth,
                wkst=rule.wkst,
            )
            day_start = dtstart.replace(hour=0, minute=0, second=0)
            _check_cycle(day_rule, _explicit(day_rule, day_start), day_start)
        # A match is now no more than a cycle of days away; dateutil also raises here for
        # BYHOUR/BYMINUTE values the INTERVAL can never reach.
        for _ in _iterate(_build(rule, kwargs, dtstart)):
            return
        return
    _check_cycle(rule, kwargs, dtstart)


def _check_cycle(rule: Rule, kwargs: dict[str, Any], dtstart: datetime) -> None:
    cycle = _CYCLE[rule.freq]
    first = period_index(rule.freq, dtstart, rule.wkst)
    visits_left = (period_index(rule.freq, _END_OF_TIME, rule.wkst) - first) // rule.interval
    needed = cycle // math.gcd(rule.interval, cycle) + 1
    start = dtstart
    if visits_left > needed:
        start = period_start(rule.freq, first + (visits_left - needed) * rule.interval, rule.wkst)
    for _ in _iterate(_build(rule, kwargs, start)):
        return
    raise RRuleValueError("the rule never occurs: no date matches all of its parts", part=None)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Rule:
    """``parse``, cached by the text alone: a calendar's many series share a few rule texts,
    and the rule is a frozen value (``for_start`` makes each series' own from it)."""
    return parse(text)


@lru_cache(maxsize=16384)
def _normalise(text: str, start: Moment, tzid: str) -> tuple[Rule, str]:
    if not is_valid_zone(tzid):
        raise SeriesError(f"unknown time zone {tzid!r}", field="timezone")
    if isinstance(start, datetime) and start.tzinfo is not None:
        start = local_from_aware(start, tzid)
    rule = for_start(_parsed(text), start, tzid)
    check_rule(rule, _to_datetime(start))
    return rule, format_rule(rule)


def normalise_rrule(text: str, start: Moment, tzid: str) -> str:
    """Canonical RRULE value text for ``text`` on a series starting at ``start`` in ``tzid``.

    Liberal in what it reads (see ``rules.rule_text``); raises ``RRuleSyntaxError`` or
    ``RRuleValueError`` naming the part, e.g. for an unknown part, COUNT with UNTIL, BYSETPOS
    alone, UNTIL of the wrong kind, FREQ=SECONDLY or a rule that never occurs.
    """
    return _normalise(text, start, tzid)[1]


def parse_for_start(text: str, start: Moment, tzid: str) -> Rule:
    """The checked ``Rule`` for ``text`` (UNTIL converted as ``normalise_rrule`` does)."""
    return _normalise(text, start, tzid)[0]


# --- COUNT --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountEnd:
    """Where a COUNT rule stands: ``last`` is its final instance when ``known`` (None: no
    instance at all); otherwise every instance up to ``reached`` is within the COUNT."""

    known: bool
    last: datetime | None = None
    reached: datetime | None = None


@lru_cache(maxsize=8192)
def _generates_start(rule: Rule, dtstart: datetime) -> bool:
    kwargs = _explicit(rule, dtstart)
    for first in _iterate(_build(rule, kwargs, dtstart)):
        return first == dtstart
    return False


@lru_cache(maxsize=8192)
def _count_end(rule: Rule, dtstart: datetime) -> CountEnd:
    """Walk once from DTSTART to the COUNT-th instance, within ``limits.MAX_COUNT_STEPS``."""
    assert rule.count is not None
    count = rule.count if _generates_start(rule, dtstart) else rule.count - 1
    if count <= 0:
        return CountEnd(known=True, last=None)
    kwargs = _explicit(rule, dtstart)
    first = period_index(rule.freq, dtstart, rule.wkst)
    cost_per_period = _PERIOD_COST[rule.freq]
    last: datetime | None = None
    seen = 0
    for instance in _iterate(_build(rule, kwargs, dtstart, count=count)):
        last = instance
        seen += 1
        periods = (period_index(rule.freq, instance, rule.wkst) - first) // rule.interval + 1
        if periods * cost_per_period + seen * _INSTANCE_COST > limits.MAX_COUNT_STEPS:
            return CountEnd(known=seen == count, last=last, reached=instance)
    return CountEnd(known=True, last=last)


def _walk_form(rule: Rule, dtstart: datetime, kwargs: dict[str, Any]) -> tuple[Rule, datetime]:
    """An equivalent rule and walk start that dateutil runs faster, or the rule itself.

    WEEKLY on one weekday is DAILY every 7×INTERVAL days from that weekday of DTSTART's week
    (WKST cannot matter with one weekday); dateutil then inspects one day per period, not seven.
    YEARLY in one month (without BYWEEKNO/BYYEARDAY) is MONTHLY every 12×INTERVAL months from
    that month of DTSTART's year: BYDAY ordinals then count within the month either way, and a
    BYSETPOS picks from the same set, but dateutil builds a month per period, not a year.
    Instances before DTSTART are dropped by the caller.
    """
    if (
        rule.freq == "YEARLY"
        and len(kwargs.get("bymonth", ())) == 1
        and not rule.byweekno
        and not rule.byyearday
    ):
        monthly = Rule(
            freq="MONTHLY",
            interval=12 * rule.interval,
            bymonthday=tuple(kwargs.get("bymonthday", ())),
            byday=rule.byday,
            bysetpos=rule.bysetpos,
            byhour=tuple(kwargs.get("byhour", ())),
            byminute=tuple(kwargs.get("byminute", ())),
            bysecond=tuple(kwargs.get("bysecond", ())),
            wkst=rule.wkst,
        )
        return monthly, datetime(dtstart.year, kwargs["bymonth"][0], 1)  # noqa: DTZ001
    weekdays = kwargs.get("byweekday", [])
    if rule.freq == "WEEKLY" and len(weekdays) == 1 and weekdays[0].n is None and not rule.bysetpos:
        weekday = weekdays[0].weekday
        week_start = dtstart.date() - timedelta(days=(dtstart.weekday() - rule.wkst) % 7)
        first = week_start + timedelta(days=(weekday - rule.wkst) % 7)
        daily = Rule(
            freq="DAILY",
            interval=7 * rule.interval,
            bymonth=rule.bymonth,
            byhour=tuple(kwargs.get("byhour", ())),
            byminute=tuple(kwargs.get("byminute", ())),
            bysecond=tuple(kwargs.get("bysecond", ())),
        )
        return daily, datetime.combine(first, time())
    return rule, dtstart


@lru_cache(maxsize=4096)
def _template(rule: Rule, walk_start: datetime) -> du.rrule:
    return _build(rule, _explicit(rule, walk_start), walk_start)


@lru_cache(maxsize=16384)
def _walker(rule: Rule, walk_start: datetime, begin: datetime) -> du.rrule:
    """dateutil's rrule for ``rule`` (defaults from ``walk_start``) walking from ``begin``.

    Cached: the agenda asks for the same windows again and again, and iterating is read-only.
    A new one is a shallow copy of the rule's template with only DTSTART moved: every
    DTSTART-derived default is explicit, and ``begin`` is a whole number of INTERVALs from
    ``walk_start``, so what dateutil derives from DTSTART (its reachable BYHOUR/BYMINUTE sets
    for HOURLY/MINUTELY) is unchanged — and copying skips most of ``rrule.__init__``.
    """
    template = _template(rule, walk_start)
    if begin == walk_start:
        return template
    walker = copy.copy(template)
    walker._dtstart = begin  # type: ignore[attr-defined]  # noqa: SLF001 - see the docstring
    return walker


@lru_cache(maxsize=16384)
def recurrence_for(text: str, start: Moment, tzid: str) -> Recurrence:
    """The (cached) ``Recurrence`` of a series' rule text, start and zone."""
    return Recurrence(parse_for_start(text, start, tzid), start, tzid)


# --- the rule bound to a series start -------------------------------------------------------------


class Recurrence:
    """A checked rule bound to its series' start and zone; yields the rule's own instances as
    naive local datetimes (midnight for all-day series), UNTIL and COUNT applied.  DTSTART,
    RDATEs and EXDATEs are the caller's business (``rules.expand``)."""

    __slots__ = (
        "rule",
        "dtstart",
        "tzid",
        "all_day",
        "kwargs",
        "until_utc",
        "until_walk",
        "walk_rule",
        "walk_start",
        "per_period",
        "dense",
    )

    def __init__(self, rule: Rule, start: Moment, tzid: str) -> None:
        self.rule = rule
        self.dtstart = _to_datetime(start)
        self.tzid = tzid
        self.all_day = not isinstance(start, datetime)
        self.kwargs = _explicit(rule, self.dtstart)
        until = until_local(rule, tzid)
        self.until_utc: datetime | None = None
        self.until_walk: datetime | None = None  # an inclusive local bound for dateutil
        if isinstance(rule.until, datetime) and rule.until.tzinfo is not None:
            self.until_utc = rule.until
            assert isinstance(until, datetime)
            self.until_walk = until + DST_SLACK
        elif until is not None:
            self.until_walk = _to_datetime(until)
        self.walk_rule, self.walk_start = _walk_form(rule, self.dtstart, self.kwargs)
        self.per_period = _instances_per_period(rule, self.kwargs)
        self.dense = _dense(rule, self.dtstart)

    # The COUNT rule as "the same rule up to a last instance", where that is known.
    def _count_bound(self, hi: datetime) -> tuple[bool, datetime | None]:
        """(bites, last): whether COUNT ends the rule at or before ``hi``, and its last instance."""
        rule = self.rule
        if rule.count is None:
            return False, None
        first = period_index(rule.freq, self.dtstart, rule.wkst)
        periods = (period_index(rule.freq, hi, rule.wkst) - first) // rule.interval + 1
        if periods * _instances_per_period(rule, self.kwargs) < rule.count - 1:
            return False, None  # not even the fullest periods could use the COUNT up by ``hi``
        end = _count_end(rule, self.dtstart)
        if end.known:
            return True, end.last
        assert end.reached is not None
        if hi <= end.reached:
            return False, None
        raise ExpansionLimitError(
            f"COUNT={rule.count} is too large to find where the series ends within the "
            f"limits; ask for dates before {end.reached:%Y-%m-%d}",
            field="rrule",
            part="COUNT",
        )

    def walk_cost(
        self, lo: datetime, hi: datetime, cap: int | None = None, count_from: datetime | None = None
    ) -> int:
        """Estimated steps to generate the instances in [lo, hi] (cap: stop after that many at
        or after ``count_from``, default ``lo``).  Every period the walk visits counts: the
        instances before ``count_from`` (the look-back for long occurrences) are walked and
        kept whatever the cap, so only the periods after it are capped."""
        return self.walk_estimate(lo, hi, cap, count_from)[0]

    def walk_estimate(
        self, lo: datetime, hi: datetime, cap: int | None = None, count_from: datetime | None = None
    ) -> tuple[int, int, int]:
        """(steps, walked, held): ``walk_cost``'s steps, an upper bound on the instances that
        walk yields (each of which the caller places), and one on the instances [lo, hi] holds
        whatever the cap."""
        rule = self.walk_rule
        begin = _shifted(rule, self.walk_start, lo)
        if self.until_walk is not None:
            hi = min(hi, self.until_walk)
        if hi < begin:
            return 0, 0, 0
        first = period_index(rule.freq, begin, rule.wkst)
        periods = held = (period_index(rule.freq, hi, rule.wkst) - first) // rule.interval + 1
        if cap is not None and self.dense:
            extra = int(DST_SLACK / (UNIT[rule.freq] * rule.interval)) + 2
            uncapped = 0
            if count_from is not None and count_from > begin:
                uncapped = (
                    period_index(rule.freq, min(count_from, hi), rule.wkst) - first
                ) // rule.interval
            periods = min(periods, uncapped + cap + extra + 1)
        per = min(self.per_period, 10_000)
        steps = periods * (_PERIOD_COST[rule.freq] + per * _INSTANCE_COST)
        return steps, periods * per, held * per

    def instances(
        self,
        lo: datetime,
        hi: datetime,
        cap: int | None = None,
        count_from: datetime | None = None,
        costed: int | None = None,
    ) -> list[datetime]:
        """Instances with ``lo <= local <= hi`` in local order.

        With ``cap``, stops once more than ``cap`` at or after ``count_from`` (default ``lo``)
        are found and the walk is ``DST_SLACK`` past the first surplus one (so the first ``cap``
        in UTC order are all there).  Raises ``ExpansionLimitError`` when the walk would cost
        over ``limits.MAX_WALK_STEPS`` (costed as for ``costed`` instances when given: a
        caller taking the first instances of a larger walk is refused as that walk is).
        """
        if hi < lo:
            return []
        self._check_cost(lo, hi, cap if costed is None else costed, count_from)
        bounds = self._bounds(lo, hi)
        if bounds is None:
            return []
        lo, hi = bounds
        found = self._walk(lo, hi, cap, count_from or lo)
        if self.until_utc is not None and found:
            found = self._until_utc_only(found)
        return found

    def _check_cost(
        self, lo: datetime, hi: datetime, cap: int | None, count_from: datetime | None = None
    ) -> None:
        cost = self.walk_cost(lo, hi, cap, count_from)
        if cost > limits.MAX_WALK_STEPS:
            raise ExpansionLimitError(
                "this window is too costly to expand for the rule (about "
                f"{cost:,} steps, limit {limits.MAX_WALK_STEPS:,}); ask for a shorter window",
                field="window",
            )

    def _bounds(self, lo: datetime, hi: datetime) -> tuple[datetime, datetime] | None:
        """[lo, hi] narrowed to where the rule has instances (DTSTART to COUNT's last instance
        or UNTIL); None when nothing is left."""
        if self.rule.count is not None:
            bites, last = self._count_bound(hi)
            if bites:
                if last is None:
                    return None
                hi = min(hi, last)
        if self.until_walk is not None and self.until_walk < hi:
            hi = self.until_walk
        if lo < self.dtstart:
            lo = self.dtstart
        if hi < lo:
            return None
        return lo, hi

    def _walk(
        self, lo: datetime, hi: datetime, cap: int | None, count_from: datetime
    ) -> list[datetime]:
        """The walker's instances in [lo, hi], stopping early as ``instances`` says for ``cap``."""
        begin = _shifted(self.walk_rule, self.walk_start, lo)
        found: list[datetime] = []
        append = found.append
        check_at = cap + 1 if cap is not None else 0
        try:
            iterator = iter(_walker(self.walk_rule, self.walk_start, begin))
            for instance in iterator:
                if instance > hi:
                    break
                if instance >= lo:
                    append(instance)
                    if len(found) == check_at:
                        check_at = self._after_cap(found, iterator, hi, cap, count_from)
                        if check_at < 0:
                            break
        except ValueError as exc:
            raise RRuleValueError(f"the rule cannot produce any time: {exc}", part=None) from None
        return found

    def _until_utc_only(self, found: list[datetime]) -> list[datetime]:
        """``found`` without the instances after a UTC UNTIL (the walk's local bound has slack
        for DST; only those near it need converting)."""
        assert self.until_walk is not None and self.until_utc is not None
        sure = self.until_walk - 2 * DST_SLACK
        until_utc, tzid = self.until_utc, self.tzid
        return [x for x in found if x <= sure or to_utc(x, tzid) <= until_utc]

    @staticmethod
    def _after_cap(
        found: list[datetime],
        iterator: Iterator[datetime],
        hi: datetime,
        cap: int | None,
        count_from: datetime,
    ) -> int:
        """Called when ``found`` reaches a multiple of cap+1: if more than ``cap`` are at or
        after ``count_from``, walk ``DST_SLACK`` further and stop the caller (return 0);
        otherwise say when to check again."""
        assert cap is not None
        counted = len(found) - bisect_left(found, count_from)
        if counted <= cap:
            return len(found) + (cap - counted) + 1
        stop_after = min(hi, found[-1] + DST_SLACK)
        for instance in iterator:
            if instance > stop_after:
                break
            found.append(instance)
        return -1

    def contains(self, local: datetime) -> bool:
        """Whether the rule generates ``local`` (COUNT and UNTIL applied)."""
        return local in self.instances(local, local)

    def last_instance(self) -> tuple[bool, datetime | None]:
        """(bounded, latest): ``bounded`` is False for an open rule (or a COUNT rule whose end
        cannot be found within the limits).  Otherwise no instance starts after ``latest``
        (local; exact when the walk back from UNTIL finds it), None when there is no instance."""
        rule = self.rule
        if rule.count is not None:
            try:
                bites, last = self._count_bound(_END_OF_TIME)
            except ExpansionLimitError:
                return False, None
            return (True, last) if bites else (False, None)
        if self.until_walk is None:
            return False, None
        hi = self.until_walk
        span = UNIT[rule.freq] * rule.interval * 2
        while True:
            lo = self.dtstart if hi - self.dtstart <= span else hi - span
            try:
                found = self.instances(lo, hi)
            except ExpansionLimitError:
                return True, hi
            if found:
                return True, found[-1]
            if lo <= self.dtstart:
                return True, None
            span *= 4

    def full_walk(self, hi: datetime) -> list[datetime]:
        """Reference: the instances up to ``hi`` walked by dateutil from DTSTART, as dateutil
        would with the original rule text (COUNT and UNTIL applied).  For tests/benchmarks."""
        rule = self.rule
        count = None
        if rule.count is not None:
            count = rule.count if _generates_start(rule, self.dtstart) else rule.count - 1
            if count <= 0:
                return []
        until = hi if self.until_walk is None else min(hi, self.until_walk)
        walk = _build(rule, self.kwargs, self.dtstart, count=count)
        out = []
        for instance in _iterate(walk):
            if instance > until:
                break
            if self.until_utc is not None and to_utc(instance, self.tzid) > self.until_utc:
                continue
            out.append(instance)
        return out


def clear_caches(parsed: bool = False) -> None:
    """Forget cached walks: dateutil walkers and COUNT ends (what a new window needs afresh);
    with ``parsed`` also the checked rules and Recurrences (a fresh process).  For benchmarks
    and tests; the caches are bounded LRUs and safe to keep."""
    _walker.cache_clear()
    _count_end.cache_clear()
    _generates_start.cache_clear()
    if parsed:
        _template.cache_clear()
        recurrence_for.cache_clear()
        check_rule.cache_clear()
        _normalise.cache_clear()
        _parsed.cache_clear()
