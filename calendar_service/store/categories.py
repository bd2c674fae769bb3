"""Managing a calendar's categories: create, rename, merge, delete with a choice of where the
events go.

A category is public: it has its own feed (``/calendars/<slug>.ics?category=<slug>``) and an
agenda filter, so making one is a deliberate act here (and in the editor's "new category"
field), never the side effect of a typo.  Renaming changes the name people read and keeps the
slug, so subscribed feed addresses and filter links keep working.  Merging and deleting move the
events through ``operations.update_event``, so each moved event is validated, gets a new
revision (feeds change their ETag) and an audit entry, like any other change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update

from calendar_service.store import operations
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import (
    Calendar,
    Category,
    CategoryAlias,
    Event,
    event_categories,
)
from calendar_service.store.validation import has_control_characters

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_NAME = 200


def slug_for(name: str) -> str:
    """The slug a category named ``name`` gets: lower-case letters, digits and hyphens."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")[:64].strip("-")


def checked_name(name: str, field: str = "name") -> str:
    """A category name, stripped; a ValidationError on ``field`` when it cannot be one."""
    text = name.strip()
    if not text:
        raise ValidationError({field: "is required"})
    if len(text) > MAX_NAME or has_control_characters(text):
        raise ValidationError({field: f"must be at most {MAX_NAME} printable characters"})
    if not slug_for(text):
        raise ValidationError({field: "needs at least one letter or digit"})
    return text


def find_category(calendar: Calendar, slug: str) -> Category | None:
    return db.session.scalar(
        select(Category).where(Category.calendar_id == calendar.id, Category.slug == slug)
    )


def named(slugs: Sequence[str], calendar_id: int | None) -> dict[str, Category]:
    """The categories these slugs name now, by slug: the calendar's, or with None any
    calendar's (one of those sharing a slug).  Only those asked for: there may be thousands."""
    if not slugs:
        return {}
    query = select(Category).where(Category.slug.in_(sorted(set(slugs))))
    if calendar_id is not None:
        query = query.where(Category.calendar_id == calendar_id)
    found: dict[str, Category] = {}
    for category in db.session.scalars(query.order_by(Category.slug, Category.id)):
        found.setdefault(category.slug, category)
    return found


def event_counts(calendar: Calendar) -> dict[int, int]:
    """How many events each of the calendar's categories has, by category id."""
    rows = db.session.execute(
        select(event_categories.c.category_id, func.count())
        .join(Category, Category.id == event_categories.c.category_id)
        .where(Category.calendar_id == calendar.id)
        .group_by(event_categories.c.category_id)
    ).all()
    return {category_id: count for category_id, count in rows}


def create_category(calendar: Calendar, name: str, actor: Actor) -> Category:
    """A new category of the calendar; a ValidationError when its slug is taken."""
    text = checked_name(name)
    slug = slug_for(text)
    if find_category(calendar, slug) is not None:
        raise ValidationError({"name": f"{calendar.name} has a category {slug!r} already"})
    category = Category(calendar=calendar, slug=slug, name=text)
    db.session.add(category)
    calendar.touch()
    db.session.flush()
    audit(actor, "create", "category", slug, calendar, name=text)
    return category


def rename_category(category: Category, name: str, actor: Actor) -> None:
    """A new name; the slug (and so every feed address and filter link) stays."""
    text = checked_name(name)
    before = category.name
    if text == before:
        return
    category.name = text
    category.calendar.touch()
    db.session.flush()
    audit(
        actor,
        "rename",
        "category",
        category.slug,
        category.calendar,
        changes={"name": [before, text]},
    )


def merge_category(source: Category, target: Category, actor: Actor) -> int:
    """Give ``source``'s events ``target`` instead, then delete ``source``; how many events
    moved.  Both must be categories of the same calendar."""
    if source.calendar_id != target.calendar_id or source.id == target.id:
        raise ValidationError({"into": "must be another category of the same calendar"})
    moved = _move_events(source, target, actor)
    audit(actor, "merge", "category", source.slug, source.calendar, into=target.slug, events=moved)
    _delete(source, standing_for=target)
    return moved


def delete_category(category: Category, actor: Actor, move_to: Category | None = None) -> int:
    """Delete the category; its events get ``move_to`` instead (None: they only lose it)."""
    if move_to is not None and (
        move_to.calendar_id != category.calendar_id or move_to.id == category.id
    ):
        raise ValidationError({"move_to": "must be another category of the same calendar"})
    moved = _move_events(category, move_to, actor)
    audit(
        actor,
        "delete",
        "category",
        category.slug,
        category.calendar,
        name=category.name,
        move_to=move_to.slug if move_to else None,
        events=moved,
    )
    _delete(category, standing_for=move_to)
    return moved


def _move_events(source: Category, target: Category | None, actor: Actor) -> int:
    events = db.session.scalars(
        select(Event)
        .join(event_categories, event_categories.c.event_id == Event.id)
        .where(event_categories.c.category_id == source.id)
        .order_by(Event.id)
    ).all()
    for event in events:
        slugs = [slug for slug in event.category_slugs if slug != source.slug]
        if target is not None and target.slug not in slugs:
            slugs.append(target.slug)
        operations.update_event(event, {"categories": slugs}, actor)
    return len(events)


def _delete(category: Category, standing_for: Category | None) -> None:
    """Delete the category; its slug (and those that stood for it) then stand for
    ``standing_for``, which took its events, so its subscribers' feed goes on with them."""
    calendar = category.calendar
    if standing_for is not None:  # else its aliases go with it (ON DELETE CASCADE)
        db.session.execute(
            update(CategoryAlias)
            .where(CategoryAlias.category_id == category.id)
            .values(category_id=standing_for.id)
        )
        db.session.execute(
            delete(CategoryAlias).where(
                CategoryAlias.calendar_id == calendar.id, CategoryAlias.slug == category.slug
            )
        )
        db.session.add(
            CategoryAlias(calendar_id=calendar.id, slug=category.slug, category_id=standing_for.id)
        )
    db.session.delete(category)
    calendar.touch()
    db.session.flush()


def merged_into(slugs: Sequence[str], calendar_id: int | None) -> list[tuple[str, Category]]:
    """(former slug, the category it stands for now) of the merged or deleted categories among
    ``slugs``: in one calendar, or with None in any (one pair for each calendar that merged it),
    the categories of each former slug in slug order."""
    if not slugs:
        return []
    query = (
        select(CategoryAlias.slug, Category)
        .join(Category, Category.id == CategoryAlias.category_id)
        .where(CategoryAlias.slug.in_(sorted(set(slugs))))
        .order_by(Category.slug)
    )
    if calendar_id is not None:
        query = query.where(CategoryAlias.calendar_id == calendar_id)
    return [(former, current) for former, current in db.session.execute(query)]
