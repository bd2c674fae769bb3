"""Ending a series at one of its occurrences, and the rule of the series that continues it.

"This and all later ones" is published as two plain series (RFC 5545's RANGE=THISANDFUTURE is
understood by few clients): the old one with an UNTIL just before the occurrence, and a new one
from the occurrence on.  These functions write both rules from the engine's own parsed rule, so
the app never edits RRULE text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rules import limits
from rules.errors import SeriesError
from rules.expand import expand, series_bounds
from rules.model import Moment, Series, Window
from rules.recurrence import parse_for_start
from rules.rule_text import format_rule
from rules.timezones import to_utc


def _rule_of(series: Series) -> str:
    if series.rrule is None:
        raise SeriesError("only a repeating rule can end at an occurrence", field="rrule")
    return series.rrule


def until_before(series: Series, recurrence_id: Moment) -> Moment:
    """The last moment the old series may reach: a second before the occurrence, as aware UTC
    (timed series), or the day before it (all-day series)."""
    if isinstance(recurrence_id, datetime):
        return to_utc(recurrence_id, series.tzid).astimezone(UTC) - timedelta(seconds=1)
    return recurrence_id - timedelta(days=1)


def rule_ending_before(series: Series, recurrence_id: Moment) -> str:
    """The series' RRULE ended just before ``recurrence_id``: its COUNT or UNTIL replaced by an
    UNTIL of ``until_before``.  Raises ``SeriesError`` for a series without a rule."""
    rule = parse_for_start(_rule_of(series), series.start, series.tzid)
    return format_rule(replace(rule, count=None, until=until_before(series, recurrence_id)))


def instances_before(series: Series, recurrence_id: Moment) -> int:
    """How many instances the bare RRULE generates before ``recurrence_id``; EXDATE'd ones count
    too, as they do for COUNT (RFC 5545 §3.3.10)."""
    rule = parse_for_start(_rule_of(series), series.start, series.tzid)
    bare = Series(
        start=series.start, end=series.end, tzid=series.tzid, rrule=series.rrule, key=series.key
    )
    first_utc, _last = series_bounds(bare)
    cut_utc = to_utc(recurrence_id, series.tzid)
    if cut_utc <= first_utc:
        return 0
    limit = rule.count if rule.count is not None else limits.DEFAULT_LIMIT
    expansion = expand(bare, Window(first_utc, cut_utc), limit=limit)
    return sum(
        1
        for occurrence in expansion.occurrences
        if occurrence.recurrence_id is not None and occurrence.recurrence_id < recurrence_id
    )


def rule_continuing_from(series: Series, recurrence_id: Moment) -> str:
    """The RRULE of a series that takes over at ``recurrence_id``: the same rule, with a COUNT
    reduced by the instances already had, so the two series together keep the original number
    (at least one is left).  An UNTIL is kept as it is."""
    rule = parse_for_start(_rule_of(series), series.start, series.tzid)
    if rule.count is None:
        return series.rrule or ""
    remaining = rule.count - instances_before(series, recurrence_id)
    return format_rule(replace(rule, count=max(remaining, 1)))


__all__ = ["instances_before", "rule_continuing_from", "rule_ending_before", "until_before"]
