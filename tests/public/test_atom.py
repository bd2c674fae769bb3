"""GET /calendars/<slug>.atom: Atom 1.0 of upcoming occurrences, read back by a real feed
parser (feedparser), filtered by category, escaped whatever the titles hold."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from flask.testing import FlaskClient

from calendar_service.public.atom import ATOM
from tests.public.test_agenda import page, today_in_london

MakeEvent = Callable[..., dict[str, Any]]
Override = Callable[..., None]
HOSTILE = '<script>alert(1)</script>]]> & "x" \x0b\x1b<![CDATA[y]]>'


def atom(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_lists_upcoming_occurrences_linking_to_their_pages(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    today = today_in_london()
    first = today + timedelta(days=1)
    make_event(
        uid="weekly@x",
        title="Co-working",
        start=f"{first}T10:00:00",
        rrule="FREQ=WEEKLY;COUNT=3",
        location="Room 1",
        description="Bring tea.",
        categories=["tps"],
    )
    make_event(uid="old@x", title="Long gone", start="2020-01-01T10:00:00")
    override("weekly@x", f"{first + timedelta(days=7)}T10:00:00", status="cancelled")
    parsed = atom(client, "/calendars/test.atom")
    feed = parsed.feed
    assert feed.title == "Test calendar"
    assert feed.id == "http://localhost/calendars/test.atom"
    assert {(link.rel, link.href) for link in feed.links} == {
        ("self", "http://localhost/calendars/test.atom"),
        ("alternate", "http://localhost/calendars/test"),
    }
    assert feed.author == "Test calendar"
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Co-working", "Cancelled: Co-working", "Co-working"]
    entry = parsed.entries[0]
    assert entry.link == f"http://localhost/events/weekly@x?on={first}T10:00:00"
    assert entry.id == entry.link
    assert entry.summary.startswith(f"{first:%A} {first.day} {first:%B} {first.year}, 10:00")
    assert entry.summary.endswith(" · Room 1")
    assert entry.content[0].value == "Bring tea."
    assert [tag.term for tag in entry.tags] == ["tps"]
    assert entry.updated_parsed is not None and feed.updated_parsed is not None


def test_category_filters_the_feed_and_an_unknown_one_is_404(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    tomorrow = today_in_london() + timedelta(days=1)
    make_event(title="Seminar", start=f"{tomorrow}T10:00:00", categories=["tps"])
    make_event(title="Newsletter", start=f"{tomorrow}T11:00:00", categories=["news"])
    make_event(title="Other", start=f"{tomorrow}T12:00:00")
    parsed = atom(client, "/calendars/test.atom?category=tps&category=news")
    assert [entry.title for entry in parsed.entries] == ["Seminar", "Newsletter"]
    assert parsed.feed.id == ("http://localhost/calendars/test.atom?category=news&category=tps")
    for url in (
        "/calendars/test.atom?category=nope",
        "/calendars/test.atom?category=no%20such%21",
        "/calendars/nope.atom",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.mimetype == "text/html", url


def test_an_empty_calendar_is_a_valid_feed_without_entries(
    client: FlaskClient, make_calendar: Any
) -> None:
    make_calendar()
    assert atom(client, "/calendars/test.atom").entries == []


def test_hostile_text_comes_out_escaped_and_well_formed(
    client: FlaskClient, make_event: MakeEvent, app: Any
) -> None:
    tomorrow = today_in_london() + timedelta(days=1)
    make_event(
        title='<script>alert(1)</script>]]> & "x"',
        description=HOSTILE.replace("\x0b", "").replace("\x1b", ""),
        start=f"{tomorrow}T10:00:00",
        location="<b>&</b>",
    )
    body = client.get("/calendars/test.atom").data
    assert b"<script>" not in body and b"]]>" not in body
    root = ET.fromstring(body)
    entry = root.find(f"{{{ATOM}}}entry")
    assert entry is not None
    assert entry.findtext(f"{{{ATOM}}}title") == '<script>alert(1)</script>]]> & "x"'
    assert entry.findtext(f"{{{ATOM}}}summary", "").endswith(" · <b>&</b>")
    parsed = atom(client, "/calendars/test.atom")
    assert parsed.entries[0].title == '<script>alert(1)</script>]]> & "x"'


def test_control_characters_are_dropped_rather_than_written() -> None:
    from datetime import UTC, datetime

    from calendar_service.public.atom import FeedHead, atom_bytes

    head = FeedHead(
        title="A\x00B\x1bC\ufffe",
        subtitle="",
        self_url="http://x/a.atom",
        page_url="http://x/a",
        author="A\x07",
        updated=datetime(2027, 1, 1, tzinfo=UTC),
    )
    root = ET.fromstring(atom_bytes(head, [], [], []))
    assert root.findtext(f"{{{ATOM}}}title") == "ABC"
    assert root.findtext(f"{{{ATOM}}}updated") == "2027-01-01T00:00:00Z"


@pytest.mark.parametrize("url", ["/", "/calendars/test", "/?category=tps"])
def test_agenda_pages_link_the_atom_feed(
    client: FlaskClient, make_event: MakeEvent, url: str
) -> None:
    make_event(title="Seminar", categories=["tps"])
    text = page(client, url)
    feed = "/calendars/test.atom" + ("?category=tps" if "category" in url else "")
    links = re.findall(
        r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" '
        r'href="([^"]*)">',
        text,
    )
    suffix = ": Tps" if "category" in url else ""
    assert links == [(f"Test calendar{suffix} (Atom)", feed.replace("&", "&amp;"))]
