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
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

import rules
from calendar_service.ical.zone_budget import ZoneBudgetError, check_zones
from calendar_service.store import operations, permissions
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import StoreError, ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import YEARS_MESSAGE, format_moment, in_years
from calendar_service.store.validation import (
    MAX_CATEGORIES,
    validate_event,
    without_control_characters,
)
from rules import limits as rules_limits

EVENT_KINDS = ("VEVENT",)
QUIET_KINDS = ("VTIMEZONE",)  # read by icalendar for the TZIDs; nothing to import or report
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


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


@dataclass
class ImportResult:
    """What an import did: uids created, updated, unchanged, what it skipped and why, and notes
    on what it imported otherwise than the file says."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Transactions the events were written in: more than one when the import was batched, and
    # then it was not all or nothing for readers (see ``import_ics``).
    transactions: int = 1

    def copy(self) -> ImportResult:
        return ImportResult(list(self.created), list(self.updated), list(self.unchanged),
                            list(self.skipped), list(self.notes), self.transactions)

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
    try:
        calendar = icalendar.Calendar.from_ical(data)
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


def _printable(text: object) -> str:
    return without_control_characters(str(text), "?")[:200]


def batch_size_for(configured: int) -> int:
    """How many events an import writes per transaction on this database: ``configured``
    (IMPORT_BATCH_EVENTS) on SQLite, where a transaction that writes holds the one write lock
    of the whole database and every other write, sign-in and token use waits for it; 0 (one
    transaction, all or nothing) on PostgreSQL, whose row locks hold up only writes to the
    same calendar."""
    return max(0, configured) if db.engine.dialect.name == "sqlite" else 0


def import_ics(data: bytes, calendar: Calendar, actor: Actor, *, max_bytes: int,
               source: str = "", batch_size: int = 0) -> ImportResult:
    """Import every VEVENT of the file into ``calendar``, audited as ``actor``'s import of
    ``source`` (the file's name).  Raises ``Forbidden`` when the actor may not change the
    calendar.

    With ``batch_size`` 0 it only flushes, and the caller commits once (all or nothing).  With
    ``batch_size`` N it commits after every N series (planned just before they are written,
    so the write lock is free while the next batch is read and checked), and the caller
    commits the last batch: others' writes get in between batches, but a reader meanwhile
    sees part of the file, and an error stops the import with the earlier batches kept
    (``IcsImportError.saved``).  The result says how many transactions it took and, when more
    than one, notes it."""
    permissions.require_edit(actor, calendar)
    parsed = read_calendar(data, max_bytes=max_bytes)
    result = ImportResult()
    masters, overrides = _components(parsed, result)
    uids = list(masters)
    step = batch_size if batch_size > 0 else max(1, len(uids))
    batches = [uids[offset:offset + step] for offset in range(0, len(uids), step)] or [[]]
    saved: ImportResult | None = None
    for number, batch in enumerate(batches):
        if number:
            db.session.commit()  # lets other writers in; the caller commits the last batch
            saved = result.copy()
        plans = []
        for uid in batch:
            try:
                plans.append(_plan(uid, masters[uid], overrides.get(uid, []), calendar))
            except _Skip as skip:
                result.skipped.append(Skipped(uid, skip.reason))
        for plan in plans:
            try:
                _apply(plan, actor, result)
            except IcsImportError as error:
                error.saved = saved
                raise
    result.transactions = len(batches)
    if len(batches) > 1:
        result.notes.append(Note(source[-80:] or "the file", (
            f"written in {len(batches)} steps of at most {step} events so that others could "
            "save changes meanwhile; until the last step, readers saw only part of it")))
    audit(actor, "import", "calendar", calendar.slug, calendar, file=source[-200:],
          summary=result.summary(), transactions=len(batches))
    return result


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
    return uid or summary[:80] or component.name


# Reading one series ---------------------------------------------------------------------------


def _values(component: icalendar.cal.Component, name: str) -> list[Any]:
    """Every value of a property that may repeat (EXDATE, RDATE), flattened."""
    raw = component.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    values: list[Any] = []
    for item in items:
        values.extend(entry.dt for entry in item.dts)
    return values


def _zone_of(component: icalendar.cal.Component, calendar: Calendar) -> str:
    """The event's zone: the IANA zone its TZID names (Windows names included), else the
    calendar's.  A recurring series given in UTC stays in UTC, so that every instance keeps
    its instant across the calendar zone's clock changes."""
    start = component.decoded("DTSTART")
    if not isinstance(start, datetime) or start.tzinfo is None:
        return calendar.timezone
    key = getattr(start.tzinfo, "key", None)
    if "TZID" in component["DTSTART"].params and isinstance(key, str) \
            and rules.is_valid_zone(key):
        return key
    if start.utcoffset() == timedelta(0) and component.get("RRULE") is not None:
        return "UTC"
    return calendar.timezone


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


def _check_tzid(component: icalendar.cal.Component, name: str) -> None:
    prop = component.get(name)
    if prop is None or isinstance(prop, list):
        return
    tzid = getattr(prop, "params", {}).get("TZID")
    value = getattr(prop, "dt", None)
    if tzid and isinstance(value, datetime) and value.tzinfo is None:
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


def _event_data(component: icalendar.cal.Component, calendar: Calendar, uid: str
                ) -> tuple[dict[str, Any], list[Note]]:
    if component.errors:
        name, message = component.errors[0]
        raise _Skip(f"{name} cannot be read: {_printable(message)}")
    if component.get("DTSTART") is None:
        raise _Skip("it has no DTSTART")
    for name in ("DTSTART", "DTEND", "EXDATE", "RDATE", "RECURRENCE-ID"):
        _check_tzid(component, name)
    start_raw = component.decoded("DTSTART")
    all_day = not isinstance(start_raw, datetime)
    zone = _zone_of(component, calendar)
    start = _local(start_raw, zone, all_day, None, "DTSTART")
    start_time = start.time() if isinstance(start, datetime) else None
    if component.get("DTEND") is not None:
        end = _local(component.decoded("DTEND"), zone, all_day, start_time, "DTEND")
    elif component.get("DURATION") is not None:
        end = _plus(start, component.decoded("DURATION"), "DURATION")
    else:
        end = start + timedelta(days=1) if all_day else start  # RFC 5545 §3.6.1
    for value in _values(component, "RDATE"):
        if isinstance(value, tuple):
            raise _Skip("RDATE with a PERIOD value is not supported")
    status = _text(component, "STATUS").lower()
    categories, notes = _categories(component, uid)
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
                          for v in _values(component, "RDATE")}),
        "exdates": sorted({format_moment(_local(v, zone, all_day, start_time, "EXDATE"))
                           for v in _values(component, "EXDATE")}),
        "status": status if status in ("confirmed", "tentative", "cancelled") else "confirmed",
        "published": True,
    }, notes


def _override_body(component: icalendar.cal.Component, master: dict[str, Any], zone: str,
                   all_day: bool, start_time: time | None) -> tuple[str, dict[str, Any]]:
    if component["RECURRENCE-ID"].params.get("RANGE"):
        raise _Skip("RECURRENCE-ID with RANGE=THISANDFUTURE is not supported")
    if component.errors:
        name, message = component.errors[0]
        raise _Skip(f"an occurrence's {name} cannot be read: {_printable(message)}")
    _check_tzid(component, "RECURRENCE-ID")
    rid = _local(component.decoded("RECURRENCE-ID"), zone, all_day, start_time, "RECURRENCE-ID")
    key = format_moment(rid)
    if _text(component, "STATUS").lower() == "cancelled":
        return key, {"status": "cancelled"}
    body: dict[str, Any] = {}
    if component.get("DTSTART") is not None:
        start = _local(component.decoded("DTSTART"), zone, all_day, start_time, "DTSTART")
        if component.get("DTEND") is not None:
            end = _local(component.decoded("DTEND"), zone, all_day, start_time, "DTEND")
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
          calendar: Calendar) -> _Plan:
    existing = operations.find_event(uid)
    if existing is not None and existing.calendar_id != calendar.id:
        raise _Skip(f"this uid belongs to an event of the calendar {existing.calendar.slug!r}")
    data, notes = _event_data(component, calendar, uid)
    all_day = data["all_day"]
    start_time = None if all_day else datetime.fromisoformat(data["start"]).time()
    bodies: dict[str, dict[str, Any]] = {}
    for item in changed:
        key, body = _override_body(item, data, data["timezone"], all_day, start_time)
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
    return _Plan(uid=uid, data=data, overrides=bodies, existing=existing, notes=notes)


# Writing --------------------------------------------------------------------------------------


def _apply(plan: _Plan, actor: Actor, result: ImportResult) -> None:
    """Write one planned series; an error here stops the import (the caller rolls back what
    was not committed)."""
    try:
        if plan.existing is None:
            event = operations.create_event(plan.data, actor)
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
    if before is None:
        result.created.append(plan.uid)
    elif event.revision == before:
        result.unchanged.append(plan.uid)
    else:
        result.updated.append(plan.uid)
