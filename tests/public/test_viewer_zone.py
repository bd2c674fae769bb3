"""The "show times in my zone" switch without JavaScript: ``tz=<IANA zone>`` shows every time of
the agenda and the event page in that zone, the agenda's links keep it, and a zone that does not
exist is a 400 that says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.public.test_agenda import page

MakeEvent = Callable[..., dict[str, Any]]


def times_and_zones(text: str) -> list[str]:
    """Each time range's visible text, tags stripped: "09:00 – 10:00 EST"."""
    found = re.findall(r'<p class="when">(.*?)</p>', text, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in found]


def test_the_agenda_shows_every_time_in_the_chosen_zone(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(title="Seminar", start="2030-01-15T14:00:00", end="2030-01-15T15:00:00")
    make_event(title="Late call", start="2030-01-15T22:30:00", end="2030-01-15T23:30:00")
    assert times_and_zones(page(client, "/?from=2030-01-15&days=7")) == [
        "14:00 – 15:00 GMT",
        "22:30 – 23:30 GMT",
    ]
    text = page(client, "/?from=2030-01-15&days=7&tz=America/New_York")
    assert times_and_zones(text) == ["09:00 – 10:00 EST", "17:30 – 18:30 EST"]
    assert "Times are in <strong>America/New_York</strong>" in text
    assert re.search(
        r'rel="next" href="/\?from=2030-01-22&amp;days=7&amp;'
        r"tz=America/New_York\"",
        text,
    )
    assert '<input type="hidden" name="tz" value="America/New_York">' in text
    assert "<option selected>America/New_York</option>" in text
    tokyo = page(client, "/?from=2030-01-15&days=7&tz=Asia/Tokyo")
    assert times_and_zones(tokyo) == ["23:00 – 00:00 JST", "07:30 – 08:30 JST"]
    assert '<time datetime="2030-01-16">' in tokyo  # the late call is on the 16th there


def test_the_event_page_shows_its_times_in_the_chosen_zone(
    client: FlaskClient, make_event: MakeEvent
) -> None:
    make_event(uid="weekly@x", title="Seminar", start="2030-07-02T14:00:00", rrule="FREQ=WEEKLY")
    text = page(client, "/events/weekly@x?on=2030-07-09T14:00:00&tz=Asia/Kolkata")
    facts = text[text.index('<dl class="facts">') : text.index("</dl>")]
    flat = " ".join(re.sub(r"<[^>]+>", " ", facts).split())
    assert "Tuesday 9 July 2030 , 18:30 – 19:30 IST" in flat
    assert "Show the calendar’s time" in text
    assert '<input type="hidden" name="on" value="2030-07-09T14:00:00">' in text


@pytest.mark.parametrize(
    "url",
    [
        "/?tz=Mars/Olympus",
        "/calendars/test?tz=%3Cscript%3E",
        "/events/e@x?tz=" + "A" * 100,
        "/events/e@x?tz=Mars",
    ],
)
def test_an_unknown_zone_is_a_400_that_says_so(
    client: FlaskClient, make_event: MakeEvent, url: str
) -> None:
    make_event(uid="e@x", title="Seminar")
    response = client.get(url)
    assert response.status_code == 400
    assert "There is no time zone of that name" in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
