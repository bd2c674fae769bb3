"""Print the CALENDAR_CLOCK_OFFSET (seconds) that moves the app's clock at least 400 days ahead,
to two minutes before a clock change in London (the seed calendar's zone), so the suite runs
across it: ``make test-later`` runs the whole suite so, proving no test depends on the day it
runs.  The date it lands on goes to stderr.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
AT_LEAST = timedelta(days=400)
BEFORE_CHANGE = timedelta(minutes=2)


def next_change_after(instant: datetime) -> datetime:
    """The first instant after ``instant`` at which London's UTC offset changes (hours apart:
    changes happen on the hour, in UTC)."""
    probe = instant.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    offset = probe.astimezone(LONDON).utcoffset()
    while (probe + timedelta(hours=1)).astimezone(LONDON).utcoffset() == offset:
        probe += timedelta(hours=1)
    return probe + timedelta(hours=1)


def main() -> None:
    now = datetime.now(UTC)
    landing = next_change_after(now + AT_LEAST) - BEFORE_CHANGE
    print(
        f"app clock moved to {landing:%Y-%m-%d %H:%M} UTC "
        f"({(landing - now).days} days ahead, two minutes before London's clocks change)",
        file=sys.stderr,
    )
    print(f"{(landing - now).total_seconds():.0f}")


if __name__ == "__main__":
    main()
