"""Changes to calendars and events: validate through ``rules``, write, flush — never commit.

Every change bumps its calendar's ``version`` (feeds get a new ETag on every worker at once)
and leaves an audit entry.  The caller's unit of work commits once, or rolls back.  Whether
the actor may change a calendar's events is asked once, before, by the editing use cases
(``services.editing``, ``permissions``); these functions are storage.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

import rules
from calendar_service.clock import utcnow
from calendar_service.store import addresses, calendar_limits, permissions
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.drafts import EventDraft
from calendar_service.store.errors import Conflict, NotFound, ValidationError
from calendar_service.store.identifiers import SLUG, UID, unservable
from calendar_service.store.models import (
    Calendar,
    Category,
    Event,
    Override,
)
from calendar_service.store.moments import (
    MomentError,
    format_moment,
    parse_moment,
    parse_stored,
    place_moment,
    to_column,
)
from calendar_service.store.occurrences import override_of, series_of
from calendar_service.store.validation import (
    CALENDAR_FIELDS,
    EventValues,
    OverrideValues,
    ReadEvent,
    check_fields,
    has_control_characters,
    read_event_json,
    validate_event,
    validate_override,
)
from calendar_service.store.values import event_json

# Changes that make subscribers' clients take a new version of the event (RFC 5546 §2.1.4).
SIGNIFICANT = (
    "start",
    "end",
    "timezone",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "location",
    "status",
    "title",
    "description",
    "url",
)


def find_calendar(slug: str) -> Calendar | None:
    if not SLUG.match(slug):  # no stored slug looks otherwise; NUL would upset PostgreSQL
        return None
    return db.session.scalar(select(Calendar).where(Calendar.slug == slug))


def find_event(uid: str) -> Event | None:
    if not UID.match(uid):  # stored uids are printable ASCII (store.validation checks them)
        return None
    return db.session.scalar(select(Event).where(Event.uid == uid))


# Calendars ------------------------------------------------------------------------------------


def create_calendar(data: Mapping[str, Any], actor: Actor, *, default_tz: str) -> Calendar:
    """Validate and add a calendar (docs/contract.md: slug, name, description?, timezone?)."""
    permissions.require_admin(actor, "create calendars")
    if not isinstance(data, Mapping):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    check_fields(data, CALENDAR_FIELDS, "a calendar", errors)
    slug, name = data.get("slug"), data.get("name")
    description = data.get("description") or ""
    tzid = data.get("timezone") or default_tz
    if not isinstance(slug, str) or not SLUG.match(slug):
        errors["slug"] = "is required: lower-case letters, digits and hyphens, at most 64"
    elif find_calendar(slug) is not None:
        errors["slug"] = f"a calendar {slug!r} exists already"
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = "is required, at most 200 characters"
    elif has_control_characters(name):
        errors["name"] = "contains control characters"
    if not isinstance(description, str) or len(description) > 5000:
        errors["description"] = "must be text of at most 5000 characters"
    elif has_control_characters(description):
        errors["description"] = "contains control characters"
    if not isinstance(tzid, str) or not rules.is_valid_zone(tzid):
        errors["timezone"] = "is not a known IANA time zone (for example Europe/London)"
    if errors:
        raise ValidationError(errors)
    calendar = Calendar(
        slug=slug,
        name=" ".join(str(name).split()),
        description=str(description).strip(),
        timezone=tzid,
    )
    db.session.add(calendar)
    db.session.flush()
    audit(actor, "create", "calendar", calendar.slug, calendar)
    return calendar


def category_for(calendar: Calendar, slug: str) -> Category:
    """The calendar's category with this slug, made on first use with a readable name."""
    return categories_for(calendar, [slug])[0]


def categories_for(calendar: Calendar, slugs: Sequence[str]) -> list[Category]:
    """The calendar's categories with these (distinct) slugs, in their order, each made on first
    use with a readable name."""
    if not slugs:
        return []
    found = _existing_categories(calendar, slugs)
    index = _category_index(calendar)
    for slug in slugs:
        if slug not in found:
            found[slug] = Category(
                slug=slug, name=slug.replace("-", " ").title(), calendar=calendar
            )
            db.session.add(found[slug])
            if index is not None:
                index[slug] = found[slug]
    return [found[slug] for slug in slugs]


@contextmanager
def categories_indexed(calendar: Calendar) -> Iterator[None]:
    """Within the block, the calendar's categories are looked up in a map read once, not by a
    query per event.

    An import that makes thousands of categories in one transaction needs this on
    PostgreSQL: the table's statistics still say it is empty, so the planner reads every
    category of the calendar for each lookup (a bitmap scan on the calendar alone), and the
    import's cost grew with its square.  The map goes at the end of the block, committed or
    not: rolled-back categories must not be found again."""
    key = ("category-index", calendar.id)
    db.session.info[key] = {
        category.slug: category
        for category in db.session.scalars(
            select(Category).where(Category.calendar_id == calendar.id)
        )
    }
    try:
        yield
    finally:
        db.session.info.pop(key, None)


def _category_index(calendar: Calendar) -> dict[str, Category] | None:
    index: dict[str, Category] | None = db.session.info.get(("category-index", calendar.id))
    return index if calendar.id is not None else None


def _existing_categories(calendar: Calendar, slugs: Sequence[str]) -> dict[str, Category]:
    """Those of ``slugs`` the calendar has, stored or made earlier in this transaction: from
    the import's map (``categories_indexed``) or one indexed query, never by reading the
    calendar's whole list, which grows with every import."""
    index = _category_index(calendar)
    if index is not None:
        return {slug: index[slug] for slug in slugs if slug in index}
    wanted = set(slugs)
    found: dict[str, Category] = {
        item.slug: item
        for item in db.session.new
        if isinstance(item, Category) and item.calendar is calendar and item.slug in wanted
    }
    missing = [slug for slug in slugs if slug not in found]
    if missing and calendar.id is not None:
        with db.session.no_autoflush:  # never flush a half-changed event from here
            found.update(
                (item.slug, item)
                for item in db.session.scalars(
                    select(Category).where(
                        Category.calendar_id == calendar.id, Category.slug.in_(missing)
                    )
                )
            )
    return found


# Events ---------------------------------------------------------------------------------------

NewCategories = Mapping[str, str] | None
"""Which of an event's categories the calendar may gain by a change: slug → name of those the
person asked for on purpose (the editor's "new category" field); None: any slug, named after
itself (the API and imports, whose slugs are deliberate)."""


def create_event(
    data: EventDraft | Mapping[str, Any],
    actor: Actor,
    *,
    new_categories: NewCategories = None,
    readable_address: bool = False,
    calendar: Calendar | None = None,
) -> Event:
    """Validate a draft (or an EVENT body) and add it; raises ValidationError or Conflict.

    Whether ``actor`` may is asked before, once (``services.editing``); ``calendar`` is the
    calendar the draft names when the caller found it already.  Its page gets a readable
    address from its title (``addresses``) when its uid is made here or ``readable_address``
    asks (an import's uids); a uid the caller chose is its address."""
    values = validate_event(data, find_calendar=_finder(calendar))
    if values.uid is not None:  # before anything is written: an import skips the event
        _check_address(values.uid, chosen=not readable_address)
    _check_new_categories(values, new_categories, actor)
    uid = values.uid or f"{uuid.uuid4()}@calendar-service"
    assert values.series is not None
    calendar_limits.admit(values.calendar, uid, values.series)
    now = utcnow()
    event = Event(uid=uid, created=now, updated=now, sequence=0, revision=1)
    with db.session.no_autoflush:  # loading the calendar's categories must not flush a half event
        _apply(event, values)
        if values.uid is None or readable_address:
            addresses.assign(event, was_published=None)
    db.session.add(event)
    values.calendar.touch()
    db.session.flush()
    audit(actor, "create", "event", event.uid, values.calendar, title=event.title)
    return event


def _finder(calendar: Calendar | None) -> Callable[[str], Calendar | None]:
    """``find_calendar``, answering from ``calendar`` without a query when it is the one."""

    def find(slug: str) -> Calendar | None:
        if calendar is not None and calendar.slug == slug:
            return calendar
        return find_calendar(slug)

    return find


def target_calendar(
    data: EventDraft | Mapping[str, Any],
    event: Event | None = None,
    offered: Sequence[Calendar] = (),
) -> Calendar | None:
    """The existing calendar a draft or an EVENT body names: the event's own when it names
    that or none, one of ``offered`` (those the caller has read already), else one query;
    None for none or an unknown one (validation's field error)."""
    slug = (
        data.calendar
        if isinstance(data, EventDraft)
        else (data.get("calendar") if isinstance(data, Mapping) else None)
    )
    if event is not None and slug in (None, event.calendar.slug):
        return event.calendar
    known = next((calendar for calendar in offered if calendar.slug == slug), None)
    if known is not None:
        return known
    return find_calendar(slug) if isinstance(slug, str) else None


def _check_address(uid: str, *, chosen: bool) -> None:
    """Refuse a new event's uid that is another event's uid or readable address, in any
    calendar (Conflict), and a ``chosen`` one (the event's address) that the routes would
    misread (ValidationError).  An import's uids are other programs': the event's readable
    address is its page, so one of them keeps working whatever its form."""
    reason = unservable(uid) if chosen else None
    if reason is not None:
        raise ValidationError({"uid": reason})
    taken = addresses.holder(uid)
    if taken is None:
        return
    if taken.uid == uid:
        raise Conflict(f"An event with uid {uid!r} exists already.", errors={"uid": "is taken"})
    raise Conflict(
        f"{uid!r} is the address of another event (/events/{uid}): choose another uid.",
        errors={"uid": "is the address of another event"},
    )


def update_event(
    event: Event,
    data: EventDraft | Mapping[str, Any],
    actor: Actor,
    *,
    new_categories: NewCategories = None,
    calendar: Calendar | None = None,
) -> Event:
    """Apply a draft of the whole event, or the given EVENT fields; SEQUENCE goes up when
    subscribers must see the change.  Whether ``actor`` may change the event's calendar and
    one it moves to is asked before, once (``services.editing``); ``calendar`` is the one the
    draft names when the caller found it already."""
    read = data if isinstance(data, EventDraft) else read_event_json(data, event)
    read = _carry_exceptions(event, read, data)
    overrides = _overrides_for(event, read)
    values = validate_event(
        read, existing=event, find_calendar=_finder(calendar), overrides=overrides
    )
    assert values.series is not None
    calendar_limits.admit(values.calendar, event.uid, values.series, replacing=event)
    if values.calendar is not event.calendar:
        calendar_limits.forget(event.calendar, event.uid)
    _check_new_categories(values, new_categories, actor)
    before = _snapshot(event)
    old_calendar = event.calendar
    _apply(event, values)
    if event.slug is not None:
        addresses.assign(event, was_published=bool(before["published"]))
    _prune_overrides(event, values)
    after = _snapshot(event)
    changed = sorted(key for key in after if after[key] != before.get(key))
    if changed:
        if any(key in SIGNIFICANT for key in changed):
            event.sequence += 1
        event.revision += 1
        event.updated = utcnow()
        values.calendar.touch()
        if old_calendar is not values.calendar:
            old_calendar.touch()
    db.session.flush()
    audit(
        actor,
        "update",
        "event",
        event.uid,
        values.calendar,
        changed=changed,
        title=event.title,
        changes={
            key: [_shown(before.get(key)), _shown(after[key])]
            for key in changed
            if key != "overrides"
        },
    )
    return event


def _check_new_categories(values: EventValues, new_categories: NewCategories, actor: Actor) -> None:
    """Refuse a category the calendar does not have unless it was asked for on purpose: a
    typo must not make a public category with its own feed.  Those asked for get their name;
    every new one is in the audit log (also those the API and imports make)."""
    if not values.categories:
        return
    known = set(_existing_categories(values.calendar, values.categories))
    unknown = [
        slug
        for slug in values.categories
        if slug not in known and new_categories is not None and slug not in new_categories
    ]
    if unknown:
        raise ValidationError(
            {
                "categories": (
                    f"{values.calendar.name} has no category {unknown[0]!r}: pick one of its "
                    "categories, or make a new one on purpose"
                )
            }
        )
    made = sorted(slug for slug in values.categories if slug not in known)
    if not made:
        return
    # One lookup and one audit entry for all of them: an import may make thousands, twenty
    # an event, and a row each made an import of new categories several times slower.
    created = categories_for(values.calendar, made)
    for category in created:
        if new_categories is not None:
            category.name = new_categories[category.slug]
    audit(
        actor,
        "create",
        "categories",
        ", ".join(made),
        values.calendar,
        names={category.slug: category.name for category in created},
    )


def delete_event(event: Event, actor: Actor) -> None:
    calendar = event.calendar
    audit(actor, "delete", "event", event.uid, calendar, title=event.title)
    calendar_limits.forget(calendar, event.uid)
    db.session.delete(event)
    calendar.touch()
    db.session.flush()


def _apply(event: Event, values: EventValues) -> None:
    event.calendar = values.calendar
    event.title = values.title
    event.description = values.description
    event.location = values.location
    event.url = values.url
    event.all_day = values.all_day
    event.start_local = to_column(values.start)
    event.end_local = to_column(values.end)
    event.timezone = values.timezone
    event.rrule = values.rrule
    event.rdates = [format_moment(value) for value in values.rdates]
    event.exdates = [format_moment(value) for value in values.exdates]
    event.status = values.status
    event.published = values.published
    event.categories = categories_for(values.calendar, values.categories)
    assert values.series is not None
    event.first_start_utc, event.last_end_utc = rules.series_bounds(values.series)


AUDIT_VALUE = 200
"""The most characters of one value an audit entry keeps (a description may be 20,000)."""


def _shown(value: Any) -> Any:
    """A value as the audit log keeps it: lists and text cut to AUDIT_VALUE characters."""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    if isinstance(value, str) and len(value) > AUDIT_VALUE:
        return value[: AUDIT_VALUE - 1] + "…"
    return value


def _snapshot(event: Event) -> dict[str, Any]:
    snapshot = event_json(event)
    snapshot["overrides"] = [
        (
            row.recurrence_id,
            row.cancelled,
            row.start_local,
            row.end_local,
            row.title,
            row.location,
            row.description,
        )
        for row in event.overrides
    ]
    return snapshot


def _carry_exceptions(
    event: Event, read: EventDraft | ReadEvent, data: EventDraft | Mapping[str, Any]
) -> EventDraft | ReadEvent:
    """When a series' start moves, move its EXDATEs and overrides with it (docs/peers.md B2 #11).

    An exception keeps its place in the rhythm: "cancel the 3rd of March" still cancels the
    occurrence that was on the 3rd of March after the seminar moves from 14:00 to 15:00.
    Exceptions the new rule does not generate are dropped by ``_prune_overrides``.  A draft
    that sets its own EXDATEs (an EVENT body giving ``exdates``, a draft whose ones are not the
    stored ones) keeps them, and the overrides stay; so does one that no longer repeats.
    """
    draft = read if isinstance(read, EventDraft) else read.draft
    stored = tuple(parse_stored(value, event.all_day) for value in event.exdates or ())
    own = (
        "exdates" in data
        if isinstance(data, Mapping)
        else (draft.exdates != stored or (draft.rrule is None and not draft.rdates))
    )
    if own or draft.all_day != event.all_day or draft.start is None:
        return read
    tzid = draft.timezone or event.timezone
    if not rules.is_valid_zone(tzid):
        return read
    try:
        new_start = place_moment(draft.start, all_day=event.all_day, tzid=tzid)
    except MomentError:
        return read
    delta = to_column(new_start) - event.start_local
    if not delta:
        return read
    for row in event.overrides:
        moved = parse_stored(row.recurrence_id, event.all_day) + delta
        row.recurrence_id = format_moment(moved)
    shifted = replace(draft, exdates=tuple(value + delta for value in stored))
    return shifted if isinstance(read, EventDraft) else replace(read, draft=shifted)


def _overrides_for(event: Event, read: EventDraft | ReadEvent) -> tuple[rules.Override, ...]:
    """Existing overrides that still fit the event's (possibly new) type."""
    draft = read if isinstance(read, EventDraft) else read.draft
    if draft.all_day != event.all_day:
        return ()
    return tuple(override_of(row, event.all_day) for row in event.overrides)


def _prune_overrides(event: Event, values: EventValues) -> None:
    """Drop overrides whose occurrence the new rule no longer generates."""
    assert values.series is not None
    for row in list(event.overrides):
        try:
            recurrence_id = parse_stored(row.recurrence_id, values.all_day)
        except ValueError:
            event.overrides.remove(row)
            continue
        if type(recurrence_id) is not type(values.start) or not rules.generates(
            values.series, recurrence_id
        ):
            event.overrides.remove(row)


# One occurrence -------------------------------------------------------------------------------


def parse_recurrence_id(event: Event, text: str) -> rules.Moment:
    """The URL's recurrence id, checked against what the series generates (else 404)."""
    try:
        value = parse_moment(text, all_day=event.all_day, tzid=event.timezone)
    except MomentError:
        raise NotFound("This series has no occurrence at that time.") from None
    if (
        isinstance(value, datetime)
        and text.strip() != format_moment(value)
        and ("+" in text or text.upper().endswith("Z"))
    ):
        raise NotFound("A recurrence id is the local wall time, without an offset.")
    if not rules.generates(series_of(event), value):
        raise NotFound("This series has no occurrence at that time.")
    return value


def set_override(
    event: Event, recurrence_id: rules.Moment, data: Mapping[str, Any], actor: Actor
) -> Override:
    """Move, retitle or cancel one occurrence (docs/contract.md: PUT
    …/occurrences/<recurrence_id>)."""
    values = validate_override(event, recurrence_id, data)
    key = format_moment(recurrence_id)
    row = next((item for item in event.overrides if item.recurrence_id == key), None)
    if row is None:
        row = Override(recurrence_id=key)
        event.overrides.append(row)
    _fill_override(row, values, sequence=event.sequence + 1)
    _occurrence_changed(event)
    audit(
        actor,
        "cancel" if row.cancelled else "override",
        "occurrence",
        f"{event.uid} {key}",
        event.calendar,
        recurrence_id=key,
        title=event.title,
    )
    return row


def replace_overrides(event: Event, wanted: Mapping[str, Mapping[str, Any]], actor: Actor) -> bool:
    """Make the event's overrides exactly ``wanted`` (recurrence id text → the body
    ``set_override`` takes), for an import: each one checked as ``set_override`` checks it,
    rows that already say the same left alone, and the series rebuilt, checked and given a new
    version once for all of them rather than once each.  Its cost follows the number of
    overrides, where calling ``set_override`` for each would grow with their square.  EXDATEs
    are left as they are (the import sets them from the file).  Raises NotFound for a
    recurrence id the series does not generate, ValidationError for a bad body; returns whether
    anything changed."""
    series = series_of(event)
    rows = {row.recurrence_id: row for row in event.overrides}
    kept = [row for row in event.overrides if row.recurrence_id in wanted]
    changed = len(kept) != len(rows)
    for key in sorted(set(rows) - set(wanted)):
        audit(
            actor,
            "restore",
            "occurrence",
            f"{event.uid} {key}",
            event.calendar,
            recurrence_id=key,
            title=event.title,
        )
    new_rows: list[Override] = []
    for key, body in sorted(wanted.items()):
        moment = _generated(event, series, key)
        values = validate_override(event, moment, body)
        row = rows.get(key)
        if row is not None and _says(row, values):
            continue
        if row is None:
            row = Override(recurrence_id=format_moment(moment))
            new_rows.append(row)
        _fill_override(row, values, sequence=event.sequence + 1)
        changed = True
        audit(
            actor,
            "cancel" if row.cancelled else "override",
            "occurrence",
            f"{event.uid} {row.recurrence_id}",
            event.calendar,
            recurrence_id=row.recurrence_id,
            title=event.title,
        )
    if changed:
        event.overrides = sorted(kept + new_rows, key=lambda row: row.recurrence_id)
        _occurrence_changed(event)
    return changed


def _generated(event: Event, series: rules.Series, text: str) -> rules.Moment:
    """``parse_recurrence_id`` against a series built once by the caller."""
    try:
        value = parse_moment(text, all_day=event.all_day, tzid=event.timezone)
    except MomentError:
        raise NotFound(f"This series has no occurrence at {text[:40]}.") from None
    if not rules.generates(series, value):
        raise NotFound(f"This series has no occurrence at {text[:40]}.")
    return value


def _says(row: Override, values: OverrideValues) -> bool:
    """Whether a stored override already says what ``values`` say (two cancellations are the
    same whatever else they carry)."""
    if row.cancelled != values.cancelled:
        return False
    if row.cancelled:
        return True
    start = None if values.start is None else to_column(values.start)
    end = None if values.end is None else to_column(values.end)
    return (row.start_local, row.end_local, row.title, row.location, row.description) == (
        start,
        end,
        values.title,
        values.location,
        values.description,
    )


def _fill_override(row: Override, values: OverrideValues, *, sequence: int) -> None:
    row.cancelled = values.cancelled
    row.start_local = None if values.start is None else to_column(values.start)
    row.end_local = None if values.end is None else to_column(values.end)
    row.title, row.location, row.description = values.title, values.location, values.description
    row.updated = utcnow()
    row.sequence = sequence


def clear_override(event: Event, recurrence_id: rules.Moment, actor: Actor) -> None:
    """Restore one occurrence to the series (docs/contract.md: DELETE …/occurrences/<id>)."""
    key = format_moment(recurrence_id)
    row = next((item for item in event.overrides if item.recurrence_id == key), None)
    if row is not None:
        event.overrides.remove(row)
    if key in (event.exdates or []):
        event.exdates = [value for value in event.exdates if value != key]
    _occurrence_changed(event)
    audit(
        actor,
        "restore",
        "occurrence",
        f"{event.uid} {key}",
        event.calendar,
        recurrence_id=key,
        title=event.title,
    )


def _occurrence_changed(event: Event) -> None:
    """After one occurrence changed: check the series, new bounds, a new version for clients."""
    _revalidate(event)
    event.sequence += 1
    event.revision += 1
    event.updated = utcnow()
    event.calendar.touch()
    db.session.flush()


def _revalidate(event: Event) -> None:
    """Rebuild the series with its overrides: bounds may move, and the engine must accept it."""
    try:
        series = series_of(event)
    except rules.RulesError as error:
        raise ValidationError({error.field: error.message}) from None
    event.first_start_utc, event.last_end_utc = rules.series_bounds(series)
