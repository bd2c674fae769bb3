"""Plain helpers of the organiser tests: the editor form of the seminar series most tests save,
what is stored, the pages' preview dates and CSRF token, a date's address in the organiser UI.

Imported by name (``from organiser_helpers import ...``), as tests/app imports app_servers:
pytest puts this folder on sys.path.  The fixtures are in conftest.py beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import Event

# Far enough ahead that "the next 10 occurrences" start at the series' start.
BASE = {
    "title": "TPS seminar",
    "calendar": "test",
    "start_date": "2031-01-29",
    "start_time": "14:00",
    "end_time": "15:00",
    "recurrence": "monthly_last",
    "ends": "never",
    "status": "confirmed",
    "published": "published",
    "location": "British Library",
    "new_category": "Seminars",
}
LAST_WEDNESDAYS_2031 = [
    "Wed 29 Jan 2031",
    "Wed 26 Feb 2031",
    "Wed 26 Mar 2031",
    "Wed 30 Apr 2031",
    "Wed 28 May 2031",
    "Wed 25 Jun 2031",
    "Wed 30 Jul 2031",
    "Wed 27 Aug 2031",
    "Wed 24 Sep 2031",
    "Wed 29 Oct 2031",
]

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# The ``listing`` fixture's type: ``listing(start, end)`` gives (title, local start,
# recurrence id, cancelled) for every occurrence, drafts included.
Listing = Callable[[str, str], list[tuple[str, str, str, bool]]]


def stored(app: Flask) -> list[Event]:
    with app.app_context():
        events = list(db.session.scalars(select(Event).order_by(Event.id)))
        for event in events:
            db.session.expunge(event)
        return events


def preview_dates(page: str) -> list[str]:
    block = re.search(r'<ol id="preview-dates">(.*?)</ol>', page, re.S)
    assert block, "no preview list"
    return [
        re.sub(r",.*", "", item).strip()
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    ]


def occurrence_url(event: Event, recurrence_id: str) -> str:
    return f"/organiser/events/{event.uid}/occurrences/{recurrence_id}"


def csrf_token(page: str) -> str:
    match = CSRF_INPUT.search(page)
    assert match, "the form has no CSRF token"
    return match.group(1)
