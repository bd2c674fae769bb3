"""Public read routes of the API: calendars, events, occurrences, the OpenAPI description.

Only published events are listed, unless the request carries a valid organiser token, which
also reads the drafts of the calendars its organiser may change (and it is kept to, when it is
kept to some); a bad token is a 401, never a silent downgrade to the public view.  Window
bounds are parsed here and every expansion goes through ``services.listings.occurrences``
with the documented per-event limit and total, and lists come a page at a time, so no query string
can make an answer (or the work behind it) unbounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import func, select

import rules
from calendar_service.api.auth import bearer_token
from calendar_service.api.blueprint import bp
from calendar_service.api.openapi import CALENDARS_PAGE, EVENTS_PAGE, LISTED_CATEGORIES, document
from calendar_service.api.serialise import (
    calendar_json,
    event_etag,
    events_json,
    occurrences_json,
    utc_text,
)
from calendar_service.services import filters, listings
from calendar_service.services.unit_of_work import commit_so_far
from calendar_service.store import permissions
from calendar_service.store.db import db
from calendar_service.store.identifiers import SLUG, UID
from calendar_service.store.models import Calendar, Category
from calendar_service.store.moments import is_date_text
from calendar_service.store.occurrences import OccurrencePage
from calendar_service.store.operations import find_calendar, find_event
from calendar_service.store.permissions import Drafts
from calendar_service.web.errors import ApiError
from calendar_service.web.http_cache import answer_reads
from calendar_service.web.links import absolute, feed_url, subscribe_links
from calendar_service.web.query import MAX_CATEGORIES, slug_values
from rules.limits import MAX_YEAR, MIN_YEAR

# Page sizes (default, most) of /events and /calendars, and categories listed per calendar, are
# openapi's EVENTS_PAGE, CALENDARS_PAGE and LISTED_CATEGORIES: the description states them.
_LIMIT = re.compile(r"^[0-9]{1,7}$")
# The query parameters of each paged list, which its ``next`` link carries on.
_CALENDARS_QUERY = ("limit", "after")
_EVENTS_QUERY = ("calendar", "category", "limit", "after")
_OCCURRENCES_QUERY = ("calendar", "category", "start", "end")
# The longest window one /occurrences answer covers: two years and a day or two.
MAX_WINDOW_DAYS = 732


def commit_token_use_for_drafts() -> Drafts:
    """Whose drafts the request reads: none without a token; with a live organiser token,
    those of the calendars its organiser may change, of those it is kept to when it is kept
    to some (``permissions.readable_drafts``); a malformed or dead token is a 401."""
    if not request.headers.get("Authorization", "").strip():
        return False
    token = bearer_token()
    drafts = permissions.readable_drafts(token.organiser, token.calendars)
    commit_so_far()  # keeps the token's last_used; the rest of the request only reads
    return drafts


def _calendar_arg() -> Calendar | None:
    slug = request.args.get("calendar", "").strip()
    if not slug:
        return None
    calendar = find_calendar(slug[:100])
    if calendar is None:
        raise ApiError(404, f"There is no calendar {slug[:100]!r}.")
    answer_reads(calendar.id)  # a listing of one calendar is keyed by its version alone
    return calendar


def _category_args(calendar: Calendar | None) -> tuple[str, ...]:
    """The ``category`` filter, a merged category's slug standing for the one that took its
    events; a slug naming nothing is kept and matches nothing."""
    if len(request.args.getlist("category")) > MAX_CATEGORIES:
        raise ApiError(
            422,
            f"At most {MAX_CATEGORIES} categories.",
            errors={"category": f"at most {MAX_CATEGORIES} values"},
        )
    return filters.resolve(
        slug_values(request.args), calendar.id if calendar is not None else None
    ).slugs


def _page_args(default: int, most: int, key: re.Pattern[str], what: str) -> tuple[int, str | None]:
    """``limit`` (1 to ``most``, ``default`` when absent) and ``after`` (the last ``what`` of
    the previous page, exclusive), or a 422 naming the field."""
    errors: dict[str, str] = {}
    limit = default
    raw = request.args.get("limit", "").strip()
    if raw:
        if _LIMIT.match(raw) and 1 <= int(raw) <= most:
            limit = int(raw)
        else:
            errors["limit"] = f"must be a whole number from 1 to {most}"
    after = request.args.get("after")
    if after is not None and not key.match(after):
        errors["after"] = f"must be a {what}: the last one of the previous page"
    if errors:
        raise ApiError(422, "The page is not valid.", errors=errors)
    return limit, after


def _paged(response: Response, next_url: str | None) -> Response:
    """The ``Link: <…>; rel="next"`` header of a page that has a next one."""
    if next_url is not None:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _next_url(endpoint: str, after: str, names: Sequence[str]) -> str:
    """This request's address with ``after`` moved on: the list's own parameters ``names``
    kept, by name (so the answer is the same whatever order the query named them in), and no
    other, so nothing a client adds reaches ``url_for`` (``_external``, ``_anchor``, …)."""
    args: dict[str, Any] = {
        name: request.args.getlist(name)
        for name in sorted(names)
        if name != "after" and name in request.args
    }
    args["after"] = [after]
    return absolute(url_for(endpoint, **args))


def _private(response: Response, drafts: Drafts) -> Response:
    """Answers to a token, which may hold drafts, are never stored by shared caches."""
    response.headers["Cache-Control"] = (
        "private, no-store" if drafts is not False else "public, max-age=60"
    )
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
    """Calendars by slug, a page at a time (``limit``, ``after``), each with its feed,
    subscribe links per platform and (at most LISTED_CATEGORIES) categories."""
    limit, after = _page_args(*CALENDARS_PAGE, SLUG, "calendar slug")
    query = select(Calendar).order_by(Calendar.slug).limit(limit + 1)
    if after is not None:
        query = query.where(Calendar.slug > after)
    calendars = db.session.scalars(query).all()
    more = len(calendars) > limit
    calendars = calendars[:limit]
    listed = _listed_categories(calendars)
    entries = []
    for calendar in calendars:
        feed = _feed_entry(calendar, None)
        entry = calendar_json(calendar, feed["feed_url"])
        entry["subscribe"] = feed["subscribe"]
        entry["agenda_url"] = absolute(url_for("agenda.index", calendar=calendar.slug))
        entry["next_url"] = absolute(url_for("agenda.next_page", slug=calendar.slug))
        categories = listed.get(calendar.id, [])
        entry["categories"] = [
            {"slug": category.slug, "name": category.name, **_feed_entry(calendar, category)}
            for category in categories[:LISTED_CATEGORIES]
        ]
        entry["categories_truncated"] = len(categories) > LISTED_CATEGORIES
        entries.append(entry)
    next_url = (
        _next_url("api.list_calendars", calendars[-1].slug, _CALENDARS_QUERY) if more else None
    )
    return _paged(_private(jsonify({"calendars": entries, "next": next_url}), False), next_url)


def _listed_categories(calendars: Sequence[Calendar]) -> dict[int, list[Category]]:
    """The first LISTED_CATEGORIES + 1 categories (by slug) of each calendar: one query,
    and never a calendar's whole list, which imports can grow without end."""
    if not calendars:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=Category.calendar_id, order_by=Category.slug)
        .label("rank")
    )
    ranked = (
        select(Category.id, rank)
        .where(Category.calendar_id.in_([calendar.id for calendar in calendars]))
        .subquery()
    )
    rows = db.session.scalars(
        select(Category)
        .join(ranked, ranked.c.id == Category.id)
        .where(ranked.c.rank <= LISTED_CATEGORIES + 1)
        .order_by(Category.calendar_id, Category.slug)
    )
    listed: dict[int, list[Category]] = {}
    for category in rows:
        listed.setdefault(category.calendar_id, []).append(category)
    return listed


# Events ---------------------------------------------------------------------------------------


@bp.get("/events")
def list_events() -> Response:
    """Events (series) of one calendar, or of all, by uid, a page at a time: ``limit``
    (EVENTS_PAGE: 100 by default, 1000 at most) and ``after`` (the previous page's last uid);
    ``next`` (and a ``Link`` header) name the next page.  ``category`` (repeatable) narrows
    them."""
    drafts = commit_token_use_for_drafts()
    calendar = _calendar_arg()
    categories = _category_args(calendar)
    limit, after = _page_args(*EVENTS_PAGE, UID, "uid")
    events, more = listings.events(
        limit, after, calendar=calendar, categories=categories, drafts=drafts
    )
    next_url = _next_url("api.list_events", events[-1].uid, _EVENTS_QUERY) if more else None
    body = {"events": events_json(events, drafts=drafts), "next": next_url}
    return _paged(_private(jsonify(body), drafts), next_url)


@bp.get("/events/<path:uid>")
def get_event(uid: str) -> Response:
    """One EVENT; a draft answers 404 unless the request's token may read that calendar's
    drafts (``commit_token_use_for_drafts``)."""
    drafts = commit_token_use_for_drafts()
    event = find_event(uid)
    if event is None or not permissions.shows(drafts, event.published, event.calendar_id):
        raise ApiError(404, "There is no event with this uid.")
    answer_reads(event.calendar_id)
    response = _private(jsonify(events_json([event], drafts=drafts)[0]), drafts)
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
        errors[name] = f"must fall between the years {MIN_YEAR} and {MAX_YEAR}"
    except ValueError:
        errors[name] = (
            "is not a date (YYYY-MM-DD) or a date-time "
            "(YYYY-MM-DDTHH:MM:SS, optionally with Z or an offset)"
        )
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


@bp.get("/occurrences")
def list_occurrences() -> Response:
    """Every occurrence overlapping [start, end), in start order, cancelled ones included."""
    drafts = commit_token_use_for_drafts()
    calendar = _calendar_arg()
    categories = _category_args(calendar)
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    window = parse_window(tzid)
    limit = int(current_app.config["OCCURRENCE_LIMIT"])
    listing = listings.occurrences(
        window, limit, calendar=calendar, categories=categories, drafts=drafts
    )
    if listing.costly_count and not listing.items:
        raise ApiError(
            422,
            "Expanding this window would cost too much; ask for a shorter one.",
            errors={"end": _too_costly(listing)},
        )
    body = {
        "occurrences": occurrences_json(listing.items),
        "truncated": listing.truncated or not listing.complete or bool(listing.costly_count),
        "limit": limit,
        "start": utc_text(window.start_utc),
        "end": utc_text(window.end_utc),
        "timezone": tzid,
    }
    if listing.costly_count:
        body["left_out"] = sorted(event.uid for event in listing.too_costly)[:LEFT_OUT_NAMED]
        body["left_out_count"] = listing.costly_count
        body["notice"] = _too_costly(listing)
    return _private(jsonify(body), drafts)


# The most uids of events left out as too costly that one answer names.
LEFT_OUT_NAMED = 20


def _too_costly(listing: OccurrencePage) -> str:
    count = listing.costly_count
    which = "1 event" if count == 1 else f"{count:,} events"
    return (
        f"{which} left out: too costly to expand over this window, alone or together "
        "with the others; ask for a shorter window or for one calendar"
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of the whole API (docs/contract.md)."""
    spec = document(
        limit=int(current_app.config["OCCURRENCE_LIMIT"]),
        max_days=MAX_WINDOW_DAYS,
        max_total=listings.MAX_TOTAL,
        server=absolute(url_for("api.list_calendars")).rsplit("/", 1)[0],
    )
    response = jsonify(spec)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
