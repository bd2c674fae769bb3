"""The permanent "next one" links, for newsletters: a calendar's (or category's) next occurrence,
and one series' next occurrence."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

from calendar_service.clock import utcnow
from calendar_service.public.blueprint import bp
from calendar_service.public.display import shown
from calendar_service.services import filters, schedule
from calendar_service.store.addresses import find_by_address
from calendar_service.store.moments import format_moment
from calendar_service.store.operations import find_calendar
from calendar_service.web.query import slug_values


@bp.get("/calendars/<slug>/next")
def next_page(slug: str) -> Response:
    """Redirect to the page of the calendar's next occurrence (``?category=`` narrows it)."""
    calendar = find_calendar(slug)
    if calendar is None:
        abort(404, description="There is no calendar with that name.")
    categories = filters.resolve(slug_values(request.args), calendar.id).slugs
    found = schedule.next_in(calendar, categories, utcnow())
    if found is None:
        abort(404, description="Nothing is scheduled in this calendar yet.")
    target = shown(found, ZoneInfo(calendar.timezone))
    on: dict[str, Any] = {"on": target.recurrence_id} if target.recurrence_id else {}
    response = redirect(url_for("agenda.event_page", uid=found.event.address, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<path:uid>/next")
def series_next(uid: str) -> Response:
    """Redirect to the page of this series' next date that is not cancelled (404 when none is
    left): unlike a category's link, it never lands on another event of the same kind."""
    event = find_by_address(uid)  # by uid, else by its readable slug
    if event is None or not event.published:
        abort(404, description="There is no event at this address.")
    found = schedule.next_of(event, utcnow())
    if found is None:
        abort(404, description="No more dates of this event are planned.")
    on: dict[str, Any] = (
        {} if found.recurrence_id is None else {"on": format_moment(found.recurrence_id)}
    )
    response = redirect(url_for("agenda.event_page", uid=event.address, **on), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
