"""The one reading of a filter's category slugs, merged categories included.

Every surface that lists by category (the feeds, the agenda, the month, Atom and the embed, the
API and the ``next`` links) asks here what the slugs it was given name now: a merged (or deleted
into another) category's slug stands for the category that took its events, so an old link or
subscription goes on showing them.  What to answer for a slug that names nothing is each
surface's own choice (a 404, a 400 that says so, or a filter that matches nothing), made from
``Resolution.unknown``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from calendar_service.store import categories as category_store
from calendar_service.store.models import Category


@dataclass(frozen=True)
class Resolution:
    """What some category slugs name now."""

    slugs: tuple[str, ...]
    """The slugs as asked, each once and in order, a merged category's replaced by the slug
    of the one that took its events (by all of them, one per calendar, across calendars);
    those naming nothing are kept in place, so a filter of them matches nothing rather than
    widening to everything."""
    unknown: tuple[str, ...]
    """The slugs asked for that name no category, now or formerly."""
    categories: tuple[Category, ...] = ()
    """The categories the known slugs name, by slug, when they were read to resolve them
    (in one calendar, and without a ``known`` set given)."""

    @property
    def known(self) -> tuple[str, ...]:
        """``slugs`` without the unknown ones."""
        return tuple(slug for slug in self.slugs if slug not in self.unknown)


def resolve(
    values: Sequence[str], calendar_id: int | None, known: Collection[str] | None = None
) -> Resolution:
    """What ``values`` name in the calendar (None: in any calendar).  ``known``: the slugs of
    the categories in scope when the caller has them already, so they are not read again."""
    asked = tuple(dict.fromkeys(values))
    if not asked:
        return Resolution((), ())
    found: dict[str, Category] = {}
    if known is None:
        found = category_store.named(asked, calendar_id)
        known = found.keys()
    missing = [slug for slug in asked if slug not in known]
    moved: dict[str, list[Category]] = {}
    for former, current in category_store.merged_into(missing, calendar_id):
        moved.setdefault(former, []).append(current)
    slugs = tuple(
        dict.fromkeys(
            current
            for slug in asked
            for current in (
                [category.slug for category in moved[slug]] if slug in moved else [slug]
            )
        )
    )
    chosen: dict[str, Category] = {}
    if calendar_id is not None:
        chosen.update(found)
        chosen.update(
            (category.slug, category) for targets in moved.values() for category in targets
        )
    return Resolution(
        slugs,
        tuple(slug for slug in missing if slug not in moved),
        tuple(chosen[slug] for slug in sorted(set(slugs)) if slug in chosen),
    )


def feed_slugs(calendar_id: int, values: Sequence[str]) -> list[str] | None:
    """A feed's filter as sorted unique slugs (blank values dropped), merged categories as the
    ones that took their events; None when one names no category of the calendar."""
    wanted = sorted({value.strip() for value in values if value.strip()})
    resolution = resolve(wanted, calendar_id)
    if resolution.unknown:
        return None
    return sorted(set(resolution.slugs))
