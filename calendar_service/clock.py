"""The one clock the service reads.

Everything that asks the time of day — "now" for a feed's history window and a page's first
occurrence, a cache's expiry, a token's lifetime, the sign-in throttle's window, the time a row
was written — asks ``utcnow()`` here, never ``datetime.now`` or ``date.today`` of its own.  So a
test can move the whole service through time at once (tests/conftest.py's ``clock`` fixture and
``now`` marker, with time-machine), and nothing holds a second idea of today.

``CALENDAR_CLOCK_OFFSET`` (seconds, may be negative) shifts the clock of a whole process from
the moment it starts: CI runs the suite a second time with the clock moved more than a year
ahead to show that no test depends on the day it runs (``make test-later``), and an operator
can try a deployment at a later date.  Deadlines, which measure durations, use
``time.monotonic`` instead (``calendar_service.deadline``): a duration is not a time of day.

A pure utility: no Flask, no database.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo


def _offset_from_environment() -> timedelta:
    raw = os.environ.get("CALENDAR_CLOCK_OFFSET", "").strip()
    if not raw:
        return timedelta(0)
    try:
        return timedelta(seconds=float(raw))
    except (ValueError, OverflowError):
        # One readable line and exit status 1, from a command or a server alike.
        raise SystemExit(
            f"CALENDAR_CLOCK_OFFSET={raw!r} is not a number of seconds "
            "(for example 34560000 for 400 days)"
        ) from None


# Read once, when the service is imported: every app of the process shares the one clock.
offset: timedelta = _offset_from_environment()


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC) + offset


def today(zone: tzinfo) -> date:
    """Today's date on the wall clocks of ``zone``."""
    return utcnow().astimezone(zone).date()
