"""A budget for the VTIMEZONEs of an imported file, checked before any time is read in them.

A TZID that names no known zone is read from the file's own VTIMEZONE: icalendar hands it to
dateutil's ``tzical``, which walks each observance's RRULE from its DTSTART to every time it
converts (and keeps what it walked).  An observance that repeats every minute makes that walk
endless — a 600-byte file grew by ~10 MB a second — so the file is refused first, with the
reason, when a VTIMEZONE:

* has an observance whose RRULE is not ``FREQ=YEARLY`` (RFC 5545 §3.6.5: a time zone's rules
  are yearly; every real-world VTIMEZONE, Outlook's, Google's, Apple's and ours, says
  ``FREQ=YEARLY;BYMONTH=…;BYDAY=…``), or an RRULE that cannot be read;
* has a yearly observance that changes the clocks more than ``MAX_CHANGES_A_YEAR`` times a year
  (one is usual), as its BY parts say, or that the recurrence engine refuses (one that never
  occurs would be walked to the year 9999 on every lookup);
* would make more than ``MAX_TRANSITIONS`` changes up to ``rules.limits.MAX_YEAR`` in all, or
  has more than ``MAX_OBSERVANCES`` observances (each is looked at for every time converted);
  or the file's zones hold more than ``MAX_RULES`` RRULEs together.

The checks read the rules' parts (``rules.recurrence``: parsed, and checked to occur, at
bounded cost), without walking them, so a refused file is refused at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import icalendar

import rules
from rules import limits
from rules.recurrence import per_period_bound, recurrence_for

MAX_CHANGES_A_YEAR = 4
"""The most clock changes one observance's RRULE may make in a year."""

MAX_TRANSITIONS = 20_000
"""The most clock changes one VTIMEZONE may describe up to ``limits.MAX_YEAR`` (Outlook's
yearly rules from 1601 make about 15,000)."""

MAX_OBSERVANCES = 1000
"""The most STANDARD and DAYLIGHT observances one VTIMEZONE may have."""

MAX_RULES = 200
"""The most observance RRULEs all the file's VTIMEZONEs may have together (each is checked to
occur, at a cost of up to a few milliseconds)."""


class ZoneBudgetError(ValueError):
    """A VTIMEZONE of the file is over the budget; the message says which and why."""


def check_zones(calendar: icalendar.Calendar) -> None:
    """Raise ZoneBudgetError for the first VTIMEZONE of the file that is over the budget."""
    zones = calendar.walk("VTIMEZONE")
    rules_in_file = sum(
        len(_listed(sub.get("RRULE"))) for zone in zones for sub in zone.subcomponents
    )
    if rules_in_file > MAX_RULES:
        raise ZoneBudgetError(f"the file's time zones have more than {MAX_RULES} RRULEs")
    for zone in zones:
        _check_zone(zone)


def _check_zone(zone: Any) -> None:
    tzid = str(zone.get("TZID", ""))[:64]
    observances = [sub for sub in zone.subcomponents if sub.name in ("STANDARD", "DAYLIGHT")]
    if len(observances) > MAX_OBSERVANCES:
        raise ZoneBudgetError(
            f"the time zone {tzid!r} has more than {MAX_OBSERVANCES:,} observances"
        )
    total = 0
    for observance in observances:
        total += _changes(tzid, observance)
        if total > MAX_TRANSITIONS:
            raise ZoneBudgetError(
                f"the time zone {tzid!r} has too many clock changes to read (over "
                f"{MAX_TRANSITIONS:,} up to the year {limits.MAX_YEAR})"
            )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _changes(tzid: str, observance: Any) -> int:
    """How many clock changes the observance makes up to ``limits.MAX_YEAR`` (an upper
    bound): its DTSTART, its RDATEs and its RRULEs' instances."""
    start = getattr(observance.get("DTSTART"), "dt", None)
    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, datetime.min.time())
    rrules = _listed(observance.get("RRULE"))
    if not isinstance(start, datetime):
        if rrules:
            raise ZoneBudgetError(f"the time zone {tzid!r} has an observance without a DTSTART")
        return 0
    start = start.replace(tzinfo=None)
    found = 1 + sum(len(getattr(item, "dts", ())) for item in _listed(observance.get("RDATE")))
    for recur in rrules:
        found += _rule_changes(tzid, recur, start)
    return found


def _rule_changes(tzid: str, recur: Any, start: datetime) -> int:
    freq = str(_first(recur.get("FREQ")) or "").upper()
    if freq != "YEARLY":
        raise ZoneBudgetError(
            f"the time zone {tzid!r} repeats a clock change FREQ={freq[:20] or '?'}; a "
            "VTIMEZONE's observances repeat yearly (RFC 5545 §3.6.5)"
        )
    try:
        rule = recurrence_for(recur.to_ical().decode("utf-8", "replace"), start, "UTC").rule
    except rules.RulesError as error:
        raise ZoneBudgetError(
            f"the time zone {tzid!r} has an RRULE that cannot be used: {error.message}"
        ) from None
    a_year = per_period_bound(rule, start)
    if a_year > MAX_CHANGES_A_YEAR:
        raise ZoneBudgetError(
            f"the time zone {tzid!r} changes its clocks more often than a time zone can: "
            f"at most {MAX_CHANGES_A_YEAR} a year in one observance"
        )
    last_year = limits.MAX_YEAR
    if rule.until is not None:
        last_year = min(last_year, rule.until.year)
    years = max(0, last_year - start.year + 1)
    changes = a_year * -(-years // rule.interval)
    if rule.count is not None:
        changes = min(changes, rule.count)
    return changes


def _first(values: Any) -> Any:
    if isinstance(values, Iterable) and not isinstance(values, str | bytes):
        return next(iter(values), None)
    return values
