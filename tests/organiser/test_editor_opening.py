"""The editor as it opens: a preview before anything is pressed, a new event as a draft, a
save that says what it did, and limits said instead of texts cut short."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import BASE, LAST_WEDNESDAYS_2031, preview_dates, stored

from calendar_service.clock import today

pytestmark = pytest.mark.usefixtures("calendar")


class FormValues(HTMLParser):
    """The values a browser would send for a page's inputs, selected options and checked
    radios and boxes (what "Save" with nothing changed submits)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name, kind = found.get("name"), found.get("type")
        if tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in found:
            self.values[self.select] = found.get("value") or ""
        elif tag == "input" and name and kind not in ("submit", "checkbox", "radio"):
            self.values[name] = found.get("value") or ""
        elif tag == "input" and name and kind in ("checkbox", "radio") and "checked" in found:
            self.values[name] = found.get("value") or ""


def form_values(page: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(page)
    return parser.values


def test_a_new_event_opens_with_its_preview(signed_in: FlaskClient) -> None:
    page = signed_in.get("/organiser/events/new").text
    tomorrow = today(ZoneInfo("Europe/London")) + timedelta(days=1)
    zone = datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=ZoneInfo("Europe/London")
    ).tzname()
    assert re.search(
        r'<p id="preview-text"><strong>Does not repeat</strong> '
        r"\(Europe/London\)</p>",
        page,
    )
    assert preview_dates(page) == [f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b %Y}"]
    assert f"10:00–11:00 {zone}</li>" in page


def test_a_stored_series_opens_with_its_preview(app: Flask, signed_in: FlaskClient) -> None:
    assert signed_in.post("/organiser/events/new", data={**BASE, "save": "Save"}).status_code == 302
    [event] = stored(app)
    page = signed_in.get(f"/organiser/events/{event.uid}/edit").text
    assert "<strong>Monthly on the last Wednesday</strong>" in page
    assert preview_dates(page) == LAST_WEDNESDAYS_2031


def test_the_opening_preview_shows_what_a_clock_change_does(
    app: Flask, signed_in: FlaskClient
) -> None:
    data = {
        **BASE,
        "start_date": "2031-03-30",
        "start_time": "01:30",
        "end_time": "02:45",
        "end_date": "2031-03-30",
        "recurrence": "none",
        "save": "Save",
    }
    assert signed_in.post("/organiser/events/new", data=data).status_code == 302
    [event] = stored(app)
    page = signed_in.get(f"/organiser/events/{event.uid}/edit").text
    warning = re.search(
        r'<p class="clock-warning" id="start-clock-warning" role="status">'
        r"([^<]*)</p>",
        page,
    )
    assert warning, "no visible start warning"
    assert warning.group(1) == (
        "01:30 on Sun 30 Mar 2031 does not exist in Europe/London: "
        "the clocks go forward then. It will be 02:30 BST."
    )


def test_a_new_event_starts_as_a_draft_and_the_save_says_so(
    app: Flask, signed_in: FlaskClient
) -> None:
    page = signed_in.get("/organiser/events/new").text
    values = {**form_values(page), "title": "Only a title", "save": "Save"}
    assert values["published"] == "draft"
    response = signed_in.post("/organiser/events/new", data=values, follow_redirects=True)
    assert response.status_code == 200
    [event] = stored(app)
    assert (event.title, event.published) == ("Only a title", False)
    assert "“Only a title” is saved as a draft: only organisers see it." in html.unescape(
        response.text
    )
    assert signed_in.get(f"/events/{event.uid}.ics").status_code == 404  # in no feed


def test_publishing_says_it_reaches_the_feed(app: Flask, signed_in: FlaskClient) -> None:
    response = signed_in.post(
        "/organiser/events/new",
        data={**BASE, "published": "published", "save": "Save"},
        follow_redirects=True,
    )
    assert (
        "“TPS seminar” is published in “Test calendar”: it is in the agenda and the feed "
        "now, and in subscribers' calendars at their next refresh." in html.unescape(response.text)
    )
    assert stored(app)[0].published is True


def test_a_long_title_is_refused_with_its_length_and_kept(
    app: Flask, signed_in: FlaskClient
) -> None:
    title = "Seminar " * 250  # 2,000 characters
    response = signed_in.post(
        "/organiser/events/new", data={**BASE, "title": title, "save": "Save"}
    )
    assert response.status_code == 422
    block = re.search(
        r'<div class="field field-error" id="field-title">(.*?)</div>', response.text, re.S
    )
    assert block, "no message next to the title"
    assert "is 2000 characters long: at most 500 are allowed" in block.group(1)
    assert f'value="{title}"' in response.text  # nothing typed is lost
    assert stored(app) == []


def test_limits_are_said_not_enforced_by_cutting(signed_in: FlaskClient) -> None:
    page = signed_in.get("/organiser/events/new").text
    title = re.search(r'<input[^>]* id="title"[^>]*>', page) or re.search(
        r'<input[^>]*id="title"[^>]*>', page
    )
    assert title, "no title field"
    assert "maxlength=" not in title.group(0).replace("data-maxlength=", "")
    assert 'data-maxlength="500"' in title.group(0)
    assert '<small class="limit" id="title-limit" aria-live="polite" hidden></small>' in page


def test_the_live_preview_needs_no_title(signed_in: FlaskClient) -> None:
    body = signed_in.get("/organiser/preview.json", query_string={**BASE, "title": ""}).json
    assert body["ok"] is True and body["text"] == "Monthly on the last Wednesday"
    long = signed_in.get("/organiser/preview.json", query_string={**BASE, "title": "x" * 501}).json
    assert long == {
        "ok": False,
        "errors": {"title": "is 501 characters long: at most 500 are allowed"},
    }


def test_the_preview_button_needs_no_title_but_saving_does(
    app: Flask, signed_in: FlaskClient
) -> None:
    shown = signed_in.post(
        "/organiser/events/new", data={**BASE, "title": "", "preview": "Preview"}
    )
    assert shown.status_code == 200
    assert preview_dates(shown.text) == LAST_WEDNESDAYS_2031
    assert 'id="title-errors"' not in shown.text
    refused = signed_in.post("/organiser/events/new", data={**BASE, "title": "", "save": "Save"})
    assert refused.status_code == 422 and 'id="title-errors"' in refused.text
    assert stored(app) == []


def test_without_the_script_no_field_is_hidden(signed_in: FlaskClient) -> None:
    page = signed_in.get("/organiser/events/new").text
    for name in ("custom_rrule", "ends", "until", "count", "start_time", "end_time"):
        block = re.search(rf'<div class="field" id="field-{name}"[^>]*>', page)
        assert block and "hidden" not in block.group(0), name
