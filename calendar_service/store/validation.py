"""Validation of EVENT input (docs/contract.md: the EVENT object) into values ready to store.

Shared by the API, the organiser's form, the .ics importer and the seed, so each of them gives
the same field-level messages.  Every check happens before anything is written; a rule that the
engine cannot expand is refused here, so the database never holds one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import rules
from calendar_service.store.errors import ValidationError
from calendar_service.store.identifiers import SLUG, UID
from calendar_service.store.models import STATUSES, Calendar, Event
from calendar_service.store.moments import (
    MomentError,
    is_date_text,
    parse_moment,
    to_column,
)
from calendar_service.store.values import event_json

WRITABLE = (
    "uid", "calendar", "title", "description", "location", "url", "categories", "start", "end",
    "timezone", "all_day", "rrule", "rdates", "exdates", "status", "published",
)
READ_ONLY = ("sequence", "recurrence_text", "created", "updated", "continues", "continued_by")

MAX_TITLE = 500
MAX_LOCATION = 500
MAX_DESCRIPTION = 20_000
MAX_URL = 2000
MAX_DATES = 1000
MAX_CATEGORIES = 20

# What no stored text may hold: C0 control characters and DEL (NUL upsets PostgreSQL, the rest
# garble feeds and pages), except tab, line feed and carriage return in multi-line text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# Lone surrogates (JSON's "\ud800"): no Unicode character, so no UTF-8 to store or send.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
SURROGATE_MESSAGE = "must be valid Unicode text: it holds a lone surrogate (\\ud800-\\udfff)"

OVERRIDE_FIELDS = ("status", "start", "end", "title", "location", "description")
CALENDAR_FIELDS = ("slug", "name", "description", "timezone")


def has_control_characters(text: str, *, one_line: bool = False) -> bool:
    """Whether ``text`` holds a character no stored text may; a one-line value (an e-mail, a
    name, a search) may not hold a tab or a line break either."""
    return bool((_CONTROL_ONE_LINE if one_line else _CONTROL).search(text))


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (``has_control_characters`` counts them too)."""
    return bool(_SURROGATE.search(text))


def without_control_characters(text: str, replacement: str) -> str:
    """``text`` with every control character, line breaks included, replaced: for echoing a
    value someone else wrote (a search, a file's text) on one line."""
    return _CONTROL_ONE_LINE.sub(replacement, text)


def check_fields(data: Mapping[str, Any], allowed: tuple[str, ...], what: str,
                 errors: dict[str, str]) -> None:
    """A message for every key of ``data`` that is not a field of ``what`` ("an event")."""
    for key in data:
        if key not in allowed:
            errors[str(key)[:100]] = f"is not a field of {what}"


@dataclass
class EventValues:
    """Validated values of one event, in the types the model stores."""

    calendar: Calendar
    title: str
    description: str
    location: str
    url: str
    categories: list[str]
    all_day: bool
    start: rules.Moment
    end: rules.Moment
    timezone: str
    rrule: str | None
    rdates: list[rules.Moment]
    exdates: list[rules.Moment]
    status: str
    published: bool
    uid: str | None = None
    overrides: tuple[rules.Override, ...] = ()
    series: rules.Series | None = field(default=None, repr=False)


def validate_event(
    data: Mapping[str, Any],
    *,
    existing: Event | None = None,
    find_calendar: Any = None,
    overrides: tuple[rules.Override, ...] = (),
) -> EventValues:
    """Check an EVENT mapping (the whole of it on create, the changed fields on update).

    ``find_calendar(slug)`` returns a Calendar or None.  ``overrides`` are the series'
    existing overrides, validated with it.  Raises ValidationError with every field's message.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    check_fields(data, WRITABLE + READ_ONLY, "an event", errors)
    current = _current_values(existing) if existing is not None else {}
    merged: dict[str, Any] = {**current, **{k: v for k, v in data.items() if k in WRITABLE}}

    if existing is None:
        for required in ("calendar", "title", "start"):
            if merged.get(required) in (None, ""):
                errors[required] = "is required"

    calendar = _calendar(merged.get("calendar"), find_calendar, errors)
    title = check_text(merged.get("title", ""), "title", MAX_TITLE, errors, single_line=True)
    description = check_text(merged.get("description") or "", "description", MAX_DESCRIPTION,
                             errors)
    location = check_text(merged.get("location") or "", "location", MAX_LOCATION, errors,
                          single_line=True)
    url = _url(merged.get("url") or "", errors)
    categories = _categories(merged.get("categories") or [], errors)
    status = _status(merged.get("status") or "confirmed", errors)
    published = _published(merged.get("published", True), errors)
    uid = _event_uid(data, existing, errors)
    all_day = _all_day(merged, existing, errors)
    tzid = _timezone(merged.get("timezone"), calendar, errors)
    start, end = _start_end(merged, all_day, tzid, errors)
    rrule = _rrule(merged.get("rrule"), errors)
    rdates = _moment_list(merged.get("rdates"), "rdates", all_day, tzid, errors)
    exdates = _moment_list(merged.get("exdates"), "exdates", all_day, tzid, errors)

    if errors:
        raise ValidationError(errors)
    assert calendar is not None and start is not None and end is not None
    try:
        series = rules.Series(
            start=start, end=end, tzid=tzid, rrule=rrule, rdates=tuple(rdates),
            exdates=tuple(exdates), overrides=overrides, key=uid or "",
        )
        rules.check_overlap(series)
    except rules.RulesError as error:
        raise ValidationError({_field_of(error): error.message}) from None
    return EventValues(
        calendar=calendar, title=title, description=description, location=location, url=url,
        categories=categories, all_day=all_day, start=start, end=end, timezone=tzid,
        rrule=series.rrule, rdates=sorted(set(rdates)), exdates=sorted(set(exdates)),
        status=status, published=bool(published), uid=uid, overrides=overrides, series=series,
    )


def _status(status: Any, errors: dict[str, str]) -> Any:
    if status not in STATUSES:
        errors["status"] = "must be one of " + ", ".join(STATUSES)
    return status


def _published(published: Any, errors: dict[str, str]) -> Any:
    if not isinstance(published, bool):
        errors["published"] = "must be true or false"
    return published


def _event_uid(data: Mapping[str, Any], existing: Event | None,
               errors: dict[str, str]) -> str | None:
    """The new event's UID as given (None: the store makes one); an event's UID never changes."""
    if existing is None:
        return _uid(data.get("uid"), errors)
    if "uid" in data and data["uid"] != existing.uid:
        errors["uid"] = "cannot be changed"
    return existing.uid


def _all_day(merged: Mapping[str, Any], existing: Event | None,
             errors: dict[str, str]) -> bool:
    """As given; when not given, a new event whose start is a date is all-day."""
    all_day = merged.get("all_day")
    if all_day is None:
        all_day = existing is None and is_date_text(merged.get("start"))
    if not isinstance(all_day, bool):
        errors["all_day"] = "must be true or false"
        return False
    return all_day


def _timezone(value: Any, calendar: Calendar | None, errors: dict[str, str]) -> str:
    """The event's zone, else its calendar's; UTC (with a message) when neither is known."""
    tzid = value or (calendar.timezone if calendar is not None else None)
    if not isinstance(tzid, str) or not rules.is_valid_zone(tzid):
        errors["timezone"] = "is not a known IANA time zone (for example Europe/London)"
        return "UTC"
    return tzid


def _start_end(merged: Mapping[str, Any], all_day: bool, tzid: str,
               errors: dict[str, str]) -> tuple[rules.Moment | None, rules.Moment | None]:
    """Start and end; without an end, a day (all-day) or an hour after the start."""
    start = _moment(merged.get("start"), "start", all_day, tzid, errors)
    end = None
    if merged.get("end") not in (None, ""):
        end = _moment(merged["end"], "end", all_day, tzid, errors)
    elif start is not None:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    if start is not None and end is not None and end < start:
        errors["end"] = "must not be before the start"
    return start, end


def _rrule(value: Any, errors: dict[str, str]) -> str | None:
    """The rule text, trimmed; None for no rule (null or blank)."""
    if value is not None and not isinstance(value, str):
        errors["rrule"] = "must be RRULE text or null"
        value = None
    return (value or "").strip() or None


def _current_values(event: Event) -> dict[str, Any]:
    """The stored event in input form, so an update validates the whole merged event."""
    values = event_json(event)
    return {key: values[key] for key in WRITABLE}


def _field_of(error: rules.RulesError) -> str:
    return error.field if error.field in WRITABLE else "rrule"


def _calendar(slug: Any, find_calendar: Any, errors: dict[str, str]) -> Calendar | None:
    if slug in (None, ""):
        return None
    if not isinstance(slug, str) or find_calendar is None:
        errors["calendar"] = "must be the slug of a calendar"
        return None
    calendar: Calendar | None = find_calendar(slug)
    if calendar is None:
        errors["calendar"] = f"there is no calendar {slug[:64]!r}"
    return calendar


def check_text(value: Any, name: str, limit: int, errors: dict[str, str], *,
               single_line: bool = False) -> str:
    """The text of a field, line endings made LF, trimmed (and on one line when asked), or a
    message in ``errors`` for a non-string, a control character or a text over ``limit``."""
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if single_line:
        text = " ".join(text.split())
    if has_surrogates(text):
        errors[name] = SURROGATE_MESSAGE
    elif has_control_characters(text):
        errors[name] = "contains control characters"
    elif len(text) > limit:
        errors[name] = f"must be at most {limit} characters"
    elif name == "title" and not text:
        errors[name] = "is required"
    return text


def _url(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str):
        errors["url"] = "must be a string"
        return ""
    text = value.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if (
        len(text) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or has_control_characters(text)
        or any(ch.isspace() for ch in text)
    ):
        errors["url"] = "must be an absolute http:// or https:// address"
    return text


def _categories(value: Any, errors: dict[str, str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["categories"] = "must be a list of category slugs"
        return []
    slugs = sorted({item.strip().lower() for item in value})
    bad = [slug for slug in slugs if not SLUG.match(slug)]
    if bad:
        errors["categories"] = (
            f"{bad[0][:64]!r} is not a slug (lower-case letters, digits and hyphens)"
        )
    elif len(slugs) > MAX_CATEGORIES:
        errors["categories"] = f"at most {MAX_CATEGORIES} categories"
    return slugs


def _uid(value: Any, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not UID.match(value):
        errors["uid"] = "must be 1-255 printable ASCII characters without spaces"
        return None
    return value


def _moment(value: Any, name: str, all_day: bool, tzid: str,
            errors: dict[str, str]) -> rules.Moment | None:
    if value in (None, ""):
        return None
    try:
        return parse_moment(value, all_day=all_day, tzid=tzid)
    except MomentError as error:
        errors[name] = str(error)
        return None


def _moment_list(value: Any, name: str, all_day: bool, tzid: str,
                 errors: dict[str, str]) -> list[rules.Moment]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors[name] = "must be a list"
        return []
    if len(value) > MAX_DATES:
        errors[name] = f"at most {MAX_DATES} entries"
        return []
    moments: list[rules.Moment] = []
    for index, item in enumerate(value):
        try:
            moments.append(parse_moment(item, all_day=all_day, tzid=tzid))
        except MomentError as error:
            errors[name] = f"entry {index + 1}: {error}"
            return []
    return moments


# One occurrence -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverrideValues:
    """Validated changes to one occurrence; None leaves the series' value in place."""

    cancelled: bool
    start: rules.Moment | None
    end: rules.Moment | None
    title: str | None
    location: str | None
    description: str | None


# The longest texts one occurrence may have of its own.
OVERRIDE_TEXT_LIMITS = (("title", MAX_TITLE), ("location", MAX_LOCATION),
                        ("description", MAX_DESCRIPTION))


def validate_override(event: Event, recurrence_id: rules.Moment,
                      data: Mapping[str, Any]) -> OverrideValues:
    """Check the changes to one occurrence (docs/contract.md: PUT …/occurrences/<recurrence_id>):
    a start without an end keeps the series' duration (left to the engine, which applies the
    exact duration across clock changes), an end without a start starts at the recurrence id.
    Raises ValidationError with every field's message."""
    if not isinstance(data, Mapping):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    check_fields(data, OVERRIDE_FIELDS, "an occurrence", errors)
    status = data.get("status", "confirmed")
    if status not in ("confirmed", "cancelled"):
        errors["status"] = "must be cancelled or confirmed"
    start, end = (_override_moment(event, data, name, errors) for name in ("start", "end"))
    texts = {name: _override_text(data.get(name), name, limit, errors)
             for name, limit in OVERRIDE_TEXT_LIMITS}
    if texts["title"] == "":
        errors["title"] = "must not be empty"
    if errors:
        raise ValidationError(errors)
    if end is not None and start is None:
        start = recurrence_id
    if start is not None and end is not None and to_column(end) < to_column(start):
        raise ValidationError({"end": "must not be before the start"})
    return OverrideValues(cancelled=status == "cancelled", start=start, end=end,
                          title=texts["title"], location=texts["location"],
                          description=texts["description"])


def _override_moment(event: Event, data: Mapping[str, Any], name: str,
                     errors: dict[str, str]) -> rules.Moment | None:
    if data.get(name) in (None, ""):
        return None
    try:
        return parse_moment(data[name], all_day=event.all_day, tzid=event.timezone)
    except MomentError as error:
        errors[name] = str(error)
        return None


def _override_text(value: Any, name: str, limit: int, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = f"must be text of at most {limit} characters"
        return None
    if has_control_characters(value):
        errors[name] = "contains control characters"
        return None
    cleaned = value.strip()
    return cleaned if name == "description" else " ".join(cleaned.split())
