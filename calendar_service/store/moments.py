"""The contract's text forms of times, and their parsing.

Timed values are local wall times ``YYYY-MM-DDTHH:MM:SS`` in the event's zone (an input with a
UTC offset is converted into that zone); all-day values are dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from rules import Moment
from rules.limits import MAX_YEAR, MIN_YEAR

YEARS_MESSAGE = f"must be between the years {MIN_YEAR} and {MAX_YEAR}"
ALL_DAY_MESSAGE = "all-day events take a date (YYYY-MM-DD), not a date-time"
TIMED_MESSAGE = "needs a date and time (YYYY-MM-DDTHH:MM:SS) for a timed event"

_DAY = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}:?\d{2})?"
_DATE = re.compile(f"^{_DAY}$")
_DATETIME = re.compile(f"^{_DAY}{_TIME}$")
# Either form, for the OpenAPI document (whether each suits the event is checked on input).
MOMENT_PATTERN = f"^{_DAY}({_TIME})?$"


class MomentError(ValueError):
    """A time value that is not in the form the field needs; the message says which."""


def in_years(value: date) -> bool:
    """Whether a date or date-time falls in the years the engine accepts
    (``rules.limits.MIN_YEAR``–``MAX_YEAR``): check before computing an end or a duration
    from it, which could otherwise pass ``datetime``'s year 9999."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def parse_moment(value: object, *, all_day: bool, tzid: str) -> Moment:
    """Parse one contract time value: a date (all-day) or a local wall time in ``tzid``."""
    return place_moment(read_moment(value, all_day=all_day), all_day=all_day, tzid=tzid)


def read_moment(value: object, *, all_day: bool) -> Moment:
    """Read one contract time value: a date (all-day) or a date-time, aware when the text
    gives a UTC offset (``place_moment`` puts it into the event's zone)."""
    if not isinstance(value, str):
        raise MomentError("must be a string" + (" YYYY-MM-DD" if all_day else " date-time"))
    text = value.strip()
    if all_day:
        if not _DATE.match(text):
            raise MomentError(ALL_DAY_MESSAGE)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise MomentError(f"{text!r} is not a real date") from None
        if not in_years(day):
            raise MomentError(YEARS_MESSAGE)
        return day
    if _DATE.match(text):
        raise MomentError(TIMED_MESSAGE)
    if not _DATETIME.match(text):
        raise MomentError("is not a date-time of the form YYYY-MM-DDTHH:MM:SS")
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise MomentError(f"{text!r} is not a real date and time") from None
    if not in_years(parsed):  # before converting: the year 9999 plus an offset overflows
        raise MomentError(YEARS_MESSAGE)
    return parsed.replace(microsecond=0)


def place_moment(value: Moment, *, all_day: bool, tzid: str) -> Moment:
    """A draft's time as stored: of the event's kind (a date all-day, else a date-time, with
    the message ``parse_moment`` gives for the wrong one), an aware one as wall time in
    ``tzid``, within the engine's years."""
    if not isinstance(value, datetime):
        if not all_day:
            raise MomentError(TIMED_MESSAGE)
        if not in_years(value):
            raise MomentError(YEARS_MESSAGE)
        return value
    if all_day:
        raise MomentError(ALL_DAY_MESSAGE)
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(tzid)).replace(tzinfo=None)
    if not in_years(value):
        raise MomentError(YEARS_MESSAGE)
    return value.replace(microsecond=0)


def is_date_text(value: object) -> bool:
    """True for a plain ``YYYY-MM-DD`` string (used to infer all-day on create)."""
    return isinstance(value, str) and bool(_DATE.match(value.strip()))


def format_moment(value: Moment) -> str:
    """The contract's text for a local moment: a date, or a wall time to the second."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat()


def to_column(value: Moment) -> datetime:
    """Store dates as midnight in a DateTime column (the ``all_day`` flag says which it is)."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def from_column(value: datetime, all_day: bool) -> Moment:
    return value.date() if all_day else value


def parse_stored(value: str, all_day: bool) -> Moment:
    """Read back a value this module wrote (no validation of the zone needed)."""
    return date.fromisoformat(value) if all_day else datetime.fromisoformat(value)
