"""One logical series in parts: what a "this and following" change leaves behind.

``split`` ends a series before a date and starts a new series there (a new UID), because two
plain series are what every subscriber's client understands.  For organisers they stay one
series: each later part names the one it continues (``Event.continues_id``), the dashboard shows
the latest part only, and pages link each part to the next and the previous.  The parts form a
chain, oldest first; splitting a part that already had a continuation puts the new part in
between, so the chain never forks.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import Event

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
    return db.session.scalar(select(Event).where(Event.continues_id == event.id)
                             .order_by(Event.id).limit(1))


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
