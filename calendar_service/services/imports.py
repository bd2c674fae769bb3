"""Import an .ics file into a calendar: the one flow of the organiser's import page and the
``import-ics`` command.

``ical.reader`` reads the file into drafts; this module matches them with the calendar's events
by UID (importing the same file again updates rather than duplicates), checks each against the
database and the calendar's limits (what cannot be imported is *skipped*, with the reason), and
writes them through ``operations``.  A file that cannot be read at all changes nothing.

An import is one transaction (all or nothing) unless it is given a ``batch_size``: on SQLite a
transaction that writes holds the whole database's one write lock, so there a large import
commits every few events and others' writes get in between (``batch_size_for``).  A dry run
writes the same changes and rolls them back a step at a time, so it holds the locks no longer
than one step of a real import, and lists exactly what the import would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from time import monotonic, sleep
from typing import Any

import rules
from calendar_service.ical import reader
from calendar_service.ical.reader import IcsImportError, Note, Skipped
from calendar_service.services.drafts import EventDraft
from calendar_service.services.unit_of_work import commit_so_far, roll_back
from calendar_service.store import addresses, calendar_limits, operations, permissions
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import Conflict, StoreError, ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import format_moment, parse_stored
from calendar_service.store.occurrences import series_of
from calendar_service.store.validation import MAX_CATEGORIES, ReadEvent, validate_draft

__all__ = [
    "IcsImportError",
    "ImportFailed",
    "ImportLimits",
    "ImportOptions",
    "ImportResult",
    "Note",
    "Skipped",
    "batch_size_for",
    "import_ics",
]

# Why an event whose uid is another event's uid or readable address (in any calendar, or made
# earlier from this file) is skipped: saved, it would take over that event's page and download.
ADDRESS_TAKEN = (
    "its UID is the address of another event (/events/<uid>): imported, it would "
    "take over that event's page"
)

# SQLite's busy handler (``PRAGMA busy_timeout``) naps up to 100 ms between tries for a lock, so
# a writer that has waited a while may sleep through a shorter gap between two batches and
# then wait for the next batch too, and the next: the lock is left free at least this long.
WRITERS_GAP = 0.11

DRY_RUN_EVENTS = 100
"""Events a dry run writes (and rolls back) in one step when the real import would be one
transaction (PostgreSQL, or IMPORT_BATCH_EVENTS 0): the default step of a real import."""


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
        return ImportResult(
            list(self.created),
            list(self.updated),
            list(self.unchanged),
            list(self.skipped),
            list(self.notes),
            dict(self.titles),
            dict(self.whens),
            self.transactions,
        )

    def title(self, uid: str) -> str:
        """What a person calls the event: its title (the uid only when it has none)."""
        return self.titles.get(uid) or uid

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped"
        )


class ImportFailed(IcsImportError):
    """The import stopped, and what it had not committed was rolled back; the message says why
    in one line.  ``saved`` is what the committed steps of a batched import had saved before
    it stopped (None when nothing was)."""

    def __init__(self, message: str, saved: ImportResult | None = None) -> None:
        super().__init__(message)
        self.saved = saved


@dataclass(frozen=True)
class ImportLimits:
    """The largest file an import reads, and how many events it writes per transaction."""

    max_bytes: int
    batch_size: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> ImportLimits:
        """The app's limits (IMPORT_MAX_BYTES, IMPORT_BATCH_EVENTS) on its database."""
        return cls(
            int(config["IMPORT_MAX_BYTES"]), batch_size_for(int(config["IMPORT_BATCH_EVENTS"]))
        )


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
    return [uids[offset : offset + step] for offset in range(0, len(uids), step)] or [[]]


def import_ics(
    data: bytes,
    calendar: Calendar,
    actor: Actor,
    *,
    max_bytes: int,
    source: str = "",
    batch_size: int = 0,
    options: ImportOptions | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import every VEVENT of the file into ``calendar``, audited as ``actor``'s import of
    ``source`` (the file's name), within the caller's unit of work.  Raises ``Forbidden`` when
    the actor may not change the calendar, ``ImportFailed`` when the file cannot be read or an
    event cannot be saved (the unit of work rolls back what was not committed).

    With ``batch_size`` 0 the import is the unit of work's one transaction (all or nothing).
    With ``batch_size`` N it commits after every N series (read and checked just before they
    are written, so the write lock is free while the next batch is), and the unit of work
    commits the last batch: others' writes get in between batches, but a reader meanwhile sees
    part of the file, and an error stops the import with the earlier batches kept
    (``ImportFailed.saved``).  The result says how many transactions it took and,
    when more than one, notes it.

    A ``dry_run`` writes the same changes and rolls them back, a step at a time: every
    ``batch_size`` series (``DRY_RUN_EVENTS`` when 0) are read, checked, written, counted and
    rolled back before the next are read, the last one too.  So a dry run holds SQLite's write
    lock, or the calendar's row on PostgreSQL, no longer than one step of a real import,
    whatever the file, while it lists exactly what the import with ``batch_size`` would do (its
    transactions and note included); it saves and audits nothing."""
    permissions.require_edit(actor, calendar)
    options = options or ImportOptions()
    file = _read(data, calendar, max_bytes, options)
    result = ImportResult(skipped=list(file.skipped))
    uids = list(file.series)
    _run(
        file,
        _steps(uids, (batch_size or DRY_RUN_EVENTS) if dry_run else batch_size),
        calendar,
        actor,
        options,
        result,
        dry_run,
    )
    _note_steps(result, _steps(uids, batch_size), source, dry_run)
    if dry_run:
        roll_back()  # the last step too: a dry run saves nothing
    else:
        audit(
            actor,
            "import",
            "calendar",
            calendar.slug,
            calendar,
            file=source[-200:],
            summary=result.summary(),
            transactions=result.transactions,
        )
    return result


def _read(
    data: bytes, calendar: Calendar, max_bytes: int, options: ImportOptions
) -> reader.IcsFile:
    """The file's series, or ImportFailed (nothing saved) when it cannot be read or the
    chosen category is not the calendar's."""
    try:
        file = reader.read_file(data, max_bytes=max_bytes, zone=calendar.timezone)
    except IcsImportError as error:
        raise ImportFailed(str(error)) from None
    if options.category and options.category not in {c.slug for c in calendar.categories}:
        raise ImportFailed(f"the calendar has no category {options.category[:64]!r}")
    return file


def _end_step(dry_run: bool) -> None:
    """End a step that is not the last: a dry run's is rolled back, an import's committed (and
    the locks it took are free for others until the next step writes)."""
    if dry_run:
        roll_back()
    else:
        commit_so_far()


def _run(
    file: reader.IcsFile,
    steps: list[list[str]],
    calendar: Calendar,
    actor: Actor,
    options: ImportOptions,
    result: ImportResult,
    dry_run: bool,
) -> None:
    """Read, check and write the file's series a step at a time; the caller ends the last
    step."""
    saved: ImportResult | None = None
    ended = 0.0
    for number, step in enumerate(steps):
        if number:
            _end_step(dry_run)
            if not dry_run:
                saved = result.copy()
            ended = monotonic()
        plans = []
        for uid in step:
            item = file.series[uid]
            try:
                plans.append(_plan(item, calendar, options))
            except (_Skip, reader.Unreadable) as skip:
                result.skipped.append(Skipped(item.label, skip.reason))
        if number:
            sleep(max(0.0, ended + _writers_gap() - monotonic()))
        try:
            _write(plans, calendar, actor, result)
        except _Failed as error:
            raise ImportFailed(str(error), saved) from None


def _note_steps(result: ImportResult, batches: list[list[str]], source: str, dry_run: bool) -> None:
    """The transactions the import takes (a dry run's: those the real import would take)."""
    result.transactions = len(batches)
    if len(batches) > 1:
        written, saw = ("would be written", "would see") if dry_run else ("written", "saw")
        result.notes.append(
            Note(
                source[-80:] or "the file",
                (
                    f"{written} in {len(batches)} steps of at most {len(batches[0])} events "
                    "so that "
                    f"others could save changes meanwhile; until the last step, readers {saw} only "
                    "part of it"
                ),
            )
        )


# Checking one series against the calendar -----------------------------------------------------


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Plan:
    event: EventDraft
    overrides: dict[str, dict[str, str]]  # recurrence id text → set_override body
    existing: Event | None
    notes: list[Note] = field(default_factory=list)


def _plan(item: reader.FileSeries, calendar: Calendar, options: ImportOptions) -> _Plan:
    """What writing the series will do, or _Skip / Unreadable saying why it is not imported."""
    uid = item.uid
    existing = addresses.holder(uid)  # by uid, else the event whose readable address it is
    if existing is not None and existing.uid != uid:
        raise _Skip(ADDRESS_TAKEN)
    if existing is not None and existing.calendar_id != calendar.id:
        raise _Skip(f"this uid belongs to an event of the calendar {existing.calendar.slug!r}")
    draft = item.read()
    event = _chosen(replace(draft.event, calendar=calendar.slug), existing, options)
    try:
        values = validate_draft(
            ReadEvent(event, {}, draft.rule_error),
            existing=existing,
            find_calendar=operations.find_calendar,
        )
    except ValidationError as error:
        name, message = next(iter(error.errors.items()))
        raise _Skip(f"{name}: {message}") from None
    assert values.series is not None
    for key in draft.overrides:
        if not rules.generates(values.series, parse_stored(key, event.all_day)):
            raise _Skip(f"RECURRENCE-ID {key} is not an occurrence of the series")
    try:  # the calendar's limits, counting the events planned before this one
        calendar_limits.admit(calendar, uid, values.series, replacing=existing)
    except ValidationError as error:
        name, message = next(iter(error.errors.items()))
        raise _Skip(f"{name}: {message}") from None
    return _Plan(event=event, overrides=draft.overrides, existing=existing, notes=draft.notes)


def _chosen(event: EventDraft, existing: Event | None, options: ImportOptions) -> EventDraft:
    """What the importer chose: the category comes first among the file's (which are cut to
    the store's limit), and new events are drafts when asked; an event the import updates
    keeps whether it is published."""
    categories = event.categories
    if options.category:
        kept = [slug for slug in categories if slug != options.category]
        categories = (options.category, *kept)[:MAX_CATEGORIES]
    published = existing.published if existing is not None else not options.draft
    return replace(event, categories=categories, published=published)


def _when(event: EventDraft, repeats: str | None) -> str:
    """The first start as the import read it, and how it repeats: in a dry run, whether the
    times came out right shows before anything is saved."""
    assert event.start is not None
    start = format_moment(event.start).replace("T", " ")[:16]
    where = "all day" if event.all_day else event.timezone
    return f"{start} ({where})" + (f"; {repeats}" if event.rrule and repeats else "")


# Writing --------------------------------------------------------------------------------------


class _Failed(Exception):
    """A planned series could not be saved: the import stops."""


def _write(plans: list[_Plan], calendar: Calendar, actor: Actor, result: ImportResult) -> None:
    with operations.categories_indexed(calendar):  # thousands of lookups, one query
        for plan in plans:
            _apply(plan, actor, result)


def _apply(plan: _Plan, actor: Actor, result: ImportResult) -> None:
    """Write one planned series; an error here stops the import (``_Failed``)."""
    uid = plan.event.uid
    assert uid is not None
    try:
        if plan.existing is None:
            try:
                event = operations.create_event(plan.event, actor, readable_address=True)
            except Conflict:  # the address of an event made since the plan (this file's)
                result.skipped.append(Skipped(plan.event.title, ADDRESS_TAKEN))
                return
            before = None
        else:
            event = plan.existing
            before = event.revision
            operations.update_event(event, plan.event, actor)
        operations.replace_overrides(event, plan.overrides, actor)
        if before is None:  # no subscriber has seen it yet: a new event starts at SEQUENCE 0
            event.sequence = 0
            for row in event.overrides:
                row.sequence = 0
    except (StoreError, rules.RulesError) as error:
        raise _Failed(f"event {uid!r} could not be saved: {error}") from None
    result.notes.extend(plan.notes)
    result.titles[uid] = plan.event.title
    result.whens[uid] = _when(plan.event, rules.describe(series_of(event)))
    if before is None:
        result.created.append(uid)
    elif event.revision == before:
        result.unchanged.append(uid)
    else:
        result.updated.append(uid)
