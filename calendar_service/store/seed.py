"""Loading the seed calendar from its readable data file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calendar_service.store import operations
from calendar_service.store.models import Calendar

SEED_FILE = Path(__file__).parent / "seed_data" / "turing-roche.toml"


@dataclass
class SeedResult:
    calendar: Calendar
    created: list[str]
    kept: list[str]


def load_seed(path: Path = SEED_FILE, *, default_tz: str = "Europe/London") -> SeedResult:
    """Add the seed calendar and every seed event whose uid is not stored yet; flush only.

    Existing events are left as organisers changed them, so running it again loses nothing.
    """
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    spec = data["calendar"]
    calendar = operations.find_calendar(spec["slug"])
    if calendar is None:
        calendar = operations.create_calendar(spec, "seed", default_tz=default_tz)
    known = {category.slug for category in calendar.categories}
    for slug, name in data.get("categories", {}).items():
        category = operations.category_for(calendar, slug)
        if slug not in known:  # a name an organiser changed stays changed
            category.name = name
    created, kept = [], []
    for entry in data.get("events", []):
        if operations.find_event(entry["uid"]) is not None:
            kept.append(entry["uid"])
            continue
        operations.create_event({"calendar": calendar.slug, **entry}, "seed")
        created.append(entry["uid"])
    return SeedResult(calendar, created, kept)
