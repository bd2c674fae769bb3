"""An event as someone wants it stored: the typed values the editor, the API and an .ics file
hand to validation, instead of a mapping of the contract's text.

The type lives in the store because validation (here) and the .ics reader (``ical``, below the
services) both need it; the services re-export it (``calendar_service.services.drafts``) as the
name the pages, the API and imports use.  A draft is not checked: ``store.validation``
decides whether it may be stored and says why not, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass

import rules
from calendar_service.store.models import Event
from calendar_service.store.moments import from_column, parse_stored


@dataclass(frozen=True)
class EventDraft:
    """One event or series, field by field as docs/contract.md names the EVENT's fields.

    - ``calendar``: the slug of the calendar it belongs to.
    - ``title``, ``description``, ``location``, ``url``: text as given (validation trims it).
    - ``start``/``end``: a local wall time (naive ``datetime`` read in ``timezone``) or, for an
      all-day event, a ``date`` (``end`` exclusive).  A timed value may be aware when the input
      gave a UTC offset: validation converts it into the event's zone.  ``start`` None: not
      given (required); ``end`` None: an hour (a day, all-day) after the start.
    - ``all_day``: whether ``start``/``end`` are dates.
    - ``timezone``: an IANA zone name; None: the calendar's.
    - ``rrule``: the parsed rule (``rules.Rule``), None when it does not repeat; its text is
      made by ``rules.format_rule`` where text is needed (the engine, the database).
    - ``rdates``/``exdates``: added and excluded starts, of the start's type.
    - ``categories``: the slugs of the calendar's categories it is in.
    - ``status``: ``confirmed``, ``tentative`` or ``cancelled``; ``published``: False for a
      draft only organisers see.
    - ``uid``: the event's UID; None on a new event lets the store make one.
    """

    calendar: str | None
    title: str
    start: rules.Moment | None
    end: rules.Moment | None = None
    all_day: bool = False
    timezone: str | None = None
    rrule: rules.Rule | None = None
    rdates: tuple[rules.Moment, ...] = ()
    exdates: tuple[rules.Moment, ...] = ()
    description: str = ""
    location: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    status: str = "confirmed"
    published: bool = True
    uid: str | None = None

    @property
    def rrule_text(self) -> str | None:
        """The rule as RRULE value text (RFC 5545 §3.3.10), None when it does not repeat."""
        return None if self.rrule is None else rules.format_rule(self.rrule)


def draft_of(event: Event) -> EventDraft:
    """The stored event as a draft: what an update starts from."""
    return EventDraft(
        calendar=event.calendar.slug,
        title=event.title,
        description=event.description,
        location=event.location,
        url=event.url,
        categories=tuple(event.category_slugs),
        all_day=event.all_day,
        start=from_column(event.start_local, event.all_day),
        end=from_column(event.end_local, event.all_day),
        timezone=event.timezone,
        rrule=rules.parse_rule(event.rrule) if event.rrule else None,
        rdates=tuple(parse_stored(value, event.all_day) for value in event.rdates or ()),
        exdates=tuple(parse_stored(value, event.all_day) for value in event.exdates or ()),
        status=event.status,
        published=event.published,
        uid=event.uid,
    )
