"""Query-string values every public route reads alike: repeated slug filters and the bounds of
dates a visitor may ask for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from calendar_service.store.identifiers import SLUG

# The most category filters one request may name.
MAX_CATEGORIES = 20
# The earliest and latest days a query may ask about.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def category_args(categories: Sequence[str]) -> dict[str, Any]:
    """url_for arguments repeating ``category`` for each slug (none for no filter)."""
    return {"category": list(categories)} if categories else {}


def slug_values(args: MultiDict[str, str], name: str = "category") -> list[str]:
    """The repeated slug parameter without blanks or duplicates.  A value no slug can be
    becomes "", which matches nothing: a filter never widens, and NUL (which PostgreSQL refuses)
    never reaches a query."""
    values: list[str] = []
    for raw in args.getlist(name)[:MAX_CATEGORIES]:
        value = raw.strip()
        if not value:
            continue
        if not SLUG.match(value):
            value = ""
        if value not in values:
            values.append(value)
    return values
