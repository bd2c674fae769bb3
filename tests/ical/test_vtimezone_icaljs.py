"""ical.js, Thunderbird's iCalendar engine, places our feeds' occurrences where our engine does.

ical.js has no zone database: it places a time only through a VTIMEZONE registered with it, as
Thunderbird registers those of a subscribed feed, and a time before a VTIMEZONE's first
observance it reads as UTC.  ``tests/ical/js/expand.mjs`` does that and expands every series;
ical.js is installed at the version ``tests/ical/js/package-lock.json`` pins by ``make test``
(``npm ci`` in tests/ical/js, before the tests: no test reaches the network).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ical.history import (
    LAST_YEAR,
    OLD_SERIES_ZONES,
    SAMPLE_NAMES,
    Instant,
    engine_instants,
    feed,
    old_series,
    renamed,
    sample_series,
)

pytestmark = pytest.mark.slow  # starts node (and npm once)

JS = Path(__file__).parent / "js"


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, f"{name} is needed to run ical.js (tests/ical/js)"
    return found


@pytest.fixture(scope="session")
def expand_script() -> Path:
    """expand.mjs beside the ical.js that ``make test`` installed from the lockfile."""
    assert (JS / "node_modules" / "ical.js").is_dir(), (
        "ical.js is not installed: `make test` installs it (npm ci in tests/ical/js)"
    )
    return JS / "expand.mjs"


def icaljs_instants(script: Path, body: bytes) -> set[Instant]:
    done = subprocess.run(
        [_tool("node"), str(script), str(LAST_YEAR)],
        input=body,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {
        (uid, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
        for uid, start, end in json.loads(done.stdout)
    }


def test_icaljs_places_old_series_as_our_engine_does(expand_script: Path) -> None:
    events = old_series()
    got = icaljs_instants(expand_script, renamed(feed(events), OLD_SERIES_ZONES))
    assert got == engine_instants(events)
    # New York 2006 and 2007, one week after the first Sunday of DST began: EST, then EDT.
    for start in (datetime(2006, 3, 19, 15, tzinfo=UTC), datetime(2007, 3, 18, 14, tzinfo=UTC)):
        assert ("new-york@example.org", start, start + timedelta(hours=1)) in got


@pytest.mark.parametrize("first_year", [1975, 1995, 2005, 2020])
def test_icaljs_places_series_in_sample_zones_as_our_engine_does(
    expand_script: Path, first_year: int
) -> None:
    events = sample_series(first_year)
    got = icaljs_instants(expand_script, renamed(feed(events), SAMPLE_NAMES))
    assert got == engine_instants(events)
