"""What one calendar's repeating events may cost together, checked when an event is written.

``rules.check_overlap`` bounds one series (at most ``rules.limits.MAX_OVERLAP`` occurrences in
progress at once), and every read spends a budget (``budget``), but a calendar of five thousand
series each just under the series' bound would still make each of its pages leave most of them
out.  So a calendar may hold at most ``MAX_SERIES`` repeating events, whose occurrences together
may be at most ``MAX_IN_PROGRESS`` in progress at any one instant and start at most ``MAX_A_DAY``
on any one day (each estimated from the rule's parts, RDATEs and duration by ``rules.at_once``,
summed over the calendar's series, whenever they occur).  A write that would take the calendar
past one is refused with a ``ValidationError`` naming the limit; a write that keeps or lowers
what the event adds is never refused, so a calendar already past a limit (an older database)
can still be edited down.  One-off events cost a page at most a page's worth and count for none.

The calendar's totals are read once per transaction and kept up to date by the writes it
makes, so an import of thousands of events reads them once, not once per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, or_, select

import rules
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import from_column, parse_stored

MAX_SERIES = 10_000
MAX_IN_PROGRESS = 20_000
MAX_A_DAY = 100_000
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Load:
    """What one event adds to its calendar: 1 series when it repeats, its occurrences that can
    be in progress at once, and those that can start on one day (0, 0, 0 for a one-off)."""

    series: int = 0
    in_progress: int = 0
    a_day: int = 0

    def __add__(self, other: Load) -> Load:
        return Load(
            self.series + other.series,
            self.in_progress + other.in_progress,
            self.a_day + other.a_day,
        )

    def __sub__(self, other: Load) -> Load:
        return Load(
            self.series - other.series,
            self.in_progress - other.in_progress,
            self.a_day - other.a_day,
        )


NONE = Load()


def load_of(series: rules.Series) -> Load:
    """What this series adds to its calendar."""
    if series.rrule is None and not series.rdates:
        return NONE
    return Load(1, rules.at_once(series), rules.at_once(series, _DAY))


@lru_cache(maxsize=20_000)
def _stored_load(
    rrule: str | None,
    start: datetime,
    end: datetime,
    tzid: str,
    all_day: bool,
    rdates: tuple[str, ...],
) -> Load:
    """``load_of`` a stored row's series (cached: a calendar's rows are read at every write
    that checks it, and each row's values name its series)."""
    try:
        series = rules.Series(
            start=from_column(start, all_day),
            end=from_column(end, all_day),
            tzid=tzid,
            rrule=rrule,
            rdates=tuple(parse_stored(value, all_day) for value in rdates),
        )
        return load_of(series)
    except (rules.RulesError, ValueError, OverflowError):
        return Load(1, 1, 1)  # a row the engine no longer reads expands to nothing


@dataclass
class _Held:
    """A calendar's loads by event uid, and their sum, as of this transaction."""

    transaction: object
    loads: dict[str, Load]
    total: Load


_KEY = "calendar_limits"


def _held(calendar: Calendar) -> _Held:
    """The calendar's loads, read once per transaction (a write made since is in them)."""
    kept: dict[int, _Held] = db.session.info.setdefault(_KEY, {})
    held = kept.get(calendar.id)
    if held is not None and held.transaction is db.session().get_transaction():
        return held
    rows = db.session.execute(
        select(
            Event.uid,
            Event.rrule,
            Event.start_local,
            Event.end_local,
            Event.timezone,
            Event.all_day,
            Event.rdates,
        ).where(
            Event.calendar_id == calendar.id,
            or_(
                Event.rrule.is_not(None), func.coalesce(func.json_array_length(Event.rdates), 0) > 0
            ),
        )
    )
    loads = {
        row.uid: _stored_load(
            row.rrule,
            row.start_local,
            row.end_local,
            row.timezone,
            row.all_day,
            tuple(row.rdates or ()),
        )
        for row in rows
    }
    total = NONE
    for load in loads.values():
        total = total + load
    # Read after the query, which began the transaction if none had.
    held = _Held(db.session().get_transaction(), loads, total)
    kept[calendar.id] = held
    return held


def admit(
    calendar: Calendar, uid: str, series: rules.Series, *, replacing: Event | None = None
) -> None:
    """Count the event ``uid`` with this series in ``calendar``, or raise ValidationError (on
    ``rrule`` or ``end``) saying which of the calendar's limits it would pass.

    ``replacing``: the stored event this series replaces, as it is before the change; a change
    within the same calendar that adds nothing to what it stored (a new title, a shorter
    occurrence) is never refused, and reads nothing."""
    new = load_of(series)
    if not calendar.id:
        return  # a calendar not flushed yet: nothing stored in it to add to
    if replacing is not None and replacing.calendar_id == calendar.id:
        before = stored_load(replacing)
        if (
            new.series <= before.series
            and new.in_progress <= before.in_progress
            and new.a_day <= before.a_day
        ):
            _keep(calendar, uid, new)
            return
    held = _held(calendar)
    old = held.loads.get(uid, NONE)
    if new == old:
        return
    after = held.total - old + new
    _check(calendar, old, new, after)
    held.loads[uid] = new
    held.total = after


def stored_load(event: Event) -> Load:
    """What the stored event adds to its calendar."""
    return _stored_load(
        event.rrule,
        event.start_local,
        event.end_local,
        event.timezone,
        event.all_day,
        tuple(event.rdates or ()),
    )


def _keep(calendar: Calendar, uid: str, load: Load) -> None:
    """Update the calendar's totals, where this transaction holds them, for ``uid``'s load."""
    kept: dict[int, _Held] = db.session.info.get(_KEY, {})
    held = kept.get(calendar.id)
    if held is not None:
        held.total = held.total - held.loads.get(uid, NONE) + load
        held.loads[uid] = load


def forget(calendar: Calendar, uid: str) -> None:
    """The event ``uid`` left the calendar (deleted or moved) in this transaction."""
    kept: dict[int, _Held] = db.session.info.get(_KEY, {})
    held = kept.get(calendar.id)
    if held is not None and uid in held.loads:
        held.total = held.total - held.loads.pop(uid)


def _check(calendar: Calendar, old: Load, new: Load, after: Load) -> None:
    name = calendar.name
    if new.series > old.series and after.series > MAX_SERIES:
        raise ValidationError(
            {
                "rrule": (
                    f"{name} holds {after.series - 1:,} repeating events, "
                    "the most one calendar may "
                    f"hold is {MAX_SERIES:,}: end or delete some of them first, or make this a "
                    "one-off event"
                )
            }
        )
    if new.in_progress > old.in_progress and after.in_progress > MAX_IN_PROGRESS:
        raise ValidationError(
            {
                "end": (
                    f"with this event, the occurrences of {name}'s repeating events could be "
                    f"{after.in_progress:,} in progress at once, "
                    f"and at most {MAX_IN_PROGRESS:,} may "
                    "be across a calendar: make its occurrences shorter or let them repeat less "
                    "often"
                )
            }
        )
    if new.a_day > old.a_day and after.a_day > MAX_A_DAY:
        raise ValidationError(
            {
                "rrule": (
                    f"with this event, {name}'s repeating events could start {after.a_day:,} "
                    f"occurrences on one day, and at most {MAX_A_DAY:,} may across a calendar: let "
                    "it repeat less often"
                )
            }
        )
