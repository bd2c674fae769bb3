"""A rule in words, as people say it, in the language of a ``Phrasebook`` (English by default).

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

This module decides which pattern fits a rule; the words are the phrasebook's
(``rules.phrasebook``), so a translation changes no code here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from enum import Enum

from rules.model import Moment, Series
from rules.phrasebook import ENGLISH, Phrasebook
from rules.recurrence import parse_for_start
from rules.rule_text import Rule, until_local


class _Days(Enum):
    """Sets of weekdays with a name of their own."""

    WEEKDAYS = (0, 1, 2, 3, 4)
    WEEKENDS = (5, 6)
    WHOLE_WEEK = (0, 1, 2, 3, 4, 5, 6)


def _group(days: tuple[int, ...]) -> _Days | None:
    """The named set the weekdays make up, if any."""
    listed = tuple(sorted(days))
    return next((group for group in _Days if group.value == listed), None)


def join(words: Phrasebook, items: list[str], conjunction: str | None = None) -> str:
    """["a"] → "a"; ["a", "b", "c"] → "a, b and c" (or ``conjunction`` instead of "and")."""
    if len(items) <= 1:
        return "".join(items)
    last = conjunction if conjunction is not None else words.and_word
    return f"{words.list_separator.join(items[:-1])} {last} {items[-1]}"


def format_date(words: Phrasebook, value: date) -> str:
    """24 December 2027."""
    return words.date.format(
        day=value.day, month=words.month_names[value.month - 1], year=value.year
    )


def _numbers(words: Phrasebook, values: tuple[int, ...] | list[int]) -> str:
    return join(words, [str(value) for value in values])


def _weekdays(words: Phrasebook, days: tuple[int, ...], conjunction: str | None = None) -> str:
    group = _group(days)
    if group is _Days.WEEKDAYS:
        return words.weekdays
    if group is _Days.WEEKENDS:
        return words.weekends
    if group is _Days.WHOLE_WEEK:
        return words.whole_week
    return join(words, [words.day_names[d] for d in sorted(days)], conjunction)


def _months(words: Phrasebook, months: tuple[int, ...]) -> str:
    return join(words, [words.month_names[m - 1] for m in months])


def _monthdays(words: Phrasebook, days: tuple[int, ...], conjunction: str | None = None) -> str:
    """(1, 15) → "the 1st and 15th"; (-1,) → "the last day"; (1, -1) → "the 1st and the last
    day"."""
    positives = [words.ordinal(d) for d in sorted(d for d in days if d > 0)]
    negatives = [words.ordinal(d) for d in sorted((d for d in days if d < 0), reverse=True)]
    phrases = []
    if positives:
        phrases.append(words.monthdays.format(days=join(words, positives, conjunction)))
    if negatives:
        phrases.append(words.monthdays_from_end.format(days=join(words, negatives, conjunction)))
    return join(words, phrases, conjunction)


def _nth_days(words: Phrasebook, byday: tuple[tuple[int, int], ...]) -> str:
    return join(
        words,
        [
            words.nth_weekday.format(ordinal=words.ordinal(n), day=words.day_names[wd])
            for n, wd in sorted(byday, key=lambda v: (v[0] < 0, abs(v[0]), v[1]))
        ],
    )


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


def _day_phrase(words: Phrasebook, rule: Rule) -> tuple[str, bool]:
    """Words for the day parts; the bool says whether BYMONTH was already used."""
    if _is_date_of_year(rule):
        return _date_of_year(words, rule), True
    pieces: list[str] = []
    if rule.byyearday:
        pieces.append(_yeardays(words, rule.byyearday))
    if rule.bymonthday:
        pieces.append(_monthdays(words, rule.bymonthday))
    plain = tuple(wd for n, wd in rule.byday if n == 0)
    nth = tuple((n, wd) for n, wd in rule.byday if n != 0)
    day_words: list[str] = []
    used_months = False
    if nth:
        text, used_months = _nth_phrase(words, rule, nth)
        day_words.append(text)
    if plain:
        day_words.append(_plain_phrase(words, rule.freq, plain))
    if pieces and day_words:
        kind = _day_kind(words, plain, nth, day_words)
        return words.on_when.format(days=join(words, pieces), kind=kind), used_months
    if pieces or day_words:
        return words.on.format(days=join(words, pieces or day_words)), used_months
    return "", used_months


def _is_date_of_year(rule: Rule) -> bool:
    """YEARLY on days of given months and nothing else: "on 24 December"."""
    return bool(
        rule.bymonthday
        and rule.freq == "YEARLY"
        and rule.bymonth
        and not rule.byday
        and not rule.byyearday
        and not rule.byweekno
    )


def _date_of_year(words: Phrasebook, rule: Rule) -> str:
    """ "on 24 December", "on the 24th and 26th of December"."""
    if len(rule.bymonthday) != 1 or len(rule.bymonth) != 1 or rule.bymonthday[0] <= 0:
        days = words.of_months.format(
            days=_monthdays(words, rule.bymonthday), months=_months(words, rule.bymonth)
        )
        return words.on.format(days=days)
    day, month = rule.bymonthday[0], rule.bymonth[0]
    text = words.day_of_month.format(day=day, month=words.month_names[month - 1])
    if (month, day) == (2, 29):
        text = words.leap_day.format(date=text)
    return words.on.format(days=text)


def _yeardays(words: Phrasebook, yeardays: tuple[int, ...]) -> str:
    days = sorted(yeardays, key=lambda d: (d < 0, abs(d)))
    if len(days) == 1:
        return words.yearday.format(ordinal=words.ordinal(days[0]))
    return words.yeardays.format(days=_numbers(words, days))


def _nth_phrase(
    words: Phrasebook, rule: Rule, nth: tuple[tuple[int, int], ...]
) -> tuple[str, bool]:
    """Words for BYDAY with ordinals ("the 2nd Tuesday", "… of March", "… of the year"); the bool
    says whether BYMONTH was used."""
    text = _nth_days(words, nth)
    if rule.freq != "YEARLY":
        return text, False
    if rule.bymonth and not rule.bymonthday and not rule.byyearday:
        return words.of_months.format(days=text, months=_months(words, rule.bymonth)), True
    if not rule.bymonth:
        return words.of_the_year.format(days=text), False
    return text, False


def _plain_phrase(words: Phrasebook, freq: str, plain: tuple[int, ...]) -> str:
    text = _weekdays(words, plain)
    if freq in ("WEEKLY", "DAILY", "HOURLY", "MINUTELY") or _group(plain) in (
        _Days.WEEKDAYS,
        _Days.WEEKENDS,
    ):
        return text
    return words.every_day_named.format(days=text)


def _day_kind(
    words: Phrasebook,
    plain: tuple[int, ...],
    nth: tuple[tuple[int, int], ...],
    day_words: list[str],
) -> str:
    """What the days must also be: "a Friday", "a weekday", "the last Friday or a Monday"."""
    if not plain or nth:
        return join(words, day_words, words.or_word)
    group = _group(plain)
    if group is _Days.WEEKDAYS:
        return words.a_weekday
    if group is _Days.WEEKENDS:
        return words.a_weekend_day
    return words.a_day.format(days=_weekdays(words, plain, words.or_word))


def _times(words: Phrasebook, rule: Rule, start: Moment) -> str:
    if not isinstance(start, datetime):
        return ""
    if rule.freq in ("MINUTELY", "HOURLY"):
        return _times_in_the_hour(words, rule)
    if not (rule.byhour or rule.byminute or rule.bysecond):
        return ""
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    second = rule.bysecond[0] if rule.bysecond else start.second
    if len(hours) * len(minutes) <= 8:
        fmt = words.time_with_seconds_format if second else words.time_format
        times = [time(h, m, second).strftime(fmt) for h in hours for m in minutes]
        return words.at_times.format(times=join(words, times))
    text = words.at_minutes_past_hours.format(
        minutes=_numbers(words, minutes), hours=join(words, [f"{h:02d}" for h in hours])
    )
    if second:
        text += words.and_second.format(second=second)
    return text


def _times_in_the_hour(words: Phrasebook, rule: Rule) -> str:
    """The hours, minutes and second of a MINUTELY or HOURLY rule."""
    parts = []
    if rule.byhour:
        parts.append(_hour_ranges(words, rule.byhour))
    if rule.byminute:
        minutes = (
            words.minutes_past_the_hour
            if rule.freq == "MINUTELY"
            else words.n_minutes_past_the_hour
        )
        parts.append(minutes.format(minutes=_numbers(words, rule.byminute)))
    if rule.bysecond:
        parts.append(words.at_second.format(second=rule.bysecond[0]))
    return words.clause_separator.join(parts)


def _hour_ranges(words: Phrasebook, hours: tuple[int, ...]) -> str:
    ranges: list[tuple[int, int]] = []
    for h in sorted(hours):
        if ranges and ranges[-1][1] == h - 1:
            ranges[-1] = (ranges[-1][0], h)
        else:
            ranges.append((h, h))
    return words.between.format(
        ranges=join(
            words, [words.hour_range.format(first=a, last=b) for a, b in ranges], words.and_between
        )
    )


def _setpos(words: Phrasebook, rule: Rule) -> str:
    if not rule.bysetpos:
        return ""
    in_order = sorted(rule.bysetpos, key=lambda p: (p < 0, abs(p)))
    positions = join(words, [words.ordinal(p) for p in in_order])
    return words.setpos.format(positions=positions, unit=words.unit[rule.freq])


def _weekday_setpos(words: Phrasebook, rule: Rule) -> str | None:
    """MONTHLY/YEARLY;BYDAY=<plain days>;BYSETPOS=<one> → "on the last weekday"."""
    if (
        len(rule.bysetpos) != 1
        or not rule.byday
        or any(n for n, _ in rule.byday)
        or rule.bymonthday
        or rule.byyearday
        or rule.byweekno
        or rule.byhour
        or rule.byminute
        or rule.bysecond
        or rule.freq not in ("MONTHLY", "YEARLY")
    ):
        return None
    if rule.freq == "YEARLY" and rule.bymonth and len(rule.bymonth) > 1:
        return None
    days = tuple(wd for _, wd in rule.byday)
    text = words.on_nth.format(
        ordinal=words.ordinal(rule.bysetpos[0]), name=_setpos_name(words, days)
    )
    if rule.freq != "YEARLY":
        return text
    if rule.bymonth:
        return words.of_months.format(days=text, months=words.month_names[rule.bymonth[0] - 1])
    return words.of_the_year.format(days=text)


def _setpos_name(words: Phrasebook, days: tuple[int, ...]) -> str:
    """What the days of "on the last weekday" are called."""
    group = _group(days)
    if group is _Days.WEEKDAYS:
        return words.setpos_weekday
    if group is _Days.WEEKENDS:
        return words.setpos_weekend_day
    if len(days) == 1:
        return words.day_names[days[0]]
    return words.setpos_day_that_is.format(days=_weekdays(words, days, words.or_word))


def _how_often(words: Phrasebook, rule: Rule) -> tuple[str, Rule]:
    """The sentence's first words, and the rule with what they said taken out."""
    if rule.interval == 1 and rule.freq == "MINUTELY" and rule.byminute:
        text = words.at_minutes_each_hour.format(minutes=_numbers(words, rule.byminute))
        return text, replace(rule, byminute=())
    if rule.interval != 1:
        return words.every_n[rule.freq](rule.interval).format(n=rule.interval), rule
    if rule.freq == "WEEKLY" and len(rule.byday) == 1 and not rule.bymonth:
        return words.every_week, rule
    return words.once_each[rule.freq], rule


def _weeks_of_year(words: Phrasebook, rule: Rule) -> str:
    """BYWEEKNO: "in weeks 1 and 2 of the year", "on every day in the last week of the year"."""
    weeks_in_order = sorted(rule.byweekno, key=lambda w: (w < 0, abs(w)))
    if any(w < 0 for w in rule.byweekno):
        ordinals = join(words, [words.ordinal(w) for w in weeks_in_order])
        text = words.in_nth_week.format(weeks=ordinals)
    else:
        text = words.in_weeks(len(weeks_in_order)).format(weeks=_numbers(words, weeks_in_order))
    if not rule.byday:
        return words.every_day_in.format(weeks=text)
    return text


def _head(words: Phrasebook, rule: Rule, start: Moment) -> str:
    rule = _defaults(rule, start)
    first, rule = _how_often(words, rule)
    parts = [first]
    special = _weekday_setpos(words, rule)
    setpos = ""
    if special is not None:
        parts.append(special)
        used_months = rule.freq == "YEARLY"
    else:
        day, used_months = _day_phrase(words, rule)
        parts.append(day)
        setpos = _setpos(words, rule)
    if rule.byweekno:
        parts.append(_weeks_of_year(words, rule))
    if rule.bymonth and not used_months:
        parts.append(words.in_months.format(months=_months(words, rule.bymonth)))
    parts.append(_times(words, rule, start))
    return words.word_separator.join(part for part in parts if part) + _notes(words, rule, setpos)


def _notes(words: Phrasebook, rule: Rule, setpos: str) -> str:
    """What follows the head: the week start where it matters, BYSETPOS, skipped months."""
    text = ""
    if rule.wkst != 0 and (
        rule.byweekno or (rule.freq == "WEEKLY" and rule.interval > 1 and len(rule.byday) > 1)
    ):
        text += words.weeks_start.format(day=words.day_names[rule.wkst])
    if setpos:
        text += words.clause_separator + setpos
    if rule.freq in ("MONTHLY", "YEARLY") and rule.bymonthday and not rule.byday:
        text += _skip_note(words, rule)
    return text


def _skip_note(words: Phrasebook, rule: Rule) -> str:
    """Say so when some months lack the day (RFC 5545: such dates are skipped, not moved)."""
    if any(d < 0 for d in rule.bymonthday) or min(rule.bymonthday) <= 28:
        return ""
    months = rule.bymonth or tuple(range(1, 13))
    lengths = {
        1: 31,
        2: 28,
        3: 31,
        4: 30,
        5: 31,
        6: 30,
        7: 31,
        8: 31,
        9: 30,
        10: 31,
        11: 30,
        12: 31,
    }
    if all(lengths[m] >= max(rule.bymonthday) for m in months):
        return ""
    if rule.freq == "YEARLY" and len(months) == 1 and len(rule.bymonthday) == 1:
        return ""  # "29 February (only in leap years)" already says it
    return words.months_skipped


def _ending(words: Phrasebook, rule: Rule, start: Moment, tzid: str) -> str:
    if rule.count is not None:
        return words.clause_separator + words.times(rule.count).format(n=rule.count)
    until = until_local(rule, tzid)
    if until is None:
        return ""
    if not isinstance(until, datetime):
        return words.clause_separator + words.until.format(date=format_date(words, until))
    latest = _latest_time(rule, start)
    if latest is not None and until.time() >= latest:
        return words.clause_separator + words.until.format(date=format_date(words, until.date()))
    if until.time() < _earliest_time(rule, start):  # none on its last day: a split series'
        last_day = until.date() - timedelta(days=1)  # UNTIL is 1 s early
        return words.clause_separator + words.until.format(date=format_date(words, last_day))
    return words.clause_separator + words.until_time.format(
        date=format_date(words, until.date()), time=until.strftime(words.time_format)
    )


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


def describe_rule(rrule: str, start: Moment, tzid: str, words: Phrasebook = ENGLISH) -> str:
    """RRULE text on a series starting at ``start`` (local) in ``tzid``, in ``words``' language.

    Raises the rule's ``RRuleSyntaxError``/``RRuleValueError`` if it is invalid.
    """
    rule = parse_for_start(rrule, start, tzid)
    return _head(words, rule, start) + _ending(words, rule, start, tzid)


def describe(series: Series, words: Phrasebook = ENGLISH) -> str | None:
    """A series' recurrence in ``words``' language; None for a one-off (no rule, no RDATEs)."""
    if series.rrule is None:
        if not series.rdates:
            return None
        dates = sorted({_day(series.start), *(_day(r) for r in series.rdates)})
        if len(dates) <= 4:
            return words.on_dates.format(dates=join(words, [format_date(words, d) for d in dates]))
        return words.on_n_dates(len(dates)).format(
            n=len(dates), first=format_date(words, dates[0]), last=format_date(words, dates[-1])
        )
    text = describe_rule(series.rrule, series.start, series.tzid, words)
    extra = len(set(series.rdates) - {series.start})
    if extra:
        text += words.clause_separator + words.plus_dates(extra).format(n=extra)
    return text


def _day(value: Moment) -> date:
    return value.date() if isinstance(value, datetime) else value
