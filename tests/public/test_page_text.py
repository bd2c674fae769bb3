"""Pure helpers of the pages: safe rendering of organisers' text, dates in words, the
add-to-calendar links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from calendar_service.public.add_to_calendar import Details, google_link, outlook_links
from calendar_service.public.display import date_span, day_heading, month_grid
from calendar_service.web.richtext import linkify, paragraphs, safe_url

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(("text", "expected"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><img src=x onerror=alert(1)>', "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("see https://example.org/x.", 'see <a href="https://example.org/x" '
                                   'rel="nofollow noopener">https://example.org/x</a>.'),
    ("(https://example.org/wiki/A_(b))", '(<a href="https://example.org/wiki/A_(b)" '
                                         'rel="nofollow noopener">https://example.org/wiki/A_(b)'
                                         '</a>)'),
    ('https://x.org/"onmouseover="alert(1)', '<a href="https://x.org/" rel="nofollow noopener">'
                                             'https://x.org/</a>&#34;onmouseover=&#34;alert(1)'),
    ("http://a.org?q=<b>", '<a href="http://a.org?q=" rel="nofollow noopener">http://a.org?q='
                           '</a>&lt;b&gt;'),
    ("line one\nline two", "line one<br>\nline two"),
    ("mail a.b@example.org!", 'mail <a href="mailto:a.b@example.org" rel="nofollow noopener">'
                              "a.b@example.org</a>!"),
    ("https://", "https://"),
])
def test_linkify_escapes_everything_and_links_only_http_addresses(text: str,
                                                                  expected: str) -> None:
    assert str(linkify(text)) == expected


def test_paragraphs_split_on_blank_lines() -> None:
    assert str(paragraphs("One\ntwo\n\n\nThree <b>")) == (
        "<p>One<br>\ntwo</p>\n<p>Three &lt;b&gt;</p>")
    assert str(paragraphs("")) == ""


@pytest.mark.parametrize(("value", "expected"), [
    ("https://example.org/a", "https://example.org/a"),
    ("  http://example.org ", "http://example.org"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT://example.org/%0aalert(1)", None),
    ("data:text/html,<script>", None),
    ("//example.org", None),
    ("https://exa mple.org", None),
    ("https://[::1", None),
    (None, None),
])
def test_safe_url_keeps_only_absolute_http_addresses(value: object,
                                                     expected: str | None) -> None:
    assert safe_url(value) == expected


@pytest.mark.parametrize(("first", "last", "expected"), [
    (date(2027, 7, 12), date(2027, 7, 16), "Mon 12 – Fri 16 July"),
    (date(2027, 6, 28), date(2027, 7, 2), "Mon 28 June – Fri 2 July"),
    (date(2027, 12, 30), date(2028, 1, 2), "Thu 30 December 2027 – Sun 2 January 2028"),
    (date(2027, 7, 12), date(2027, 7, 12), "Mon 12 July"),
    (date(2028, 7, 10), date(2028, 7, 14), "Mon 10 – Fri 14 July 2028"),
])
def test_date_spans_read_naturally(first: date, last: date, expected: str) -> None:
    assert date_span(first, last, today=date(2027, 1, 1)) == expected


@pytest.mark.parametrize(("day", "expected"), [
    (date(2027, 1, 27), "Today"),
    (date(2027, 1, 28), "Tomorrow"),
    (date(2027, 1, 29), "Friday 29 January"),
    (date(2027, 1, 26), "Tuesday 26 January"),
    (date(2028, 1, 3), "Monday 3 January 2028"),
])
def test_day_headings(day: date, expected: str) -> None:
    assert day_heading(day, today=date(2027, 1, 27)) == expected


def test_a_month_grid_starts_on_monday_and_covers_whole_weeks() -> None:
    weeks = month_grid(2027, 2, [])
    assert weeks[0][0].day == date(2027, 2, 1) and weeks[-1][-1].day == date(2027, 2, 28)
    weeks = month_grid(2027, 1, [])
    assert weeks[0][0].day == date(2026, 12, 28) and not weeks[0][0].in_month
    assert all(len(week) == 7 for week in weeks)


def test_google_and_outlook_links_carry_utc_times_and_keep_a_plus() -> None:
    item = Details(title="C++ & tea", start=datetime(2027, 7, 1, 14, tzinfo=LONDON),
                   end=datetime(2027, 7, 1, 15, 30, tzinfo=LONDON), location="Room 1",
                   details="Bring a laptop", tzid="Europe/London")
    google = urlsplit(google_link(item))
    assert google.netloc == "calendar.google.com" and "+" not in google.query
    query = parse_qs(google.query)
    assert query["dates"] == ["20270701T130000Z/20270701T143000Z"]
    assert query["text"] == ["C++ & tea"] and query["action"] == ["TEMPLATE"]
    links = outlook_links(item)
    for key, host in (("outlook_com", "outlook.live.com"), ("outlook_365", "outlook.office.com")):
        parts = urlsplit(links[key])
        assert parts.netloc == host and "+" not in parts.query
        query = parse_qs(parts.query)
        assert (query["startdt"], query["enddt"]) == (["2027-07-01T13:00:00Z"],
                                                     ["2027-07-01T14:30:00Z"])
        assert query["subject"] == ["C++ & tea"] and query["rru"] == ["addevent"]


def test_long_descriptions_are_shortened_in_links() -> None:
    item = Details(title="T", start=datetime(2027, 1, 1, tzinfo=UTC),
                   end=datetime(2027, 1, 1, 1, tzinfo=UTC), location="",
                   details="x" * 10_000, tzid="UTC")
    assert len(google_link(item)) < 2000
