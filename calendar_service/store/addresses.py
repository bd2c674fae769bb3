"""Readable addresses of event pages: ``/events/team-meeting`` rather than a UUID or one of
Outlook's 112-character UIDs.

An event's slug is made from its title when it is created with a uid made for it (the editor,
the API without a ``uid``) or by an import (whose uids are other programs'), unique among
every event's slug and uid, and made again from a new title only while the event is a draft:
once published, its address is on people's pages and in newsletters, so it stays.  The uid is
an address too, for ever, so every link made before there were slugs keeps working; feeds keep
writing the uid as the iCalendar UID (clients key on it).  A uid an API caller chose stays that
event's address, so it may be no other event's uid or slug, in any calendar (``holder``): one
that was would take over that event's page and download.  A taken slug gets a few characters
of a hash of the uid, so making one costs one or two lookups whatever the number of events of
that title (an import of a thousand "Team meeting"s stays linear).
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import or_, select

from calendar_service.store.db import db
from calendar_service.store.identifiers import UID
from calendar_service.store.models import Event

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 80
FALLBACK = "event"


def base_slug(title: str) -> str:
    """The title as lower-case words joined by hyphens, cut at a word, at most MAX_LENGTH."""
    words = _NOT_SLUG.sub("-", title.lower()).strip("-")
    if len(words) > MAX_LENGTH:
        words = words[:MAX_LENGTH].rsplit("-", 1)[0]
    return words or FALLBACK


def assign(event: Event, *, was_published: bool | None) -> None:
    """Give the event its slug: when it has none, or when its title changed and it is and was
    a draft (``was_published`` None: a new event)."""
    wanted = base_slug(event.title)
    current = event.slug
    if current is not None and (
        was_published is not False
        or event.published
        or current == wanted
        or current.startswith(wanted + "-")
    ):
        return
    event.slug = _free(wanted, event)


def _free(wanted: str, event: Event) -> str:
    digest = hashlib.sha256(event.uid.encode()).hexdigest()
    candidates = [wanted, f"{wanted}-{digest[:6]}", f"{wanted}-{digest[:12]}"]
    candidates += [f"{wanted}-{digest[:12]}-{n}" for n in range(2, 100)]
    for candidate in candidates:
        if not _taken(candidate, event):
            return candidate
    return event.uid if UID.match(event.uid) else digest  # not reached in practice


def _taken(candidate: str, event: Event) -> bool:
    with db.session.no_autoflush:
        found = db.session.scalar(
            select(Event.id).where(or_(Event.slug == candidate, Event.uid == candidate)).limit(1)
        )
    pending = any(
        isinstance(item, Event) and item is not event and item.slug == candidate
        for item in db.session.new
    )
    return pending or (found is not None and found != event.id)


def holder(address: str) -> Event | None:
    """The event whose address this is, as its uid or as its readable slug, in any calendar
    (the uid's holder first, as ``find_by_address`` finds it): one query.  A new uid must have
    none, or its event would take over the page and download of the holder."""
    if not UID.match(address):
        return None
    found = db.session.scalars(
        select(Event).where(or_(Event.uid == address, Event.slug == address)).limit(2)
    ).all()
    return next((event for event in found if event.uid == address), found[0] if found else None)


def find_by_address(address: str) -> Event | None:
    """The event whose page ``/events/<address>`` is: by uid first (every old link), then by
    slug."""
    if not UID.match(address):
        return None
    found = db.session.scalar(select(Event).where(Event.uid == address))
    if found is None:
        found = db.session.scalar(select(Event).where(Event.slug == address))
    return found
