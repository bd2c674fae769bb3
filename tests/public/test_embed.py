"""GET /embed: a compact agenda for another site's iframe.  It alone may be framed; bad
parameters are 4xx pages; the agenda offers its snippet, escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.public.test_agenda import page, titles, today_in_london

MakeEvent = Callable[..., dict[str, Any]]


def test_the_embed_lists_the_calendars_coming_events_without_the_site_around_them(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    today = today_in_london()
    make_event(title="Seminar", start=f"{today + timedelta(days=1)}T10:00:00", categories=["tps"])
    make_event(title="Newsletter", start=f"{today + timedelta(days=2)}T10:00:00")
    make_event(title="Far off", start=f"{today + timedelta(days=40)}T10:00:00")
    response = client.get("/embed?calendar=test")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert titles(text) == ["Seminar", "Newsletter"]
    assert '<base target="_top">' in text
    assert "site-header" not in text and "site-footer" not in text and "<form" not in text
    assert titles(page(client, "/embed?calendar=test&days=60")) == [
        "Seminar",
        "Newsletter",
        "Far off",
    ]
    assert titles(page(client, "/embed?calendar=test&category=tps")) == ["Seminar"]


def test_only_the_embed_may_be_framed(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="e@x", title="Seminar")
    embed = client.get("/embed?calendar=test")
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    for url in ("/", "/calendars/test", "/events/e@x", "/calendars/test/2030/1"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/embed", 400, "Name the calendar to embed"),
        ("/embed?calendar=nope", 404, "There is no calendar with that name."),
        ("/embed?calendar=test&days=abc", 400, "days must be a number of days from 1 to 366."),
        ("/embed?calendar=test&days=0", 400, "days must be a number of days"),
        ("/embed?calendar=test&days=9999", 400, "days must be a number of days"),
        ("/embed?calendar=test&category=unknown", 404, "no category of that name"),
    ],
)
def test_bad_parameters_are_a_clear_4xx_page(
    client: FlaskClient, make_event: MakeEvent, url: str, status: int, message: str
) -> None:
    make_event(title="Seminar")
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_agenda_pages_offer_the_embed_snippet(
    client: FlaskClient, make_calendar: Callable[..., Any], make_event: MakeEvent
) -> None:
    make_calendar(slug="quotes", name='The "Quoted" <Calendar>')
    make_event(calendar="quotes", title="Seminar", categories=["tps"])
    text = page(client, "/calendars/quotes?category=tps")
    area = re.search(r'<textarea id="embed-code" rows="4" readonly>(.*?)</textarea>', text, re.S)
    assert area is not None
    snippet = html.unescape(area.group(1))  # what the visitor copies
    assert snippet == (
        '<iframe src="http://localhost/embed?calendar=quotes&amp;category=tps" '
        'title="The &#34;Quoted&#34; &lt;Calendar&gt;: Tps" width="100%" height="600" '
        'style="border:0" loading="lazy"></iframe>'
    )
