"""Event pages others can link and read: one date's own .ics, no add links on a cancelled
date, a map link, a share field, schema.org JSON-LD and Open Graph tags for the shown date, and
/events/<uid>/next, the permanent link to a series' next date."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar as ICalendar

from calendar_service.public.structured_data import script_json
from tests.public.test_agenda import page, today_in_london

MakeEvent = Callable[..., dict[str, Any]]
Override = Callable[..., None]
HOSTILE = '</script><script>alert(1)</script>]]> & "quoted" <b>'
EVENT_STATUS = {
    "https://schema.org/EventScheduled",
    "https://schema.org/EventCancelled",
    "https://schema.org/EventRescheduled",
    "https://schema.org/EventPostponed",
    "https://schema.org/EventMovedOnline",
}
ATTENDANCE = {
    "https://schema.org/OfflineEventAttendanceMode",
    "https://schema.org/OnlineEventAttendanceMode",
    "https://schema.org/MixedEventAttendanceMode",
}


def schema_date(value: object) -> datetime | date:
    """A schema.org Date or DateTime (ISO 8601; a DateTime with its offset), else it fails."""
    assert isinstance(value, str)
    if "T" in value:
        moment = datetime.fromisoformat(value)
        assert moment.utcoffset() is not None, value
        return moment
    return date.fromisoformat(value)


def check_schema_org_event(data: dict[str, Any]) -> None:
    """The fields docs/contract.md promises, each of the type schema.org defines for Event."""
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert isinstance(data["name"], str) and data["name"]
    start, end = schema_date(data["startDate"]), schema_date(data["endDate"])
    assert type(start) is type(end) and start <= end  # type: ignore[operator]
    assert data["eventStatus"] in EVENT_STATUS
    assert urlsplit(data["url"]).scheme in ("http", "https")
    assert data["organizer"]["@type"] == "Organization" and data["organizer"]["name"]
    if "location" in data:
        assert data["eventAttendanceMode"] in ATTENDANCE
        place = data["location"]
        if place["@type"] == "VirtualLocation":
            assert urlsplit(place["url"]).scheme == "https"
        else:
            assert place["@type"] == "Place" and place["name"] and place["address"]
    if "description" in data:
        assert isinstance(data["description"], str)


def json_ld(text: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    check_schema_org_event(data)
    return data


def open_graph(text: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)">', text)
    }


def vevents(body: bytes) -> list[Any]:
    return list(ICalendar.from_ical(body).walk("VEVENT"))


# One date's .ics ------------------------------------------------------------------------------


def test_one_dates_ics_is_a_single_vevent_with_its_own_uid(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    make_event(
        uid="weekly@x",
        title="Co-working",
        start="2030-01-01T15:00:00",
        end="2030-01-01T16:30:00",
        rrule="FREQ=WEEKLY",
        location="Room 1",
    )
    override(
        "weekly@x",
        "2030-01-08T15:00:00",
        start="2030-01-09T10:00:00",
        end="2030-01-09T11:00:00",
        title="Co-working, moved",
    )
    response = client.get("/events/weekly@x.ics?on=2030-01-15T15:00:00")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["ETag"]
    (single,) = vevents(response.data)
    assert single["UID"] == "20300115T150000-weekly@x"
    assert "RRULE" not in single and "RECURRENCE-ID" not in single and "EXDATE" not in single
    assert single.decoded("DTSTART").isoformat() == "2030-01-15T15:00:00+00:00"
    assert single.decoded("DTEND").isoformat() == "2030-01-15T16:30:00+00:00"
    assert str(single["DTSTART"].params["TZID"]) == "Europe/London"
    assert "?on=2030-01-15T15:00:00" in str(single["DESCRIPTION"])
    assert b"BEGIN:VTIMEZONE" in response.data
    moved = vevents(client.get("/events/weekly@x.ics?on=2030-01-08T15:00:00").data)
    assert [(str(item["SUMMARY"]), item.decoded("DTSTART").isoformat()) for item in moved] == [
        ("Co-working, moved", "2030-01-09T10:00:00+00:00")
    ]
    series = client.get("/events/weekly@x.ics").data
    assert b"RRULE:FREQ=WEEKLY" in series and b"UID:weekly@x\r\n" in series


def test_one_dates_ics_of_an_all_day_series_and_a_cancelled_date(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    make_event(
        uid="days@x",
        title="Book dash",
        all_day=True,
        start="2030-03-04",
        end="2030-03-06",
        rrule="FREQ=YEARLY",
    )
    (one,) = vevents(client.get("/events/days@x.ics?on=2031-03-04").data)
    assert (one.decoded("DTSTART"), one.decoded("DTEND")) == (date(2031, 3, 4), date(2031, 3, 6))
    assert one["UID"] == "20310304-days@x"
    override("days@x", "2032-03-04", status="cancelled")
    (cancelled,) = vevents(client.get("/events/days@x.ics?on=2032-03-04").data)
    assert cancelled["STATUS"] == "CANCELLED"


@pytest.mark.parametrize(
    "on",
    ["garbage", "", "2030-01-02T15:00:00", "2030-01-01", "%3Cscript%3E", "9999-12-31T23:59:59"],
)
def test_a_date_the_series_does_not_have_is_a_404_page(
    client: FlaskClient, make_event: MakeEvent, on: str
) -> None:
    make_event(uid="weekly@x", start="2030-01-01T15:00:00", rrule="FREQ=WEEKLY")
    response = client.get(f"/events/weekly@x.ics?on={on}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "date" in response.get_data(as_text=True)


def test_a_one_off_event_has_no_dates_to_choose(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="once@x", start="2030-01-01T15:00:00")
    assert client.get("/events/once@x.ics?on=2030-01-01T15:00:00").status_code == 404
    assert client.get("/events/once@x.ics").status_code == 200


# The event page -------------------------------------------------------------------------------


def test_a_dates_page_offers_that_dates_ics_and_the_series(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="weekly@x", title="Co-working", start="2030-01-01T15:00:00", rrule="FREQ=WEEKLY")
    text = page(client, "/events/weekly@x?on=2030-01-15T15:00:00")
    assert 'href="/events/weekly@x.ics?on=2030-01-15T15:00:00" data-add="ics"' in text
    assert 'href="/events/weekly@x.ics" data-add="series-ics"' in text
    assert 'data-add="google"' in text


def test_a_cancelled_date_offers_nothing_to_add(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    make_event(uid="weekly@x", title="Co-working", start="2030-01-01T15:00:00", rrule="FREQ=WEEKLY")
    override("weekly@x", "2030-01-15T15:00:00", status="cancelled")
    text = page(client, "/events/weekly@x?on=2030-01-15T15:00:00")
    added = set(re.findall(r'data-add="([a-z_-]+)"', text))
    assert added == {"series-ics"}
    assert "This date is cancelled, so there is nothing to add for it." in text
    data = json_ld(text)
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert open_graph(text)["og:title"] == "Cancelled: Co-working"


def test_a_place_gets_a_map_link_and_an_online_event_none(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="room@x",
        start="2030-01-01T15:00:00",
        location="British Library, 96 Euston Road, London",
    )
    make_event(
        uid="online@x", start="2030-01-01T15:00:00", location="https://meet.example.org/room"
    )
    text = page(client, "/events/room@x")
    link = re.search(r'<a class="map-link" href="([^"]+)"', text)
    assert link is not None
    url = urlsplit(html.unescape(link.group(1)))
    assert (url.scheme, url.netloc, url.path) == ("https", "www.openstreetmap.org", "/search")
    assert parse_qs(url.query) == {"query": ["British Library, 96 Euston Road, London"]}
    assert "openstreetmap" not in page(client, "/events/online@x")


def test_the_share_field_holds_the_shown_dates_address(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="weekly@x", start="2030-01-01T15:00:00", rrule="FREQ=WEEKLY")
    text = page(client, "/events/weekly@x?on=2030-01-15T15:00:00")
    assert (
        '<input id="share-url" type="url" '
        'value="http://localhost/events/weekly@x?on=2030-01-15T15:00:00" readonly>'
    ) in text
    assert '<a href="/events/weekly@x/next">this link</a>' in text


def test_json_ld_and_open_graph_describe_the_shown_date(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="weekly@x",
        title="Co-working",
        start="2030-07-02T15:00:00",
        end="2030-07-02T16:30:00",
        rrule="FREQ=WEEKLY",
        location="Room 1",
        description="Bring a laptop.",
    )
    text = page(client, "/events/weekly@x?on=2030-07-16T15:00:00")
    assert json_ld(text) == {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Co-working",
        "startDate": "2030-07-16T15:00:00+01:00",
        "endDate": "2030-07-16T16:30:00+01:00",
        "eventStatus": "https://schema.org/EventScheduled",
        "url": "http://localhost/events/weekly@x?on=2030-07-16T15:00:00",
        "organizer": {
            "@type": "Organization",
            "name": "Test calendar",
            "url": "http://localhost/calendars/test",
        },
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": "Room 1", "address": "Room 1"},
        "description": "Bring a laptop.",
    }
    assert open_graph(text) == {
        "og:type": "website",
        "og:site_name": "Test calendar",
        "og:title": "Co-working",
        "og:description": "Tuesday 16 July 2030, 15:00 – 16:30 BST · Room 1. Bring a laptop.",
        "og:url": "http://localhost/events/weekly@x?on=2030-07-16T15:00:00",
    }


def test_an_online_all_day_event_is_a_virtual_location_with_dates(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="sprint@x",
        title="Sprint",
        all_day=True,
        start="2030-07-01",
        end="2030-07-04",
        location="https://meet.example.org/sprint",
    )
    data = json_ld(page(client, "/events/sprint@x"))
    assert (data["startDate"], data["endDate"]) == ("2030-07-01", "2030-07-03")
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {
        "@type": "VirtualLocation",
        "url": "https://meet.example.org/sprint",
    }


def test_hostile_titles_are_escaped_in_json_ld_and_open_graph(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(
        uid="bad@x",
        title=HOSTILE,
        start="2030-01-01T15:00:00",
        location=HOSTILE,
        description=HOSTILE,
    )
    text = page(client, "/events/bad@x")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert script is not None
    assert "<" not in script.group(1) and ">" not in script.group(1)
    data = json_ld(text)
    assert data["name"] == HOSTILE and data["description"] == HOSTILE
    assert open_graph(text)["og:title"] == HOSTILE
    assert "<script>alert(1)" not in text


def test_script_json_escapes_what_could_end_or_break_the_element() -> None:
    text = str(script_json({"name": "a</script>b\u2028c\x00d&e"}))
    assert text == '{"name": "a\\u003c/script\\u003eb\\u2028c\\u0000d\\u0026e"}'
    assert json.loads(text) == {"name": "a</script>b\u2028c\x00d&e"}


# The next date of a series --------------------------------------------------------------------


def test_next_leads_to_the_series_next_date_not_cancelled(
    client: FlaskClient, make_event: MakeEvent, override: Override
) -> None:
    today = today_in_london()
    first = today + timedelta(days=1)
    make_event(
        uid="seminar@x",
        title="Seminar",
        categories=["tps"],
        start=f"{first}T14:00:00",
        rrule="FREQ=WEEKLY",
    )
    make_event(
        uid="newsletter@x",
        title="Newsletter",
        categories=["tps"],
        start=f"{today + timedelta(hours=0)}T23:59:00",
    )
    response = client.get("/events/seminar@x/next")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/seminar@x?on={first}T14:00:00"
    assert response.headers["Cache-Control"] == "no-store"
    override("seminar@x", f"{first}T14:00:00", status="cancelled")
    second = first + timedelta(days=7)
    assert client.get("/events/seminar@x/next").headers["Location"] == (
        f"/events/seminar@x?on={second}T14:00:00"
    )


def test_next_of_an_ended_unknown_or_cancelled_event_is_404(
    client: FlaskClient, make_event: MakeEvent, change: Callable[..., Any]
) -> None:
    make_event(uid="old@x", start="2020-01-01T14:00:00", rrule="FREQ=WEEKLY;COUNT=3")
    make_event(uid="off@x", start="2030-01-01T14:00:00", rrule="FREQ=WEEKLY")
    change("off@x", status="cancelled")
    make_event(uid="draft@x", start="2030-01-01T14:00:00", published=False)
    for uid in ("old@x", "off@x", "draft@x", "nobody@x"):
        response = client.get(f"/events/{uid}/next")
        assert response.status_code == 404, uid
    assert "No more dates of this event are planned." in client.get("/events/old@x/next").get_data(
        as_text=True
    )


def test_next_of_a_one_off_event_is_its_page(client: FlaskClient, make_event: MakeEvent) -> None:
    make_event(uid="talk@x", start="2030-01-01T14:00:00")
    response = client.get("/events/talk@x/next")
    assert (response.status_code, response.headers["Location"]) == (302, "/events/talk@x")
