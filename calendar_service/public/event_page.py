"""An event's page: its details, its next dates, one date's own page (``?on=``), add-to-calendar
and subscribe links.  A draft's page answers 404 unless an organiser is signed in."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user

import rules
from calendar_service.clock import utcnow
from calendar_service.public import subscribe
from calendar_service.public.add_to_calendar import Details, google_link, outlook_links
from calendar_service.public.blueprint import bp
from calendar_service.public.display import ShownOccurrence, shown
from calendar_service.public.structured_data import event_json_ld, open_graph, script_json
from calendar_service.public.viewer_zone import (
    asked_zone,
    display_zone,
    other_args,
    zone_choices,
    zone_of,
)
from calendar_service.services import listings, schedule
from calendar_service.store import parts
from calendar_service.store.addresses import find_by_address
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import MomentError, parse_moment
from calendar_service.store.occurrences import EventOccurrence
from calendar_service.web.http_cache import answer_expires, answer_reads, next_midnight
from calendar_service.web.links import absolute, event_page_url, map_url
from calendar_service.web.richtext import safe_url


def _visible_event(uid: str) -> Event:
    """The event, if this visitor may see it: drafts only for signed-in organisers."""
    event = find_by_address(uid)
    if event is None or (not event.published and not current_user.is_authenticated):
        abort(404, description="There is no event at this address.")
    return event


def _visible_part(event: Event | None) -> Event | None:
    """Another part of the same logical series, if this visitor may see it."""
    if event is None or (not event.published and not current_user.is_authenticated):
        return None
    return event


def occurrence_at(event: Event, text: str) -> rules.Occurrence | None:
    """The occurrence a link names by its recurrence id, wherever an override moved it."""
    try:
        recurrence_id = parse_moment(text, all_day=event.all_day, tzid=event.timezone)
    except MomentError:
        return None
    found = schedule.at(event, recurrence_id)
    return None if found is None else found.occurrence


def _details(item: ShownOccurrence, event_url: str) -> Details:
    occurrence = item.occurrence
    text = item.description.strip()
    details = f"{text}\n\n{event_url}" if text else event_url
    return Details(
        title=item.title,
        start=occurrence.start,
        end=occurrence.end,
        location=item.location,
        details=details,
        tzid=item.event.timezone,
    )


@bp.get("/events/<path:uid>")
def event_page(uid: str) -> str:
    """One event or series: details, the next occurrences, add-to-calendar and subscribe."""
    event = _visible_event(uid)
    calendar = event.calendar
    answer_reads(calendar.id)
    calendar_tzid, _ = zone_of(calendar)
    asked, problem = asked_zone(request.args)
    if problem:
        abort(400, description=problem)
    tzid, tz = display_zone(calendar_tzid, asked)
    now = utcnow()
    today = now.astimezone(tz).date()
    listed = schedule.upcoming(event, now, listings.UPCOMING)
    upcoming = [shown(EventOccurrence(event, occurrence), tz) for occurrence in listed]
    # The list moves on when one of its occurrences ends, and "today" at midnight.
    answer_expires(min([next_midnight(now, tz), *(item.end_utc for item in listed)]))
    asked = request.args.get("on", "").strip()
    missing = False
    chosen = None
    if asked:
        found = occurrence_at(event, asked[:40])
        missing = found is None
        chosen = None if found is None else shown(EventOccurrence(event, found), tz)
    if chosen is None:
        live = [item for item in upcoming if not item.cancelled]
        chosen = live[0] if live else upcoming[0] if upcoming else None
    if chosen is None:
        last = schedule.last(event, listings.PAGE_LIMIT)
        chosen = None if last is None else shown(EventOccurrence(event, last), tz)
    page_url = event_page_url(event.address)
    shown_url = page_url if chosen is None else event_page_url(event.address, chosen.recurrence_id)
    add_links: dict[str, str] = {}
    if chosen is not None and not chosen.cancelled:
        details = _details(chosen, page_url)
        add_links = {"google": google_link(details), **outlook_links(details)}
    feeds = [subscribe.feed(calendar, [category]) for category in event.categories]
    feeds.append(subscribe.feed(calendar))
    return render_template(
        "event.html",
        event=event,
        calendar=calendar,
        tzid=tzid,
        tz=tz,
        today=today,
        calendar_tzid=calendar_tzid,
        zones=zone_choices(),
        keep_args=other_args(),
        chosen=chosen,
        upcoming=upcoming,
        missing=missing,
        ended=not upcoming,
        add_links=add_links,
        feeds=feeds,
        platforms=subscribe.PLATFORMS,
        copy_help=subscribe.COPY_HELP,
        page_url=page_url,
        shown_url=shown_url,
        map_url=_map_link(chosen.location if chosen else event.location),
        earlier=_visible_part(parts.earlier_part(event)),
        later=_visible_part(parts.later_part(event)),
        **_machine_readable(chosen, shown_url, calendar, today),
    )


def _map_link(location: str) -> str | None:
    """A link to the place on a map, for a physical place (not a web address)."""
    return map_url(location) if location.strip() and not safe_url(location) else None


def _machine_readable(
    chosen: ShownOccurrence | None, url: str, calendar: Calendar, today: date
) -> dict[str, Any]:
    """The JSON-LD and Open Graph of the shown date (none when there is no date to show)."""
    if chosen is None:
        return {"json_ld": None, "open_graph": []}
    calendar_url = absolute(url_for("agenda.calendar_page", slug=calendar.slug))
    return {
        "json_ld": script_json(
            event_json_ld(chosen, url=url, organizer=calendar.name, organizer_url=calendar_url)
        ),
        "open_graph": open_graph(
            chosen,
            url=url,
            site_name=calendar.name,
            when=chosen.when_long(today) + _zone_suffix(chosen),
        ),
    }


def _zone_suffix(item: ShownOccurrence) -> str:
    zone = item.end_zone() or item.zone()
    return f" {zone}" if zone else ""
