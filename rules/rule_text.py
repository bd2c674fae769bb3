"""RRULE value text (RFC 5545 §3.3.10) ↔ ``Rule``: liberal parsing, strict checks, canonical output.

Accepted liberally: any letter case, a leading ``RRULE:``, spaces around parts and values, a
trailing ``;``, ``+`` signs, UNTIL as a date, a local date-time or a UTC date-time (with or
without ``-``/``:`` separators).  Emitted canonically by ``format_rule``: upper case, parts in
the order of ``PART_ORDER``, defaults (INTERVAL=1, WKST=MO) left out, lists sorted without
duplicates, UNTIL as UTC ``…Z`` for timed series and a DATE for all-day ones.

Every error names the part (``RulesError.part``) and says what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, Literal

from rules import limits
from rules.errors import RRuleSyntaxError, RRuleValueError
from rules.model import Moment
from rules.timezones import local_from_aware, to_utc

Freq = Literal["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"]
FREQS: tuple[str, ...] = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY")
WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PART_ORDER: tuple[str, ...] = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
    "BYSETPOS",
    "WKST",
    "COUNT",
    "UNTIL",
)
BY_PARTS = (
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
)
_RANGES: dict[str, tuple[int, int, bool]] = {
    # part: (lowest, highest, negative values allowed)
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MAX_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_BYDAY_RE = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$")
_INT_RE = re.compile(r"^[+-]?\d{1,10}$")


@dataclass(frozen=True)
class Rule:
    """A parsed RRULE.  ``byday`` holds (ordinal, weekday) pairs, ordinal 0 meaning "every",
    weekday 0 = Monday.  ``until`` is a ``date`` (all-day), an aware UTC ``datetime`` (timed),
    or — straight from ``parse`` only — a naive local ``datetime`` not yet converted."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    @property
    def has_date_filter(self) -> bool:
        """True when a BY part restricts which days can occur (beyond DTSTART defaults)."""
        return bool(
            self.byday or self.bymonthday or self.byyearday or self.byweekno or self.bymonth
        )


def _syntax(message: str, part: str | None) -> RRuleSyntaxError:
    return RRuleSyntaxError(message, field="rrule", part=part)


def _value(message: str, part: str | None) -> RRuleValueError:
    return RRuleValueError(message, field="rrule", part=part)


def _positive(part: str, text: str, maximum: int) -> int:
    """A whole number from 1 to ``maximum`` (INTERVAL, COUNT), or an error naming the part."""
    value = _int(part, text)
    if value < 1:
        raise _value(f"{part} must be a positive whole number", part)
    if value > maximum:
        raise _value(f"{part} must be at most {maximum}", part)
    return value


def _int(part: str, raw: str) -> int:
    if not _INT_RE.match(raw):
        raise _syntax(f"{part} value {raw!r} is not a whole number", part)
    return int(raw)


def _int_list(part: str, raw: str) -> tuple[int, ...]:
    low, high, negative = _RANGES[part]
    values: set[int] = set()
    for item in raw.split(","):
        item = item.strip()
        if not item:
            raise _syntax(f"{part} has an empty value in its list", part)
        number = _int(part, item)
        if number < 0 and negative:
            ok = low <= -number <= high
        else:
            ok = low <= number <= high
        if not ok:
            allowed = f"{low} to {high}" + (f" or -{high} to -{low}" if negative else "")
            raise _value(f"{part} value {number} is out of range ({allowed})", part)
        values.add(number)
    return tuple(sorted(values))


def _weekday(part: str, raw: str) -> int:
    if raw not in WEEKDAYS:
        raise _syntax(f"{part} value {raw!r} is not a weekday (MO, TU, WE, TH, FR, SA, SU)", part)
    return WEEKDAYS.index(raw)


def _byday(raw: str) -> tuple[tuple[int, int], ...]:
    values: set[tuple[int, int]] = set()
    for item in raw.split(","):
        item = item.strip()
        match = _BYDAY_RE.match(item)
        if not match:
            raise _syntax(f"BYDAY value {item!r} is not a weekday such as MO, 2TU or -1FR", "BYDAY")
        sign, digits, day = match.groups()
        ordinal = int(digits) if digits else 0
        if digits and ordinal == 0:
            raise _value(f"BYDAY value {item!r}: the ordinal cannot be 0", "BYDAY")
        if ordinal > 53:
            raise _value(f"BYDAY value {item!r}: the ordinal must be 1 to 53 or -1 to -53", "BYDAY")
        if sign == "-":
            ordinal = -ordinal
        elif sign == "+" and not digits:
            raise _syntax(f"BYDAY value {item!r} has a sign but no number", "BYDAY")
        values.add((ordinal, WEEKDAYS.index(day)))
    return tuple(sorted(values, key=lambda v: (v[1], v[0] < 0, abs(v[0]))))


def _until(raw: str) -> date | datetime:
    compact = raw.replace("-", "").replace(":", "")
    match = _UNTIL_RE.match(compact)
    if not match:
        raise _syntax(
            f"UNTIL value {raw!r} is not a date (YYYYMMDD) or date-time "
            "(YYYYMMDDTHHMMSS, with Z for UTC)",
            "UNTIL",
        )
    year, month, day, hour, minute, second, zulu = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
        if hour is None:
            return day_value
        value = datetime.combine(day_value, time(int(hour), int(minute), int(second or 0)))
    except ValueError as exc:
        raise _value(f"UNTIL value {raw!r} is not a real date or time ({exc})", "UNTIL") from None
    return value.replace(tzinfo=UTC) if zulu else value


# Each part's value parser, in the order they are checked: when several parts are wrong, the
# first of them here is the one reported.
_PART_PARSERS: dict[str, Callable[[str], object]] = {
    "INTERVAL": lambda text: _positive("INTERVAL", text, limits.MAX_INTERVAL),
    "COUNT": lambda text: _positive("COUNT", text, limits.MAX_COUNT),
    "UNTIL": _until,
    "WKST": lambda text: _weekday("WKST", text),
    **{
        part: partial(_int_list, part)
        for part in (
            "BYSECOND",
            "BYMINUTE",
            "BYHOUR",
            "BYMONTHDAY",
            "BYYEARDAY",
            "BYWEEKNO",
            "BYMONTH",
            "BYSETPOS",
        )
    },
    "BYDAY": _byday,
}


def parse(text: str) -> Rule:
    """Parse RRULE value text (liberally, see the module docstring) into a ``Rule``.

    Checks the syntax and the rules of RFC 5545 §3.3.10 that do not depend on DTSTART.  UNTIL is
    returned as parsed (date, naive local or aware UTC datetime); ``for_start`` converts it.
    Raises ``RRuleSyntaxError``/``RRuleValueError`` naming the part.
    """
    if not isinstance(text, str):
        raise _syntax("the rule must be text", None)
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:].strip()
    if not body:
        raise _syntax("the rule is empty; it needs at least FREQ", "FREQ")
    raw = _raw_parts(body)
    rule = Rule(freq=_freq(raw), **_part_values(raw))
    _check_combinations(rule)
    return rule


def _raw_parts(body: str) -> dict[str, str]:
    """Part name → value text (both upper case), each part named once and given a value."""
    raw: dict[str, str] = {}
    for chunk in body.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        value = value.strip().upper()
        if not sep or not name:
            raise _syntax(f"{chunk!r} is not a NAME=VALUE part", name or None)
        _check_part_name(name)
        if name in raw:
            raise _syntax(f"{name} is given more than once", name)
        if not value:
            raise _syntax(f"{name} has no value", name)
        raw[name] = value
    return raw


def _check_part_name(name: str) -> None:
    if name in PART_ORDER:
        return
    if name in ("RSCALE", "SKIP"):
        raise _syntax(f"{name} (RFC 7529 calendar scales) is not supported", name)
    raise _syntax(f"unknown part {name!r}; known parts are {', '.join(PART_ORDER)}", name)


def _freq(raw: dict[str, str]) -> str:
    if "FREQ" not in raw:
        raise _syntax("FREQ is required (e.g. FREQ=WEEKLY)", "FREQ")
    freq = raw["FREQ"]
    if freq == "SECONDLY":
        raise _value(
            "FREQ=SECONDLY is not supported: a rule may repeat at most once a minute", "FREQ"
        )
    if freq not in FREQS:
        raise _syntax(f"FREQ value {freq!r} is not one of {', '.join(FREQS)}", "FREQ")
    return freq


def _part_values(raw: dict[str, str]) -> dict[str, Any]:
    """``Rule`` field → value for every part but FREQ, parsed in the order of ``_PART_PARSERS``."""
    values: dict[str, Any] = {}
    for part, parse_value in _PART_PARSERS.items():
        text = raw.get(part)
        if text is None:
            continue
        if part == "COUNT" and "UNTIL" in raw:
            raise _value("COUNT and UNTIL cannot both be given; use one of them", "COUNT")
        values[part.lower()] = parse_value(text)
    return values


def _check_combinations(rule: Rule) -> None:
    """The RFC 5545 rules between parts, and this engine's own limits, in a fixed order (the
    first broken one is reported)."""
    _check_bysecond(rule)
    _check_bysetpos(rule)
    _check_parts_for_freq(rule)
    _check_byday_ordinals(rule)
    _check_impossible_days(rule)
    _check_sub_daily_interval(rule)


def _check_bysecond(rule: Rule) -> None:
    if 60 in rule.bysecond:
        raise _value("BYSECOND=60 (a leap second) is not supported", "BYSECOND")
    if len(rule.bysecond) > 1:
        raise _value(
            "BYSECOND may have only one value: a rule may repeat at most once a minute", "BYSECOND"
        )


def _check_bysetpos(rule: Rule) -> None:
    if not rule.bysetpos:
        return
    if not any(getattr(rule, p.lower()) for p in BY_PARTS):
        raise _value("BYSETPOS needs another BY part (such as BYDAY) to pick from", "BYSETPOS")
    if rule.freq in ("HOURLY", "MINUTELY"):
        raise _value(f"BYSETPOS is not supported with FREQ={rule.freq}", "BYSETPOS")


def _check_parts_for_freq(rule: Rule) -> None:
    freq = rule.freq
    if rule.bymonthday and freq == "WEEKLY":
        raise _value("BYMONTHDAY cannot be used with FREQ=WEEKLY", "BYMONTHDAY")
    if rule.byyearday and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise _value(f"BYYEARDAY cannot be used with FREQ={freq}", "BYYEARDAY")
    if rule.byweekno and freq != "YEARLY":
        raise _value("BYWEEKNO can only be used with FREQ=YEARLY", "BYWEEKNO")


def _check_byday_ordinals(rule: Rule) -> None:
    ordinals = [n for n, _ in rule.byday if n]
    if not ordinals:
        return
    freq = rule.freq
    if freq not in ("MONTHLY", "YEARLY"):
        raise _value(
            f"BYDAY ordinals such as {_fmt_day(rule.byday[0])} need FREQ=MONTHLY "
            f"or FREQ=YEARLY, not FREQ={freq}",
            "BYDAY",
        )
    if freq == "YEARLY" and rule.byweekno:
        raise _value("BYDAY ordinals cannot be used with BYWEEKNO", "BYDAY")
    if freq == "MONTHLY" or rule.bymonth:
        bad = [n for n in ordinals if abs(n) > 5]
        if bad:
            raise _value(
                f"BYDAY ordinal {bad[0]} is out of range: a month has at most 5 of "
                "each weekday (use 1 to 5 or -1 to -5)",
                "BYDAY",
            )


def _check_sub_daily_interval(rule: Rule) -> None:
    """An HOURLY/MINUTELY rule filtered by day must land on the same times every day."""
    freq = rule.freq
    if freq in ("HOURLY", "MINUTELY") and rule.has_date_filter:
        unit = 24 if freq == "HOURLY" else 1440
        if unit % rule.interval:
            raise _value(
                f"FREQ={freq} with INTERVAL={rule.interval} (which does not divide a day) "
                "cannot be combined with day or month filters",
                "INTERVAL",
            )


def _check_impossible_days(rule: Rule) -> None:
    """Refuse rules that can never produce a date because of BYMONTH/BYMONTHDAY alone."""
    if not rule.bymonthday:
        return
    months = rule.bymonth or tuple(range(1, 13))
    for month in months:
        longest = _MAX_MONTH_DAYS[month - 1]
        if any(abs(day) <= longest for day in rule.bymonthday):
            return
    names = " or ".join(_MONTH_NAMES[m - 1] for m in months)
    days = ", ".join(str(d) for d in rule.bymonthday)
    raise _value(f"the rule never occurs: {names} has no day {days}", "BYMONTHDAY")


def for_start(rule: Rule, start: Moment, tzid: str) -> Rule:
    """Check ``rule`` against its series start and convert UNTIL to its canonical kind.

    Timed start: UNTIL becomes aware UTC (a local date-time is read in ``tzid``; a date means
    "through the end of that local day").  All-day start: UNTIL must be a date, and the rule may
    not repeat more often than daily nor use BYHOUR/BYMINUTE/BYSECOND.
    """
    all_day = not isinstance(start, datetime)
    if all_day:
        if rule.freq in ("HOURLY", "MINUTELY"):
            raise _value(
                f"an all-day series cannot repeat {rule.freq.lower()}; use DAILY or longer", "FREQ"
            )
        for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            if getattr(rule, part.lower()):
                raise _value(f"{part} cannot be used with an all-day series", part)
        if isinstance(rule.until, datetime):
            raise _value(
                "UNTIL must be a date (YYYYMMDD) for an all-day series, not a date-time", "UNTIL"
            )
    elif rule.until is not None:
        until = rule.until
        if isinstance(until, datetime):
            until_utc = until if until.tzinfo is not None else to_utc(until, tzid)
        else:
            end_of_day = datetime.combine(until, time(23, 59, 59))
            until_utc = to_utc(end_of_day, tzid)
        rule = replace(rule, until=until_utc)
    if rule.until is not None:
        year = (
            rule.until
            if not isinstance(rule.until, datetime)
            else local_from_aware(rule.until, tzid)
        ).year
        if not limits.MIN_YEAR <= year <= limits.MAX_YEAR:
            raise _value(
                f"UNTIL must be between the years {limits.MIN_YEAR} and {limits.MAX_YEAR}", "UNTIL"
            )
    return rule


def _fmt_day(value: tuple[int, int]) -> str:
    ordinal, weekday = value
    return f"{ordinal if ordinal else ''}{WEEKDAYS[weekday]}"


def _fmt_list(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def format_rule(rule: Rule) -> str:
    """Canonical RRULE value text (no ``RRULE:`` prefix), see the module docstring."""
    parts = [f"FREQ={rule.freq}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    for name in ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY"):
        values: tuple[int, ...] = getattr(rule, name.lower())
        if values:
            parts.append(f"{name}={_fmt_list(values)}")
    if rule.byday:
        parts.append("BYDAY=" + ",".join(_fmt_day(d) for d in rule.byday))
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS"):
        values = getattr(rule, name.lower())
        if values:
            parts.append(f"{name}={_fmt_list(values)}")
    if rule.wkst != 0:
        parts.append(f"WKST={WEEKDAYS[rule.wkst]}")
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    if rule.until is not None:
        until = rule.until
        if isinstance(until, datetime):
            if until.tzinfo is None:
                parts.append(f"UNTIL={until:%Y%m%dT%H%M%S}")
            else:
                parts.append(f"UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%S}Z")
        else:
            parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


def until_local(rule: Rule, tzid: str) -> Moment | None:
    """UNTIL as local wall time in ``tzid`` (timed) or the date (all-day); None without one."""
    if rule.until is None:
        return None
    if isinstance(rule.until, datetime):
        if rule.until.tzinfo is None:
            return rule.until
        return local_from_aware(rule.until, tzid)
    return rule.until
