"""The organiser's dashboard: every calendar, with the first events of those one may change.

Every organiser sees every calendar (as the API's tokens read every draft); those they may not
change are listed by name, marked read-only, with a link to their events (and no links to the
pages that change them).  A series split by a "this and following" change is one row, its
latest part (``store.parts``).

What a page costs follows what it shows, not the calendars' size: the dashboard reads at most
DASHBOARD_ROWS events of each calendar the organiser may change (in one query for all of them),
and nothing of the others; a calendar's own list (``calendar_events``) reads a page of PAGE_ROWS
at a time, in title order, each page linking on from its last row.  Each row's next date is one
bounded look ahead (``schedule.next_date``), only for the rows shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import abort, render_template, request
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

import rules
from calendar_service import deadline
from calendar_service.clock import utcnow
from calendar_service.organiser.access import Page, current_organiser, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm
from calendar_service.services import schedule
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, CalendarMember, Event
from calendar_service.store.operations import find_calendar

# Events of each calendar the dashboard lists; the rest are a link away.
DASHBOARD_ROWS = 25
# Events on one page of a calendar's list.
PAGE_ROWS = 100


@dataclass(frozen=True)
class Row:
    """One event of a list, its next date (None: none left), and where the list goes on
    after it (``cursor``, the ``after`` of the next page)."""

    event: Event
    coming: rules.Occurrence | None
    cursor: str


@dataclass(frozen=True)
class Rights:
    """The calendars (ids) the organiser may change, and those whose members they manage."""

    editable: set[int]
    managed: set[int]


def rights_of(calendars: Sequence[Calendar]) -> Rights:
    """The signed-in organiser's rights, in one query (admins: every calendar)."""
    organiser = current_organiser()
    if organiser.is_admin:
        every = {calendar.id for calendar in calendars}
        return Rights(every, every)
    roles = {
        ident: role
        for ident, role in db.session.execute(
            select(CalendarMember.calendar_id, CalendarMember.role).where(
                CalendarMember.organiser_id == organiser.id
            )
        )
    }
    return Rights(set(roles), {ident for ident, role in roles.items() if role == "owner"})


def _sort_title() -> ColumnElement[str]:
    """The order of a list: the title without regard to case (then the id), as the database
    lowers it, so a page's ``after`` compares exactly as the list was sorted."""
    return func.lower(Event.title)


def _latest_part() -> ColumnElement[bool]:
    """Not a part that a later part continues (the latest stands for the series)."""
    later = aliased(Event)
    return ~exists().where(later.continues_id == Event.id)


def _rows(found: Sequence[tuple[Event, str]], now: datetime) -> list[Row]:
    """Each event with its next date: one bounded look ahead each, none for one that has
    ended (its stored last end says so without expanding it)."""
    rows = []
    for event, sort_title in found:
        deadline.check()
        rows.append(Row(event, schedule.next_date(event, now), f"{event.id}:{sort_title}"))
    return rows


def first_rows(calendar_ids: Sequence[int], count: int) -> dict[int, list[tuple[Event, str]]]:
    """The first ``count`` events of each calendar, in list order, in one query for all of
    them (and one for their overrides, which their series need)."""
    if not calendar_ids:
        return {}
    ranked = (
        select(
            Event.id,
            func.row_number()
            .over(partition_by=Event.calendar_id, order_by=(_sort_title(), Event.id))
            .label("place"),
        )
        .where(Event.calendar_id.in_(calendar_ids), _latest_part())
        .subquery()
    )
    found = db.session.execute(
        select(Event, _sort_title())
        .join(ranked, ranked.c.id == Event.id)
        .where(ranked.c.place <= count)
        .order_by(Event.calendar_id, _sort_title(), Event.id)
        .options(selectinload(Event.overrides))
    )
    listed: dict[int, list[tuple[Event, str]]] = {ident: [] for ident in calendar_ids}
    for event, sort_title in found:
        listed[event.calendar_id].append((event, sort_title))
    return listed


@bp.get("/")
@organiser_required
def dashboard() -> Page:
    """Every calendar; of those one may change, the first events (drafts included) and each
    one's next date, with a link to the rest."""
    calendars = list(db.session.scalars(select(Calendar).order_by(Calendar.name)))
    rights = rights_of(calendars)
    listed = first_rows(
        [calendar.id for calendar in calendars if calendar.id in rights.editable],
        DASHBOARD_ROWS + 1,
    )
    now = utcnow()
    rows = {ident: _rows(found[:DASHBOARD_ROWS], now) for ident, found in listed.items()}
    more = {ident for ident, found in listed.items() if len(found) > DASHBOARD_ROWS}
    return render_template(
        "organiser/dashboard.html",
        calendars=calendars,
        rows=rows,
        more=more,
        editable=rights.editable,
        managed=rights.managed,
        action_form=ActionForm(),
    )


def parse_after(raw: str) -> tuple[str, int] | None:
    """``after`` as a page writes it ("<id>:<title as sorted>"), or None when it is not one."""
    ident, colon, sort_title = raw.partition(":")
    if not colon or not ident.isdigit() or len(ident) > 18:
        return None
    return sort_title, int(ident)


@bp.get("/calendars/<slug>/events")
@organiser_required
def calendar_events(slug: str) -> Page:
    """One calendar's events, drafts included, a page at a time in title order (``after``:
    the position the previous page ended at)."""
    calendar = find_calendar(slug)
    if calendar is None:
        abort(404, "There is no calendar with this short name.")
    raw = request.args.get("after", "")
    after = parse_after(raw) if raw else None
    if raw and after is None:
        abort(
            400,
            "This link to the next page of events is damaged: open the calendar's "
            "events again from the dashboard.",
        )
    query = select(Event, _sort_title()).where(Event.calendar_id == calendar.id, _latest_part())
    if after is not None:
        sort_title, ident = after
        query = query.where(
            or_(_sort_title() > sort_title, and_(_sort_title() == sort_title, Event.id > ident))
        )
    found = [
        (event, sort_title)
        for event, sort_title in db.session.execute(
            query.order_by(_sort_title(), Event.id)
            .limit(PAGE_ROWS + 1)
            .options(selectinload(Event.overrides))
        )
    ]
    rows = _rows(found[:PAGE_ROWS], utcnow())
    rights = rights_of([calendar])
    return render_template(
        "organiser/calendar_events.html",
        calendar=calendar,
        rows=rows,
        next_after=rows[-1].cursor if len(found) > PAGE_ROWS else None,
        continued=after is not None,
        can_edit=calendar.id in rights.editable,
        managed=calendar.id in rights.managed,
    )
