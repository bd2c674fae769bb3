"""The recurrence domain as frozen values.

A series is local wall time plus an IANA zone name (or dates for all-day events), a duration, an
optional RRULE and its exceptions.  Occurrences are compared and sorted as aware UTC.  Every value
checks its own invariants when created so that a series which exists can always be expanded.

Naming: ``*_utc`` is an aware UTC datetime; ``start``/``end`` of a series or override are naive
local wall times in ``tzid`` (timed) or ``date`` values (all-day); ``recurrence_id`` is the original
start of an instance as the series generates it, in the start's own type (RFC 5545 §3.8.4.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

Moment = datetime | date
"""A naive local wall-clock datetime (timed series) or a date (all-day series)."""

Status = Literal["confirmed", "tentative", "cancelled"]


@dataclass(frozen=True)
class Window:
    """A half-open span of time [start_utc, end_utc), both aware.

    An occurrence is in the window when it overlaps it: it starts before ``end_utc`` and ends after
    ``start_utc`` (a zero-length occurrence is in it when ``start_utc <= start < end_utc``).
    """

    start_utc: datetime
    end_utc: datetime

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None or self.end_utc.tzinfo is None:
            raise ValueError("window bounds must be aware datetimes")
        object.__setattr__(self, "start_utc", self.start_utc.astimezone(UTC))
        object.__setattr__(self, "end_utc", self.end_utc.astimezone(UTC))
        if self.end_utc <= self.start_utc:
            raise ValueError("a window must end after it starts")

    @property
    def span(self) -> timedelta:
        return self.end_utc - self.start_utc


@dataclass(frozen=True)
class Override:
    """A change to one instance of a series, keyed by its ``recurrence_id``.

    ``start``/``end`` are the moved local times (same type as the series' start; None keeps the
    generated ones); ``cancelled`` removes the instance from what subscribers see while the
    expansion still returns it, marked, so pages can show "cancelled".
    """

    recurrence_id: Moment
    start: Moment | None = None
    end: Moment | None = None
    title: str | None = None
    location: str | None = None
    description: str | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class Series:
    """One event or recurring series.

    ``start``/``end``: naive local wall times in ``tzid`` for a timed series, or dates (``end``
    exclusive) for an all-day one.  ``rrule`` is RFC 5545 RRULE value text (validated and
    normalised on creation), ``rdates``/``exdates`` are of the start's type, ``overrides`` are
    keyed by recurrence id.  ``key`` identifies the series to the caller (the event's UID).
    Raises ``rules.errors.RulesError`` subclasses when the fields are inconsistent.
    """

    start: Moment
    end: Moment
    tzid: str
    rrule: str | None = None
    rdates: tuple[Moment, ...] = ()
    exdates: tuple[Moment, ...] = ()
    overrides: tuple[Override, ...] = ()
    key: str = ""

    def __post_init__(self) -> None:
        from rules.validate import validate_series  # the checks live beside the parser

        validate_series(self)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start  # type: ignore[operator]


@dataclass(frozen=True)
class Occurrence:
    """One instance of a series that overlaps the requested window.

    ``start``/``end`` are aware datetimes in the series' zone (timed) or dates (all-day, ``end``
    exclusive); ``start_utc``/``end_utc`` are the same instants in UTC (for all-day: local midnight
    to midnight in the series' zone) and are what occurrences are sorted and compared by.
    ``recurrence_id`` is None for a series with no RRULE and no RDATE.  ``title``, ``location`` and
    ``description`` are an override's values, None where the series' own apply.
    """

    series: Series = field(repr=False, compare=False)
    recurrence_id: Moment | None
    start: Moment
    end: Moment
    start_utc: datetime
    end_utc: datetime
    cancelled: bool = False
    moved: bool = False
    title: str | None = None
    location: str | None = None
    description: str | None = None

    @property
    def all_day(self) -> bool:
        return self.series.all_day


@dataclass(frozen=True)
class Expansion:
    """What ``expand`` returns: occurrences in start order and whether the limit cut any."""

    occurrences: tuple[Occurrence, ...]
    truncated: bool = False
