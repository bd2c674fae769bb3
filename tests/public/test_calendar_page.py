"""A calendar's own agenda (/calendars/<slug>), the agenda naming its calendar, and the
phone-first layout: search and filters behind one control that works without JavaScript, and a
Subscribe control before the events."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.public.test_agenda import page, titles, today_in_london

MakeEvent = Callable[..., dict[str, Any]]


def test_a_calendars_page_is_its_agenda_with_its_name_and_description(
    client: FlaskClient, make_calendar: Callable[..., dict[str, Any]], make_event: MakeEvent
) -> None:
    make_calendar(slug="other", name="Other calendar", description="Not this one.")
    tomorrow = today_in_london() + timedelta(days=1)
    make_event(title="Ours", start=f"{tomorrow}T10:00:00")
    make_event(calendar="other", title="Theirs", start=f"{tomorrow}T11:00:00")
    text = page(client, "/calendars/other?days=7")
    assert "<h1>Other calendar</h1>" in text
    assert "Not this one." in text
    assert titles(text) == ["Theirs"]
    assert "<title>Other calendar · Events calendar</title>" in text
    # Its links stay on the calendar's own page, without a ``calendar`` query.
    assert re.search(r'rel="next" href="/calendars/other\?from=\d{4}-\d{2}-\d{2}&amp;days=7"', text)
    assert 'action="/calendars/other"' in text
    assert 'name="calendar"' not in text


def test_an_unknown_calendars_page_is_404(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(title="Ours")
    response = client.get("/calendars/nope")
    assert response.status_code == 404
    assert "There is no calendar with that name." in response.get_data(as_text=True)


def test_the_agenda_of_a_single_calendar_names_it(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Ours", start=f"{today_in_london() + timedelta(days=1)}T10:00:00")
    text = page(client, "/")
    assert "<h1>Test calendar</h1>" in text
    assert "What’s on" not in text


def test_several_calendars_leave_the_agenda_unnamed(
    client: FlaskClient, make_calendar: Callable[..., dict[str, Any]], make_event: MakeEvent
) -> None:
    make_calendar(slug="other", name="Other calendar")
    make_event(title="Ours")
    text = page(client, "/")
    assert "<h1>What’s on</h1>" in text
    assert "Other calendar</h1>" not in text


def test_filters_sit_behind_one_closed_control_and_subscribe_comes_before_the_events(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Ours", start=f"{today_in_london() + timedelta(days=1)}T10:00:00")
    text = page(client, "/calendars/test")
    toggle = re.search(
        r'<details class="filter-toggle"( open)?>\s*<summary>Search and filter', text
    )
    assert toggle is not None and toggle.group(1) is None
    assert text.index('<form class="filters"') > toggle.start()
    jump = text.index('href="#subscribe">Subscribe</a>')
    assert jump < text.index('class="occurrence-title"') < text.index('id="subscribe"')
    # A search or a category says so on the closed control.
    text = page(client, "/calendars/test?q=Ours")
    assert '<summary>Search and filter<span class="active-filters">: “Ours”</span>' in text


def test_bad_filters_open_the_control_to_show_the_message(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Ours")
    text = page(client, "/calendars/test?days=abc", status=400)
    assert '<details class="filter-toggle" open>' in text
    assert "Give a number of days from 1 to 366." in text


def feed_order(text: str) -> list[str]:
    return re.findall(r'class="feed[^"]*" data-feed="([^"]+)"', text)


def test_the_subscribe_panel_offers_the_views_feed_first(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Seminar", categories=["tps", "ai-uk"])
    make_event(title="News", categories=["news"])
    assert feed_order(page(client, "/calendars/test")) == ["all", "ai-uk", "news", "tps"]
    text = page(client, "/calendars/test?category=tps")
    assert '<h2 id="subscribe-heading">Subscribe to this view</h2>' in text
    assert feed_order(text) == ["tps", "all", "ai-uk", "news"]
    main = text[
        text.index('class="feed feed-main"') : text.index(
            "</div>", text.index('class="feed feed-main"')
        )
    ]
    assert 'value="http://localhost/calendars/test.ics?category=tps"' in main
    text = page(client, "/?category=news&category=tps&q=seminar")
    assert feed_order(text) == ["news,tps", "all", "ai-uk", "news", "tps"]
    assert "The search words are not part of a feed." in text
    assert 'value="http://localhost/calendars/test.ics?category=news&amp;category=tps"' in text


def test_an_unknown_category_is_a_400_that_says_so(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    tomorrow = today_in_london() + timedelta(days=1)
    make_event(title="Seminar", start=f"{tomorrow}T10:00:00", categories=["tps"])
    make_event(title="Other", start=f"{tomorrow}T11:00:00")
    for url in ("/calendars/test?category=nope", "/?category=nope"):
        text = page(client, url, status=400)
        assert "There is no category with that name." in text
        assert titles(text) == ["Seminar", "Other"]  # the filter that cannot apply is dropped
    text = page(client, "/calendars/test?category=nope&category=tps", status=400)
    assert titles(text) == ["Seminar"]
