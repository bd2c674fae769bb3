"""How occurrences read on a page: day headings, time ranges, date spans, grouping by day.

Pure functions of occurrences, a display zone and "today" (never the clock), so the agenda, the
month grid and the event page say times the same way, and tests can pin any date.  Timed
occurrences are shown in the display zone; all-day ones keep their own dates, as calendar
clients do (a conference on 12-16 July is on 12-16 July wherever you read it).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import rules
from calendar_service.store.models import Event
from calendar_service.store.occurrences import EventOccurrence
from calendar_service.web.filters import long_date, short_date

ONE_DAY = timedelta(days=1)


# Words ----------------------------------------------------------------------------------------


def clock(moment: datetime) -> str:
    """24-hour wall time, "14:00"."""
    return f"{moment:%H:%M}"


def zone_label(moment: datetime) -> str:
    """The abbreviation a reader expects beside a time ("GMT", "BST", "CET")."""
    return moment.tzname() or ""


def day_heading(day: date, today: date) -> str:
    """ "Today", "Tomorrow", else "Wednesday 27 January" (with the year when not this year's)."""
    if day == today:
        return "Today"
    if day == today + ONE_DAY:
        return "Tomorrow"
    return long_date(day, year=day.year != today.year)


def span_parts(first: date, last: date, today: date) -> tuple[str, str]:
    """The two ends of an inclusive day span, in few words: ("Mon 12", "Fri 16 July")."""
    show_year = first.year != last.year or first.year != today.year
    if first.year == last.year and first.month == last.month:
        return short_date(first, month=False), short_date(last, year=show_year)
    if first.year == last.year:
        return short_date(first), short_date(last, year=show_year)
    return short_date(first, year=True), short_date(last, year=True)


def date_span(first: date, last: date, today: date) -> str:
    """ "Mon 12 – Fri 16 July", "Mon 29 June – Fri 3 July", one day alone as "Mon 12 July"."""
    if first == last:
        return short_date(first, year=first.year != today.year)
    return " – ".join(span_parts(first, last, today))


# One occurrence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownOccurrence:
    """One occurrence as a page shows it, in a display zone.

    ``first_day``/``last_day`` are the inclusive local days it covers; ``start``/``end`` are the
    aware times in the display zone (None for all-day occurrences).
    """

    item: EventOccurrence
    first_day: date
    last_day: date
    start: datetime | None
    end: datetime | None
    tz: ZoneInfo

    @property
    def event(self) -> Event:
        return self.item.event

    @property
    def occurrence(self) -> rules.Occurrence:
        return self.item.occurrence

    @property
    def all_day(self) -> bool:
        return self.start is None

    @property
    def multi_day(self) -> bool:
        return self.last_day > self.first_day

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def location(self) -> str:
        return self.item.location

    @property
    def description(self) -> str:
        return self.item.description

    @property
    def own_description(self) -> str:
        return self.item.own_description

    @property
    def note(self) -> str:
        return self.item.note

    @property
    def cancelled(self) -> bool:
        return self.item.cancelled

    @property
    def status(self) -> str:
        """confirmed, tentative or cancelled, for this one occurrence."""
        return self.item.status

    @property
    def recurrence_id(self) -> str | None:
        """The contract's text of the recurrence id, for links to this occurrence."""
        from calendar_service.store.moments import format_moment

        rid = self.occurrence.recurrence_id
        return None if rid is None else format_moment(rid)

    def when_parts(self, today: date) -> tuple[str, str | None]:
        """The start and end of the time range in words: ("14:00", "15:00"), ("All day", None),
        ("Mon 12", "Fri 16 July"); the end is None when there is nothing to add."""
        if self.start is None or self.end is None:
            if self.multi_day:
                return span_parts(self.first_day, self.last_day, today)
            return "All day", None
        if not self.multi_day:
            return clock(self.start), None if self.end == self.start else clock(self.end)
        year = self.first_day.year != today.year or self.last_day.year != today.year
        return (
            f"{short_date(self.first_day, year=year)} {clock(self.start)}",
            f"{short_date(self.last_day, year=year)} {clock(self.end)}",
        )

    def when(self, today: date) -> str:
        """The time range in words: "14:00 – 15:00", "All day", "Mon 12 – Fri 16 July"."""
        start, end = self.when_parts(today)
        return start if end is None else f"{start} – {end}"

    @property
    def start_attr(self) -> str:
        """The machine-readable start for ``<time datetime>``."""
        return self.first_day.isoformat() if self.start is None else self.start.isoformat()

    @property
    def end_attr(self) -> str:
        """The machine-readable end: the last day of an all-day span, else the end time."""
        return self.last_day.isoformat() if self.end is None else self.end.isoformat()

    def when_long(self, today: date) -> str:
        """The day and time range, for pages about one occurrence."""
        if self.multi_day:
            return self.when(today)
        day = long_date(self.first_day, year=self.first_day.year != today.year)
        return day if self.all_day else f"{day}, {self.when(today)}"

    def zone(self) -> str:
        """The zone abbreviation of a timed occurrence ("GMT"), empty for all-day ones."""
        return "" if self.start is None else zone_label(self.start)

    def end_zone(self) -> str:
        """The end's own zone abbreviation where a clock change lies between start and end
        ("23:30 GMT – 03:30 BST"); empty when the start's applies to both."""
        if self.start is None or self.end is None:
            return ""
        label = zone_label(self.end)
        return "" if label == zone_label(self.start) else label

    def moved_from(self) -> str | None:
        """ "Wed 27 January 14:00" when an override moved this occurrence, else None."""
        rid = self.occurrence.recurrence_id
        if not self.occurrence.moved or rid is None:
            return None
        if isinstance(rid, datetime):
            original = rules.to_utc(rid, self.item.event.timezone).astimezone(self.tz)
            return f"{short_date(original.date())} {clock(original)}"
        return short_date(rid)


def shown(item: EventOccurrence, tz: ZoneInfo) -> ShownOccurrence:
    """Place one occurrence on the calendar of a display zone."""
    occurrence = item.occurrence
    if not isinstance(occurrence.start, datetime):
        first = occurrence.start
        end = occurrence.end
        assert isinstance(end, date)
        last = max(first, end - ONE_DAY)
        return ShownOccurrence(item, first, last, None, None, tz)
    start = occurrence.start_utc.astimezone(tz)
    end_local = occurrence.end_utc.astimezone(tz)
    # An end at midnight closes the previous day: a 22:00-00:00 party is on one day.
    last = (end_local - timedelta(microseconds=1)).date() if end_local > start else start.date()
    return ShownOccurrence(item, start.date(), max(start.date(), last), start, end_local, tz)


# Agenda days ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An occurrence under one day heading; ``ongoing`` when it began on an earlier day."""

    item: ShownOccurrence
    ongoing: bool


@dataclass
class Day:
    day: date
    heading: str
    entries: list[Entry] = field(default_factory=list)


def agenda_days(items: Iterable[ShownOccurrence], first_day: date, today: date) -> list[Day]:
    """Occurrences grouped under the day they start, in order.

    Multi-day occurrences are item once, on their first day, or on ``first_day`` when they
    began before it (so a conference in progress is still on the agenda while it runs).
    """
    days: dict[date, Day] = {}
    for item in items:
        day = max(item.first_day, first_day)
        if day not in days:
            days[day] = Day(day, day_heading(day, today))
        days[day].entries.append(Entry(item, ongoing=item.first_day < day))
    return [days[key] for key in sorted(days)]


# Month grid -----------------------------------------------------------------------------------


@dataclass
class Cell:
    day: date
    in_month: bool
    entries: list[Entry] = field(default_factory=list)


def month_grid(year: int, month: int, items: Sequence[ShownOccurrence]) -> list[list[Cell]]:
    """Weeks (Monday first) of cells; a multi-day occurrence is in every cell it covers."""
    weeks = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    cells = {day: Cell(day, day.month == month) for week in weeks for day in week}
    for item in items:
        day = item.first_day
        while day <= item.last_day:
            if day in cells:
                cells[day].entries.append(Entry(item, ongoing=day > item.first_day))
            day += ONE_DAY
    return [[cells[day] for day in week] for week in weeks]


def grid_bounds(year: int, month: int) -> tuple[date, date]:
    """The first day the month's grid shows and the day after its last."""
    weeks = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return weeks[0][0], weeks[-1][-1] + ONE_DAY
