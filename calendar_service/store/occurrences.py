"""Stored rows as the recurrence engine's series, and the queries a listing reads.

Rows become a ``rules.Series`` here only (``series_from``), whether they come as ORM objects
(``series_of``) or as the plain columns a page reads (``_built_series``).  The window query reads
only events whose stored bounds (first start, last end) can touch the window, so its cost follows
the occurrences in the window rather than the number of series in the database.  Nothing here
looks up the app: the read paths' caches are handed in by the schedule service
(``services.schedule``), the one way the surfaces get occurrences.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    func,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, defer, selectinload, undefer
from sqlalchemy.orm.attributes import set_committed_value

import rules
from calendar_service.store.budget import Budget
from calendar_service.store.budget import for_listing as budget_for_listing
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Category, Event, Override, event_categories
from calendar_service.store.moments import from_column, parse_stored
from calendar_service.store.permissions import Drafts
from calendar_service.store.streams import PageKey as PageKey
from calendar_service.store.streams import Source, Stream, admit, cached_expansion, key_of, merge

if TYPE_CHECKING:
    from calendar_service.store.read_caches import ReadCaches as Caches
    from calendar_service.store.read_caches import SeriesKey


def override_of(row: Override, all_day: bool) -> rules.Override:
    """A stored override as the engine's value."""
    return override_value(row.recurrence_id, row.start_local, row.end_local, row, all_day)


def override_value(
    recurrence_id: str, start: datetime | None, end: datetime | None, row: Any, all_day: bool
) -> rules.Override:
    """The engine's override of these stored values, and the title, location, description
    and cancellation ``row`` holds."""
    return rules.Override(
        recurrence_id=parse_stored(recurrence_id, all_day),
        start=None if start is None else from_column(start, all_day),
        end=None if end is None else from_column(end, all_day),
        title=row.title,
        location=row.location,
        description=row.description,
        cancelled=row.cancelled,
    )


def series_from(
    row: Any, rdates: Iterable[str], exdates: Iterable[str], overrides: Iterable[rules.Override]
) -> rules.Series:
    """The engine's series of a stored event: ``row`` holds its columns (``start_local``,
    ``end_local``, ``all_day``, ``timezone``, ``rrule``, ``uid``), as an ORM object or a plain
    row, beside its stored RDATEs and EXDATEs and its overrides as the engine's values."""
    all_day = row.all_day
    return rules.Series(
        start=from_column(row.start_local, all_day),
        end=from_column(row.end_local, all_day),
        tzid=row.timezone,
        rrule=row.rrule,
        rdates=tuple(parse_stored(value, all_day) for value in rdates),
        exdates=tuple(parse_stored(value, all_day) for value in exdates),
        overrides=tuple(overrides),
        key=row.uid,
    )


def series_of(event: Event) -> rules.Series:
    """The engine's series for a stored event, overrides included."""
    return series_from(
        event,
        event.rdates or (),
        event.exdates or (),
        (override_of(row, event.all_day) for row in event.overrides),
    )


def series_key(event: Event) -> SeriesKey:
    """What names one version of an event's series: the row's id, uid, ``revision`` and
    ``updated``, which every change to it (overrides included) moves."""
    return (event.id, event.uid, event.revision, event.updated)


def read_series(event: Event, caches: Caches) -> rules.Series:
    """The event's series for the read paths, from the ``series`` cache.

    Keyed by ``series_key``, so a stale series is never returned.  Writes never use it:
    operations build their series from the row as it is being changed (``series_of``).
    """
    return caches.series.get_or_build(series_key(event), lambda: series_of(event))


def expansion(event: Event, window: rules.Window, limit: int, caches: Caches) -> rules.Expansion:
    """The event's occurrences in the window, from the ``expansions`` cache
    (``streams.cached_expansion``)."""
    return cached_expansion(
        caches, series_key(event), lambda: read_series(event, caches), window, limit
    )


def load_for_series(events: Sequence[Event], caches: Caches) -> None:
    """Load what ``series_of`` reads and ``window_query`` leaves out (EXDATEs, RDATEs and
    overrides) for the events whose series is not cached: one query for all of them, where
    touching the attributes would cost one or two queries per event."""
    missing = [event.id for event in events if series_key(event) not in caches.series]
    if not missing:
        return
    db.session.scalars(
        select(Event)
        .where(Event.id.in_(missing))
        .options(undefer(Event.exdates), undefer(Event.rdates), selectinload(Event.overrides))
    ).all()


# Events whose categories one query reads (the bound parameters of its IN list).
CATEGORY_BATCH = 500


def load_listed(events: Sequence[Event]) -> None:
    """Load what listing the events shows besides their rows: their categories, in one query
    per CATEGORY_BATCH events, set as loaded in one step each (the ORM's selectin loader
    appends them one by one, firing collection events, which cost more than the query), and
    every calendar, so ``event.calendar`` is found in the session without a query."""
    if not events:
        return
    db.session.scalars(select(Calendar)).all()  # a handful of rows; held by the session
    found: dict[int, list[Category]] = {event.id: [] for event in events}
    ids = list(found)
    for offset in range(0, len(ids), CATEGORY_BATCH):
        rows = db.session.execute(
            select(event_categories.c.event_id, Category)
            .join(Category, Category.id == event_categories.c.category_id)
            .where(event_categories.c.event_id.in_(ids[offset : offset + CATEGORY_BATCH]))
            .order_by(Category.slug)
        )
        for event_id, category in rows:
            found[event_id].append(category)
    for event in events:
        set_committed_value(event, "categories", found[event.id])


def own_or_series(own: str | None, series: str) -> str:
    """An occurrence's own value where it has one (an empty one too), else the series'."""
    return series if own is None else own


@dataclass(frozen=True)
class EventOccurrence:
    """One occurrence with the event it belongs to, and what it shows: its own title, place,
    description and status where an override gives them, else the series'.  Every page, the
    API and the organiser pages read these, so they cannot disagree."""

    event: Event
    occurrence: rules.Occurrence

    @property
    def title(self) -> str:
        return own_or_series(self.occurrence.title, self.event.title)

    @property
    def location(self) -> str:
        return own_or_series(self.occurrence.location, self.event.location)

    @property
    def description(self) -> str:
        """Its own description where it has one, else the series'.  A cancelled occurrence's
        own text is the note on its cancellation (``note``), not a description."""
        if self.occurrence.cancelled:
            return self.event.description
        return own_or_series(self.occurrence.description, self.event.description)

    @property
    def own_description(self) -> str:
        """The description this one date has of its own ("" when it has the series')."""
        if self.occurrence.cancelled:
            return ""
        return (self.occurrence.description or "").strip()

    @property
    def note(self) -> str:
        """The note on this date's cancellation ("" when none, or when it is not cancelled)."""
        if not self.occurrence.cancelled:
            return ""
        return (self.occurrence.description or "").strip()

    @property
    def cancelled(self) -> bool:
        return self.occurrence.cancelled or self.event.status == "cancelled"

    @property
    def status(self) -> str:
        """confirmed, tentative or cancelled, for this one occurrence."""
        return "cancelled" if self.cancelled else self.event.status


@dataclass(frozen=True)
class OccurrenceList:
    """Occurrences of a window in start order, and whether any event's list was cut."""

    items: tuple[EventOccurrence, ...]
    truncated: bool
    too_costly: tuple[Event, ...] = ()
    """With ``skip_costly``: the events left out because expanding them over the window would
    cost more than the engine allows."""


def touching_ids(window: rules.Window) -> CompoundSelect[int]:
    """Ids of the events whose stored bounds can touch the window.

    Two range scans of the index on (last_end_utc, first_start_utc), one for series that end
    after the window starts and one for series without an end, so the cost follows the series
    near the window, not all the past series of the database (bench/bench_agenda.py).  Written
    as a union rather than an OR because SQLite's planner otherwise scans by first start, which
    reads every series that began before the window.
    """
    ends_after = select(Event.id).where(
        Event.last_end_utc >= window.start_utc, Event.first_start_utc < window.end_utc
    )
    endless = select(Event.id).where(
        Event.last_end_utc.is_(None), Event.first_start_utc < window.end_utc
    )
    return union_all(ends_after, endless)


def filtered(
    query: Select[Event],
    *,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    include_drafts: Drafts = False,
    without_cancelled: bool = False,
) -> Select[Event]:
    """Narrow an event query to a calendar, any of some categories, and published events (and
    with ``without_cancelled``, to events not cancelled as a whole)."""
    if calendar is not None:
        query = query.where(Event.calendar_id == calendar.id)
    if isinstance(include_drafts, frozenset) and include_drafts:  # some calendars' drafts
        query = query.where(
            or_(Event.published.is_(True), Event.calendar_id.in_(sorted(include_drafts)))
        )
    elif include_drafts is not True:
        query = query.where(Event.published.is_(True))
    if without_cancelled:
        query = query.where(Event.status != "cancelled")
    if categories:
        query = query.where(Event.categories.any(Category.slug.in_(list(categories))))
    return query


def window_query(
    window: rules.Window,
    *,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    text: str | None = None,
    include_drafts: Drafts = False,
    without_cancelled: bool = False,
) -> Select[Event]:
    """Events whose bounds can touch the window, with what expansion and display need loaded."""
    query = (
        select(Event)
        .where(Event.id.in_(touching_ids(window)))
        .options(
            # The exceptions and overrides are only read to build a series that is not cached
            # yet; ``_sources`` reads them for those events alone.
            defer(Event.exdates),
            defer(Event.rdates),
            # No listing shows a description (an event's own page reads its row whole), and
            # descriptions are the longest text of a row.
            defer(Event.description),
            # Categories and calendars: load_listed, for the events listed.
        )
        .order_by(Event.first_start_utc, Event.id)
    )
    query = filtered(
        query,
        calendar=calendar,
        categories=categories,
        include_drafts=include_drafts,
        without_cancelled=without_cancelled,
    )
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Event.title.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
                Event.location.ilike(pattern, escape="\\"),
            )
        )
    return query


def find_occurrence(
    event: Event, recurrence_id: rules.Moment, caches: Caches
) -> EventOccurrence | None:
    """The occurrence a link or a form names by its recurrence id, as it is now (moved,
    retitled or cancelled); None when the series does not generate it or it cannot be found
    within the engine's limits (a date at the ends of time, a costly COUNT)."""
    try:
        found = rules.occurrence_at(read_series(event, caches), recurrence_id)
    except (rules.RulesError, OverflowError):
        return None
    return None if found is None else EventOccurrence(event, found)


# Pages ----------------------------------------------------------------------------------------


def page_key(item: EventOccurrence) -> PageKey:
    return key_of(item.event.title, item.event.uid, item.occurrence)


@dataclass(frozen=True)
class OccurrencePage:
    """The first occurrences of a window after a position, in ``page_key`` order.

    ``complete``: no occurrence of the window comes after the last one listed.  ``truncated``:
    some series had more occurrences in progress at the page's start than the per-event limit
    lets one page place (a rule far denser than any page); those were left out.
    """

    items: tuple[EventOccurrence, ...]
    complete: bool
    truncated: bool
    too_costly: tuple[Event, ...] = ()
    """With ``skip_costly``: the events left out because expanding them over the window would
    cost more than the engine allows, or more than the listing's budget has left (the first
    ``COSTLY_LOADED`` of them, in the order the window query reads them)."""
    costly_count: int = 0
    """How many events were left out (``too_costly`` names at most ``COSTLY_LOADED``)."""
    costly_names: tuple[str, ...] = ()
    """The titles of every event left out, each once, in order."""


# The most events left out that a page loads to name (it says how many more there are).
COSTLY_LOADED = 100


def _binary(column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """The column compared by code point, as Python compares str: SQLite's default (BINARY)
    does; PostgreSQL's database collation may not, so it is asked for "C"."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column.expression


def _one_off() -> ColumnElement[bool]:
    """Events with exactly one occurrence, starting at ``first_start_utc``: no RRULE, no RDATE
    and no (orphan) override that could have moved their stored bound."""
    return and_(
        Event.rrule.is_(None),
        func.coalesce(func.json_array_length(Event.rdates), 0) == 0,
        not_(Event.overrides.any()),
    )


def _after_one_off(after: PageKey) -> ColumnElement[bool]:
    """One-off events whose occurrence comes after ``after`` in ``page_key`` order."""
    start, title, uid, _rid = after
    column_title, column_uid = _binary(Event.title), _binary(Event.uid)
    return or_(
        Event.first_start_utc > start,
        and_(
            Event.first_start_utc == start,
            or_(column_title > title, and_(column_title == title, column_uid > uid)),
        ),
    )


def occurrences_page(
    window: rules.Window,
    caches: Caches,
    *,
    size: int,
    after: PageKey | None = None,
    per_event: int | None = None,
    calendar: Calendar | None = None,
    categories: Sequence[str] = (),
    text: str | None = None,
    include_drafts: Drafts = False,
    skip_costly: bool = False,
    without_cancelled: bool = False,
    budget: Budget | None = None,
) -> OccurrencePage:
    """The first ``size`` occurrences of the window that come after ``after``, in
    ``page_key`` order, reading at most ``size`` one-off events however many the window holds.

    Series (RRULE or RDATEs) are read whole, at most ``size`` occurrences each, merged in order
    and expanded only as far as the page reaches (``streams``): a page of a thousand weekly
    series expands about a page of occurrences, not the window's.  One-off events, which a
    window can hold by the hundred thousand, are read in ``page_key`` order by the database
    itself, ``size + 1`` at most.  Rows are read as plain columns, and only the
    events the page lists (or names as too costly) are loaded whole, with their categories.
    What is listed is exact up to a *horizon*: the last one-off read when there were more than
    ``size``, and the last occurrence of each series its limit cut; nothing is listed past it, and
    then the page is not ``complete``.  With ``per_event`` a series lists at most that many
    (a per-event limit): one cut by it sets ``truncated`` and sets no horizon.
    Raises rules.ExpansionLimitError when a series would cost more than the engine allows, or
    the series together more than the budget; with ``skip_costly`` those are left out instead
    and named in ``too_costly``.  ``without_cancelled`` leaves out the events cancelled as a
    whole in the query itself, so a page looking for what is still on is never
    filled by them, however many there are.

    Every series is paid for from ``budget`` (by default ``budget.for_listing(size)``, which
    draws on the request's) before it is expanded, cheapest first (``streams.admit``): those
    the budget cannot pay for are left out as too costly, so a page costs what it lists however
    many costly series the window holds.
    """
    if after is not None:
        if after[0] >= window.end_utc:
            return OccurrencePage((), True, False)
        window = rules.Window(max(window.start_utc, after[0]), window.end_utc)
    query = window_query(
        window,
        calendar=calendar,
        categories=categories,
        text=text,
        include_drafts=include_drafts,
        without_cancelled=without_cancelled,
    )
    series_rows = db.session.execute(
        query.where(not_(_one_off())).with_only_columns(*_ROW_COLUMNS)
    ).all()
    singles_query = (
        query.where(_one_off())
        .with_only_columns(*_ROW_COLUMNS, Event.first_start_utc)
        .order_by(None)
        .order_by(Event.first_start_utc, _binary(Event.title), _binary(Event.uid))
        .limit(size + 1)
    )
    if after is not None:
        singles_query = singles_query.where(_after_one_off(after))
    singles = db.session.execute(singles_query).all()
    sources = _sources([*series_rows, *singles], caches)
    limit = per_event or size
    # Each series' first step: its share of the page were the series to fill it evenly (a page
    # of a thousand series takes each one's first occurrence, of a few, a page's worth each);
    # with a per-event limit, the whole of it at once (see ``streams.merge``).
    first = limit if per_event is not None else -(-(size + 1) // max(len(series_rows), 1))
    paying = budget if budget is not None else budget_for_listing(size)
    admitted, unpaid = admit(sources, window, limit, first, paying)
    if unpaid and not skip_costly:
        raise rules.ExpansionLimitError(
            f"listing {len(sources):,} series over this window would cost more than one "
            "request may; ask for a shorter window or fewer calendars",
            field="window",
        )
    costly = {source.ident for source in unpaid}
    streams = _streams(admitted, window, limit, first, caches, paying, costly, skip_costly)
    horizon: PageKey | None = None
    if len(singles) > size:  # more one-offs than a page: none past the last read is listed
        last = singles[-1]
        horizon = (last.first_start_utc, last.title, last.uid, "")
    merged = merge(
        streams, size=size, after=after, horizon=horizon, per_event=per_event is not None
    )
    left_out = [source for source in sources if source.ident in costly]
    events = _listed_events(
        [stream.source.ident for stream, _ in merged.items]
        + [source.ident for source in left_out[:COSTLY_LOADED]]
    )
    # An event deleted since its row was read (another statement, under READ COMMITTED) is
    # left out, as if the page had been read a moment later.
    items = tuple(
        EventOccurrence(events[stream.source.ident], occurrence)
        for stream, occurrence in merged.items
        if stream.source.ident in events
    )
    return OccurrencePage(
        items,
        merged.complete,
        merged.truncated,
        tuple(
            events[source.ident] for source in left_out[:COSTLY_LOADED] if source.ident in events
        ),
        len(left_out),
        tuple(sorted({source.title for source in left_out})),
    )


def _streams(
    admitted: Sequence[tuple[Source, int]],
    window: rules.Window,
    limit: int,
    first: int,
    caches: Caches,
    paying: Budget,
    costly: set[int],
    skip_costly: bool,
) -> Iterator[Stream]:
    """The admitted sources' streams, made as they are asked for (a per-event merge looks
    through each in turn and lets it go); a series the engine refuses is added to ``costly``
    (or raises, without ``skip_costly``) and what it paid is given back."""
    for source, paid in admitted:
        try:
            yield Stream(source, window, limit, first, caches)
        except rules.ExpansionLimitError:
            if not skip_costly:
                raise
            paying.refund(paid)
            costly.add(source.ident)


# What a page reads of each row it may list: what names the series' version (``series_key``),
# orders its occurrences (``page_key``) and builds its series when it is not cached (and of a
# one-off, its stored start, which places the horizon).  Exceptions and overrides: ``_sources``,
# on a miss and only for rows that have some (``plain``: none, as most series).
_ROW_COLUMNS = (
    Event.id,
    Event.uid,
    Event.revision,
    Event.updated,
    Event.title,
    Event.all_day,
    Event.start_local,
    Event.end_local,
    Event.timezone,
    Event.rrule,
    and_(
        func.coalesce(func.json_array_length(Event.rdates), 0) == 0,
        func.coalesce(func.json_array_length(Event.exdates), 0) == 0,
        not_(Event.overrides.any()),
    ).label("plain"),
)
# Ids one query of the page's reads names (the bound parameters of its IN list).
ID_BATCH = 500


def _sources(rows: Sequence[Any], caches: Caches) -> list[Source]:
    """Each row's ``Source``: its series from the ``series`` cache, and for those not
    cached yet, built from the row with its exceptions and overrides read in one query each
    (per ID_BATCH missing series), never one per event.  The cache is asked once for all."""
    keys = [(row.id, row.uid, row.revision, row.updated) for row in rows]
    held = caches.series.get_many(keys)
    missing = [row for row, key in zip(rows, keys, strict=True) if key not in held]
    if missing:
        built = _built_series(missing)
        held.update(
            caches.series.keep(
                {(row.id, row.uid, row.revision, row.updated): built[row.id] for row in missing}
            )
        )
    return [
        Source(row.id, key, row.title, row.uid, held[key])
        for row, key in zip(rows, keys, strict=True)
    ]


def _built_series(rows: Sequence[Any]) -> dict[int, rules.Series]:
    """The series of these rows by id, the EXDATEs, RDATEs and overrides of those that have
    some read in one query per ID_BATCH rows (a row for each override, or one for an event
    without), as plain columns: building ORM objects for them would cost more than the query."""
    extras: dict[int, tuple[list[str], list[str]]] = {row.id: ([], []) for row in rows}
    overrides: dict[int, list[Any]] = {row.id: [] for row in rows}
    ids = [row.id for row in rows if not row.plain]
    for offset in range(0, len(ids), ID_BATCH):
        found = db.session.execute(
            select(Event.id, Event.rdates, Event.exdates, *_OVERRIDE_COLUMNS)
            .outerjoin(Override, Override.event_id == Event.id)
            .where(Event.id.in_(ids[offset : offset + ID_BATCH]))
            .order_by(Event.id, Override.recurrence_id)
        )
        for row in found:
            extras[row.id] = (row.rdates or [], row.exdates or [])
            if row.recurrence_id is not None:
                overrides[row.id].append(row)
    return {
        row.id: series_from(
            row,
            *extras[row.id],
            (
                override_value(
                    found.recurrence_id,
                    found.override_start,
                    found.override_end,
                    found,
                    row.all_day,
                )
                for found in overrides[row.id]
            ),
        )
        for row in rows
    }


# An override's columns as ``override_of`` reads them (its start and end renamed: the event's
# own are beside them in ``_built_series``'s rows).
_OVERRIDE_COLUMNS = (
    Override.recurrence_id,
    Override.start_local.label("override_start"),
    Override.end_local.label("override_end"),
    Override.title,
    Override.location,
    Override.description,
    Override.cancelled,
)


def _listed_events(ids: Sequence[int]) -> dict[int, Event]:
    """The events a page lists, by id: their rows as ``window_query`` loads them (without the
    exceptions, overrides and description no listing shows), with ``load_listed``'s."""
    wanted = list(dict.fromkeys(ids))
    events: list[Event] = []
    for offset in range(0, len(wanted), ID_BATCH):
        events.extend(
            db.session.scalars(
                select(Event)
                .where(Event.id.in_(wanted[offset : offset + ID_BATCH]))
                .options(defer(Event.exdates), defer(Event.rdates), defer(Event.description))
            )
        )
    load_listed(events)
    return {event.id: event for event in events}
