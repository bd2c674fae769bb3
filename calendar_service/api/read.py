"""Public read routes of the API: calendars, events, occurrences, the OpenAPI description.

Only published events are listed, unless the request carries a valid organiser token (a bad
token is a 401, never a silent downgrade to the public view).  Window bounds are parsed here
and every expansion goes through ``occurrences.occurrences_in`` with the documented per-event
limit, so no query string can make an answer unbounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import rules
from calendar_service.api.auth import bearer_organiser
from calendar_service.api.blueprint import bp
from calendar_service.api.openapi import document
from calendar_service.api.serialise import (
    calendar_json,
    event_etag,
    event_json,
    occurrence_json,
    utc_text,
)
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category, Event
from calendar_service.store.moments import is_date_text
from calendar_service.store.occurrences import filtered, occurrences_in
from calendar_service.store.operations import find_calendar, find_event
from calendar_service.web.errors import ApiError
from calendar_service.web.links import absolute, feed_url, subscribe_links
from calendar_service.web.query import MAX_CATEGORIES, slug_values
from rules.limits import MAX_YEAR, MIN_YEAR

# The longest window one /occurrences answer covers: two years and a day or two.
MAX_WINDOW_DAYS = 732
# The most occurrences in one answer, whatever the per-event limit (then "truncated": true).
MAX_TOTAL = 10_000


def commit_token_use_for_drafts() -> bool:
    """True for a request with a live organiser token; a malformed or dead token is a 401."""
    if not request.headers.get("Authorization", "").strip():
        return False
    bearer_organiser()
    db.session.commit()  # keeps the token's last_used
    return True


def _calendar_arg() -> Calendar | None:
    slug = request.args.get("calendar", "").strip()
    if not slug:
        return None
    calendar = find_calendar(slug[:100])
    if calendar is None:
        raise ApiError(404, f"There is no calendar {slug[:100]!r}.")
    return calendar


def _category_args() -> list[str]:
    if len(request.args.getlist("category")) > MAX_CATEGORIES:
        raise ApiError(422, f"At most {MAX_CATEGORIES} categories.",
                       errors={"category": f"at most {MAX_CATEGORIES} values"})
    return slug_values(request.args)


def _private(response: Response, drafts: bool) -> Response:
    """Answers that may hold drafts are never stored by shared caches."""
    response.headers["Cache-Control"] = "private, no-store" if drafts else "public, max-age=60"
    response.headers["Vary"] = "Authorization"
    return response


# Calendars ------------------------------------------------------------------------------------

def _feed_entry(calendar: Calendar, category: Category | None) -> dict[str, Any]:
    slugs = [category.slug] if category else []
    url = feed_url(calendar.slug, slugs)
    name = f"{calendar.name}: {category.name}" if category else calendar.name
    return {"feed_url": url, "subscribe": subscribe_links(url, name)}


@bp.get("/calendars")
def list_calendars() -> Response:
    """Every calendar with its feed, subscribe links per platform and categories."""
    calendars = db.session.scalars(
        select(Calendar).options(selectinload(Calendar.categories)).order_by(Calendar.slug)
    ).all()
    entries = []
    for calendar in calendars:
        feed = _feed_entry(calendar, None)
        entry = calendar_json(calendar, feed["feed_url"])
        entry["subscribe"] = feed["subscribe"]
        entry["agenda_url"] = absolute(url_for("agenda.index", calendar=calendar.slug))
        entry["next_url"] = absolute(url_for("agenda.next_page", slug=calendar.slug))
        entry["categories"] = [
            {"slug": category.slug, "name": category.name, **_feed_entry(calendar, category)}
            for category in calendar.categories
        ]
        entries.append(entry)
    return _private(jsonify({"calendars": entries}), False)


# Events ---------------------------------------------------------------------------------------

@bp.get("/events")
def list_events() -> Response:
    """Events (series) of one calendar, or of all; ``category`` (repeatable) narrows them."""
    drafts = commit_token_use_for_drafts()
    calendar = _calendar_arg()
    categories = _category_args()
    query = (
        select(Event)
        .options(selectinload(Event.categories), selectinload(Event.calendar))
        .order_by(Event.first_start_utc, Event.id)
    )
    query = filtered(query, calendar=calendar, categories=categories, include_drafts=drafts)
    events = db.session.scalars(query).all()
    return _private(jsonify({"events": [event_json(event) for event in events]}), drafts)


@bp.get("/events/<path:uid>")
def get_event(uid: str) -> Response:
    """One EVENT; drafts answer 404 unless the request carries an organiser token."""
    drafts = commit_token_use_for_drafts()
    event = find_event(uid)
    if event is None or (not event.published and not drafts):
        raise ApiError(404, "There is no event with this uid.")
    response = _private(jsonify(event_json(event)), drafts)
    response.headers["ETag"] = event_etag(event)  # what PATCH's If-Match compares
    return response


# Occurrences ----------------------------------------------------------------------------------

def parse_bound(name: str, tzid: str, errors: dict[str, str]) -> datetime | None:
    """A window bound: a date (local midnight), or a date-time (local when it has no offset)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        errors[name] = "is required: a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SS)"
        return None
    try:
        if is_date_text(raw):
            moment: date | datetime = date.fromisoformat(raw)
        else:
            moment = datetime.fromisoformat(raw[:40].replace("z", "Z"))
        year = moment.year
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise OverflowError
        return rules.to_utc(moment, tzid)
    except OverflowError:
        errors[name] = (f"must fall between the years {MIN_YEAR} and "
                        f"{MAX_YEAR}")
    except ValueError:
        errors[name] = ("is not a date (YYYY-MM-DD) or a date-time "
                        "(YYYY-MM-DDTHH:MM:SS, optionally with Z or an offset)")
    return None


def parse_window(tzid: str) -> rules.Window:
    """The ``start``/``end`` window of the query string, or a 422 saying what is wrong."""
    errors: dict[str, str] = {}
    start = parse_bound("start", tzid, errors)
    end = parse_bound("end", tzid, errors)
    if start is not None and end is not None:
        if end <= start:
            errors["end"] = "must be after start"
        elif end - start > timedelta(days=MAX_WINDOW_DAYS):
            errors["end"] = f"the window may span at most {MAX_WINDOW_DAYS} days"
    if errors or start is None or end is None:
        raise ApiError(422, "The window is not valid.", errors=errors)
    return rules.Window(start, end)


def _limited(items: Sequence[Any]) -> tuple[Sequence[Any], bool]:
    return (items[:MAX_TOTAL], True) if len(items) > MAX_TOTAL else (items, False)


@bp.get("/occurrences")
def list_occurrences() -> Response:
    """Every occurrence overlapping [start, end), in start order, cancelled ones included."""
    drafts = commit_token_use_for_drafts()
    calendar = _calendar_arg()
    categories = _category_args()
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    window = parse_window(tzid)
    limit = int(current_app.config["OCCURRENCE_LIMIT"])
    try:
        listing = occurrences_in(window, limit=limit, calendar=calendar, categories=categories,
                                 include_drafts=drafts)
    except rules.ExpansionLimitError as error:
        raise ApiError(422, "Expanding this window would cost too much; ask for a shorter one.",
                       errors={"end": error.message}) from None
    items, cut = _limited(listing.items)
    body = {
        "occurrences": [occurrence_json(item.event, item.occurrence) for item in items],
        "truncated": listing.truncated or cut,
        "limit": limit,
        "start": utc_text(window.start_utc),
        "end": utc_text(window.end_utc),
        "timezone": tzid,
    }
    return _private(jsonify(body), drafts)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of the whole API (docs/contract.md)."""
    spec = document(limit=int(current_app.config["OCCURRENCE_LIMIT"]),
                    max_days=MAX_WINDOW_DAYS, max_total=MAX_TOTAL,
                    server=absolute(url_for("api.list_calendars")).rsplit("/", 1)[0])
    response = jsonify(spec)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
