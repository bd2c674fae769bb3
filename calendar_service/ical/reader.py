"""Read an .ics file (an Outlook or Google Calendar export, or our own feed) into drafts of
events, without touching the database.

RRULE, RDATE, EXDATE and RECURRENCE-ID overrides survive; a STATUS:CANCELLED override cancels
its occurrence.  Times are converted from the file's TZIDs (IANA, Windows names and the file's
own VTIMEZONEs, as icalendar resolves them) or UTC into the event's zone.  A file whose own
VTIMEZONEs are over the budget of ``zone_budget`` (observances that repeat more often than
yearly, too many clock changes), or whose components are over the budget of ``structure``, is
refused before any time in it is read.  A file that cannot be read at all raises
``IcsImportError``.

What one series of the file says is read only when asked (``FileSeries.read``): the import
service checks a series against the database (whose address its UID is) before it reads it,
and reads a batch of series just before it writes them, so a file's reading costs what its
batch costs and no more.  What cannot be read is ``Unreadable``, with the reason.  Every step
costs in proportion to the file: categories and overrides are kept in sets and dicts, never
rescanned lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

import rules
from calendar_service.ical.structure import StructureError, check_structure
from calendar_service.ical.zone_budget import ZoneBudgetError, check_zones
from calendar_service.ical.zone_names import FileZones, iana_name
from calendar_service.store.drafts import EventDraft
from calendar_service.store.moments import YEARS_MESSAGE, format_moment, in_years
from calendar_service.store.validation import (
    MAX_CATEGORIES,
    WRITABLE,
    without_control_characters,
)
from rules import limits as rules_limits

EVENT_KINDS = ("VEVENT",)
QUIET_KINDS = ("VTIMEZONE",)  # read by icalendar for the TZIDs; nothing to import or report
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


class IcsImportError(ValueError):
    """The file as a whole cannot be imported; the message says why, in one line."""


@dataclass(frozen=True)
class Skipped:
    what: str
    reason: str

    def __post_init__(self) -> None:  # the file's text, shown on a page and a terminal
        object.__setattr__(self, "what", _printable(self.what))
        object.__setattr__(self, "reason", _printable(self.reason))


@dataclass(frozen=True)
class Note(Skipped):
    """Something imported other than the file says (``reason`` says how), not skipped."""


class Unreadable(Exception):
    """A series of the file that cannot be imported as it is; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SeriesDraft:
    """One series as the file says it: the event (of no calendar yet), the engine's objection
    to its RRULE as (field, message) when it has one, its changed occurrences (recurrence id
    text → the body ``set_override`` takes) and notes on what was read otherwise than the file
    says."""

    uid: str
    event: EventDraft
    rule_error: tuple[str, str] | None
    overrides: dict[str, dict[str, str]]
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class FileSeries:
    """A VEVENT of the file and the VEVENTs that change its occurrences, not read yet."""

    uid: str
    master: icalendar.cal.Component
    changed: list[icalendar.cal.Component]
    zones: _Zones

    @property
    def label(self) -> str:
        """What a person calls it in a list of what was skipped: its title, else its uid."""
        return _label(self.master)

    def read(self) -> SeriesDraft:
        """The series as drafts of an event and its overrides; raises Unreadable."""
        return _read_series(self)


@dataclass
class IcsFile:
    """A file read: its series by UID in the file's order, and what in it is no series (each
    with the reason)."""

    series: dict[str, FileSeries] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


def read_file(data: bytes, *, max_bytes: int, zone: str) -> IcsFile:
    """The file's series; times that name no zone (floating, or single events in UTC) are read
    in the file's X-WR-TIMEZONE, else in ``zone`` (the calendar's).  Raises IcsImportError when
    the file cannot be read."""
    parsed = read_calendar(data, max_bytes=max_bytes)
    zones = _file_zones(parsed, zone)
    found = IcsFile()
    overrides: dict[str, list[icalendar.cal.Component]] = {}
    for component in parsed.subcomponents:
        if component.name in QUIET_KINDS:
            continue
        if component.name not in EVENT_KINDS:
            found.skipped.append(
                Skipped(_label(component), f"{component.name}: only events (VEVENT) are imported")
            )
            continue
        uid = str(component.get("UID", "")).strip()
        if not uid:
            found.skipped.append(Skipped(_label(component), "it has no UID"))
        elif "RECURRENCE-ID" in component:
            overrides.setdefault(uid, []).append(component)
        elif uid in found.series:
            found.skipped.append(
                Skipped(uid, "a second VEVENT with the same UID and no RECURRENCE-ID")
            )
        else:
            found.series[uid] = FileSeries(uid, component, [], zones)
    for uid, changed in overrides.items():
        if uid in found.series:
            found.series[uid].changed.extend(changed)
        else:
            found.skipped.append(
                Skipped(uid, "changes to occurrences of a series that is not in the file")
            )
    return found


def read_calendar(data: bytes, *, max_bytes: int) -> icalendar.Calendar:
    """Parse the file; raises IcsImportError when it is too large or not an iCalendar file."""
    if len(data) > max_bytes:
        raise IcsImportError(f"the file is larger than the import limit of {max_bytes:,} bytes")
    if not data.strip():
        raise IcsImportError("the file is empty")
    _refuse_other_kinds(data)
    text = _decoded(data)
    try:
        check_structure(text)  # before icalendar builds anything: see ``structure``
    except StructureError as error:
        raise IcsImportError(_printable(error)) from None
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, TypeError, IndexError, KeyError) as error:
        first = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        raise IcsImportError(f"not a readable iCalendar file: {_printable(first)}") from None
    if calendar.name != "VCALENDAR":
        raise IcsImportError("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
    for component in calendar.walk():
        for name, message in component.errors:
            if name is None:  # a line that is no property at all: the file is damaged
                raise IcsImportError(f"not a readable iCalendar file: {_printable(message)}")
    try:
        check_zones(calendar)  # before any time is read in the file's own zones
    except ZoneBudgetError as error:
        raise IcsImportError(_printable(error)) from None
    return calendar


def _decoded(data: bytes) -> str:
    """The file as text, decoded as icalendar decodes it (UTF-8, a byte order mark dropped,
    undecodable bytes replaced)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", "replace")


_EXPORT_HINT = (
    "export the calendar as an iCalendar (.ics) file: in Outlook, File > Save "
    "Calendar; in Google Calendar, Settings > Import & export; in Apple Calendar, "
    "File > Export"
)


def _refuse_other_kinds(data: bytes) -> None:
    """Say in words what a file that is no iCalendar text looks like (a CSV export, a
    spreadsheet, a document), before the parser says it in its own terms."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise IcsImportError(
            "not a readable iCalendar file: it is a binary file (a spreadsheet, "
            f"a document or an archive); {_EXPORT_HINT}"
        )
    first = head.split(b"\n", 1)[0].strip()
    if first.upper().startswith(b"BEGIN:"):
        return
    if any(mark in first for mark in (b",", b";", b"\t")):
        raise IcsImportError(
            f"not a readable iCalendar file: it looks like a CSV (spreadsheet) file; {_EXPORT_HINT}"
        )
    raise IcsImportError(
        f"not a readable iCalendar file: it does not begin with BEGIN:VCALENDAR; {_EXPORT_HINT}"
    )


def _printable(text: object) -> str:
    return without_control_characters(str(text), "?")[:200]


def _label(component: Any) -> str:
    uid = str(component.get("UID", "")).strip()
    summary = str(component.get("SUMMARY", "")).strip()
    return summary[:80] or uid or component.name


# Reading one series ---------------------------------------------------------------------------


@dataclass
class _Zones:
    """How the file's times are read: the IANA zone of each TZID, and the zone of floating
    times and of single events given in UTC (the file's X-WR-TIMEZONE, else the calendar's)."""

    by_tzid: FileZones
    default: str


def _file_zones(parsed: icalendar.Calendar, zone: str) -> _Zones:
    declared = iana_name(str(parsed.get("X-WR-TIMEZONE", "")))
    default = declared or zone
    return _Zones(FileZones(parsed, [zone, default]), default)


def _in_zone(value: Any, params: Any, zones: _Zones) -> Any:
    """A date-time with a TZID as its wall time in the IANA zone that TZID means (Windows names
    and the file's own VTIMEZONEs matched), so Outlook's London 10:00 stays 10:00 in summer;
    a TZID that means no IANA zone keeps the instant the file's own VTIMEZONE gives it, and
    one the file does not define is floating (and skipped: see ``_check_tzid``)."""
    tzid = getattr(params, "get", lambda _name: None)("TZID")
    if not tzid or not isinstance(value, datetime):
        return value
    return value.replace(tzinfo=zones.by_tzid.tz_for(str(tzid)))


def _moment(component: icalendar.cal.Component, name: str, zones: _Zones) -> Any:
    """The value of a single date or date-time property (DTSTART, DTEND, RECURRENCE-ID)."""
    return _in_zone(component.decoded(name), component[name].params, zones)


def _values(component: icalendar.cal.Component, name: str, zones: _Zones) -> list[Any]:
    """Every value of a property that may repeat (EXDATE, RDATE), flattened."""
    raw = component.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    values: list[Any] = []
    for item in items:
        values.extend(
            _in_zone(entry.dt, getattr(item, "params", None), zones) for entry in item.dts
        )
    return values


def _zone_of(component: icalendar.cal.Component, zones: _Zones) -> str:
    """The event's zone: the IANA zone its TZID means, else the file's (floating times, single
    events in UTC).  A recurring series given in UTC stays in UTC, so that every instance keeps
    its instant across the calendar zone's clock changes."""
    start = component.decoded("DTSTART")
    if not isinstance(start, datetime):
        return zones.default
    tzid = component["DTSTART"].params.get("TZID")
    if tzid:
        return zones.by_tzid.zone_for(str(tzid)) or zones.default
    if (
        start.tzinfo is not None
        and start.utcoffset() == timedelta(0)
        and component.get("RRULE") is not None
    ):
        return "UTC"
    return zones.default


def _local(
    value: Any, zone: str, all_day: bool, start_time: time | None, what: str
) -> rules.Moment:
    """A file value as the event's local moment (a date for all-day series), in the years the
    engine accepts (checked before it is converted or an end is computed from it)."""
    moment = _converted(value, zone, all_day, start_time, what)
    if not in_years(moment):
        raise Unreadable(f"{what} {YEARS_MESSAGE}")
    return moment


def _plus(start: rules.Moment, duration: Any, what: str) -> rules.Moment:
    """``start + duration`` (a DURATION), or a skip when it would pass the last year."""
    if not isinstance(duration, timedelta):
        raise Unreadable(f"{what} cannot be read")
    local = start if isinstance(start, datetime) else datetime.combine(start, time())
    if duration >= datetime(rules_limits.MAX_YEAR + 1, 1, 1) - local:  # noqa: DTZ001
        raise Unreadable(
            f"{what} is too long: the event would end after the year {rules_limits.MAX_YEAR}"
        )
    if duration < datetime(rules_limits.MIN_YEAR, 1, 1) - local:  # noqa: DTZ001
        raise Unreadable(
            f"{what} is negative: the event would end before the year {rules_limits.MIN_YEAR}"
        )
    return start + duration


def _converted(
    value: Any, zone: str, all_day: bool, start_time: time | None, what: str
) -> rules.Moment:
    if isinstance(value, date) and not in_years(value):  # before converting it: see _local
        raise Unreadable(f"{what} {YEARS_MESSAGE}")
    if all_day:
        if isinstance(value, datetime):
            raise Unreadable(f"{what} has a time but the event is all-day")
        if not isinstance(value, date):
            raise Unreadable(f"{what} is not a date")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(microsecond=0)  # floating: the event's local time
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date) and start_time is not None:
        return datetime.combine(value, start_time)  # a DATE exception of a timed series
    raise Unreadable(f"{what} is not a date-time")


def _check_tzid(component: icalendar.cal.Component, name: str, zones: _Zones) -> None:
    prop = component.get(name)
    if prop is None or isinstance(prop, list):
        return
    tzid = getattr(prop, "params", {}).get("TZID")
    value = getattr(prop, "dt", None)
    if tzid and isinstance(value, datetime) and zones.by_tzid.tz_for(str(tzid)) is None:
        raise Unreadable(f"{name} names an unknown time zone {str(tzid)[:64]!r}")


def _text(component: icalendar.cal.Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value)


def _category_names(component: icalendar.cal.Component) -> Iterator[object]:
    raw = component.get("CATEGORIES")
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    for item in items:
        yield from getattr(item, "cats", [item])


def _categories(component: icalendar.cal.Component, uid: str) -> tuple[list[str], list[Note]]:
    """The event's category slugs, each once, in the file's order: at most MAX_CATEGORIES (the
    store's limit), the rest dropped with a note.  Stops at the first name past the limit, so a
    line of a million names costs no more than reading it (never a scan of the kept ones)."""
    slugs: dict[str, None] = {}  # an ordered set
    for name in _category_names(component):
        slug = _SLUG_CHARS.sub("-", str(name).lower()).strip("-")[:64]
        if not slug or slug in slugs:
            continue
        if len(slugs) == MAX_CATEGORIES:
            return list(slugs), [
                Note(
                    uid,
                    f"only its first {MAX_CATEGORIES} categories were "
                    f"kept (an event has at most {MAX_CATEGORIES})",
                )
            ]
        slugs[slug] = None
    return list(slugs), []


def _rrule(component: icalendar.cal.Component) -> tuple[rules.Rule | None, tuple[str, str] | None]:
    """The series' rule, and the engine's objection to it as (field, message): told only when
    nothing else of the event is wrong, as validation tells it."""
    raw = component.get("RRULE")
    if raw is None:
        return None, None
    if isinstance(raw, list):
        if len(raw) > 1:
            raise Unreadable("more than one RRULE is not supported")
        raw = raw[0]
    if component.get("EXRULE") is not None:
        raise Unreadable("EXRULE is not supported (it is deprecated in RFC 5545)")
    text = raw.to_ical().decode("utf-8").strip()
    if not text:
        return None, None
    try:
        return rules.parse_rule(text), None
    except rules.RulesError as error:
        return None, (error.field if error.field in WRITABLE else "rrule", error.message)


def _event_draft(
    component: icalendar.cal.Component, uid: str, zones: _Zones
) -> tuple[EventDraft, tuple[str, str] | None, list[Note]]:
    """The VEVENT as a draft (of no calendar yet), the rule's error, and notes."""
    if component.errors:
        name, message = component.errors[0]
        raise Unreadable(f"{name} cannot be read: {_printable(message)}")
    if component.get("DTSTART") is None:
        raise Unreadable("it has no DTSTART")
    for name in ("DTSTART", "DTEND", "EXDATE", "RDATE", "RECURRENCE-ID"):
        _check_tzid(component, name, zones)
    start_raw = _moment(component, "DTSTART", zones)
    all_day = not isinstance(start_raw, datetime)
    zone = _zone_of(component, zones)
    start = _local(start_raw, zone, all_day, None, "DTSTART")
    start_time = start.time() if isinstance(start, datetime) else None
    if component.get("DTEND") is not None:
        end = _local(_moment(component, "DTEND", zones), zone, all_day, start_time, "DTEND")
    elif component.get("DURATION") is not None:
        end = _plus(start, component.decoded("DURATION"), "DURATION")
    else:
        end = start + timedelta(days=1) if all_day else start  # RFC 5545 §3.6.1
    for value in _values(component, "RDATE", zones):
        if isinstance(value, tuple):
            raise Unreadable("RDATE with a PERIOD value is not supported")
    status = _text(component, "STATUS").lower()
    categories, notes = _categories(component, uid)
    tzid = component["DTSTART"].params.get("TZID") if not all_day else None
    if tzid and zones.by_tzid.zone_for(str(tzid)) is None:
        notes.append(
            Note(
                _label(component),
                (
                    f"its time zone {str(tzid)[:64]!r} is no known zone and agrees with none: its "
                    f"times were kept as the instants the file gives, in {zone}"
                ),
            )
        )
    rrule, rule_error = _rrule(component)
    return (
        EventDraft(
            calendar=None,
            uid=uid,
            title=_text(component, "SUMMARY").strip() or "(untitled)",
            description=_text(component, "DESCRIPTION"),
            location=_text(component, "LOCATION"),
            url=_text(component, "URL").strip(),
            categories=tuple(categories),
            all_day=all_day,
            timezone=zone,
            start=start,
            end=end,
            rrule=rrule,
            rdates=_moments(component, "RDATE", zones, zone, all_day, start_time),
            exdates=_moments(component, "EXDATE", zones, zone, all_day, start_time),
            status=status if status in ("confirmed", "tentative", "cancelled") else "confirmed",
        ),
        rule_error,
        notes,
    )


def _moments(
    component: icalendar.cal.Component,
    name: str,
    zones: _Zones,
    zone: str,
    all_day: bool,
    start_time: time | None,
) -> tuple[rules.Moment, ...]:
    """The event's RDATEs or EXDATEs as its local moments, each once, in order."""
    found = {
        _local(value, zone, all_day, start_time, name) for value in _values(component, name, zones)
    }
    return tuple(sorted(found, key=format_moment))


def _override_body(
    component: icalendar.cal.Component, master: EventDraft, zones: _Zones, start_time: time | None
) -> tuple[str, dict[str, str]]:
    """The occurrence's recurrence id as text, and what the file changes of it."""
    zone, all_day = master.timezone or "UTC", master.all_day
    if component["RECURRENCE-ID"].params.get("RANGE"):
        raise Unreadable("RECURRENCE-ID with RANGE=THISANDFUTURE is not supported")
    if component.errors:
        name, message = component.errors[0]
        raise Unreadable(f"an occurrence's {name} cannot be read: {_printable(message)}")
    _check_tzid(component, "RECURRENCE-ID", zones)
    rid = _local(
        _moment(component, "RECURRENCE-ID", zones), zone, all_day, start_time, "RECURRENCE-ID"
    )
    key = format_moment(rid)
    if _text(component, "STATUS").lower() == "cancelled":
        return key, {"status": "cancelled"}
    body: dict[str, str] = {}
    length = _length(master)
    if component.get("DTSTART") is not None:
        start = _local(_moment(component, "DTSTART", zones), zone, all_day, start_time, "DTSTART")
        if component.get("DTEND") is not None:
            end = _local(_moment(component, "DTEND", zones), zone, all_day, start_time, "DTEND")
        elif component.get("DURATION") is not None:
            end = _plus(start, component.decoded("DURATION"), "an occurrence's DURATION")
        else:
            end = start + length
        if start != rid or end != rid + length:
            body["start"], body["end"] = format_moment(start), format_moment(end)
    for name, prop, given in (
        ("title", "SUMMARY", master.title),
        ("location", "LOCATION", master.location),
        ("description", "DESCRIPTION", master.description),
    ):
        value = _text(component, prop)
        if prop in component and value != given:
            body[name] = value
    return key, body


def _length(master: EventDraft) -> timedelta:
    """How long each occurrence of the series lasts (the reader always sets an end)."""
    assert master.start is not None and master.end is not None
    return master.end - master.start  # both dates or both times


def _read_series(item: FileSeries) -> SeriesDraft:
    event, rule_error, notes = _event_draft(item.master, item.uid, item.zones)
    start_time = event.start.time() if isinstance(event.start, datetime) else None
    bodies: dict[str, dict[str, str]] = {}
    for component in item.changed:
        key, body = _override_body(component, event, item.zones, start_time)
        bodies[key] = body
    # A cancelled occurrence may come as EXDATE plus a cancelled override: keep the override.
    exdates = tuple(
        value
        for value in event.exdates
        if bodies.get(format_moment(value), {}).get("status") != "cancelled"
    )
    return SeriesDraft(
        uid=item.uid,
        event=replace(event, exdates=exdates),
        rule_error=rule_error,
        overrides=bodies,
        notes=notes,
    )
