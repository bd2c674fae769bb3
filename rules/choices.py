"""The repeat choices organisers make in a form, to and from RRULE text.

Like the common calendar apps, the day of the month, the weekday of an "nth weekday" rule and
the month of a yearly rule come from the series start; the form chooses only what varies:

* ``daily`` — every ``interval`` days;
* ``weekly`` — every ``interval`` weeks on ``weekdays`` (empty: the start's weekday);
* ``monthly`` — ``day_of_month`` (the start's day) or ``nth_weekday`` (the ``ordinal`` 1–4 or
  -1 = last occurrence of the start's weekday);
* ``yearly`` — ``date`` (the start's day and month) or ``nth_weekday`` (of the start's month);
* ends ``never``, ``on_date`` (``until``, inclusive, local) or ``after`` ``count`` times.

``to_rrule`` writes canonical RRULE text; ``from_rrule`` reads it back, or returns None when the
rule is not one of these choices (show "Custom…").  ``from_rrule(to_rrule(c)) == c`` for every
choice whose fields are spelled out (``weekdays`` given, ``ordinal`` given for nth_weekday).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal, TypedDict

from rules.errors import RRuleValueError
from rules.model import Moment
from rules.recurrence import normalise_rrule, parse_for_start
from rules.rule_text import WEEKDAYS, Rule, until_local

ChoiceFreq = Literal["daily", "weekly", "monthly", "yearly"]
MonthlyMode = Literal["day_of_month", "nth_weekday"]
YearlyMode = Literal["date", "nth_weekday"]
Ends = Literal["never", "on_date", "after"]


@dataclass(frozen=True)
class RuleChoice:
    """What an organiser picks in the repeat form (see the module docstring)."""

    freq: ChoiceFreq
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    monthly_mode: MonthlyMode = "day_of_month"
    yearly_mode: YearlyMode = "date"
    ordinal: int | None = None
    ends: Ends = "never"
    until: date | None = None
    count: int | None = None


def _nth_of_start(start: Moment) -> int:
    """1–4 for the start's weekday in its month, -1 when it is the last such (5th) one."""
    n = (start.day - 1) // 7 + 1
    return -1 if n >= 5 else n


def to_rrule(choice: RuleChoice, start: Moment, tzid: str) -> str:
    """Canonical RRULE text for ``choice`` on a series starting at ``start`` in ``tzid``.

    Raises ``RRuleValueError`` (part set) for an inconsistent choice: interval below 1, unknown
    weekday, ordinal outside 1–4/-1, ``on_date`` without ``until``, ``after`` without ``count``.
    """
    if choice.interval < 1:
        raise RRuleValueError("the interval must be at least 1", part="INTERVAL")
    parts = [f"FREQ={choice.freq.upper()}"]
    if choice.interval != 1:
        parts.append(f"INTERVAL={choice.interval}")
    parts += _day_parts(choice, start)
    parts += _end_parts(choice)
    return normalise_rrule(";".join(parts), start, tzid)


def _day_parts(choice: RuleChoice, start: Moment) -> list[str]:
    """BYDAY, BYMONTHDAY and BYMONTH: what the choice picks, the rest from the start."""
    weekday = WEEKDAYS[start.weekday()]
    if choice.freq == "weekly":
        days = choice.weekdays or (weekday,)
        for day in days:
            if day not in WEEKDAYS:
                raise RRuleValueError(f"unknown weekday {day!r}", part="BYDAY")
        return ["BYDAY=" + ",".join(sorted(set(days), key=WEEKDAYS.index))]
    nth = (choice.freq == "monthly" and choice.monthly_mode == "nth_weekday") or (
        choice.freq == "yearly" and choice.yearly_mode == "nth_weekday"
    )
    ordinal = choice.ordinal if choice.ordinal is not None else _nth_of_start(start)
    if nth and ordinal not in (1, 2, 3, 4, -1):
        raise RRuleValueError("the week must be 1st to 4th or last (-1)", part="BYDAY")
    day = f"BYDAY={ordinal}{weekday}" if nth else f"BYMONTHDAY={start.day}"
    if choice.freq == "monthly":
        return [day]
    if choice.freq == "yearly":
        return [f"BYMONTH={start.month}", day]
    return []


def _end_parts(choice: RuleChoice) -> list[str]:
    """COUNT or UNTIL, as the choice ends."""
    if choice.ends == "after":
        if choice.count is None or choice.count < 1:
            raise RRuleValueError("say after how many times the series ends", part="COUNT")
        return [f"COUNT={choice.count}"]
    if choice.ends == "on_date":
        if choice.until is None or isinstance(choice.until, datetime):
            raise RRuleValueError("say on which date the series ends", part="UNTIL")
        return [f"UNTIL={choice.until:%Y%m%d}"]
    return []


def rule_for(choice: RuleChoice, start: Moment, tzid: str) -> Rule:
    """The checked ``Rule`` of ``choice`` for its series start: the value a form hands on, so
    nothing downstream parses the rule's text again to learn what was chosen.  Raises as
    ``to_rrule`` does."""
    return parse_for_start(to_rrule(choice, start, tzid), start, tzid)


class _Common(TypedDict):
    """The fields every choice has, whatever its frequency."""

    interval: int
    ends: Ends
    until: date | None
    count: int | None


def from_rrule(text: str, start: Moment, tzid: str) -> RuleChoice | None:
    """The form choice that ``text`` is, or None when it is not one of them ("Custom…").

    Raises the rule's errors when ``text`` is not a valid rule for ``start``.
    """
    rule = parse_for_start(text, start, tzid)
    if (
        rule.bysetpos
        or rule.byhour
        or rule.byminute
        or rule.bysecond
        or rule.byyearday
        or rule.byweekno
        or rule.freq in ("HOURLY", "MINUTELY")
    ):
        return None
    ending = _ending(rule, start, tzid)
    if ending is None:
        return None
    ends, until = ending
    common: _Common = {"interval": rule.interval, "ends": ends, "until": until, "count": rule.count}
    return _FROM_FREQ[rule.freq](rule, start, common)


def _ending(rule: Rule, start: Moment, tzid: str) -> tuple[Ends, date | None] | None:
    """How the rule ends, as the form says it; None when UNTIL is no "on a date" choice."""
    if rule.count is not None:
        return "after", None
    if rule.until is None:
        return "never", None
    local = until_local(rule, tzid)
    assert local is not None
    if isinstance(local, datetime):
        if (
            isinstance(start, datetime)
            and local.time() < time(23, 59)
            and local.time() < start.time()
        ):
            return None  # cuts the last day short of the start time: not "on a date"
        local = local.date()
    return "on_date", local


def _plain_and_nth(rule: Rule) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """BYDAY's weekdays without an ordinal, and its (ordinal, weekday) pairs with one."""
    plain = tuple(wd for n, wd in rule.byday if n == 0)
    nth = tuple((n, wd) for n, wd in rule.byday if n != 0)
    return plain, nth


def _start_ordinal(nth: tuple[tuple[int, int], ...], start: Moment) -> int | None:
    """The one ordinal of ``nth`` when it is a form choice: the start's weekday, 1st–4th or
    last; None otherwise."""
    n, wd = nth[0]
    if wd != start.weekday() or n not in (1, 2, 3, 4, -1):
        return None
    return n


def _daily(rule: Rule, start: Moment, common: _Common) -> RuleChoice | None:
    if rule.byday or rule.bymonthday or rule.bymonth:
        return None
    return RuleChoice(freq="daily", **common)


def _weekly(rule: Rule, start: Moment, common: _Common) -> RuleChoice | None:
    plain, nth = _plain_and_nth(rule)
    if rule.bymonth or nth or (rule.wkst != 0 and rule.interval > 1 and len(plain) > 1):
        return None
    days = tuple(WEEKDAYS[d] for d in (plain or (start.weekday(),)))
    return RuleChoice(freq="weekly", weekdays=days, **common)


def _monthly(rule: Rule, start: Moment, common: _Common) -> RuleChoice | None:
    plain, nth = _plain_and_nth(rule)
    if rule.bymonth or plain:
        return None
    if nth and not rule.bymonthday and len(nth) == 1:
        n = _start_ordinal(nth, start)
        if n is None:
            return None
        return RuleChoice(freq="monthly", monthly_mode="nth_weekday", ordinal=n, **common)
    if not nth and rule.bymonthday in ((), (start.day,)):
        return RuleChoice(freq="monthly", **common)
    return None


def _yearly(rule: Rule, start: Moment, common: _Common) -> RuleChoice | None:
    plain, nth = _plain_and_nth(rule)
    if plain or rule.bymonth not in ((), (start.month,)):
        return None
    if nth and not rule.bymonthday and len(nth) == 1 and rule.bymonth:
        n = _start_ordinal(nth, start)
        if n is None:
            return None
        return RuleChoice(freq="yearly", yearly_mode="nth_weekday", ordinal=n, **common)
    if not nth and rule.bymonthday in ((), (start.day,)):
        return RuleChoice(freq="yearly", **common)
    return None


_FROM_FREQ: dict[str, Callable[[Rule, Moment, _Common], RuleChoice | None]] = {
    "DAILY": _daily,
    "WEEKLY": _weekly,
    "MONTHLY": _monthly,
    "YEARLY": _yearly,
}
