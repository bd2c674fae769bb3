"""The organiser's dashboard: every calendar with its events, drafts included.

Every organiser sees every calendar (as the API's tokens read every draft); those they may not
change are marked read-only, without links to the pages that change them.  A series split by a
"this and following" change is one row, its latest part (``store.parts``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import rules
from calendar_service.clock import utcnow
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ActionForm
from calendar_service.store import parts, permissions
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Event
from calendar_service.store.occurrences import read_series


@bp.get("/")
@organiser_required
def dashboard() -> Page:
    """Every calendar with its events, drafts included, and each one's next occurrence."""
    calendars = db.session.scalars(
        select(Calendar).order_by(Calendar.name).options(
            selectinload(Calendar.events).selectinload(Event.overrides),
            selectinload(Calendar.events).selectinload(Event.categories),
        )
    ).all()
    now = utcnow()
    upcoming: dict[int, rules.Occurrence | None] = {}
    earlier = parts.continued(event for calendar in calendars for event in calendar.events)
    rows = {calendar.id: sorted((event for event in calendar.events if event.id not in earlier),
                                key=lambda event: event.title.lower())
            for calendar in calendars}
    for calendar in calendars:
        for event in rows[calendar.id]:
            found = rules.upcoming(read_series(event), now - timedelta(seconds=1), 1)
            upcoming[event.id] = found[0] if found else None
    editable = {calendar.id for calendar in permissions.editable_calendars(current_user)}
    managed = {calendar.id for calendar in calendars
               if permissions.may_manage(current_user, calendar)}
    return render_template("organiser/dashboard.html", calendars=calendars, rows=rows,
                           upcoming=upcoming,
                           editable=editable, managed=managed, action_form=ActionForm())
