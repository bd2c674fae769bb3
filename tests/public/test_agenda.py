"""The public pages: agenda grouping and filters, multi-day spans, cancelled and moved
occurrences, escaping of organisers' text, the event page, the month grid and /next."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service.clock import utcnow
from calendar_service.store.moments import parse_stored

MakeEvent = Callable[..., dict[str, Any]]
Override = Callable[..., None]
HOSTILE_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def today_in_london() -> date:
    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def headings(text: str) -> list[str]:
    """The day headings' text, tags stripped."""
    found = re.findall(r'<h2 id="day-[^"]+" class="day-heading">(.*?)</h2>', text, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in found]


def titles(text: str) -> list[str]:
    found = re.findall(r'class="occurrence-title"><a href="[^"]*">(.*?)</a>', text, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in found]


# The agenda -----------------------------------------------------------------------------------


def test_occurrences_are_grouped_under_today_tomorrow_and_named_days(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    today = today_in_london()
    make_event(title="Later one", start=f"{today + timedelta(days=2)}T09:00:00")
    make_event(title="Tomorrow's", start=f"{today + timedelta(days=1)}T09:00:00")
    make_event(title="Today's late", start=f"{today}T23:00:00")
    make_event(title="Today's all-day", all_day=True, start=str(today))
    text = page(client, "/")
    later = today + timedelta(days=2)
    later_heading = f"{later:%A} {later.day} {later:%B}"
    if later.year != today.year:
        later_heading += f" {later.year}"
    assert headings(text) == [
        f"Today {today:%A} {today.day} {today:%B}",
        f"Tomorrow {today + timedelta(days=1):%A} "
        f"{(today + timedelta(days=1)).day} "
        f"{today + timedelta(days=1):%B}",
        later_heading,
    ]
    assert titles(text) == ["Today's all-day", "Today's late", "Tomorrow's", "Later one"]
    assert f'<time datetime="{today}">Today</time>' in text


def test_a_day_heading_names_the_weekday_and_the_time_range_has_its_zone(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        title="TPS seminar",
        start="2027-01-27T14:00:00",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        location="British Library",
        categories=["tps"],
    )
    text = page(client, "/?from=2027-01-20&days=14")
    assert headings(text) == ["Wednesday 27 January 2027"]
    assert (
        '<time datetime="2027-01-27T14:00:00+00:00" data-local>14:00</time> – '
        '<time datetime="2027-01-27T15:00:00+00:00" data-local>15:00</time> '
        '<abbr class="zone" title="Europe/London">GMT</abbr>'
    ) in text
    assert "Monthly on the last Wednesday" in text
    assert "British Library" in text
    assert '<a href="/?category=tps">Tps</a>' in text
    assert 'href="/events/Event%40calendar-service' not in text  # links are to the real uid


def test_a_multi_day_event_is_one_span_and_stays_listed_while_it_runs(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Book Dash", all_day=True, start="2027-07-12", end="2027-07-17")
    text = page(client, "/?from=2027-07-01&days=28")
    assert titles(text) == ["Book Dash"]
    assert headings(text) == ["Monday 12 July 2027"]
    assert (
        '<time datetime="2027-07-12">Mon 12</time> – '
        '<time datetime="2027-07-16">Fri 16 July 2027</time>'
    ) in text
    running = page(client, "/?from=2027-07-14&days=7")
    assert titles(running) == ["Book Dash"]
    assert headings(running) == ["Wednesday 14 July 2027"]
    assert "Under way" in running
    assert titles(page(client, "/?from=2027-07-17&days=7")) == []


def test_a_timed_event_over_midnight_shows_both_days(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Hack night", start="2027-03-05T18:00:00", end="2027-03-06T02:00:00")
    text = page(client, "/?from=2027-03-01&days=7")
    assert "Fri 5 March 2027 18:00</time> – " in text
    assert "Sat 6 March 2027 02:00</time>" in text


def test_cancelled_and_moved_occurrences_are_shown_as_such(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    make_event(
        uid="weekly@x",
        title="Co-working",
        start="2027-01-05T15:00:00",
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    override("weekly@x", "2027-01-12T15:00:00", status="cancelled")
    override("weekly@x", "2027-01-19T15:00:00", start="2027-01-21T10:00:00")
    text = page(client, "/?from=2027-01-10&days=17")
    assert titles(text) == ["Co-working", "Co-working", "Co-working"]
    assert text.count('class="badge badge-cancelled">Cancelled</strong>') == 1
    assert "<del>Co-working</del>" in text
    assert 'Moved</span> <span class="moved-from">from Tue 19 January 15:00</span>' in text
    assert headings(text) == [
        "Tuesday 12 January 2027",
        "Thursday 21 January 2027",
        "Tuesday 26 January 2027",
    ]


def test_filters_narrow_the_agenda(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(title="TPS seminar", categories=["tps"])
    make_event(title="AI UK", categories=["ai-uk"], description="the annual conference")
    make_event(title="Elsewhere", calendar="other", categories=["tps"])
    base = "/?from=2027-01-27&days=1"
    assert sorted(titles(page(client, base))) == ["AI UK", "Elsewhere", "TPS seminar"]
    assert sorted(titles(page(client, base + "&calendar=test"))) == ["AI UK", "TPS seminar"]
    assert titles(page(client, base + "&calendar=test&category=tps")) == ["TPS seminar"]
    assert sorted(titles(page(client, base + "&category=tps&category=ai-uk"))) == [
        "AI UK",
        "Elsewhere",
        "TPS seminar",
    ]
    assert titles(page(client, base + "&q=annual")) == ["AI UK"]
    assert titles(page(client, base + "&q=100%25")) == []
    page(client, base + "&calendar=nowhere", 404)


def test_navigation_moves_the_window_and_keeps_the_filters(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="TPS seminar", categories=["tps"])
    text = page(client, "/?from=2027-01-27&days=7&category=tps&q=TPS")
    earlier = re.search(r'<a rel="prev" href="([^"]+)"', text)
    later = re.search(r'<a rel="next" href="([^"]+)"', text)
    assert earlier and later
    assert parse_qs(urlsplit(html.unescape(later.group(1))).query) == {
        "from": ["2027-02-03"],
        "days": ["7"],
        "category": ["tps"],
        "q": ["TPS"],
    }
    assert parse_qs(urlsplit(html.unescape(earlier.group(1))).query)["from"] == ["2027-01-20"]
    assert titles(page(client, html.unescape(later.group(1)))) == []


def test_an_empty_window_says_so_kindly(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(title="TPS seminar")
    text = page(client, "/?from=2030-01-01&days=7&q=seminar")
    assert "Nothing on for “seminar”" in text
    assert "the following 7 days" in text and "all upcoming events" in text


@pytest.mark.parametrize(
    "query",
    [
        "from=tomorrow",
        "from=2027-02-30",
        "days=0",
        "days=9999",
        "days=-3",
        "from=0001-01-01",
        "q=" + "x" * 300,
        "category=%3Cscript%3E",
    ],
)
def test_bad_query_values_fall_back_to_defaults_with_a_message(
    client: FlaskClient, query: str
) -> None:
    text = page(client, "/?" + query, 400)
    assert 'role="alert"' in text
    assert "<script>" not in text


def test_the_agenda_never_shows_drafts(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(title="Secret plan", published=False)
    assert "Secret plan" not in page(client, "/?from=2027-01-27&days=1")


# Escaping -------------------------------------------------------------------------------------


def test_hostile_text_is_shown_as_text_and_only_http_links_become_links(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="evil@x",
        title=HOSTILE_TITLE,
        location='"><svg onload=alert(3)>',
        description="Join at https://example.org/a?b=1&c=<2> now.\n"
        'Not javascript:alert(4) nor <a href="javascript:alert(5)">x</a>\n\n'
        "Mail vhellon@turing.ac.uk (thanks).",
    )
    for url in ("/?from=2027-01-27&days=1", "/events/evil@x", "/calendars/test/2027/1"):
        text = page(client, url)
        assert "<script>alert(1)" not in text
        assert "<img src=x" not in text and "<svg" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x" in text
    text = page(client, "/events/evil@x")
    assert (
        '<a href="https://example.org/a?b=1&amp;c=" rel="nofollow noopener">'
        "https://example.org/a?b=1&amp;c=</a>&lt;2&gt; now.<br>"
    ) in text
    assert 'href="javascript' not in text
    assert "&lt;a href=&#34;javascript:alert(5)&#34;&gt;x&lt;/a&gt;" in text
    assert '<a href="mailto:vhellon@turing.ac.uk" rel="nofollow noopener">' in text
    assert "</p>\n<p>Mail" in text


# The event page -------------------------------------------------------------------------------


def test_an_event_page_shows_the_next_occurrences_and_add_to_calendar_links(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    today = today_in_london()
    start = f"{today + timedelta(days=3)}T14:00:00"
    make_event(
        uid="weekly/one@x",
        title="C++ clinic",
        start=start,
        rrule="FREQ=WEEKLY",
        location="Room 1",
        categories=["tps"],
        url="https://example.org/clinic",
    )
    text = page(client, "/events/weekly/one@x")
    assert "<h1>C++ clinic</h1>" in text
    assert text.count('<li>\n        <a href="/events/weekly/one@x?on=') == 10
    google = html.unescape(re.search(r'href="([^"]+)" data-add="google"', text).group(1))
    query = parse_qs(urlsplit(google).query)
    first = today + timedelta(days=3)
    utc_start = parse_stored(start, False).replace(tzinfo=ZoneInfo("Europe/London"))
    utc_start = utc_start.astimezone(ZoneInfo("UTC"))
    assert query["text"] == ["C++ clinic"]
    assert query["dates"] == [
        f"{utc_start:%Y%m%dT%H%M%SZ}/{utc_start + timedelta(hours=1):%Y%m%dT%H%M%SZ}"
    ]
    assert query["location"] == ["Room 1"]
    assert "http://localhost/events/weekly/one@x" in query["details"][0]
    assert "C%2B%2B%20clinic" in google
    outlook = html.unescape(re.search(r'href="([^"]+)" data-add="outlook_com"', text).group(1))
    assert outlook.startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    oquery = parse_qs(urlsplit(outlook).query)
    assert oquery["startdt"] == [f"{utc_start:%Y-%m-%dT%H:%M:%SZ}"]
    assert oquery["subject"] == ["C++ clinic"] and oquery["allday"] == ["false"]
    office = html.unescape(re.search(r'href="([^"]+)" data-add="outlook_365"', text).group(1))
    assert office.startswith("https://outlook.office.com/calendar/0/deeplink/compose?")
    assert f"{first:%A} {first.day} {first:%B %Y}" in text


def test_an_all_day_event_adds_as_dates(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="dash@x", title="Book Dash", all_day=True, start="2030-07-12", end="2030-07-17")
    text = page(client, "/events/dash@x")
    google = html.unescape(re.search(r'href="([^"]+)" data-add="google"', text).group(1))
    assert parse_qs(urlsplit(google).query)["dates"] == ["20300712/20300717"]
    outlook = html.unescape(re.search(r'href="([^"]+)" data-add="outlook_365"', text).group(1))
    query = parse_qs(urlsplit(outlook).query)
    assert (query["startdt"], query["enddt"], query["allday"]) == (
        ["2030-07-12"],
        ["2030-07-17"],
        ["true"],
    )
    assert "location" not in query


def test_a_link_to_one_occurrence_shows_that_occurrence(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    make_event(uid="weekly@x", title="Co-working", start="2030-01-01T15:00:00", rrule="FREQ=WEEKLY")
    override("weekly@x", "2030-01-08T15:00:00", title="Co-working special")
    text = page(client, "/events/weekly@x?on=2030-01-08T15:00:00")
    assert "<h1>Co-working special</h1>" in text
    assert "<dt>This date</dt>" in text
    override("weekly@x", "2030-01-15T15:00:00", status="cancelled")
    text = page(client, "/events/weekly@x?on=2030-01-15T15:00:00")
    assert "This occurrence is cancelled." in text
    stale = page(client, "/events/weekly@x?on=2030-01-09T15:00:00")
    assert "no longer part of this series" in stale
    for junk in (
        "%3Cjunk%3E",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59",
        "2030-01-08",
        "2030-01-08T15:00:00%2B05:00",
        "x" * 500,
    ):
        assert "no longer part of this series" in page(client, f"/events/weekly@x?on={junk}")


def test_a_past_single_event_says_it_has_ended(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="old@x", title="Old talk", start="2020-05-05T10:00:00")
    text = page(client, "/events/old@x")
    assert "Tuesday 5 May 2020" in text and "this has ended" in text


def test_drafts_and_unknown_uids_are_404_pages(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="draft@x", title="Secret plan", published=False)
    text = page(client, "/events/draft@x", 404)
    assert "Secret plan" not in text
    page(client, "/events/nothing@x", 404)


def test_a_signed_in_organiser_previews_a_draft_page(
    signed_in: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="draft@x", title="Secret plan", published=False)
    text = page(signed_in, "/events/draft@x")
    assert "<h1>Secret plan</h1>" in text and "This is a draft" in text
    assert "Secret plan" not in page(signed_in, "/?from=2027-01-27&days=1")


# Month grid -----------------------------------------------------------------------------------


def test_the_month_grid_places_occurrences_in_their_days(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        title="TPS seminar",
        start="2027-01-27T14:00:00",
        rrule="FREQ=MONTHLY;BYDAY=-1WE",
        categories=["tps"],
    )
    make_event(
        title="Book Dash", all_day=True, start="2027-01-04", end="2027-01-06", categories=["tw"]
    )
    text = page(client, "/calendars/test/2027/1")
    assert "<h1>Test calendar: January 2027</h1>" in text
    assert text.count(">Book Dash") == 2
    cell = text[text.index('datetime="2027-01-27"') :]
    cell = cell[: cell.index("</td>")]
    assert "14:00</time> TPS seminar" in cell
    assert 'href="/calendars/test/2026/12"' in text and 'href="/calendars/test/2027/2"' in text
    narrowed = page(client, "/calendars/test/2027/1?category=tps")
    assert "Book Dash" not in narrowed and "TPS seminar" in narrowed
    assert 'href="/calendars/test/2027/2?category=tps"' in narrowed


@pytest.mark.parametrize(
    "url",
    [
        "/calendars/test/2027/13",
        "/calendars/test/2027/0",
        "/calendars/nowhere/2027/1",
        "/calendars/test/99999/1",
    ],
)
def test_impossible_months_are_404(client: FlaskClient, make_event: MakeEvent, url: str) -> None:
    make_event()
    page(client, url, 404)


# /next ----------------------------------------------------------------------------------------


def test_next_redirects_to_the_next_occurrences_page(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    today = today_in_london()
    make_event(
        uid="weekly@x",
        start=f"{today + timedelta(days=1)}T15:00:00",
        rrule="FREQ=WEEKLY",
        categories=["tw"],
    )
    make_event(uid="tps@x", start=f"{today + timedelta(days=3)}T14:00:00", categories=["tps"])
    override("weekly@x", f"{today + timedelta(days=1)}T15:00:00", status="cancelled")
    response = client.get("/calendars/test/next")
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/tps@x"
    response = client.get("/calendars/test/next?category=tw")
    second = f"/events/weekly@x?on={today + timedelta(days=8)}T15:00:00"
    assert response.headers["Location"] == second
    assert client.get(response.headers["Location"]).status_code == 200


def test_next_is_404_for_unknown_calendars_and_empty_categories(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(start="2020-01-01T10:00:00")
    assert client.get("/calendars/nowhere/next").status_code == 404
    assert client.get("/calendars/test/next").status_code == 404
    assert client.get("/calendars/test/next?category=none").status_code == 404


# Subscribing ----------------------------------------------------------------------------------


def test_the_agenda_offers_the_calendar_and_each_category_on_every_platform(
    client: FlaskClient, seeded: Flask
) -> None:
    text = html.unescape(page(client, "/"))
    feed = "http://localhost/calendars/turing-roche.ics"
    assert 'href="webcal://localhost/calendars/turing-roche.ics"' in text
    assert (
        'href="https://calendar.google.com/calendar/render?'
        'cid=webcal%3A%2F%2Flocalhost%2Fcalendars%2Fturing-roche.ics"'
    ) in text
    assert 'href="https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Flocalhost' in text
    assert 'href="https://outlook.office.com/calendar/0/addfromweb?url=http%3A%2F%2F' in text
    assert f'value="{feed}" readonly' in text
    assert f'value="{feed}?category=tps" readonly' in text
    assert 'href="webcal://localhost/calendars/turing-roche.ics?category=ai-uk"' in text
    for line in (
        "iPhone, iPad and Mac",
        "Personal Microsoft accounts",
        "Work or school accounts",
        "copy this address",
    ):
        assert line in text


def test_choosing_several_categories_offers_one_feed_of_them_all(
    client: FlaskClient, seeded: Flask
) -> None:
    text = html.unescape(page(client, "/?category=tps&category=ai-uk"))
    assert 'value="http://localhost/calendars/turing-roche.ics?category=ai-uk&category=tps"' in text


def test_an_event_page_links_its_ics_and_its_category_feed(
    client: FlaskClient, seeded: Flask
) -> None:
    text = html.unescape(page(client, "/events/tps-seminar@turing-roche.calendar"))
    assert 'href="/events/tps-seminar@turing-roche.calendar.ics" data-add="series-ics"' in text
    assert "Subscribe to this category" in text
    assert 'href="webcal://localhost/calendars/turing-roche.ics?category=tps"' in text
    ics = client.get("/events/tps-seminar@turing-roche.calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"


@pytest.mark.parametrize(
    "url",
    [
        "/?from=2999-12-31&days=366",
        "/?from=1900-01-01&days=1",
        "/?days=366&q=%00%FF",
        "/?category=" + "a" * 5000,
        "/?calendar=" + "%F0%9F%92%A5" * 50,
        "/?from=%00",
        "/?q=%25%5F%5C",
        "/?category=a&category=b&" + "&".join(f"category=c{i}" for i in range(50)),
        "/calendars/test/99999999999999999999/1",
        "/calendars/test/2999/12",
        "/calendars/test/1900/1",
        "/calendars/test/2027/1?category=%00",
        "/calendars/test/next?category=" + "z" * 3000,
        "/events/%00",
        "/events/" + "u" * 3000,
        "/events/a@x?on=" + "%FF" * 40,
        "/api/v1/occurrences?start=2027-01-01&end=2027-02-01&category=%00",
        "/api/v1/occurrences?start=2027-01-01T10:00:00%2B99:00&end=2027-02-01",
        "/api/v1/events?calendar=%00",
        "/api/v1/events/" + "%FF" * 100,
    ],
)
def test_hostile_addresses_never_give_a_server_error(
    client: FlaskClient, make_event: MakeEvent, url: str
) -> None:
    make_event(uid="a@x", rrule="FREQ=DAILY")
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 404, 422), (url, response.status_code)


def test_a_crowded_window_is_cut_into_pages_at_a_day_boundary(
    client: FlaskClient, make_event: Callable[..., dict[str, Any]]
) -> None:
    """Hourly from 14:00 on 27 January: 10 that day, then 24 a day; the page stops before the
    day whose occurrences would pass 300, and links on from that day."""
    make_event(
        title="Hourly check-in",
        start="2027-01-27T14:00:00",
        end="2027-01-27T14:30:00",
        rrule="FREQ=HOURLY",
    )
    text = page(client, "/?from=2027-01-27&days=56")
    assert len(titles(text)) == 10 + 24 * 12
    assert headings(text)[-1].startswith("Monday 8 February")
    assert "Continue from Tuesday 9 February 2027" in text
    later = re.findall(r'href="([^"]*from=2027-02-09[^"]*)"', text)
    assert later, "no link on from the first day left out"
    following = page(client, html.unescape(later[0]))
    assert headings(following)[0].startswith("Tuesday 9 February")
    assert len(titles(following)) == 24 * 12


def test_a_quiet_window_is_one_page_without_a_continue_link(
    client: FlaskClient, make_event: Callable[..., dict[str, Any]]
) -> None:
    make_event(title="Weekly call", start="2027-01-27T14:00:00", rrule="FREQ=WEEKLY")
    text = page(client, "/?from=2027-01-27&days=56")
    assert len(titles(text)) == 8
    assert "Continue from" not in text
