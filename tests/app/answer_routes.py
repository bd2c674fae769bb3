"""The cached routes, each showing one daily series: shared by the in-process answer cache
tests and the two-process ones."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from calendar_service.clock import utcnow

LONDON = ZoneInfo("Europe/London")
UID = "weekly@example.org"


def today() -> date:
    return utcnow().astimezone(LONDON).date()


def series_fields() -> dict[str, object]:
    """A daily series from tomorrow (so every page shows it), in category ``talks``."""
    start = today() + timedelta(days=1)
    return {
        "uid": UID,
        "title": "Weekly talk",
        "start": f"{start.isoformat()}T12:00:00",
        "rrule": "FREQ=DAILY",
        "categories": ["talks"],
    }


def routes() -> list[str]:
    """Every cached route, each showing the series (its title, or for the calendars list its
    categories)."""
    start = today() + timedelta(days=1)
    end = start + timedelta(days=28)
    return [
        "/",
        "/?calendar=test&days=30",
        "/?calendar=test&days=30&tz=America/New_York",
        "/calendars/test",
        "/calendars/test.atom",
        "/embed?calendar=test&days=28",
        f"/calendars/test/{start.year}/{start.month}",
        f"/events/{UID}",
        f"/events/{UID}?on={start.isoformat()}T12:00:00",
        f"/events/{UID}?on={start.isoformat()}T12:00:00&tz=Asia/Kolkata",
        f"/api/v1/occurrences?start={start.isoformat()}&end={end.isoformat()}",
        "/api/v1/events",
        f"/api/v1/events/{UID}",
        "/api/v1/calendars",
    ]


def cache_control(route: str) -> str:
    """What a public answer says to shared caches: a minute, or a feed reader's quarter hour."""
    return "public, max-age=900" if ".atom" in route else "public, max-age=60"


def shows(route: str, body: bytes, title: str, category: str) -> bool:
    return (category if route == "/api/v1/calendars" else title).encode() in body
