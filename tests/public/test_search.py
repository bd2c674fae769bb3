"""Search covers the coming year (not the default eight weeks) and shows recent past matches
apart, marked as past; links out of an empty search keep the words."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.public.test_agenda import page, titles, today_in_london

MakeEvent = Callable[..., dict[str, Any]]


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_a_search_finds_events_months_ahead(client: FlaskClient, make_event: MakeEvent) -> None:
    today = today_in_london()
    make_event(title="AI UK", start=str(today + timedelta(days=150)), all_day=True)
    make_event(title="AI UK fringe", start=f"{today + timedelta(days=400)}T10:00:00")
    make_event(title="Seminar", start=f"{today + timedelta(days=3)}T10:00:00")
    assert titles(page(client, "/")) == ["Seminar"]
    text = page(client, "/?q=AI+UK")
    assert titles(text) == ["AI UK"]
    last = today + timedelta(days=365)
    assert f'<time datetime="{last.isoformat()}">' in section(
        text, 'class="window-summary"', "</p>"
    )
    later = re.search(r'rel="next" href="([^"]+)"', text)
    assert later is not None
    assert titles(page(client, html.unescape(later.group(1)))) == ["AI UK fringe"]


def test_a_search_with_its_own_days_keeps_them(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(title="AI UK", start=str(today_in_london() + timedelta(days=150)), all_day=True)
    text = page(client, "/?q=AI+UK&days=14")
    assert titles(text) == []
    assert "Nothing on for “AI UK”" in text
    link = re.search(r'<a href="([^"]+)">all upcoming events for “AI UK”</a>', text)
    assert link is not None and "q=AI+UK" in link.group(1)
    assert titles(page(client, html.unescape(link.group(1)))) == ["AI UK"]


def test_recent_past_matches_are_shown_apart_and_marked(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    today = today_in_london()
    make_event(title="Data study group report", start=f"{today - timedelta(days=10)}T10:00:00")
    make_event(title="Data study group", start=f"{today + timedelta(days=20)}T10:00:00")
    make_event(title="Data study group 2019", start="2019-01-01T10:00:00")
    text = page(client, "/calendars/test?q=study+group")
    recent = section(text, '<section class="recent"', "</section>")
    upcoming = text[: text.index('<section class="recent"')]
    assert titles(upcoming) == ["Data study group"]
    assert titles(recent) == ["Data study group report"]
    assert '<span class="badge badge-past">Past</span>' in recent
    assert "Recently past" in recent
    # Without a search, or with dates of its own, no past section.
    assert '<section class="recent"' not in page(client, "/calendars/test")
    assert '<section class="recent"' not in page(
        client, f"/calendars/test?q=study&from={today - timedelta(days=5)}"
    )
