"""Series invariants, checked when a ``Series`` is created (``Series.__post_init__``).

A series that exists can always be expanded: its zone loads, its values have the start's type
(naive local datetimes for a timed series, dates for an all-day one), whole seconds, years within
``limits.MIN_YEAR``–``limits.MAX_YEAR``, ends not before starts, and its RRULE is valid for the
start — stored in canonical form (``rules.recurrence.normalise_rrule``).  RDATEs and EXDATEs are
stored sorted without duplicates.  Overrides have unique recurrence ids of the start's type.

Overrides whose recurrence id the series does not generate (say after the rule changed or was
removed) are kept but ignored by ``expand``; the caller can find them with
``rules.orphan_overrides``.  EXDATEs on a one-off are refused (there is no set to remove from).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rules import limits
from rules.errors import RulesError, SeriesError
from rules.model import Moment
from rules.recurrence import in_progress_bound, normalise_rrule, parse_for_start
from rules.timezones import is_valid_zone, to_utc

if TYPE_CHECKING:
    from rules.model import Series


def _kind(value: object) -> str:
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def check_moment(value: object, all_day: bool, field: str, what: str) -> Moment:
    """``value`` as a Moment of the series' kind, or SeriesError(field=...)."""
    if all_day:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise SeriesError(
                f"{what} must be a date for an all-day series, not {_kind(value)}", field=field
            )
    else:
        if not isinstance(value, datetime):
            raise SeriesError(
                f"{what} must be a local date-time for a timed series, not {_kind(value)}",
                field=field,
            )
        if value.tzinfo is not None:
            raise SeriesError(f"{what} must be a naive local time in the series' zone", field=field)
        if value.microsecond:
            raise SeriesError(f"{what} must be a whole number of seconds", field=field)
    if not limits.MIN_YEAR <= value.year <= limits.MAX_YEAR:
        raise SeriesError(
            f"{what} must be between the years {limits.MIN_YEAR} and {limits.MAX_YEAR}", field=field
        )
    return value


def _sorted_unique(values: object, all_day: bool, field: str) -> tuple[Moment, ...]:
    if not isinstance(values, tuple | list):
        raise SeriesError(f"{field} must be a list", field=field)
    if len(values) > limits.MAX_EXCEPTIONS:
        raise SeriesError(f"at most {limits.MAX_EXCEPTIONS} {field} are allowed", field=field)
    checked = [check_moment(v, all_day, field, f"each of {field}") for v in values]
    return tuple(sorted(set(checked)))


def validate_series(series: Series) -> None:
    """Check ``series`` (see the module docstring); normalise ``rrule``, ``rdates``, ``exdates``.

    Raises ``SeriesError`` (or ``RRuleSyntaxError``/``RRuleValueError`` for the rule) whose
    ``field`` names the offending input.
    """
    if not isinstance(series.tzid, str) or not is_valid_zone(series.tzid):
        raise SeriesError(f"unknown time zone {series.tzid!r}", field="timezone")
    all_day = not isinstance(series.start, datetime)
    check_moment(series.start, all_day, "start", "the start")
    check_moment(series.end, all_day, "end", "the end")
    if series.end < series.start:
        raise SeriesError("the end must not be before the start", field="end")
    if all_day and series.end == series.start:
        raise SeriesError(
            "an all-day event must end at least one day after it starts "
            "(the end date is exclusive)",
            field="end",
        )
    rdates = _sorted_unique(series.rdates, all_day, "rdates")
    exdates = _sorted_unique(series.exdates, all_day, "exdates")
    object.__setattr__(series, "rdates", rdates)
    object.__setattr__(series, "exdates", exdates)
    if series.rrule is not None:
        if not isinstance(series.rrule, str):
            raise SeriesError("the rule must be text", field="rrule")
        if not series.rrule.strip():
            object.__setattr__(series, "rrule", None)
        else:
            try:
                object.__setattr__(
                    series, "rrule", normalise_rrule(series.rrule, series.start, series.tzid)
                )
            except RulesError as exc:
                exc.field = "rrule"
                raise
    recurring = series.rrule is not None or bool(rdates)
    if exdates and not recurring:
        raise SeriesError("exdates need a rule or rdates to remove from", field="exdates")
    _check_overrides(series, all_day, recurring)


def _check_overrides(series: Series, all_day: bool, recurring: bool) -> None:
    """Overrides are checked for shape only: on a one-off (``recurring`` False) or naming an
    instance the rule does not make they are orphans, kept and ignored (see the module doc)."""
    from rules.model import Override

    if not isinstance(series.overrides, tuple | list):
        raise SeriesError("overrides must be a list", field="overrides")
    if len(series.overrides) > limits.MAX_EXCEPTIONS:
        raise SeriesError(
            f"at most {limits.MAX_EXCEPTIONS} overrides are allowed", field="overrides"
        )
    seen: set[Moment] = set()
    duration = series.duration
    for override in series.overrides:
        if not isinstance(override, Override):
            raise SeriesError("each override must be an Override", field="overrides")
        rid = check_moment(
            override.recurrence_id, all_day, "overrides", "an override's recurrence id"
        )
        if rid in seen:
            raise SeriesError(
                f"two overrides for the same occurrence {rid.isoformat()}", field="overrides"
            )
        seen.add(rid)
        start = override.start if override.start is not None else rid
        check_moment(start, all_day, "overrides", "an override's start")
        if override.end is not None:
            end = check_moment(override.end, all_day, "overrides", "an override's end")
        else:
            end = start + duration
        if end < start:
            raise SeriesError(
                f"the override of {rid.isoformat()} ends before it starts", field="overrides"
            )
    object.__setattr__(series, "overrides", tuple(series.overrides))


def _length(duration: timedelta) -> str:
    if duration >= timedelta(days=2):
        return f"{duration.days:,} days"
    if duration >= timedelta(hours=2):
        return f"{duration // timedelta(hours=1):,} hours"
    return f"{duration // timedelta(minutes=1):,} minutes"


def check_overlap(series: Series) -> None:
    """Refuse (SeriesError on ``end``) a series whose occurrences outlast its rule's interval
    so far that more than ``limits.MAX_OVERLAP`` could be in progress at once (a rule every
    minute whose occurrences last a year).  Estimated from the rule's parts, without expanding.

    Called when an event is written; a stored series is read whatever this says (old rows may
    hold such series, and ``expand`` stays bounded for them)."""
    if series.rrule is None:
        return
    rule = parse_for_start(series.rrule, series.start, series.tzid)
    duration = _own_length(series)
    at_once = in_progress_bound(rule, _as_datetime(series.start), duration)
    if at_once > limits.MAX_OVERLAP:
        raise SeriesError(
            f"occurrences {_length(duration)} long that repeat this often could have up to "
            f"{at_once:,} in progress at once (at most {limits.MAX_OVERLAP:,} may be); make "
            "them shorter or let them repeat less often",
            field="end",
        )


def _own_length(series: Series) -> timedelta:
    """The series' duration: for a timed one the longer of its wall-clock and exact lengths."""
    if series.all_day:
        return series.duration
    return max(series.duration, to_utc(series.end, series.tzid) - to_utc(series.start, series.tzid))


def _as_datetime(value: Moment) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())


def at_once(series: Series, lasting: timedelta | None = None) -> int:
    """An upper bound on the series' occurrences in progress at one instant were each to last
    ``lasting`` (default: the series' own duration, as ``check_overlap`` measures it): what the
    rule's parts allow (``check_overlap``'s estimate), plus the most RDATEs (of a series without
    a rule: of DTSTART and the RDATEs) that start within one such length; 1 for a one-off.
    With ``lasting`` of a day it bounds the occurrences starting on any one day.  Overrides are
    left out: each moves one occurrence of those counted."""
    length = _own_length(series) if lasting is None else lasting
    if series.rrule is None:
        return _most_within(
            sorted({_as_datetime(series.start), *(_as_datetime(r) for r in series.rdates)}), length
        )
    # DTSTART is the rule's first instance (or one more, which the bound's rounding covers).
    rule = parse_for_start(series.rrule, series.start, series.tzid)
    listed = _most_within([_as_datetime(r) for r in series.rdates], length)
    return (listed if series.rdates else 0) + in_progress_bound(
        rule, _as_datetime(series.start), length
    )


def _most_within(starts: list[datetime], length: timedelta) -> int:
    """The most of the sorted ``starts`` that lie within one span of ``length`` (at least 1)."""
    most = first = 0
    for last, start in enumerate(starts):
        while start - starts[first] >= length and first < last:
            first += 1
        most = max(most, last - first + 1)
    return max(most, 1)
