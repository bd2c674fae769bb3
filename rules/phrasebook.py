"""The words ``rules.describe`` puts a rule into, so that a rule can be described in any language.

A ``Phrasebook`` holds every word and sentence pattern of a description: weekday and month
names, ordinals, "every", "until", "times"… ``rules.describe`` only chooses which pattern fits
a rule and fills it in.  English (``ENGLISH``) is built in; a translation is another
``Phrasebook`` handed to ``describe`` (the web layer makes one from its message catalogue, so
this package needs no gettext and no Flask).  ``dataclasses.replace(ENGLISH, …)`` makes a
variant.

Patterns are ``str.format`` templates with named fields, so a language may put the fields in
any order.  Words that depend on a count (``Plural``) are functions of the count returning the
template for it, as gettext's ``ngettext`` does, so a language may have several plural forms or
an idiom for one count ("every other week" for 2).  Every template is documented with the
fields it gets; a field is text already in the phrasebook's language unless it says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Plural = Callable[[int], str]
"""A count → the template for that count (which may use the count again as ``{n}``)."""


@dataclass(frozen=True, eq=False)
class Phrasebook:
    """The words of one language for describing recurrence rules (RFC 5545 §3.3.10).

    ``FREQ``-keyed mappings have the six frequencies the engine accepts as keys (``YEARLY``,
    ``MONTHLY``, ``WEEKLY``, ``DAILY``, ``HOURLY``, ``MINUTELY``).
    """

    day_names: tuple[str, ...]
    """Monday first, as Python's ``date.weekday()`` counts."""
    month_names: tuple[str, ...]
    """January first."""
    ordinal: Callable[[int], str]
    """A position, counted from the end when negative: 1 → "1st", -1 → "last"."""
    and_word: str
    """Between the last two items of a list: "a, b and c"."""
    or_word: str
    """Between the last two alternatives: "a Monday or Friday"."""
    list_separator: str
    """Between the other items of a list."""
    clause_separator: str
    """Before a clause added to the sentence: ", 5 times"."""
    word_separator: str
    """Between the parts of the sentence's head."""
    date: str
    """A calendar date: ``{day}`` (a number), ``{month}`` (a name), ``{year}`` (a number)."""
    time_format: str
    """``strftime`` pattern of a time of day."""
    time_with_seconds_format: str
    """``strftime`` pattern of a time of day whose seconds are not zero."""

    # How often.
    once_each: Mapping[str, str]
    """INTERVAL=1, by FREQ: "Monthly"."""
    every_week: str
    """WEEKLY, INTERVAL=1, on one weekday: "Every week" (then "on Wednesday")."""
    every_n: Mapping[str, Plural]
    """INTERVAL > 1, by FREQ, of ``{n}``: "Every {n} weeks"."""
    at_minutes_each_hour: str
    """MINUTELY, INTERVAL=1 with BYMINUTE, of ``{minutes}``: "At minutes 0 and 30 past the
    hour"."""
    unit: Mapping[str, str]
    """The period of each FREQ, as ``setpos`` counts in it: "month"."""

    # Which days.
    weekdays: str
    """Monday to Friday."""
    weekends: str
    """Saturday and Sunday."""
    whole_week: str
    """All seven days."""
    every_day_named: str
    """Weekdays of MONTHLY or YEARLY rules, of ``{days}``: "every Monday and Friday"."""
    nth_weekday: str
    """``{ordinal}`` ``{day}``: "the last Wednesday"."""
    monthdays: str
    """Days of the month counted from its start, of ``{days}`` (ordinals): "the 1st and 15th"."""
    monthdays_from_end: str
    """Days counted from the month's end, of ``{days}`` (ordinals): "the last day"."""
    yearday: str
    """One day of the year, of ``{ordinal}``: "the 100th day of the year"."""
    yeardays: str
    """Several days of the year, of ``{days}`` (numbers): "days 100 and 200 of the year"."""
    of_months: str
    """Days of given months, of ``{days}`` and ``{months}``: "the 2nd Tuesday of March"."""
    of_the_year: str
    """Days counted in the year, of ``{days}``: "the 2nd Tuesday of the year"."""
    on: str
    """The days a rule falls on, of ``{days}``: "on the last Wednesday"."""
    on_when: str
    """Days that must also be certain weekdays, of ``{days}`` and ``{kind}``: "on the 13th when
    that is a Friday"."""
    a_day: str
    """One of some weekdays, of ``{days}``: "a Friday", "a Monday or Friday"."""
    a_weekday: str
    """Any of Monday to Friday, as ``kind`` of ``on_when``."""
    a_weekend_day: str
    """Saturday or Sunday, as ``kind`` of ``on_when``."""
    day_of_month: str
    """One date of every year, of ``{day}`` (a number) and ``{month}``: "24 December"."""
    leap_day: str
    """29 February, of ``{date}`` (``day_of_month``): "29 February (only in leap years)"."""
    on_nth: str
    """The n-th of some days of each period (BYSETPOS), of ``{ordinal}`` and ``{name}``: "on the
    last weekday"."""
    setpos_weekday: str
    """``name`` of ``on_nth`` for Monday to Friday."""
    setpos_weekend_day: str
    """``name`` of ``on_nth`` for Saturday and Sunday."""
    setpos_day_that_is: str
    """``name`` of ``on_nth`` for other sets of weekdays, of ``{days}``."""
    setpos: str
    """BYSETPOS otherwise, of ``{positions}`` (ordinals) and ``{unit}``: "only the last of these
    in each month"."""
    in_weeks: Plural
    """BYWEEKNO with positive numbers, of ``{weeks}`` (numbers): "in weeks 1 and 2 of the
    year"."""
    in_nth_week: str
    """BYWEEKNO counting from the end, of ``{weeks}`` (ordinals): "in the last week of the
    year"."""
    every_day_in: str
    """BYWEEKNO without days, of ``{weeks}`` (``in_weeks`` or ``in_nth_week``)."""
    in_months: str
    """BYMONTH, of ``{months}``: "in January and July"."""
    weeks_start: str
    """WKST where it matters, of ``{day}``: " (weeks start on Sunday)"."""
    months_skipped: str
    """After days some months lack (RFC 5545 skips them): " (months without that day are
    skipped)"."""

    # At what times.
    between: str
    """BYHOUR of HOURLY and MINUTELY rules, of ``{ranges}``."""
    hour_range: str
    """One run of hours, of ``{first}`` and ``{last}`` (numbers): "09:00 and 10:59"."""
    and_between: str
    """Between the last two runs of hours."""
    minutes_past_the_hour: str
    """BYMINUTE of MINUTELY rules, of ``{minutes}`` (numbers)."""
    n_minutes_past_the_hour: str
    """BYMINUTE of HOURLY rules, of ``{minutes}`` (numbers)."""
    at_second: str
    """BYSECOND of HOURLY and MINUTELY rules, of ``{second}`` (a number)."""
    at_times: str
    """A few times of day, of ``{times}``: "at 09:00 and 17:00"."""
    at_minutes_past_hours: str
    """Many times of day, of ``{minutes}`` and ``{hours}`` (numbers)."""
    and_second: str
    """The second of ``at_minutes_past_hours``, of ``{second}`` (a number)."""

    # Ending.
    times: Plural
    """COUNT, of ``{n}``: "once", "5 times"."""
    until: str
    """UNTIL, of ``{date}``: "until 24 December 2027"."""
    until_time: str
    """UNTIL cutting its last day short, of ``{date}`` and ``{time}``."""
    plus_dates: Plural
    """RDATEs beside a rule, of ``{n}``: "plus 2 other dates"."""
    on_dates: str
    """A few dates without a rule, of ``{dates}``: "On 1 May 2027 and 5 June 2027"."""
    on_n_dates: Plural
    """Many dates without a rule, of ``{n}``, ``{first}`` and ``{last}``."""


def english_ordinal(n: int) -> str:
    """1 → "1st", 22 → "22nd", -1 → "last", -2 → "2nd-to-last"."""
    if n == -1:
        return "last"
    if n < 0:
        return f"{english_ordinal(-n)}-to-last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(one: str, other: str) -> Plural:
    """The templates of a language with one plural form besides the singular (English)."""
    return lambda n: one if n == 1 else other


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
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
_UNITS = {
    "YEARLY": "year",
    "MONTHLY": "month",
    "WEEKLY": "week",
    "DAILY": "day",
    "HOURLY": "hour",
    "MINUTELY": "minute",
}

ENGLISH = Phrasebook(
    day_names=DAY_NAMES,
    month_names=MONTH_NAMES,
    ordinal=english_ordinal,
    and_word="and",
    or_word="or",
    list_separator=", ",
    clause_separator=", ",
    word_separator=" ",
    date="{day} {month} {year}",
    time_format="%H:%M",
    time_with_seconds_format="%H:%M:%S",
    once_each={
        "YEARLY": "Annually",
        "MONTHLY": "Monthly",
        "WEEKLY": "Weekly",
        "DAILY": "Daily",
        "HOURLY": "Hourly",
        "MINUTELY": "Every minute",
    },
    every_week="Every week",
    every_n={
        freq: plural(f"Every {{n}} {unit}", f"Every {{n}} {unit}s") for freq, unit in _UNITS.items()
    },
    at_minutes_each_hour="At minutes {minutes} past the hour",
    unit=_UNITS,
    weekdays="weekdays",
    weekends="weekends",
    whole_week="every day of the week",
    every_day_named="every {days}",
    nth_weekday="the {ordinal} {day}",
    monthdays="the {days}",
    monthdays_from_end="the {days} day",
    yearday="the {ordinal} day of the year",
    yeardays="days {days} of the year",
    of_months="{days} of {months}",
    of_the_year="{days} of the year",
    on="on {days}",
    on_when="on {days} when that is {kind}",
    a_day="a {days}",
    a_weekday="a weekday",
    a_weekend_day="a weekend",
    day_of_month="{day} {month}",
    leap_day="{date} (only in leap years)",
    on_nth="on the {ordinal} {name}",
    setpos_weekday="weekday",
    setpos_weekend_day="weekend day",
    setpos_day_that_is="day that is a {days}",
    setpos="only the {positions} of these in each {unit}",
    in_weeks=plural("in week {weeks} of the year", "in weeks {weeks} of the year"),
    in_nth_week="in the {weeks} week of the year",
    every_day_in="on every day {weeks}",
    in_months="in {months}",
    weeks_start=" (weeks start on {day})",
    months_skipped=" (months without that day are skipped)",
    between="between {ranges}",
    hour_range="{first:02d}:00 and {last:02d}:59",
    and_between="and between",
    minutes_past_the_hour="at minutes {minutes} past the hour",
    n_minutes_past_the_hour="at {minutes} minutes past the hour",
    at_second="at second {second}",
    at_times="at {times}",
    at_minutes_past_hours="at minutes {minutes} past the hours {hours}",
    and_second=", second {second}",
    times=plural("once", "{n} times"),
    until="until {date}",
    until_time="until {date} at {time}",
    plus_dates=plural("plus {n} other date", "plus {n} other dates"),
    on_dates="On {dates}",
    on_n_dates=plural("On {n} date from {first} to {last}", "On {n} dates from {first} to {last}"),
)
"""The built-in language: the words the service has always used."""

PHRASEBOOKS: Mapping[str, Phrasebook] = {"en": ENGLISH}
"""The phrasebooks this package holds, by language code (translations are handed in)."""


def phrasebook_for(language: str) -> Phrasebook:
    """The phrasebook of a language code ("en", "en-GB", "en_US"); English for one this package
    does not hold, as gettext falls back to the untranslated text."""
    primary = language.replace("_", "-").split("-")[0].lower()
    return PHRASEBOOKS.get(primary, ENGLISH)
