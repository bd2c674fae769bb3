"""Import an .ics file (an Outlook or Google Calendar export, or our own feed) into a calendar.

Events are matched by UID within the calendar, so importing the same file again updates rather
than duplicates.  RRULE, RDATE, EXDATE and RECURRENCE-ID overrides survive; a STATUS:CANCELLED
override cancels its occurrence.  Times are converted from the file's TZIDs (IANA, Windows names
and the file's own VTIMEZONEs, as icalendar resolves them) or UTC into the event's zone.  A
file whose own VTIMEZONEs are over the budget of ``zone_budget`` (observances that repeat more
often than yearly, too many clock changes) is refused before any time in it is read.

Each series is first read and checked (what cannot be imported is *skipped*, with the reason),
then the planned changes are written through ``operations``.  A file that cannot be read at all
raises ``IcsImportError`` and changes nothing.  By default the caller commits once or rolls back,
so an import is all or nothing; on SQLite the callers pass a ``batch_size`` so that a large
import commits every few events and does not hold the database's one write lock for minutes
(then it is not atomic for readers: see ``import_ics``).  Every step costs in proportion to the
file: categories and overrides are kept in sets and dicts, never rescanned lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic, sleep
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

import rules
from calendar_service.ical.structure import StructureError, check_structure
from calendar_service.ical.zone_budget import ZoneBudgetError, check_zones
from calendar_service.ical.zone_names import FileZones, iana_name
from calendar_service.store import addresses, calendar_limits, operations, permissions
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import Conflict, StoreError, ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import YEARS_MESSAGE, format_moment, in_years
from calendar_service.store.occurrences import series_of
from calendar_service.store.validation import (
    MAX_CATEGORIES,
    validate_event,
    without_control_characters,
)
from rules import limits as rules_limits

EVENT_KINDS = ("VEVENT",)
QUIET_KINDS = ("VTIMEZONE",)  # read by icalendar for the TZIDs; nothing to import or report
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
# Why an event whose uid is another event's uid or readable address (in any calendar, or made
# earlier from this file) is skipped: saved, it would take over that event's page and download.
ADDRESS_TAKEN = ("its UID is the address of another event (/events/<uid>): imported, it would "
                 "take over that event's page")


class IcsImportError(ValueError):
    """The file as a whole cannot be imported; the message says why, in one line.

    ``saved`` is what the committed batches of a batched import had saved before it stopped
    (None when nothing was: the caller rolls back the rest)."""

    def __init__(self, message: str, saved: ImportResult | None = None) -> None:
        super().__init__(message)
        self.saved = saved


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


@dataclass(frozen=True)
class ImportOptions:
    """What the importer chose: a category (an existing slug of the calendar) given to every
    event, and whether the events the import creates are drafts (unpublished)."""

    category: str | None = None
    draft: bool = False


@dataclass
class ImportResult:
    """What an import did: uids created, updated, unchanged, what it skipped and why, and notes
    on what it imported otherwise than the file says."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # uid → the event's title
    whens: dict[str, str] = field(default_factory=dict)  # uid → its first start, zone, rule
    # Transactions the events were written in: more than one when the import was batched, and
    # then it was not all or nothing for readers (see ``import_ics``).
    transactions: int = 1

    def copy(self) -> ImportResult:
        return ImportResult(list(self.created), list(self.updated), list(self.unchanged),
                            list(self.skipped), list(self.notes), dict(self.titles),
                            dict(self.whens), self.transactions)

    def title(self, uid: str) -> str:
        """What a person calls the event: its title (the uid only when it has none)."""
        return self.titles.get(uid) or uid

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped")


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Plan:
    uid: str
    data: dict[str, Any]
    overrides: dict[str, dict[str, Any]]  # recurrence id text → set_override body
    existing: Event | None
    notes: list[Note] = field(default_factory=list)


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


_EXPORT_HINT = ("export the calendar as an iCalendar (.ics) file: in Outlook, File > Save "
                "Calendar; in Google Calendar, Settings > Import & export; in Apple Calendar, "
                "File > Export")


def _refuse_other_kinds(data: bytes) -> None:
    """Say in words what a file that is no iCalendar text looks like (a CSV export, a
    spreadsheet, a document), before the parser says it in its own terms."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise IcsImportError("not a readable iCalendar file: it is a binary file (a spreadsheet, "
                             f"a document or an archive); {_EXPORT_HINT}")
    first = head.split(b"\n", 1)[0].strip()
    if first.upper().startswith(b"BEGIN:"):
        return
    if any(mark in first for mark in (b",", b";", b"\t")):
        raise IcsImportError("not a readable iCalendar file: it looks like a CSV (spreadsheet) "
                             f"file; {_EXPORT_HINT}")
    raise IcsImportError("not a readable iCalendar file: it does not begin with "
                         f"BEGIN:VCALENDAR; {_EXPORT_HINT}")


def _printable(text: object) -> str:
    return without_control_characters(str(text), "?")[:200]


# SQLite's busy handler (``PRAGMA busy_timeout``) naps up to 100 ms between tries for a lock, so
# a writer that has waited a while may sleep through a shorter gap between two batches and
# then wait for the next batch too, and the next: the lock is left free at least this long.
WRITERS_GAP = 0.11

DRY_RUN_EVENTS = 100
"""Events a dry run writes (and rolls back) in one step when the real import would be one
transaction (PostgreSQL, or IMPORT_BATCH_EVENTS 0): the default step of a real import."""


def batch_size_for(configured: int) -> int:
    """How many events an import writes per transaction on this database: ``configured``
    (IMPORT_BATCH_EVENTS) on SQLite, where a transaction that writes holds the one write lock
    of the whole database and every other write, sign-in and token use waits for it; 0 (one
    transaction, all or nothing) on PostgreSQL, whose row locks hold up only writes to the
    same calendar."""
    return max(0, configured) if db.engine.dialect.name == "sqlite" else 0


def _writers_gap() -> float:
    """How long the lock stays free between two steps: SQLite's waiting writers nap (see
    ``WRITERS_GAP``); PostgreSQL queues a waiting writer and hands it the row the moment a
    step ends."""
    return WRITERS_GAP if db.engine.dialect.name == "sqlite" else 0.0


def _steps(uids: list[str], size: int) -> list[list[str]]:
    step = size if size > 0 else max(1, len(uids))
    return [uids[offset:offset + step] for offset in range(0, len(uids), step)] or [[]]


def import_ics(data: bytes, calendar: Calendar, actor: Actor, *, max_bytes: int,
               source: str = "", batch_size: int = 0,
               options: ImportOptions | None = None, dry_run: bool = False) -> ImportResult:
    """Import every VEVENT of the file into ``calendar``, audited as ``actor``'s import of
    ``source`` (the file's name).  Raises ``Forbidden`` when the actor may not change the
    calendar.

    With ``batch_size`` 0 it only flushes, and the caller commits once (all or nothing).  With
    ``batch_size`` N it commits after every N series (planned just before they are written,
    so the write lock is free while the next batch is read and checked), and the caller
    commits the last batch: others' writes get in between batches, but a reader meanwhile
    sees part of the file, and an error stops the import with the earlier batches kept
    (``IcsImportError.saved``).  The result says how many transactions it took and, when more
    than one, notes it.

    A ``dry_run`` writes the same changes and rolls them back, a step at a time: every
    ``batch_size`` series (``DRY_RUN_EVENTS`` when 0) are planned, written, counted and rolled
    back before the next are planned, and the caller rolls back the last step.  So a dry run
    holds SQLite's write lock, or the calendar's row on PostgreSQL, no longer than one step of
    a real import, whatever the file, while it lists exactly what the import with
    ``batch_size`` would do (its transactions and note included); it saves and audits
    nothing."""
    permissions.require_edit(actor, calendar)
    parsed = read_calendar(data, max_bytes=max_bytes)
    options = options or ImportOptions()
    if options.category and options.category not in {c.slug for c in calendar.categories}:
        raise IcsImportError(f"the calendar has no category {options.category[:64]!r}")
    zones = _file_zones(parsed, calendar)
    result = ImportResult()
    masters, overrides = _components(parsed, result)
    uids = list(masters)
    batches = _steps(uids, (batch_size or DRY_RUN_EVENTS) if dry_run else batch_size)
    saved: ImportResult | None = None
    ended = 0.0
    for number, batch in enumerate(batches):
        if number:
            if dry_run:
                db.session.rollback()  # frees the lock; the caller rolls back the last step
            else:
                db.session.commit()  # lets other writers in; the caller commits the last batch
                saved = result.copy()
            ended = monotonic()
        plans = []
        for uid in batch:
            try:
                plans.append(_plan(uid, masters[uid], overrides.get(uid, []), calendar,
                                   zones, options))
            except _Skip as skip:
                result.skipped.append(Skipped(_label(masters[uid]), skip.reason))
        if number:
            sleep(max(0.0, ended + _writers_gap() - monotonic()))
        _write(plans, calendar, actor, result, saved)
    _note_steps(result, _steps(uids, batch_size), source, dry_run)
    if not dry_run:
        audit(actor, "import", "calendar", calendar.slug, calendar, file=source[-200:],
              summary=result.summary(), transactions=result.transactions)
    return result


def _write(plans: list[_Plan], calendar: Calendar, actor: Actor, result: ImportResult,
           saved: ImportResult | None) -> None:
    with operations.categories_indexed(calendar):  # thousands of lookups, one query
        for plan in plans:
            try:
                _apply(plan, actor, result)
            except IcsImportError as error:
                error.saved = saved
                raise


def _note_steps(result: ImportResult, batches: list[list[str]], source: str,
                dry_run: bool) -> None:
    """The transactions the import takes (a dry run's: those the real import would take)."""
    result.transactions = len(batches)
    if len(batches) > 1:
        written, saw = ("would be written", "would see") if dry_run else ("written", "saw")
        result.notes.append(Note(source[-80:] or "the file", (
            f"{written} in {len(batches)} steps of at most {len(batches[0])} events so that "
            f"others could save changes meanwhile; until the last step, readers {saw} only "
            "part of it")))


def _components(parsed: icalendar.Calendar, result: ImportResult
                ) -> tuple[dict[str, icalendar.cal.Component],
                           dict[str, list[icalendar.cal.Component]]]:
    """The file's series by UID and their changed occurrences; the rest is skipped."""
    masters: dict[str, icalendar.cal.Component] = {}
    overrides: dict[str, list[icalendar.cal.Component]] = {}
    for component in parsed.subcomponents:
        if component.name in QUIET_KINDS:
            continue
        if component.name not in EVENT_KINDS:
            result.skipped.append(Skipped(
                _label(component), f"{component.name}: only events (VEVENT) are imported"))
            continue
        uid = str(component.get("UID", "")).strip()
        if not uid:
            result.skipped.append(Skipped(_label(component), "it has no UID"))
        elif "RECURRENCE-ID" in component:
            overrides.setdefault(uid, []).append(component)
        elif uid in masters:
            result.skipped.append(Skipped(uid, "a second VEVENT with the same UID and no "
                                               "RECURRENCE-ID"))
        else:
            masters[uid] = component
    for uid in overrides:
        if uid not in masters:
            result.skipped.append(Skipped(uid, "changes to occurrences of a series that is "
                                               "not in the file"))
    return masters, overrides


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


def _file_zones(parsed: icalendar.Calendar, calendar: Calendar) -> _Zones:
    declared = iana_name(str(parsed.get("X-WR-TIMEZONE", "")))
    default = declared or calendar.timezone
    return _Zones(FileZones(parsed, [calendar.timezone, default]), default)


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
        values.extend(_in_zone(entry.dt, getattr(item, "params", None), zones)
                      for entry in item.dts)
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
    if start.tzinfo is not None and start.utcoffset() == timedelta(0) \
            and component.get("RRULE") is not None:
        return "UTC"
    return zones.default


def _local(value: Any, zone: str, all_day: bool, start_time: time | None,
           what: str) -> rules.Moment:
    """A file value as the event's local moment (a date for all-day series), in the years the
    engine accepts (checked before it is converted or an end is computed from it)."""
    moment = _converted(value, zone, all_day, start_time, what)
    if not in_years(moment):
        raise _Skip(f"{what} {YEARS_MESSAGE}")
    return moment


def _plus(start: rules.Moment, duration: Any, what: str) -> rules.Moment:
    """``start + duration`` (a DURATION), or a skip when it would pass the last year."""
    if not isinstance(duration, timedelta):
        raise _Skip(f"{what} cannot be read")
    local = start if isinstance(start, datetime) else datetime.combine(start, time())
    if duration >= datetime(rules_limits.MAX_YEAR + 1, 1, 1) - local:  # noqa: DTZ001
        raise _Skip(f"{what} is too long: the event would end after the year "
                    f"{rules_limits.MAX_YEAR}")
    if duration < datetime(rules_limits.MIN_YEAR, 1, 1) - local:  # noqa: DTZ001
        raise _Skip(f"{what} is negative: the event would end before the year "
                    f"{rules_limits.MIN_YEAR}")
    return start + duration


def _converted(value: Any, zone: str, all_day: bool, start_time: time | None,
               what: str) -> rules.Moment:
    if isinstance(value, date) and not in_years(value):  # before converting it: see _local
        raise _Skip(f"{what} {YEARS_MESSAGE}")
    if all_day:
        if isinstance(value, datetime):
            raise _Skip(f"{what} has a time but the event is all-day")
        if not isinstance(value, date):
            raise _Skip(f"{what} is not a date")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(microsecond=0)  # floating: the event's local time
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date) and start_time is not None:
        return datetime.combine(value, start_time)  # a DATE exception of a timed series
    raise _Skip(f"{what} is not a date-time")


def _check_tzid(component: icalendar.cal.Component, name: str, zones: _Zones) -> None:
    prop = component.get(name)
    if prop is None or isinstance(prop, list):
        return
    tzid = getattr(prop, "params", {}).get("TZID")
    value = getattr(prop, "dt", None)
    if tzid and isinstance(value, datetime) and zones.by_tzid.tz_for(str(tzid)) is None:
        raise _Skip(f"{name} names an unknown time zone {str(tzid)[:64]!r}")


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
            return list(slugs), [Note(uid, f"only its first {MAX_CATEGORIES} categories were "
                                           f"kept (an event has at most {MAX_CATEGORIES})")]
        slugs[slug] = None
    return list(slugs), []


def _rrule(component: icalendar.cal.Component) -> str | None:
    raw = component.get("RRULE")
    if raw is None:
        return None
    if isinstance(raw, list):
        if len(raw) > 1:
            raise _Skip("more than one RRULE is not supported")
        raw = raw[0]
    if component.get("EXRULE") is not None:
        raise _Skip("EXRULE is not supported (it is deprecated in RFC 5545)")
    text: bytes = raw.to_ical()
    return text.decode("utf-8")


def _event_data(component: icalendar.cal.Component, calendar: Calendar, uid: str,
                zones: _Zones) -> tuple[dict[str, Any], list[Note]]:
    if component.errors:
        name, message = component.errors[0]
        raise _Skip(f"{name} cannot be read: {_printable(message)}")
    if component.get("DTSTART") is None:
        raise _Skip("it has no DTSTART")
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
            raise _Skip("RDATE with a PERIOD value is not supported")
    status = _text(component, "STATUS").lower()
    categories, notes = _categories(component, uid)
    tzid = component["DTSTART"].params.get("TZID") if not all_day else None
    if tzid and zones.by_tzid.zone_for(str(tzid)) is None:
        notes.append(Note(_label(component), (
            f"its time zone {str(tzid)[:64]!r} is no known zone and agrees with none: its "
            f"times were kept as the instants the file gives, in {zone}")))
    return {
        "uid": uid, "calendar": calendar.slug,
        "title": _text(component, "SUMMARY").strip() or "(untitled)",
        "description": _text(component, "DESCRIPTION"),
        "location": _text(component, "LOCATION"),
        "url": _text(component, "URL").strip(),
        "categories": categories,
        "all_day": all_day, "timezone": zone,
        "start": format_moment(start), "end": format_moment(end),
        "rrule": _rrule(component),
        "rdates": sorted({format_moment(_local(v, zone, all_day, start_time, "RDATE"))
                          for v in _values(component, "RDATE", zones)}),
        "exdates": sorted({format_moment(_local(v, zone, all_day, start_time, "EXDATE"))
                           for v in _values(component, "EXDATE", zones)}),
        "status": status if status in ("confirmed", "tentative", "cancelled") else "confirmed",
        "published": True,
    }, notes


def _override_body(component: icalendar.cal.Component, master: dict[str, Any], zones: _Zones,
                   start_time: time | None) -> tuple[str, dict[str, Any]]:
    zone, all_day = master["timezone"], master["all_day"]
    if component["RECURRENCE-ID"].params.get("RANGE"):
        raise _Skip("RECURRENCE-ID with RANGE=THISANDFUTURE is not supported")
    if component.errors:
        name, message = component.errors[0]
        raise _Skip(f"an occurrence's {name} cannot be read: {_printable(message)}")
    _check_tzid(component, "RECURRENCE-ID", zones)
    rid = _local(_moment(component, "RECURRENCE-ID", zones), zone, all_day, start_time,
                 "RECURRENCE-ID")
    key = format_moment(rid)
    if _text(component, "STATUS").lower() == "cancelled":
        return key, {"status": "cancelled"}
    body: dict[str, Any] = {}
    if component.get("DTSTART") is not None:
        start = _local(_moment(component, "DTSTART", zones), zone, all_day, start_time,
                       "DTSTART")
        if component.get("DTEND") is not None:
            end = _local(_moment(component, "DTEND", zones), zone, all_day, start_time, "DTEND")
        elif component.get("DURATION") is not None:
            end = _plus(start, component.decoded("DURATION"), "an occurrence's DURATION")
        else:
            end = start + (_as_moment_delta(master))
        if start != rid or end != rid + _as_moment_delta(master):
            body["start"], body["end"] = format_moment(start), format_moment(end)
    for name, prop in (("title", "SUMMARY"), ("location", "LOCATION"),
                       ("description", "DESCRIPTION")):
        value = _text(component, prop)
        if prop in component and value != master[name]:
            body[name] = value
    return key, body


def _as_moment_delta(master: dict[str, Any]) -> timedelta:
    if master["all_day"]:
        return date.fromisoformat(master["end"]) - date.fromisoformat(master["start"])
    return datetime.fromisoformat(master["end"]) - datetime.fromisoformat(master["start"])


def _plan(uid: str, component: icalendar.cal.Component, changed: Iterable[icalendar.cal.Component],
          calendar: Calendar, zones: _Zones, options: ImportOptions) -> _Plan:
    existing = addresses.holder(uid)  # by uid, else the event whose readable address it is
    if existing is not None and existing.uid != uid:
        raise _Skip(ADDRESS_TAKEN)
    if existing is not None and existing.calendar_id != calendar.id:
        raise _Skip(f"this uid belongs to an event of the calendar {existing.calendar.slug!r}")
    data, notes = _event_data(component, calendar, uid, zones)
    _choose(data, existing, options)
    all_day = data["all_day"]
    start_time = None if all_day else datetime.fromisoformat(data["start"]).time()
    bodies: dict[str, dict[str, Any]] = {}
    for item in changed:
        key, body = _override_body(item, data, zones, start_time)
        bodies[key] = body
    # A cancelled occurrence may come as EXDATE plus a cancelled override: keep the override.
    data["exdates"] = [value for value in data["exdates"]
                       if bodies.get(value, {}).get("status") != "cancelled"]
    checked = {key: value for key, value in data.items() if key != "uid"} \
        if existing is not None else data
    try:
        values = validate_event(checked, existing=existing,
                                find_calendar=operations.find_calendar)
    except ValidationError as error:
        name, message = next(iter(error.errors.items()))
        raise _Skip(f"{name}: {message}") from None
    assert values.series is not None
    for key in bodies:
        moment = datetime.fromisoformat(key) if not all_day else date.fromisoformat(key)
        if not rules.generates(values.series, moment):
            raise _Skip(f"RECURRENCE-ID {key} is not an occurrence of the series")
    try:  # the calendar's limits, counting the events planned before this one
        calendar_limits.admit(calendar, uid, values.series, replacing=existing)
    except ValidationError as error:
        name, message = next(iter(error.errors.items()))
        raise _Skip(f"{name}: {message}") from None
    return _Plan(uid=uid, data=data, overrides=bodies, existing=existing, notes=notes)


def _when(data: dict[str, Any], repeats: str | None) -> str:
    """The first start as the import read it, and how it repeats: in a dry run, whether the
    times came out right shows before anything is saved."""
    start = data["start"].replace("T", " ")[:16]
    where = "all day" if data["all_day"] else data["timezone"]
    return f"{start} ({where})" + (f"; {repeats}" if data["rrule"] and repeats else "")


def _choose(data: dict[str, Any], existing: Event | None, options: ImportOptions) -> None:
    """What the importer chose: the category comes first among the file's (which are cut to
    the store's limit), and new events are drafts when asked; an event the import updates
    keeps whether it is published."""
    if options.category:
        kept = [slug for slug in data["categories"] if slug != options.category]
        data["categories"] = [options.category, *kept][:MAX_CATEGORIES]
    if existing is not None:
        del data["published"]
    else:
        data["published"] = not options.draft


# Writing --------------------------------------------------------------------------------------


def _apply(plan: _Plan, actor: Actor, result: ImportResult) -> None:
    """Write one planned series; an error here stops the import (the caller rolls back what
    was not committed)."""
    try:
        if plan.existing is None:
            try:
                event = operations.create_event(plan.data, actor, readable_address=True)
            except Conflict:  # the address of an event made since the plan (this file's)
                result.skipped.append(Skipped(plan.data["title"], ADDRESS_TAKEN))
                return
            before = None
        else:
            event = plan.existing
            before = event.revision
            operations.update_event(event, {k: v for k, v in plan.data.items() if k != "uid"},
                                    actor)
        operations.replace_overrides(event, plan.overrides, actor)
        if before is None:  # no subscriber has seen it yet: a new event starts at SEQUENCE 0
            event.sequence = 0
            for row in event.overrides:
                row.sequence = 0
    except (StoreError, rules.RulesError) as error:
        raise IcsImportError(f"event {plan.uid!r} could not be saved: {error}") from None
    result.notes.extend(plan.notes)
    result.titles[plan.uid] = plan.data["title"]
    result.whens[plan.uid] = _when(plan.data, rules.describe(series_of(event)))
    if before is None:
        result.created.append(plan.uid)
    elif event.revision == before:
        result.unchanged.append(plan.uid)
    else:
        result.updated.append(plan.uid)
