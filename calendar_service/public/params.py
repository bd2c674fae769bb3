"""The agenda's query string (docs/contract.md: from, days, calendar, category, q; and ``after``,
where a page cut inside one crowded day continues) read and written back.

Reading never fails: a value that makes no sense is replaced by its default and reported as a
field message, so a hand-edited or truncated link still shows a useful page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from calendar_service.public.viewer_zone import asked_zone
from calendar_service.store.identifiers import UID
from calendar_service.store.validation import without_control_characters
from calendar_service.web.query import EARLIEST, LATEST, MAX_CATEGORIES, slug_values

MAX_DAYS = 366
MAX_QUERY = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ``after``: the start in UTC, the recurrence id ("" for a one-off event) and the uid of the
# last occurrence the previous page listed, e.g. 20270310T090000Z,,talk-17@example.org.
_AFTER = re.compile(
    r"^(\d{8}T\d{6})(?:\.(\d{6}))?Z,"
    r"(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2})?)?,(.+)$"
)


@dataclass(frozen=True)
class After:
    """Where a page cut inside a day continues: after this occurrence (its start in UTC, its
    recurrence id text, "" for a one-off event, and its event's uid)."""

    start_utc: datetime
    recurrence_id: str
    uid: str

    def text(self) -> str:
        micro = f".{self.start_utc.microsecond:06d}" if self.start_utc.microsecond else ""
        return f"{self.start_utc:%Y%m%dT%H%M%S}{micro}Z,{self.recurrence_id},{self.uid}"


def parse_after(raw: str) -> After | None:
    """The ``after`` value, or None when it is not one this service writes."""
    found = _AFTER.match(raw.strip()[:400])
    if found is None or not UID.match(found.group(4)):
        return None
    try:
        start = datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").replace(
            microsecond=int(found.group(2) or 0), tzinfo=UTC
        )
    except ValueError:
        return None
    return After(start, found.group(3) or "", found.group(4))


@dataclass(frozen=True)
class AgendaParams:
    """What the visitor asked to see; ``start`` None means "from today"."""

    start: date | None
    days: int
    calendar: str | None
    categories: tuple[str, ...]
    text: str
    default_days: int
    errors: dict[str, str] = field(default_factory=dict, compare=False)
    after: After | None = None
    zone: str | None = None  # the visitor's chosen display zone (``tz``), None: the calendar's

    def first_day(self, today: date) -> date:
        return self.start or today

    def query(self, **changes: Any) -> dict[str, Any]:
        """The url_for arguments for these parameters with some changed, defaults left out;
        ``after`` only when given among the changes (every other link starts a day afresh)."""
        params = replace(self, **changes)
        if "after" not in changes:
            params = replace(params, after=None)
        args: dict[str, Any] = {}
        if params.start is not None:
            args["from"] = params.start.isoformat()
        if params.days != params.default_days:
            args["days"] = params.days
        if params.calendar:
            args["calendar"] = params.calendar
        if params.categories:
            args["category"] = list(params.categories)
        if params.text:
            args["q"] = params.text
        if params.after is not None:
            args["after"] = params.after.text()
        if params.zone:
            args["tz"] = params.zone
        return args

    def shifted(self, today: date, days: int) -> dict[str, Any]:
        """url_for arguments for the window moved by ``days`` (earlier when negative)."""
        start = self.first_day(today) + timedelta(days=days)
        start = min(max(start, EARLIEST), LATEST)
        return self.query(start=None if start == today else start)

    @property
    def filtered(self) -> bool:
        return bool(self.calendar or self.categories or self.text)


def _days(args: MultiDict[str, str], default_days: int, errors: dict[str, str]) -> int:
    raw_days = args.get("days", "").strip()
    if not raw_days:
        return default_days
    if raw_days.isdigit() and 1 <= int(raw_days) <= MAX_DAYS:
        return int(raw_days)
    errors["days"] = f"Give a number of days from 1 to {MAX_DAYS}."
    return default_days


def parse_params(args: MultiDict[str, str], *, default_days: int) -> AgendaParams:
    """Read the agenda's query string; bad values fall back to defaults with a message."""
    errors: dict[str, str] = {}
    start: date | None = None
    raw_from = args.get("from", "").strip()
    if raw_from:
        try:
            if not _DATE.match(raw_from):
                raise ValueError
            start = date.fromisoformat(raw_from)
        except ValueError:
            errors["from"] = "Give a date as YYYY-MM-DD, for example 2027-01-27."
        else:
            if not EARLIEST <= start <= LATEST:
                errors["from"] = f"Give a date between {EARLIEST.year} and {LATEST.year}."
                start = None
    days = _days(args, default_days, errors)
    calendar = args.get("calendar", "").strip()[:100] or None  # the view answers 404 if unknown
    categories = slug_values(args)
    if "" in categories:
        errors["category"] = "There is no category with that name."
        categories.remove("")
    if len(args.getlist("category")) > MAX_CATEGORIES:
        errors["category"] = f"Choose at most {MAX_CATEGORIES} categories."
    text = " ".join(without_control_characters(args.get("q", ""), " ").split())
    if len(text) > MAX_QUERY:
        errors["q"] = f"Search for at most {MAX_QUERY} characters."
        text = text[:MAX_QUERY]
    after = None
    raw_after = args.get("after", "").strip()
    if raw_after:
        after = parse_after(raw_after)
        if after is None:
            errors["after"] = (
                "This link to the rest of a day is damaged; the day is shown from its start."
            )
    zone, zone_error = asked_zone(args)
    if zone_error:
        errors["tz"] = zone_error
    return AgendaParams(
        start, days, calendar, tuple(categories), text, default_days, errors, after, zone
    )
