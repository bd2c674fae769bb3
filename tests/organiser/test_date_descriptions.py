"""One date's own description and a note on its cancellation: stored, shown on the date's page
and in the agenda, and in the feed (the override's DESCRIPTION; a cancelled date stays an EXDATE
alone, its note on the pages only)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar as ICalendar
from organiser_helpers import occurrence_url

from calendar_service.store.db import db
from calendar_service.store.models import Event, Override

pytestmark = pytest.mark.usefixtures("calendar")

SPEAKER = "Dr Ada Lovelace on analytical engines.\nSlides: https://example.org/slides"
NOTE = "The speaker is ill; see you on 30 April."
FEBRUARY, MARCH = "2031-02-26T14:00:00", "2031-03-26T14:00:00"


@pytest.fixture
def seminar_fields() -> dict[str, str]:
    """The ``seminar`` (conftest.py) is saved with a description of the whole series."""
    return {"description": "The monthly TPS seminar."}


def describe(client: FlaskClient, event: Event, revision: int) -> None:
    response = client.post(
        occurrence_url(event, FEBRUARY),
        data={
            "revision": str(revision),
            "scope": "this",
            "title": "TPS seminar",
            "location": "British Library",
            "description": SPEAKER,
            "save": "y",
        },
    )
    assert response.status_code == 302, response.text


def cancel_with_note(client: FlaskClient, event: Event, revision: int) -> None:
    response = client.post(
        occurrence_url(event, MARCH),
        data={"revision": str(revision), "scope": "this", "note": NOTE, "cancel_occurrence": "y"},
    )
    assert response.status_code == 302, response.text


def overrides(app: Flask) -> list[tuple[str, bool, str | None]]:
    with app.app_context():
        return [
            (row.recurrence_id, row.cancelled, row.description)
            for row in db.session.query(Override).order_by(Override.recurrence_id)
        ]


def feed_events(client: FlaskClient) -> list[Any]:
    response = client.get("/calendars/test.ics")
    assert response.status_code == 200
    return list(ICalendar.from_ical(response.data).walk("VEVENT"))


def test_both_are_stored(app: Flask, signed_in: FlaskClient, seminar: Event) -> None:
    describe(signed_in, seminar, 1)
    cancel_with_note(signed_in, seminar, 2)
    assert overrides(app) == [
        ("2031-02-26T14:00:00", False, SPEAKER),
        ("2031-03-26T14:00:00", True, NOTE),
    ]
    form = signed_in.get(occurrence_url(seminar, MARCH)).text
    assert re.search(rf">\s*{re.escape(NOTE)}</textarea>", form)  # back to be changed
    assert 'value="Save the note"' in form
    own = signed_in.get(occurrence_url(seminar, FEBRUARY)).text
    assert re.search(
        r'<textarea data-maxlength="20000" id="description" name="description">'
        rf"\s*{re.escape(SPEAKER)}</textarea>",
        own,
    )
    other = signed_in.get(occurrence_url(seminar, "2031-04-30T14:00:00")).text
    assert re.search(
        r'<textarea data-maxlength="20000" id="description" name="description">'
        r"\s*</textarea>",
        other,
    )  # none of its own: the series' is shown


def test_the_dates_pages_show_them(signed_in: FlaskClient, seminar: Event) -> None:
    describe(signed_in, seminar, 1)
    cancel_with_note(signed_in, seminar, 2)
    february = signed_in.get(f"/events/{seminar.uid}?on={FEBRUARY}").text
    about = re.search(r'<section class="description"[^>]*>(.*?)</section>', february, re.S)
    assert about, "no description on the date's page"
    assert "About this date" in about.group(1)
    assert "Dr Ada Lovelace on analytical engines." in about.group(1)
    assert '<a href="https://example.org/slides"' in about.group(1)
    assert "The monthly TPS seminar." not in about.group(1)
    march = signed_in.get(f"/events/{seminar.uid}?on={MARCH}").text
    notice = re.search(
        r'<div class="notice notice-error" id="cancelled-notice">(.*?)</div>\s*'
        r"</div>",
        march,
        re.S,
    )
    assert notice, "no cancellation notice"
    assert "This occurrence is cancelled." in notice.group(1)
    assert "The speaker is ill; see you on 30 April." in notice.group(1)
    other = signed_in.get(f"/events/{seminar.uid}?on=2031-04-30T14:00:00").text
    assert "The monthly TPS seminar." in other and "Lovelace" not in other
    assert NOTE.split(";")[0] not in other


def test_the_agenda_shows_them(signed_in: FlaskClient, seminar: Event) -> None:
    describe(signed_in, seminar, 1)
    cancel_with_note(signed_in, seminar, 2)
    page = signed_in.get("/?from=2031-02-01&days=90&calendar=test").text
    entries = re.findall(
        r'<li class="occurrence[^"]*">(.*?)</li>\s*(?=<li class="occurrence|'
        r"</ol>)",
        page,
        re.S,
    )
    assert len(entries) == 3
    february, march, april = entries
    assert "Dr Ada Lovelace on analytical engines." in february
    assert "occurrence-note" not in february
    assert 'class="occurrence-note"' in march
    assert "The speaker is ill; see you on 30 April." in march
    assert "Lovelace" not in april and "speaker is ill" not in april


def test_the_feed_carries_the_description_and_excludes_the_cancelled_date(
    signed_in: FlaskClient, seminar: Event
) -> None:
    describe(signed_in, seminar, 1)
    cancel_with_note(signed_in, seminar, 2)
    master, *changed = feed_events(signed_in)
    assert str(master["DESCRIPTION"]).startswith("The monthly TPS seminar.")
    assert [value.dt.isoformat() for value in master["EXDATE"].dts] == ["2031-03-26T14:00:00+00:00"]
    assert [str(item["RECURRENCE-ID"].dt.isoformat()) for item in changed] == [
        "2031-02-26T14:00:00+00:00"
    ]  # the cancelled date has no VEVENT of its own
    assert str(changed[0]["DESCRIPTION"]).startswith(SPEAKER + "\n\n")
    body = signed_in.get("/calendars/test.ics").data
    assert b"speaker is ill" not in body  # the note is on the pages only
    assert (
        b"DESCRIPTION:Dr Ada Lovelace on analytical engines.\\nSlides: https://example.org/s"
        in body.replace(b"\r\n ", b"")
    )


def test_the_api_keeps_its_contract(
    app: Flask, client: FlaskClient, seminar: Event, auth_headers: dict[str, str]
) -> None:
    url = f"/api/v1/events/{seminar.uid}/occurrences/{FEBRUARY}"
    response = client.put(url, json={"description": SPEAKER}, headers=auth_headers)
    assert response.status_code == 200, response.text
    cancelled = client.put(
        f"/api/v1/events/{seminar.uid}/occurrences/{MARCH}",
        json={"status": "cancelled", "description": NOTE},
        headers=auth_headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert overrides(app) == [
        ("2031-02-26T14:00:00", False, SPEAKER),
        ("2031-03-26T14:00:00", True, NOTE),
    ]
    march = client.get(f"/events/{seminar.uid}?on={MARCH}").text
    assert "The speaker is ill; see you on 30 April." in march


def test_a_restored_date_loses_its_note(app: Flask, signed_in: FlaskClient, seminar: Event) -> None:
    cancel_with_note(signed_in, seminar, 1)
    response = signed_in.post(
        occurrence_url(seminar, MARCH), data={"revision": "2", "restore": "y"}
    )
    assert response.status_code == 302
    assert overrides(app) == []
    assert NOTE not in signed_in.get(f"/events/{seminar.uid}?on={MARCH}").text


def test_hostile_texts_stay_text(signed_in: FlaskClient, seminar: Event) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    response = signed_in.post(
        occurrence_url(seminar, MARCH),
        data={"revision": "1", "scope": "this", "note": hostile, "cancel_occurrence": "y"},
    )
    assert response.status_code == 302
    for url in (f"/events/{seminar.uid}?on={MARCH}", "/?from=2031-03-01&days=30&calendar=test"):
        page = signed_in.get(url).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=" in page
    refused = signed_in.post(
        occurrence_url(seminar, FEBRUARY),
        data={"revision": "2", "scope": "this", "description": "a\x00b", "save": "y"},
    )
    assert refused.status_code == 422
    assert "contains control characters" in refused.text
