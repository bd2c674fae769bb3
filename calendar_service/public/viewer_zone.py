"""The zones of the public pages: a calendar's own, and the visitor's own for a whole page:
``tz=<IANA zone>`` in the query shows every time in that zone (without JavaScript, from a list;
app.js offers the browser's own zone in one click and remembers the choice).  Absent, times
are in the calendar's zone."""

from __future__ import annotations

import functools
import zoneinfo
from zoneinfo import ZoneInfo

from flask import current_app, request
from werkzeug.datastructures import MultiDict

import rules
from calendar_service.store.models import Calendar

PARAM = "tz"
UNKNOWN = "There is no time zone of that name; times are shown in the calendar’s zone."
# Aliases kept for old systems; the list offers each place once, by its canonical name.
_LEGACY = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")


@functools.cache
def zone_choices() -> tuple[str, ...]:
    """Zones a visitor may pick, sorted: "Region/City" names plus UTC."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_LEGACY)
    }
    return ("UTC", *sorted(names))


def asked_zone(args: MultiDict[str, str]) -> tuple[str | None, str | None]:
    """(zone, error): the zone ``tz`` names, or None with a message when it names none."""
    raw = args.get(PARAM, "").strip()
    if not raw:
        return None, None
    if len(raw) > 64 or not rules.is_valid_zone(raw):
        return None, UNKNOWN
    return raw, None


def zone_of(calendar: Calendar | None) -> tuple[str, ZoneInfo]:
    """The zone a calendar's pages are in (the service's own for the agenda of every one)."""
    tzid = calendar.timezone if calendar else current_app.config["CALENDAR_TIMEZONE"]
    return tzid, ZoneInfo(tzid)


def display_zone(calendar_tzid: str, asked: str | None) -> tuple[str, ZoneInfo]:
    """The zone the page shows times in."""
    tzid = asked or calendar_tzid
    return tzid, ZoneInfo(tzid)


def other_args() -> list[tuple[str, str]]:
    """The query of the current page without ``tz``, for the switch's form to keep."""
    return [(key, value) for key, value in request.args.items(multi=True) if key != PARAM]
