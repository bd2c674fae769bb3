"""The event editor's translation: form values ↔ EVENT fields, repeat choices, the preview.

The form speaks as people do ("Monthly on the last Wednesday", ends after 10 times); the rest of
the app speaks EVENT (docs/contract.md) and RRULE.  Rules are built and read back by
``rules.choices`` and described by ``rules.describe_rule``, so the labels always say what will be
stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import rules
from calendar_service.clock import utcnow
from calendar_service.organiser.forms import REPEAT_KINDS, EventForm
from calendar_service.services import schedule
from calendar_service.services.drafts import EventDraft, draft_of
from calendar_service.store import categories
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import Calendar, Event
from calendar_service.store.moments import format_moment, from_column
from calendar_service.store.operations import find_calendar
from calendar_service.store.validation import WRITABLE, validate_event

PREVIEW_COUNT = 10
SHORT_KINDS = {"none": "Does not repeat", "custom": "Custom…"}


def _ordinal_of(start: date) -> int:
    """1–4 for the start's weekday within its month, -1 when it is a 5th (so the last)."""
    n = (start.day - 1) // 7 + 1
    return -1 if n >= 5 else n


def _is_last_weekday(start: date) -> bool:
    return (start + timedelta(days=7)).month != start.month


def choice_for(
    kind: str, start: date, ends: str = "never", until: date | None = None, count: int | None = None
) -> rules.RuleChoice | None:
    """The engine's choice for a form kind on a series starting on ``start`` (None: no rule)."""
    common: dict[str, Any] = {
        "ends": {"never": "never", "until": "on_date", "count": "after"}.get(ends, "never"),
        "until": until if ends == "until" else None,
        "count": count if ends == "count" else None,
    }
    if kind == "daily":
        return rules.RuleChoice(freq="daily", **common)
    if kind == "weekly":
        return rules.RuleChoice(freq="weekly", **common)
    if kind == "biweekly":
        return rules.RuleChoice(freq="weekly", interval=2, **common)
    if kind == "monthly_nth":
        return rules.RuleChoice(
            freq="monthly", monthly_mode="nth_weekday", ordinal=_ordinal_of(start), **common
        )
    if kind == "monthly_last":
        return rules.RuleChoice(freq="monthly", monthly_mode="nth_weekday", ordinal=-1, **common)
    if kind == "monthly_day":
        return rules.RuleChoice(freq="monthly", **common)
    if kind == "yearly":
        return rules.RuleChoice(freq="yearly", **common)
    if kind == "yearly_nth":
        return rules.RuleChoice(
            freq="yearly", yearly_mode="nth_weekday", ordinal=_ordinal_of(start), **common
        )
    return None


def kinds_for(start: date) -> list[str]:
    """The repeat kinds that make sense for this start ("last" only in a month's last week)."""
    kinds = ["none", "daily", "weekly", "biweekly", "monthly_nth"]
    if _is_last_weekday(start) and _ordinal_of(start) != -1:
        kinds.append("monthly_last")
    kinds += ["monthly_day", "yearly", "yearly_nth", "custom"]
    return kinds


def repeat_choices(start: date, tzid: str) -> list[tuple[str, str]]:
    """(kind, label) pairs for the form, labelled by the engine for this start."""
    choices = []
    for kind in kinds_for(start):
        choice = choice_for(kind, start)
        if choice is None:
            choices.append((kind, SHORT_KINDS[kind]))
            continue
        rrule = rules.to_rrule(choice, start, tzid)
        choices.append((kind, rules.describe_rule(rrule, start, tzid)))
    return choices


def kind_of(rrule: str, start: rules.Moment, tzid: str) -> str:
    """The form kind whose rule repeats like ``rrule`` (its ending aside), or ``custom``."""
    try:
        choice = rules.from_rrule(rrule, start, tzid)
    except rules.RulesError:
        return "custom"
    if choice is None:
        return "custom"
    start_date = start.date() if isinstance(start, datetime) else start
    pattern = rules.to_rrule(replace(choice, ends="never", until=None, count=None), start, tzid)
    for kind in kinds_for(start_date):
        candidate = choice_for(kind, start_date)
        if candidate is not None and rules.to_rrule(candidate, start, tzid) == pattern:
            return kind
    return "custom"


# Form → draft ---------------------------------------------------------------------------------


def form_draft(
    form: EventForm, calendars: Sequence[Calendar], existing: Event | None = None
) -> EventDraft:
    """The draft the editor's values make (over the stored event's, for the fields the form
    has not: its dates added and excluded); raises ValidationError with EVENT field names."""
    errors: dict[str, str] = {}
    all_day = bool(form.all_day.data)
    start_date = form.start_date.data
    assert start_date is not None  # DataRequired: the form was validated
    start_time: time | None = form.start_time.data
    end_date: date | None = form.end_date.data
    end_time: time | None = form.end_time.data
    if not all_day and start_time is None:
        errors["start"] = "needs a time (or tick All day)"
    start: rules.Moment | None = None
    end: rules.Moment | None = None
    if all_day:
        start = start_date
        end = (end_date or start_date) + timedelta(days=1)  # the form's end is inclusive
    elif start_time is not None:
        start = datetime.combine(start_date, start_time)
        if end_date is not None or end_time is not None:
            end = datetime.combine(end_date or start_date, end_time or start_time)
        else:
            end = start + timedelta(hours=1)
    base = (
        draft_of(existing)
        if existing is not None
        else EventDraft(calendar=None, title="", start=None)
    )
    draft = replace(
        base,
        calendar=form.calendar.data,
        title=form.title.data or "",
        description=form.description.data or "",
        location=form.location.data or "",
        url=form.url.data or "",
        categories=(*(form.categories.data or []), *new_categories(form)),
        all_day=all_day,
        timezone=(form.timezone.data or "").strip() or None,
        status=form.status.data or "confirmed",
        published=form.published.data != "draft",
        start=start,
        end=end,
    )
    draft = replace(draft, rrule=_form_rule(form, start_date, draft, calendars, errors))
    if errors:
        raise ValidationError(errors)
    return draft


def _form_rule(
    form: EventForm,
    start_date: date,
    draft: EventDraft,
    calendars: Sequence[Calendar],
    errors: dict[str, str],
) -> rules.Rule | None:
    kind = form.recurrence.data or "none"
    if kind not in REPEAT_KINDS:
        errors["rrule"] = "pick how the event repeats"
        return None
    if kind == "none":
        return None
    if kind == "custom":
        return _custom_rule(form, errors)
    ends = form.ends.data or "never"
    if ends == "until" and form.until.data is None:
        errors["until"] = "say on which date the series ends"
        return None
    if ends == "count" and not form.count.data:
        errors["count"] = "say after how many times the series ends"
        return None
    choice = choice_for(kind, start_date, ends, form.until.data, form.count.data)
    if choice is None:
        errors["rrule"] = "pick how the event repeats"
        return None
    tzid = draft.timezone or _calendar_zone(draft.calendar, calendars)
    if not rules.is_valid_zone(tzid):  # the zone's own message comes from validate_event
        tzid = _calendar_zone(draft.calendar, calendars)
    start = draft.start if isinstance(draft.start, datetime) else start_date
    try:
        return rules.rule_for(choice, start, tzid)
    except rules.RulesError as error:
        errors["until" if error.part == "UNTIL" else "rrule"] = error.message
        return None


def _custom_rule(form: EventForm, errors: dict[str, str]) -> rules.Rule | None:
    """The rule written out (RRULE text); its errors as validation gives them."""
    text = (form.custom_rrule.data or "").strip()
    if not text:
        errors["rrule"] = "write the rule (for example FREQ=WEEKLY;BYDAY=MO), or pick one"
        return None
    try:
        return rules.parse_rule(text)
    except rules.RulesError as error:
        errors[error.field if error.field in WRITABLE else "rrule"] = error.message
        return None


def _calendar_zone(slug: str | None, calendars: Sequence[Calendar]) -> str:
    """The zone of the chosen calendar, from those the form offers (no query)."""
    calendar = next((item for item in calendars if item.slug == slug), None)
    return calendar.timezone if calendar is not None else "UTC"


# EVENT → form ---------------------------------------------------------------------------------


def new_categories(form: EventForm) -> dict[str, str]:
    """The category the "new category" field asks for on purpose, as slug → name (empty when
    the field is); a ValidationError on the field when the name has no letter or digit."""
    text = (form.new_category.data or "").strip()
    if not text:
        return {}
    name = categories.checked_name(text, "new_category")
    return {categories.slug_for(name): name}


def form_values(event: Event) -> dict[str, Any]:
    """The editor's initial values for a stored event."""
    start = from_column(event.start_local, event.all_day)
    end = from_column(event.end_local, event.all_day)
    start_date = (
        start
        if isinstance(start, date) and not isinstance(start, datetime)
        else event.start_local.date()
    )
    values: dict[str, Any] = {
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "url": event.url,
        "categories": event.category_slugs,
        "calendar": event.calendar.slug,
        "all_day": event.all_day,
        "start_date": start_date,
        "timezone": event.timezone,
        "status": event.status,
        "published": "published" if event.published else "draft",
        "revision": str(event.revision),
        "recurrence": "none",
        "ends": "never",
    }
    if event.all_day:
        values["end_date"] = event.end_local.date() - timedelta(days=1)
    else:
        values.update(
            start_time=event.start_local.time(),
            end_date=event.end_local.date(),
            end_time=event.end_local.time(),
        )
    del end
    if event.rrule:
        values.update(_repeat_values(event.rrule, start, event.timezone))
    return values


def _repeat_values(rrule: str, start: rules.Moment, tzid: str) -> dict[str, Any]:
    kind = kind_of(rrule, start, tzid)
    if kind == "custom":
        return {"recurrence": "custom", "custom_rrule": rrule}
    choice = rules.from_rrule(rrule, start, tzid)
    assert choice is not None
    ends = {"never": "never", "on_date": "until", "after": "count"}[choice.ends]
    return {"recurrence": kind, "ends": ends, "until": choice.until, "count": choice.count}


# Preview --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What the editor shows before saving: the rule in words, the next occurrences, and what
    a clock change does to the times (by field: start, end, repeats)."""

    text: str
    occurrences: tuple[rules.Occurrence, ...]
    timezone: str
    warnings: dict[str, str] = field(default_factory=dict)


def preview(
    draft: EventDraft, calendars: Sequence[Calendar], existing: Event | None = None
) -> Preview:
    """Validate the draft as a save would, without saving; raises ValidationError."""
    offered = {calendar.slug: calendar for calendar in calendars}
    values = validate_event(
        draft,
        existing=existing,
        find_calendar=lambda slug: offered.get(slug) or find_calendar(slug),
    )
    assert values.series is not None
    series = values.series
    text = rules.describe(series) or "Does not repeat"
    found = schedule.dates_to_show(series, utcnow(), PREVIEW_COUNT)  # a past one: how it went
    return Preview(
        text=text,
        occurrences=found,
        timezone=values.timezone,
        warnings=clock_warnings(series, found),
    )


def clock_warnings(series: rules.Series, shown: tuple[rules.Occurrence, ...]) -> dict[str, str]:
    """Messages for a start or end that a clock change skips or repeats, saying what time it
    will be; and for the first previewed date whose start a clock change moves."""
    if series.all_day:
        return {}
    warnings: dict[str, str] = {}
    for name, value in (("start", series.start), ("end", series.end)):
        assert isinstance(value, datetime)
        message = clock_warning(value, series.tzid)
        if message:
            warnings[name] = message
    wall = series.duration
    exact = rules.to_utc(series.end, series.tzid) - rules.to_utc(series.start, series.tzid)
    if exact != wall and "end" not in warnings:
        warnings["end"] = (
            f"The clocks change between the start and the end: it lasts "
            f"{_length(max(exact, timedelta(0)))}, not {_length(wall)}, and so "
            "does every date of the series."
        )
    for occurrence in shown:
        rid = occurrence.recurrence_id
        if isinstance(rid, datetime) and rid != series.start:
            message = clock_warning(rid, series.tzid)
            if message:
                warnings["repeats"] = message
                break
    return warnings


def _length(span: timedelta) -> str:
    """ "2 hours", "1 hour 30 minutes", "no time"."""
    minutes = int(span.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or "no time"


def clock_warning(value: datetime, tzid: str) -> str | None:
    """What a clock change does to local time ``value``, in words; None when nothing."""
    kind = rules.clock_change_at(value, tzid)
    if kind is None:
        return None
    placed = rules.to_utc(value, tzid).astimezone(ZoneInfo(tzid))
    when = f"{value:%H:%M} on {value:%a} {value.day} {value:%b %Y}"
    if kind == "gap":
        return (
            f"{when} does not exist in {tzid}: the clocks go forward then. "
            f"It will be {placed:%H:%M} {placed.tzname()}."
        )
    return (
        f"{when} happens twice in {tzid}: the clocks go back then. "
        f"The first is meant: {placed:%H:%M} {placed.tzname()}."
    )


def occurrence_label(occurrence: rules.Occurrence) -> str:
    """ "Wed 27 Jan 2027, 14:00–15:00 GMT" (timed; each end with its own zone where a clock
    change lies between) or "Tue 16 Mar 2027 – Wed 17 Mar" (all-day)."""
    start, end = occurrence.start, occurrence.end
    if isinstance(start, datetime) and isinstance(end, datetime):
        day = f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}"
        zones = (start.tzname(), end.tzname())
        start_zone = "" if zones[0] == zones[1] else f" {zones[0]}"
        if end.date() == start.date():
            return f"{day}{start_zone}–{end:%H:%M} {zones[1]}"
        return f"{day}{start_zone} – {end:%a} {end.day} {end:%b %Y}, {end:%H:%M} {zones[1]}"
    last = end - timedelta(days=1)
    day = f"{start:%a} {start.day} {start:%b %Y}"
    return day if last <= start else f"{day} – {last:%a} {last.day} {last:%b %Y}"


def preview_json(result: Preview) -> dict[str, Any]:
    return {
        "ok": True,
        "text": result.text,
        "timezone": result.timezone,
        "warnings": result.warnings,
        "occurrences": [
            {
                "label": occurrence_label(occ),
                "start": format_moment(occ.start),
                "recurrence_id": None
                if occ.recurrence_id is None
                else format_moment(occ.recurrence_id),
                "cancelled": occ.cancelled,
            }
            for occ in result.occurrences
        ],
    }
