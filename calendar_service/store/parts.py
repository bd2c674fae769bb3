"""One logical series in parts: what a "this and following" change leaves behind.

``split`` ends a series before a date and starts a new series there (a new UID), because two
plain series are what every subscriber's client understands.  For organisers they stay one
series: each later part names the one it continues (``Event.continues_id``), the dashboard shows
the latest part only, and pages link each part to the next and the previous.  The parts form a
chain, oldest first; splitting a part that already had a continuation puts the new part in
between, so the chain never forks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import Event
from calendar_service.store.permissions import Drafts, shows

# No logical series of real use has this many parts; the bound keeps a corrupt chain finite.
MAX_PARTS = 1000


def earlier_part(event: Event) -> Event | None:
    """The part this one continues, if any."""
    if event.continues_id is None:
        return None
    return db.session.get(Event, event.continues_id)


def later_part(event: Event) -> Event | None:
    """The part that continues this one, if any."""
    if event.id is None:
        return None
    return db.session.scalar(
        select(Event).where(Event.continues_id == event.id).order_by(Event.id).limit(1)
    )


def parts_of(event: Event) -> list[Event]:
    """Every part of the event's logical series, oldest first (the event alone if unsplit)."""
    parts = [event]
    seen = {event.id}
    earlier = earlier_part(event)
    while earlier is not None and earlier.id not in seen and len(parts) < MAX_PARTS:
        parts.insert(0, earlier)
        seen.add(earlier.id)
        earlier = earlier_part(earlier)
    later = later_part(event)
    while later is not None and later.id not in seen and len(parts) < MAX_PARTS:
        parts.append(later)
        seen.add(later.id)
        later = later_part(later)
    return parts


def link(earlier: Event, successor: Event) -> None:
    """Make ``successor`` continue ``earlier``; a part that continued ``earlier`` until now
    continues ``successor`` instead.  Both must be flushed (have ids)."""
    before = later_part(earlier)
    successor.continues_id = earlier.id
    if before is not None and before is not successor:
        before.continues_id = successor.id
    db.session.flush()


def continued(events: Iterable[Event]) -> set[int]:
    """The ids of the parts that a later one among ``events`` continues: the rows a list of
    logical series leaves out, as the latest part stands for them."""
    return {event.continues_id for event in events if event.continues_id is not None}


Neighbours = dict[int, tuple[str | None, str | None]]


def neighbours(events: Sequence[Event], *, drafts: Drafts) -> Neighbours:
    """For each event (by id), the uids of the part it continues and of the part that continues
    it, in two queries however many events; a draft part is None unless ``drafts`` shows it
    (``permissions.Drafts``: a part moved to another calendar is that calendar's draft), so an
    answer never names an event it would not show."""
    ids = [event.id for event in events]
    earlier_ids = {event.continues_id for event in events if event.continues_id is not None}
    earlier: dict[int, str] = {}
    if earlier_ids:
        for row in db.session.execute(
            select(Event.id, Event.uid, Event.published, Event.calendar_id).where(
                Event.id.in_(sorted(earlier_ids))
            )
        ):
            if shows(drafts, row.published, row.calendar_id):
                earlier[row.id] = row.uid
    later: dict[int, str | None] = {}
    if ids:
        for continued_id, uid, published, calendar_id in db.session.execute(
            select(Event.continues_id, Event.uid, Event.published, Event.calendar_id)
            .where(Event.continues_id.in_(ids))
            .order_by(Event.id)
        ):
            if continued_id is not None:
                later.setdefault(
                    continued_id, uid if shows(drafts, published, calendar_id) else None
                )
    return {
        event.id: (
            earlier.get(event.continues_id) if event.continues_id else None,
            later.get(event.id),
        )
        for event in events
    }
