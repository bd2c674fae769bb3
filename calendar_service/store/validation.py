"""Validation of EVENT input (docs/contract.md: the EVENT object) into values ready to store.

Shared by the API, the organiser's form, the .ics importer and the seed, so each of them gives
the same field-level messages.  Every check happens before anything is written; a rule that the
engine cannot expand is refused here, so the database never holds one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import rules
from calendar_service.store.drafts import EventDraft, draft_of
from calendar_service.store.errors import ValidationError
from calendar_service.store.identifiers import SLUG, UID
from calendar_service.store.models import STATUSES, Calendar, Event
from calendar_service.store.moments import (
    MomentError,
    is_date_text,
    parse_moment,
    place_moment,
    read_moment,
    to_column,
)

WRITABLE = (
    "uid",
    "calendar",
    "title",
    "description",
    "location",
    "url",
    "categories",
    "start",
    "end",
    "timezone",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "status",
    "published",
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

UID_MESSAGE = "must be 1-255 printable ASCII characters without spaces"
ZONE_MESSAGE = "is not a known IANA time zone (for example Europe/London)"

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


def check_fields(
    data: Mapping[str, Any], allowed: tuple[str, ...], what: str, errors: dict[str, str]
) -> None:
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


@dataclass(frozen=True)
class ReadEvent:
    """An EVENT body read into a draft: ``errors`` are the fields that could not be read (the
    draft holds a neutral value there); ``rule_error`` is the rule's own, told only when
    nothing else is wrong, as the engine would."""

    draft: EventDraft
    errors: dict[str, str]
    rule_error: tuple[str, str] | None = None


def validate_event(
    data: EventDraft | ReadEvent | Mapping[str, Any],
    *,
    existing: Event | None = None,
    find_calendar: Any = None,
    overrides: tuple[rules.Override, ...] = (),
) -> EventValues:
    """Check a draft, or an EVENT body of the contract (the whole of it on create, the changed
    fields on update), read or not yet (``read_event_json``).

    ``find_calendar(slug)`` returns a Calendar or None.  ``overrides`` are the series'
    existing overrides, validated with it.  Raises ValidationError with every field's message.
    """
    read = (
        data
        if isinstance(data, ReadEvent)
        else (
            ReadEvent(data, {}) if isinstance(data, EventDraft) else read_event_json(data, existing)
        )
    )
    return validate_draft(read, existing=existing, find_calendar=find_calendar, overrides=overrides)


def read_event_json(data: Mapping[str, Any], existing: Event | None = None) -> ReadEvent:
    """An EVENT body (docs/contract.md) as a draft: the given fields over the stored event's
    (``existing``) or the defaults.  Reads types and forms only; ``validate_draft`` says
    whether the values may be stored.  Raises ValidationError when the body is no object."""
    if not isinstance(data, Mapping):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    check_fields(data, WRITABLE + READ_ONLY, "an event", errors)
    given = {key: value for key, value in data.items() if key in WRITABLE}
    base = (
        draft_of(existing)
        if existing is not None
        else EventDraft(calendar=None, title="", start=None)
    )
    fields: dict[str, Any] = {
        name: read(given[name], errors) for name, read in _READERS.items() if name in given
    }
    fields["uid"] = _read_uid(given, existing, errors)
    all_day = _read_all_day(given, base, existing, errors)
    fields["all_day"] = all_day
    for name in ("start", "end"):
        if name in given:
            fields[name] = _read_moment(given[name], name, all_day, errors)
    for name in ("rdates", "exdates"):
        if name in given:
            fields[name] = _read_moment_list(given[name], name, all_day, errors)
    rule_error = None
    if "rrule" in given:
        fields["rrule"], rule_error = _read_rrule(given["rrule"], errors)
    return ReadEvent(replace(base, **fields), errors, rule_error)


def _read_string(name: str, *, blank: bool) -> Callable[[Any, dict[str, str]], str]:
    """The reader of a text field (``blank``: null reads as empty text, not as an error)."""

    def read(value: Any, errors: dict[str, str]) -> str:
        value = value or "" if blank else value
        if not isinstance(value, str):
            errors[name] = "must be a string"
            return ""
        return value

    return read


def _read_calendar(value: Any, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors["calendar"] = "must be the slug of a calendar"
        return None
    return value


def _read_categories(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    value = value or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["categories"] = "must be a list of category slugs"
        return ()
    return tuple(value)


def _read_status(value: Any, errors: dict[str, str]) -> str:
    value = value or "confirmed"
    if not isinstance(value, str):
        errors["status"] = "must be one of " + ", ".join(STATUSES)
        return "confirmed"
    return value


def _read_published(value: Any, errors: dict[str, str]) -> bool:
    if not isinstance(value, bool):
        errors["published"] = "must be true or false"
        return True
    return value


def _read_timezone(value: Any, errors: dict[str, str]) -> str | None:
    if not value:
        return None
    if not isinstance(value, str):
        errors["timezone"] = ZONE_MESSAGE
        return None
    return value


_READERS: dict[str, Callable[[Any, dict[str, str]], Any]] = {
    "title": _read_string("title", blank=False),
    "description": _read_string("description", blank=True),
    "location": _read_string("location", blank=True),
    "url": _read_string("url", blank=True),
    "calendar": _read_calendar,
    "categories": _read_categories,
    "status": _read_status,
    "published": _read_published,
    "timezone": _read_timezone,
}
"""The fields read alone, by name (the others depend on ``all_day``)."""


def _read_uid(
    given: Mapping[str, Any], existing: Event | None, errors: dict[str, str]
) -> str | None:
    """The new event's UID as given (None: the store makes one); an event's UID never changes."""
    if existing is not None:
        if "uid" in given and given["uid"] != existing.uid:
            errors["uid"] = "cannot be changed"
        return existing.uid
    value = given.get("uid")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors["uid"] = UID_MESSAGE
        return None
    return value


def _read_all_day(
    given: Mapping[str, Any], base: EventDraft, existing: Event | None, errors: dict[str, str]
) -> bool:
    """As given; when not given, a new event whose start is a date is all-day."""
    all_day = given.get("all_day", base.all_day if existing is not None else None)
    if all_day is None:
        all_day = existing is None and is_date_text(given.get("start"))
    if not isinstance(all_day, bool):
        errors["all_day"] = "must be true or false"
        return False
    return all_day


def _read_moment(
    value: Any, name: str, all_day: bool, errors: dict[str, str]
) -> rules.Moment | None:
    if value in (None, ""):
        return None
    try:
        return read_moment(value, all_day=all_day)
    except MomentError as error:
        errors[name] = str(error)
        return None


def _read_moment_list(
    value: Any, name: str, all_day: bool, errors: dict[str, str]
) -> tuple[rules.Moment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors[name] = "must be a list"
        return ()
    if len(value) > MAX_DATES:
        errors[name] = f"at most {MAX_DATES} entries"
        return ()
    moments: list[rules.Moment] = []
    for index, item in enumerate(value):
        try:
            moments.append(read_moment(item, all_day=all_day))
        except MomentError as error:
            errors[name] = f"entry {index + 1}: {error}"
            return ()
    return tuple(moments)


def _read_rrule(
    value: Any, errors: dict[str, str]
) -> tuple[rules.Rule | None, tuple[str, str] | None]:
    """The parsed rule; None for no rule (null or blank).  The rule's own error is kept
    apart: the engine tells it only when every other field is right."""
    if value is not None and not isinstance(value, str):
        errors["rrule"] = "must be RRULE text or null"
        return None, None
    text = (value or "").strip()
    if not text:
        return None, None
    try:
        return rules.parse_rule(text), None
    except rules.RulesError as error:
        return None, (_field_of(error), error.message)


def validate_draft(
    read: ReadEvent,
    *,
    existing: Event | None = None,
    find_calendar: Any = None,
    overrides: tuple[rules.Override, ...] = (),
) -> EventValues:
    """Whether the draft may be stored, as the values to store: every field's message at once
    (those ``read`` could not read first), then the series the engine must accept."""
    draft = read.draft
    errors: dict[str, str] = {}
    if existing is None:
        for name, value in (
            ("calendar", draft.calendar),
            ("title", draft.title),
            ("start", draft.start),
        ):
            if value in (None, ""):
                errors[name] = "is required"
    calendar = _calendar(draft.calendar, find_calendar, errors)
    title = check_text(draft.title, "title", MAX_TITLE, errors, single_line=True)
    description = check_text(draft.description, "description", MAX_DESCRIPTION, errors)
    location = check_text(draft.location, "location", MAX_LOCATION, errors, single_line=True)
    url = _url(draft.url, errors)
    categories = _categories(list(draft.categories), errors)
    status = _status(draft.status, errors)
    uid = _uid(draft.uid, existing, errors)
    tzid = _timezone(draft.timezone, calendar, errors)
    start, end = _start_end(draft, tzid, errors)
    rdates = _moment_list(draft.rdates, "rdates", draft.all_day, tzid, errors)
    exdates = _moment_list(draft.exdates, "exdates", draft.all_day, tzid, errors)
    for name, message in errors.items():
        read.errors.setdefault(name, message)
    if read.errors:
        raise ValidationError(read.errors)
    if read.rule_error is not None:
        raise ValidationError(dict([read.rule_error]))
    assert calendar is not None and start is not None and end is not None
    try:
        series = rules.Series(
            start=start,
            end=end,
            tzid=tzid,
            rrule=draft.rrule_text,
            rdates=tuple(rdates),
            exdates=tuple(exdates),
            overrides=overrides,
            key=uid or "",
        )
        rules.check_overlap(series)
    except rules.RulesError as error:
        raise ValidationError({_field_of(error): error.message}) from None
    return EventValues(
        calendar=calendar,
        title=title,
        description=description,
        location=location,
        url=url,
        categories=categories,
        all_day=draft.all_day,
        start=start,
        end=end,
        timezone=tzid,
        rrule=series.rrule,
        rdates=sorted(set(rdates)),
        exdates=sorted(set(exdates)),
        status=status,
        published=draft.published,
        uid=uid,
        overrides=overrides,
        series=series,
    )


def _status(status: str, errors: dict[str, str]) -> str:
    if status not in STATUSES:
        errors["status"] = "must be one of " + ", ".join(STATUSES)
    return status


def _uid(uid: str | None, existing: Event | None, errors: dict[str, str]) -> str | None:
    if existing is not None:
        if uid != existing.uid:
            errors["uid"] = "cannot be changed"
        return existing.uid
    if uid is not None and not UID.match(uid):
        errors["uid"] = UID_MESSAGE
        return None
    return uid


def _timezone(value: str | None, calendar: Calendar | None, errors: dict[str, str]) -> str:
    """The event's zone, else its calendar's; UTC (with a message) when neither is known."""
    tzid = value or (calendar.timezone if calendar is not None else None)
    if not isinstance(tzid, str) or not rules.is_valid_zone(tzid):
        errors["timezone"] = ZONE_MESSAGE
        return "UTC"
    return tzid


def _start_end(
    draft: EventDraft, tzid: str, errors: dict[str, str]
) -> tuple[rules.Moment | None, rules.Moment | None]:
    """Start and end; without an end, a day (all-day) or an hour after the start."""
    start = _moment(draft.start, "start", draft.all_day, tzid, errors)
    end = None
    if draft.end is not None:
        end = _moment(draft.end, "end", draft.all_day, tzid, errors)
    elif start is not None:
        end = start + (timedelta(days=1) if draft.all_day else timedelta(hours=1))
    if start is not None and end is not None and end < start:
        errors["end"] = "must not be before the start"
    return start, end


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


def check_text(
    value: Any, name: str, limit: int, errors: dict[str, str], *, single_line: bool = False
) -> str:
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


def _moment(
    value: rules.Moment | None, name: str, all_day: bool, tzid: str, errors: dict[str, str]
) -> rules.Moment | None:
    if value is None:
        return None
    try:
        return place_moment(value, all_day=all_day, tzid=tzid)
    except MomentError as error:
        errors[name] = str(error)
        return None


def _moment_list(
    values: tuple[rules.Moment, ...], name: str, all_day: bool, tzid: str, errors: dict[str, str]
) -> list[rules.Moment]:
    if len(values) > MAX_DATES:
        errors[name] = f"at most {MAX_DATES} entries"
        return []
    moments: list[rules.Moment] = []
    for index, item in enumerate(values):
        try:
            moments.append(place_moment(item, all_day=all_day, tzid=tzid))
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
OVERRIDE_TEXT_LIMITS = (
    ("title", MAX_TITLE),
    ("location", MAX_LOCATION),
    ("description", MAX_DESCRIPTION),
)


def validate_override(
    event: Event, recurrence_id: rules.Moment, data: Mapping[str, Any]
) -> OverrideValues:
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
    texts = {
        name: _override_text(data.get(name), name, limit, errors)
        for name, limit in OVERRIDE_TEXT_LIMITS
    }
    if texts["title"] == "":
        errors["title"] = "must not be empty"
    if errors:
        raise ValidationError(errors)
    if end is not None and start is None:
        start = recurrence_id
    if start is not None and end is not None and to_column(end) < to_column(start):
        raise ValidationError({"end": "must not be before the start"})
    return OverrideValues(
        cancelled=status == "cancelled",
        start=start,
        end=end,
        title=texts["title"],
        location=texts["location"],
        description=texts["description"],
    )


def _override_moment(
    event: Event, data: Mapping[str, Any], name: str, errors: dict[str, str]
) -> rules.Moment | None:
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
