"""A rule in plain English, as people say it.

The sentence is "<how often> <on which days> <in which months> <at what times>, <ending>".

How often: ``Daily``, ``Monthly``, ``Annually``, ``Hourly``, ``Every minute`` for INTERVAL=1 and
``Every N days/weeks/months/years/hours/minutes`` otherwise.  WEEKLY with INTERVAL=1 reads
``Every week on Wednesday`` for one weekday and ``Weekly on Monday and Friday`` for several.
Days left out of the rule come from the start, as RFC 5545 says (``FREQ=MONTHLY`` from the 15th
is "Monthly on the 15th").  The ending is ``, 5 times`` (``, once``) or
``, until 24 December 2027`` (with the time when the last day's instances could be cut short).
EXDATEs are not mentioned; RDATEs add ``, plus N other dates``.

Every part of a rule is put into words; combinations without a short idiom get a longer literal
sentence ("Monthly on the 13th when that is a Friday"), never a wrong one.  Examples:
"Every 2 weeks on Tuesday", "Monthly on the last Wednesday",
"Annually on the 2nd Tuesday of March", "Daily, 5 times".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from rules.model import Moment, Series
from rules.recurrence import parse_for_start
from rules.rule_text import Rule, until_local

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
_UNITS = {"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week", "DAILY": "day",
          "HOURLY": "hour", "MINUTELY": "minute"}
_ONCE = {"YEARLY": "Annually", "MONTHLY": "Monthly", "WEEKLY": "Weekly", "DAILY": "Daily",
         "HOURLY": "Hourly", "MINUTELY": "Every minute"}


def ordinal(n: int) -> str:
    """1 → "1st", 22 → "22nd", -1 → "last", -2 → "2nd-to-last"."""
    if n == -1:
        return "last"
    if n < 0:
        return f"{ordinal(-n)}-to-last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join(items: list[str], word: str = "and") -> str:
    """["a"] → "a"; ["a", "b", "c"] → "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def format_date(value: date) -> str:
    """24 December 2027."""
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


def _weekdays(days: tuple[int, ...], word: str = "and") -> str:
    if sorted(days) == [0, 1, 2, 3, 4]:
        return "weekdays"
    if sorted(days) == [5, 6]:
        return "weekends"
    if sorted(days) == list(range(7)):
        return "every day of the week"
    return join([DAY_NAMES[d] for d in sorted(days)], word)


def _months(months: tuple[int, ...]) -> str:
    return join([MONTH_NAMES[m - 1] for m in months])


def _monthdays(days: tuple[int, ...], word: str = "and") -> str:
    """(1, 15) → "the 1st and 15th"; (-1,) → "the last day"; (1, -1) → "the 1st and the last
    day"."""
    positives = [ordinal(d) for d in sorted(d for d in days if d > 0)]
    negatives = [ordinal(d) for d in sorted((d for d in days if d < 0), reverse=True)]
    if not negatives:
        return "the " + join(positives, word)
    tail = "the " + join(negatives, word) + " day"
    if not positives:
        return tail
    return f"the {join(positives, word)} {word} {tail}"


def _nth_days(byday: tuple[tuple[int, int], ...]) -> str:
    return join([f"the {ordinal(n)} {DAY_NAMES[wd]}" for n, wd in
                 sorted(byday, key=lambda v: (v[0] < 0, abs(v[0]), v[1]))])


def _defaults(rule: Rule, start: Moment) -> Rule:
    """The rule with DTSTART-derived days written out (RFC 5545 §3.3.10)."""
    if rule.byday or rule.bymonthday or rule.byyearday or rule.byweekno:
        return rule
    if rule.freq == "WEEKLY":
        return replace(rule, byday=((0, start.weekday()),))
    if rule.freq == "MONTHLY":
        return replace(rule, bymonthday=(start.day,))
    if rule.freq == "YEARLY":
        return replace(rule, bymonth=rule.bymonth or (start.month,), bymonthday=(start.day,))
    return rule


def _day_phrase(rule: Rule) -> tuple[str, bool]:
    """Words for the day parts; the bool says whether BYMONTH was already used."""
    if _is_date_of_year(rule):
        single = _single_date(rule)
        if single is not None:
            return "on " + single, True
        return f"on {_monthdays(rule.bymonthday)} of {_months(rule.bymonth)}", True
    pieces: list[str] = []
    if rule.byyearday:
        pieces.append(_yeardays(rule.byyearday))
    if rule.bymonthday:
        pieces.append(_monthdays(rule.bymonthday))
    plain = tuple(wd for n, wd in rule.byday if n == 0)
    nth = tuple((n, wd) for n, wd in rule.byday if n != 0)
    day_words: list[str] = []
    used_months = False
    if nth:
        text, used_months = _nth_phrase(rule, nth)
        day_words.append(text)
    if plain:
        day_words.append(_plain_phrase(rule.freq, plain))
    if pieces and day_words:
        return f"on {join(pieces)} when that is {_day_kind(plain, nth, day_words)}", used_months
    if pieces:
        return "on " + join(pieces), used_months
    if day_words:
        return "on " + join(day_words), used_months
    return "", used_months


def _is_date_of_year(rule: Rule) -> bool:
    """YEARLY on days of given months and nothing else: "on 24 December"."""
    return bool(rule.bymonthday and rule.freq == "YEARLY" and rule.bymonth and not rule.byday
                and not rule.byyearday and not rule.byweekno)


def _single_date(rule: Rule) -> str | None:
    """One day of one month, counted from its start: "24 December"; None otherwise."""
    if len(rule.bymonthday) != 1 or len(rule.bymonth) != 1 or rule.bymonthday[0] <= 0:
        return None
    day, month = rule.bymonthday[0], rule.bymonth[0]
    text = f"{day} {MONTH_NAMES[month - 1]}"
    if (month, day) == (2, 29):
        text += " (only in leap years)"
    return text


def _yeardays(yeardays: tuple[int, ...]) -> str:
    days = sorted(yeardays, key=lambda d: (d < 0, abs(d)))
    if len(days) == 1:
        return f"the {ordinal(days[0])} day of the year"
    return "days " + join([str(d) for d in days]) + " of the year"


def _nth_phrase(rule: Rule, nth: tuple[tuple[int, int], ...]) -> tuple[str, bool]:
    """Words for BYDAY with ordinals ("the 2nd Tuesday", "… of March", "… of the year"); the bool
    says whether BYMONTH was used."""
    text = _nth_days(nth)
    if rule.freq != "YEARLY":
        return text, False
    if rule.bymonth and not rule.bymonthday and not rule.byyearday:
        return text + f" of {_months(rule.bymonth)}", True
    if not rule.bymonth:
        return text + " of the year", False
    return text, False


def _plain_phrase(freq: str, plain: tuple[int, ...]) -> str:
    words = _weekdays(plain)
    if freq in ("WEEKLY", "DAILY", "HOURLY", "MINUTELY") or words in ("weekdays", "weekends"):
        return words
    return f"every {words}"


def _day_kind(plain: tuple[int, ...], nth: tuple[tuple[int, int], ...],
              day_words: list[str]) -> str:
    """What the days must also be: "a Friday", "a weekday", "the last Friday or a Monday"."""
    if not plain or nth:
        return join(day_words, "or")
    words = _weekdays(plain)
    if words in ("weekdays", "weekends"):
        return "a " + words[:-1]
    return "a " + _weekdays(plain, "or")


def _times(rule: Rule, start: Moment) -> str:
    if not isinstance(start, datetime):
        return ""
    freq = rule.freq
    seconds = rule.bysecond
    if freq == "MINUTELY":
        parts = []
        if rule.byhour:
            parts.append(_hour_ranges(rule.byhour))
        if rule.byminute:
            parts.append("at minutes " + join([str(m) for m in rule.byminute])
                         + " past the hour")
        if seconds:
            parts.append(f"at second {seconds[0]}")
        return ", ".join(parts)
    if freq == "HOURLY":
        parts = []
        if rule.byhour:
            parts.append(_hour_ranges(rule.byhour))
        if rule.byminute:
            parts.append("at " + join([str(m) for m in rule.byminute]) + " minutes past the hour")
        if seconds:
            parts.append(f"at second {seconds[0]}")
        return ", ".join(parts)
    if not (rule.byhour or rule.byminute or rule.bysecond):
        return ""
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    second = seconds[0] if seconds else start.second
    if len(hours) * len(minutes) <= 8:
        times = [time(h, m, second) for h in hours for m in minutes]
        fmt = "%H:%M:%S" if second else "%H:%M"
        return "at " + join([t.strftime(fmt) for t in times])
    text = "at minutes " + join([str(m) for m in minutes]) + " past the hours " + \
        join([f"{h:02d}" for h in hours])
    if second:
        text += f", second {second}"
    return text


def _hour_ranges(hours: tuple[int, ...]) -> str:
    ranges: list[tuple[int, int]] = []
    for h in sorted(hours):
        if ranges and ranges[-1][1] == h - 1:
            ranges[-1] = (ranges[-1][0], h)
        else:
            ranges.append((h, h))
    return "between " + join([f"{a:02d}:00 and {b:02d}:59" for a, b in ranges], "and between")


def _setpos(rule: Rule) -> str:
    if not rule.bysetpos:
        return ""
    unit = _UNITS[rule.freq]
    positions = join([ordinal(p) for p in sorted(rule.bysetpos, key=lambda p: (p < 0, abs(p)))])
    return f"only the {positions} of these in each {unit}"


def _weekday_setpos(rule: Rule) -> str | None:
    """MONTHLY/YEARLY;BYDAY=<plain days>;BYSETPOS=<one> → "on the last weekday"."""
    if (len(rule.bysetpos) != 1 or not rule.byday or any(n for n, _ in rule.byday)
            or rule.bymonthday or rule.byyearday or rule.byweekno or rule.byhour
            or rule.byminute or rule.bysecond or rule.freq not in ("MONTHLY", "YEARLY")):
        return None
    if rule.freq == "YEARLY" and rule.bymonth and len(rule.bymonth) > 1:
        return None
    days = tuple(wd for _, wd in rule.byday)
    words = _weekdays(days, "or")
    if words == "weekdays":
        name = "weekday"
    elif words == "weekends":
        name = "weekend day"
    elif len(days) == 1:
        name = DAY_NAMES[days[0]]
    else:
        name = f"day that is a {words}"
    text = f"on the {ordinal(rule.bysetpos[0])} {name}"
    if rule.freq == "YEARLY":
        text += f" of {MONTH_NAMES[rule.bymonth[0] - 1]}" if rule.bymonth else " of the year"
    return text


def _head(rule: Rule, start: Moment) -> str:
    rule = _defaults(rule, start)
    unit = _UNITS[rule.freq]
    single_weekday = rule.freq == "WEEKLY" and len(rule.byday) == 1 and not rule.bymonth
    if rule.interval == 1 and rule.freq == "MINUTELY" and rule.byminute:
        words = ["At minutes " + join([str(m) for m in rule.byminute]) + " past the hour"]
        rule = replace(rule, byminute=())
    elif rule.interval == 1:
        words = ["Every week" if single_weekday else _ONCE[rule.freq]]
    else:
        words = [f"Every {rule.interval} {unit}s"]
    special = _weekday_setpos(rule)
    used_months = False
    if special is not None:
        words.append(special)
        used_months = rule.freq == "YEARLY"
        setpos = ""
    else:
        day, used_months = _day_phrase(rule)
        if day:
            words.append(day)
        setpos = _setpos(rule)
    if rule.byweekno:
        weeks_in_order = sorted(rule.byweekno, key=lambda w: (w < 0, abs(w)))
        label = "week" if len(rule.byweekno) == 1 else "weeks"
        text = f"in {label} {join([str(w) for w in weeks_in_order])} of the year"
        if any(w < 0 for w in rule.byweekno):
            text = f"in the {join([ordinal(w) for w in weeks_in_order])} week of the year"
        if not rule.byday:
            text = "on every day " + text
        words.append(text)
    if rule.bymonth and not used_months:
        words.append(f"in {_months(rule.bymonth)}")
    times = _times(rule, start)
    if times:
        words.append(times)
    sentence = " ".join(words)
    if rule.wkst != 0 and (rule.byweekno or (rule.freq == "WEEKLY" and rule.interval > 1
                                             and len(rule.byday) > 1)):
        sentence += f" (weeks start on {DAY_NAMES[rule.wkst]})"
    if setpos:
        sentence += f", {setpos}"
    if rule.freq in ("MONTHLY", "YEARLY") and rule.bymonthday and not rule.byday:
        sentence += _skip_note(rule)
    return sentence


def _skip_note(rule: Rule) -> str:
    """Say so when some months lack the day (RFC 5545: such dates are skipped, not moved)."""
    if any(d < 0 for d in rule.bymonthday) or min(rule.bymonthday) <= 28:
        return ""
    months = rule.bymonth or tuple(range(1, 13))
    lengths = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30,
               12: 31}
    if all(lengths[m] >= max(rule.bymonthday) for m in months):
        return ""
    if rule.freq == "YEARLY" and len(months) == 1 and len(rule.bymonthday) == 1:
        return ""  # "29 February (only in leap years)" already says it
    return " (months without that day are skipped)"


def _ending(rule: Rule, start: Moment, tzid: str) -> str:
    if rule.count is not None:
        return ", once" if rule.count == 1 else f", {rule.count} times"
    until = until_local(rule, tzid)
    if until is None:
        return ""
    if not isinstance(until, datetime):
        return f", until {format_date(until)}"
    latest = _latest_time(rule, start)
    if latest is not None and until.time() >= latest:
        return f", until {format_date(until.date())}"
    if until.time() < _earliest_time(rule, start):  # none on its last day: a split series'
        return f", until {format_date(until.date() - timedelta(days=1))}"  # UNTIL is 1 s early
    return f", until {format_date(until.date())} at {until:%H:%M}"


def _earliest_time(rule: Rule, start: Moment) -> time:
    if not isinstance(start, datetime) or rule.freq in ("HOURLY", "MINUTELY"):
        return time(0, 0)
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    seconds = rule.bysecond or (start.second,)
    return time(min(hours), min(minutes), min(seconds))


def _latest_time(rule: Rule, start: Moment) -> time | None:
    if not isinstance(start, datetime) or rule.freq in ("HOURLY", "MINUTELY"):
        return time(23, 59)
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    second = rule.bysecond[0] if rule.bysecond else start.second
    return time(max(hours), max(minutes), second)


def describe_rule(rrule: str, start: Moment, tzid: str) -> str:
    """Plain English for RRULE text on a series starting at ``start`` (local) in ``tzid``.

    Raises the rule's ``RRuleSyntaxError``/``RRuleValueError`` if it is invalid.
    """
    rule = parse_for_start(rrule, start, tzid)
    return _head(rule, start) + _ending(rule, start, tzid)


def describe(series: Series) -> str | None:
    """Plain English for a series' recurrence; None for a one-off (no rule, no RDATEs)."""
    if series.rrule is None:
        if not series.rdates:
            return None
        dates = sorted({_day(series.start), *(_day(r) for r in series.rdates)})
        if len(dates) <= 4:
            return "On " + join([format_date(d) for d in dates])
        return f"On {len(dates)} dates from {format_date(dates[0])} to {format_date(dates[-1])}"
    text = describe_rule(series.rrule, series.start, series.tzid)
    extra = len(set(series.rdates) - {series.start})
    if extra:
        text += f", plus {extra} other date" + ("s" if extra > 1 else "")
    return text


def _day(value: Moment) -> date:
    return value.date() if isinstance(value, datetime) else value
