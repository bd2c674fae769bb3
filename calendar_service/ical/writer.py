"""Events → iCalendar bytes (RFC 5545, RFC 7986), in the feed profile of docs/peers.md B8.

Pure and deterministic: no request, no clock.  The same rows give the same bytes, so ETags are
honest, 304s are safe and golden-file tests work.  DTSTAMP and LAST-MODIFIED are the row's last
change, never "now".  All text goes through icalendar (escaping, CRLF, 75-octet folding).

A series is published as a series: one master VEVENT with RRULE/RDATE/EXDATE and one VEVENT per
changed occurrence with the same UID and a RECURRENCE-ID, so clients show one editable series.

* EXDATE and RECURRENCE-ID take DTSTART's exact form (DATE, or local time with the same TZID, or
  UTC for UTC zones); Google, Nextcloud and others ignore them otherwise (docs/peers.md B2 #8,
  #10).
* A cancelled occurrence is an EXDATE only, with no STATUS:CANCELLED override beside it
  (docs/peers.md B3 #21, B8).  EXDATE removes it in every client; a cancelled override for the
  same instance is read differently per client (Google drops it, Apple and Fastmail keep it
  struck through, some show an orphan instance next to the excluded one), so pairing the two is
  what makes cancelled occurrences linger.  A whole cancelled event is kept with STATUS:CANCELLED
  and a higher SEQUENCE, which is how clients learn to remove an event they already have.  So
  the note an organiser gives a cancelled date (its override's description) is not in feeds: it
  is on the date's page and in the agenda, where people look for why.
* A changed occurrence's own description ("this month's speaker") is its VEVENT's DESCRIPTION.
* No VALARM, ORGANIZER or ATTENDEE: a feed is published (METHOD:PUBLISH), not an invitation.
* The calendar's name, refresh hints and X-WR-* go into feeds only; a single-event download
  carries none, or Outlook files the event into a new calendar (docs/peers.md B3 #23).

The caller (``feeds.views``) decides what may be shown: it hands in published events only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar as ICalendar
from icalendar import Event as IEvent
from icalendar import vDuration, vRecur, vText

import rules
from calendar_service import deadline
from calendar_service.caching import LRUCache
from calendar_service.ical.vtimezone import is_utc, vtimezone
from calendar_service.store.models import Event
from calendar_service.store.moments import format_moment
from calendar_service.store.occurrences import own_or_series, series_of

# What names one event's serialised VEVENTs in a blocks cache: the event's version and the page
# URL written into them (``block_key``).
BlockKey = tuple[object, ...]

PRODID = "-//calendar-service//Event calendar feed//EN"
# Part of every ETag: raise it whenever the bytes written for the same rows change.
# 2: VTIMEZONEs describe the older rules the feed's series need, fallback zones without RDATEs.
FORMAT_VERSION = 2
# How often clients that honour the hints refetch (docs/peers.md B6 #38); 304s make this cheap.
REFRESH = timedelta(hours=1)

_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself: its name and description, zone, own URL and refresh."""

    name: str
    description: str
    timezone: str
    source_url: str
    refresh: timedelta = REFRESH


def feed_bytes(
    events: Iterable[Event],
    info: FeedInfo,
    page_urls: Mapping[str, str],
    blocks: LRUCache[BlockKey, bytes] | None = None,
) -> bytes:
    """A subscribable feed of these (published) events; ``page_urls`` maps UID → event page.

    ``blocks`` keeps each event's serialised VEVENTs between builds, so a change to one event
    re-serialises that event only; the bytes are the same with or without it.
    """
    calendar = _calendar()
    calendar.add("name", vText(info.name))
    # X- properties have no known type in icalendar: say they are TEXT, so they are escaped.
    calendar.add("x-wr-calname", vText(info.name))
    if info.description:
        calendar.add("description", info.description)
        calendar.add("x-wr-caldesc", vText(info.description))
    events = list(events)
    if is_utc(info.timezone) or not any(_utc_series(event) for event in events):
        # Google's convention (the x-wr-timezone readers follow it) moves UTC times into the
        # X-WR-TIMEZONE: a series meant at 12:00 UTC would then recur at 12:00 London time.
        # The hint is only a default display zone, so a feed holding such a series goes
        # without it rather than have those series shift by an hour at every clock change.
        calendar.add("x-wr-timezone", vText(info.timezone))
    calendar.add("refresh-interval", vDuration(info.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    calendar.add("source", info.source_url, parameters={"VALUE": "URI"})
    return _finish(calendar, events, page_urls, blocks)


def _utc_series(event: Event) -> bool:
    if event.all_day or not is_utc(event.timezone):
        return False
    series = series_of(event)
    return series.rrule is not None or bool(series.rdates)


def event_bytes(event: Event, page_url: str) -> bytes:
    """One event or series as a download: no calendar name, so it lands in the user's own."""
    return _finish(_calendar(), [event], {event.uid: page_url})


def occurrence_uid(event: Event, recurrence_id: rules.Moment) -> str:
    """The UID of one date's download: its own, so that importing it beside a subscribed feed
    adds a copy of that date instead of replacing the whole series in the client."""
    stamp = (
        f"{recurrence_id:%Y%m%dT%H%M%S}"
        if isinstance(recurrence_id, datetime)
        else (f"{recurrence_id:%Y%m%d}")
    )
    return f"{stamp}-{event.uid}"


def occurrence_bytes(
    event: Event, occurrence: rules.Occurrence, page_url: str, changed: datetime
) -> bytes:
    """One occurrence of a series as a download: one VEVENT at its own (possibly moved) times,
    with no RRULE, RDATE or RECURRENCE-ID, under ``occurrence_uid``.  ``changed`` (the later of
    the event's and its override's last change) is its DTSTAMP and LAST-MODIFIED."""
    if occurrence.recurrence_id is None:
        raise ValueError("an occurrence of a series has a recurrence id")
    calendar = _calendar()
    component = _common(
        event,
        page_url,
        title=occurrence.title,
        location=occurrence.location,
        description=occurrence.description,
        uid=occurrence_uid(event, occurrence.recurrence_id),
        status="cancelled" if occurrence.cancelled else event.status,
    )
    component.add("dtstamp", changed)
    component.add("created", event.created)
    component.add("last-modified", changed)
    component.add("sequence", event.sequence)
    start, end = _occurrence_span(event, occurrence)
    component.add("dtstart", start)
    component.add("dtend", end)
    if not occurrence.all_day and not is_utc(event.timezone):
        year = occurrence.start_utc.astimezone(ZoneInfo(event.timezone)).year
        calendar.add_component(vtimezone(event.timezone, year))
    calendar.add_component(component)
    return bytes(calendar.to_ical())


def _occurrence_span(
    event: Event, occurrence: rules.Occurrence
) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND: dates, local times with the event's TZID, or UTC for UTC zones and
    for a local time that a clock change repeats (a TZID could not say which of the two)."""
    if occurrence.all_day:
        return occurrence.start, occurrence.end
    if is_utc(event.timezone):
        return occurrence.start_utc, occurrence.end_utc
    tz = ZoneInfo(event.timezone)
    placed = []
    for instant in (occurrence.start_utc, occurrence.end_utc):
        local = rules.local_from_aware(instant, event.timezone)
        exact = rules.to_utc(local, event.timezone) == instant
        placed.append(local.replace(tzinfo=tz, fold=0) if exact else instant.astimezone(UTC))
    return placed[0], placed[1]


def _calendar() -> ICalendar:
    calendar = ICalendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


_END = b"END:VCALENDAR\r\n"


def _finish(
    calendar: ICalendar,
    events: Iterable[Event],
    page_urls: Mapping[str, str],
    blocks: LRUCache[BlockKey, bytes] | None = None,
) -> bytes:
    """The calendar with its VTIMEZONEs, then each event's VEVENTs, as icalendar writes them.

    icalendar serialises a calendar as its own lines followed by each subcomponent's
    serialisation; the events' part is assembled the same way from per-event blocks so that
    unchanged events need not be serialised again.
    """
    ordered = sorted(events, key=lambda event: (event.first_start_utc, event.uid))
    for event in ordered:
        if not event.published:
            raise ValueError(f"draft event {event.uid!r} handed to the feed writer")
    zones = zone_years(ordered)
    for tzid in sorted(zones):
        calendar.add_component(vtimezone(tzid, zones[tzid]))
    head = bytes(calendar.to_ical())
    if not head.endswith(_END):  # icalendar always ends a component so; guard the assumption
        raise AssertionError("unexpected calendar serialisation")
    parts = [head[: -len(_END)]]
    parts.extend(_block(blocks, event, page_urls.get(event.uid, "")) for event in ordered)
    parts.append(_END)
    return b"".join(parts)


def zone_years(events: Iterable[Event]) -> dict[str, int]:
    """Each zone the events' times are written in, with the earliest local year its VTIMEZONE
    must describe: the earliest year, in that zone, of a time written in it.

    ``first_start_utc`` is at or before every start the feed writes (DTSTART, RDATE, and the
    RECURRENCE-ID and DTSTART of each override: ``rules.series_bounds``).  Only an EXDATE can
    be older (one left from an earlier start): its local year is read off the stored text, so
    that no client misreads it as an instant that a real occurrence has.  The years change only
    with the events, so the feed's ETag (the calendar's version) covers them.
    """
    years: dict[str, int] = {}
    for event in events:
        if event.all_day or is_utc(event.timezone):
            continue
        year = event.first_start_utc.astimezone(ZoneInfo(event.timezone)).year
        if event.exdates:  # local times as text, "YYYY-MM-DDTHH:MM:SS": the least is oldest
            year = min(year, int(min(event.exdates)[:4]))
        years[event.timezone] = min(year, years.get(event.timezone, year))
    return years


def block_key(event: Event, page_url: str) -> BlockKey:
    """What names an event's VEVENTs: its version, and everything they are written from that
    can change without the event's ``revision`` changing (category names, its page URL), so a
    cached block is always the right bytes."""
    return (
        event.id,
        event.uid,
        event.revision,
        event.sequence,
        event.updated,
        tuple(category.name for category in event.categories),
        page_url,
        FORMAT_VERSION,
    )


def event_block(event: Event, page_url: str) -> bytes:
    """The event's VEVENTs serialised, as icalendar writes them inside a calendar."""
    return b"".join(bytes(component.to_ical()) for component in series_components(event, page_url))


def _block(blocks: LRUCache[BlockKey, bytes] | None, event: Event, page_url: str) -> bytes:
    if blocks is None:
        block = event_block(event, page_url)
    else:
        block = blocks.get_or_build(
            block_key(event, page_url), lambda: event_block(event, page_url)
        )
    deadline.check()  # after the block, so each attempt adds at least one to the cache
    return block


def series_components(event: Event, page_url: str) -> list[IEvent]:
    """The master VEVENT and one VEVENT per changed (not cancelled) occurrence."""
    series = series_of(event)
    place = _Placer(series)
    master = _common(event, page_url, title=None, location=None, description=None)
    master.add("dtstamp", event.updated)
    master.add("created", event.created)
    master.add("last-modified", event.updated)
    master.add("sequence", event.sequence)
    master.add("dtstart", place.moment(series.start))
    master.add("dtend", place.moment(series.end))
    if series.rrule is not None:
        master.add("rrule", vRecur.from_ical(series.rrule))
    for rdate in series.rdates:
        master.add("rdate", place.moment(rdate))
    orphans = {override.recurrence_id for override in rules.orphan_overrides(series)}
    live = [o for o in series.overrides if o.recurrence_id not in orphans]
    excluded = set(series.exdates) | {o.recurrence_id for o in live if o.cancelled}
    for exdate in sorted(excluded):
        master.add("exdate", place.moment(exdate))
    components = [master]
    rows = {override.recurrence_id: override for override in event.overrides}
    for override in live:
        if override.recurrence_id in excluded or not _changes(override):
            continue
        row = rows.get(format_moment(override.recurrence_id))
        stamp = max(event.updated, row.updated) if row is not None else event.updated
        start, end = place.span(override)
        component = _common(
            event,
            page_url,
            title=override.title,
            location=override.location,
            description=override.description,
        )
        component.add("dtstamp", stamp)
        component.add("created", row.created if row is not None else event.created)
        component.add("last-modified", stamp)
        component.add("sequence", max(event.sequence, row.sequence if row is not None else 0))
        component.add("recurrence-id", place.moment(override.recurrence_id))
        component.add("dtstart", start)
        component.add("dtend", end)
        components.append(component)
    return components


def _changes(override: rules.Override) -> bool:
    """Whether an override differs from its occurrence (one that does not is not written)."""
    return any(
        value is not None
        for value in (
            override.start,
            override.end,
            override.title,
            override.location,
            override.description,
        )
    )


def _common(
    event: Event,
    page_url: str,
    *,
    title: str | None,
    location: str | None,
    description: str | None,
    uid: str | None = None,
    status: str | None = None,
) -> IEvent:
    """The properties a master and its overrides share, with an override's texts if given."""
    component = IEvent()
    component.add("uid", uid or event.uid)
    component.add("summary", own_or_series(title, event.title))
    where = own_or_series(location, event.location)
    if where:
        component.add("location", where)
    text = description_text(own_or_series(description, event.description), event.url, page_url)
    if text:
        component.add("description", text)
    if event.url or page_url:
        component.add("url", event.url or page_url, parameters={"VALUE": "URI"})
    component.add("status", _STATUS[status or event.status])
    component.add("transp", "TRANSPARENT" if event.all_day else "OPAQUE")
    names = [category.name for category in event.categories]
    if names:
        component.add("categories", names)
    return component


def description_text(description: str, url: str, page_url: str) -> str:
    """Plain text with the links on lines of their own: Google and Windows ignore URL, Outlook
    does not linkify it, so the description is where every client shows a link (B5 #30)."""
    lines = [description.strip()] if description.strip() else []
    links = []
    if url and url not in description:
        links.append(f"More information: {url}")
    if page_url:
        links.append(f"In the calendar: {page_url}")
    if links:
        lines.append("\n".join(links))
    return "\n\n".join(lines)


class _Placer:
    """Writes a series' moments in DTSTART's own form: a date, a time with the series' TZID, or
    UTC for UTC zones (Google rejects TZID=Etc/UTC)."""

    def __init__(self, series: rules.Series) -> None:
        self.series = series
        self.tzid = series.tzid
        self.utc = is_utc(series.tzid)
        self.tz = ZoneInfo(series.tzid)
        self.duration: timedelta = series.duration
        self.all_day = series.all_day
        if not self.all_day:  # the exact duration every instance lasts (RFC 5545 §3.8.5.3)
            self.exact = rules.to_utc(series.end, self.tzid) - rules.to_utc(series.start, self.tzid)

    def moment(self, value: rules.Moment) -> date | datetime:
        if not isinstance(value, datetime):
            return value
        if self.utc:
            return rules.to_utc(value, self.tzid)
        return value.replace(tzinfo=self.tz, fold=0)

    def span(self, override: rules.Override) -> tuple[date | datetime, date | datetime]:
        """An override's DTSTART and DTEND values, as the engine places it (rules.expand):
        without an end of its own it lasts the series' exact duration, written as local time,
        or in UTC where that local time is one a clock change repeats."""
        start = override.start if override.start is not None else override.recurrence_id
        if override.end is not None:
            return self.moment(start), self.moment(override.end)
        if self.all_day:
            return start, start + self.duration
        end_utc = rules.to_utc(start, self.tzid) + max(self.exact, timedelta(0))
        end_local = rules.local_from_aware(end_utc, self.tzid)
        if rules.to_utc(end_local, self.tzid) != end_utc:
            return self.moment(start), end_utc
        return self.moment(start), self.moment(end_local)
