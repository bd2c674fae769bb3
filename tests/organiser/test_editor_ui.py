"""The event editor, its preview, one-occurrence changes and deletion in the organiser UI."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import (
    BASE,
    LAST_WEDNESDAYS_2031,
    Listing,
    occurrence_url,
    preview_dates,
    stored,
)

from calendar_service.services.rule_text import rule_text
from calendar_service.store.models import Event

pytestmark = pytest.mark.usefixtures("calendar")  # every test edits calendar "test"


def test_the_editor_offers_repeat_choices_as_people_say_them(signed_in: FlaskClient) -> None:
    page = signed_in.get("/organiser/events/new").text
    assert "Does not repeat" in page and "Custom…" in page
    assert re.search(
        r"Every week on (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
        r"Sunday)",
        page,
    )
    assert "Every 2 weeks on" in page


def test_preview_shows_the_rule_in_words_and_the_next_ten_dates(
    app: Flask, signed_in: FlaskClient
) -> None:
    response = signed_in.post("/organiser/events/new", data={**BASE, "preview": "Preview"})
    assert response.status_code == 200
    assert "Monthly on the last Wednesday" in response.text
    assert preview_dates(response.text) == LAST_WEDNESDAYS_2031
    assert "Every week on Wednesday" in response.text  # labels follow the chosen start
    assert stored(app) == []  # a preview saves nothing


def test_preview_json_for_the_live_script(signed_in: FlaskClient) -> None:
    response = signed_in.get("/organiser/preview.json", query_string=BASE)
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is True
    assert body["text"] == "Monthly on the last Wednesday"
    assert [item["label"].split(",")[0] for item in body["occurrences"]] == LAST_WEDNESDAYS_2031
    assert body["occurrences"][0]["start"] == "2031-01-29T14:00:00"
    bad = signed_in.get(
        "/organiser/preview.json",
        query_string={**BASE, "recurrence": "custom", "custom_rrule": "FREQ=SECONDLY"},
    ).json
    assert bad["ok"] is False and "rrule" in bad["errors"]


def test_preview_json_needs_a_signed_in_organiser(client: FlaskClient) -> None:
    assert client.get("/organiser/preview.json", query_string=BASE).status_code == 302


def test_saving_a_new_series(app: Flask, signed_in: FlaskClient, listing: Listing) -> None:
    response = signed_in.post(
        "/organiser/events/new",
        data={**BASE, "ends": "count", "count": "3", "save": "Save", "published": "draft"},
    )
    assert response.status_code == 302, response.text
    [event] = stored(app)
    assert event.rrule == "FREQ=MONTHLY;COUNT=3;BYDAY=-1WE" or (
        "BYDAY=-1WE" in event.rrule and "COUNT=3" in event.rrule
    )
    with app.app_context():
        assert rule_text(event) == "Monthly on the last Wednesday, 3 times"
    assert event.timezone == "Europe/London"  # the calendar's, as the zone was left empty
    assert (event.published, event.location) == (False, "British Library")
    assert [start for _t, start, _r, _c in listing("2031-01-01", "2032-01-01")] == [
        "2031-01-29T14:00:00+00:00",
        "2031-02-26T14:00:00+00:00",
        "2031-03-26T14:00:00+00:00",
    ]
    dashboard = signed_in.get("/organiser/").text
    assert "TPS seminar" in dashboard and "Draft" in dashboard


def test_all_day_events_take_an_inclusive_last_day(app: Flask, signed_in: FlaskClient) -> None:
    data = {
        **BASE,
        "title": "AI UK",
        "all_day": "y",
        "start_date": "2031-03-18",
        "end_date": "2031-03-19",
        "start_time": "",
        "end_time": "",
        "recurrence": "yearly_nth",
        "save": "Save",
    }
    assert signed_in.post("/organiser/events/new", data=data).status_code == 302
    [event] = stored(app)
    assert event.all_day and event.rrule == "FREQ=YEARLY;BYMONTH=3;BYDAY=3TU"
    assert (event.start_local.date(), event.end_local.date()) == (
        date(2031, 3, 18),
        date(2031, 3, 20),
    )


@pytest.mark.parametrize(
    "change, field_id, message",
    [
        ({"end_time": "13:00"}, "end_date", "must not be before the start"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known IANA time zone"),
        ({"recurrence": "custom", "custom_rrule": "FREQ=SECONDLY"}, "custom_rrule", ""),
        ({"recurrence": "custom", "custom_rrule": ""}, "custom_rrule", "write the rule"),
        ({"ends": "until", "until": ""}, "until", "say on which date"),
        ({"url": "javascript:alert(1)"}, "url", "http"),
        ({"title": ""}, "title", "required"),
        ({"start_time": ""}, "start_date", "needs a time"),
        ({"new_category": "!!"}, "new_category", "needs at least one letter or digit"),
        ({"categories": "tsp"}, "categories", "has no category &#39;tsp&#39;"),
    ],
)
def test_field_errors_are_shown_next_to_their_fields(
    app: Flask, signed_in: FlaskClient, change: dict[str, str], field_id: str, message: str
) -> None:
    response = signed_in.post("/organiser/events/new", data={**BASE, **change, "save": "Save"})
    assert response.status_code == 422
    block = re.search(
        rf'<div class="field field-error" id="field-{field_id}">(.*?)</div>', response.text, re.S
    )
    assert block, f"no error next to {field_id}"
    assert message in block.group(1)
    assert stored(app) == []


def test_html_typed_into_fields_is_escaped(signed_in: FlaskClient) -> None:
    response = signed_in.post(
        "/organiser/events/new",
        data={**BASE, "title": "<script>x()</script>", "end_time": "13:00", "save": "Save"},
    )
    assert "<script>x()</script>" not in response.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in response.text


# Editing (the ``seminar`` fixture is in conftest.py) -----------------------------------------


def test_the_editor_reads_the_stored_series_back(signed_in: FlaskClient, seminar: Event) -> None:
    page = signed_in.get(f"/organiser/events/{seminar.uid}/edit").text
    # 29 January 2031 is the 5th Wednesday: "the last" is the month's nth-weekday choice.
    assert re.search(r'<option selected value="monthly_nth">Monthly on the last Wednesday<', page)
    assert 'value="2031-01-29"' in page and 'value="14:00"' in page
    assert f'name="revision" type="hidden" value="{seminar.revision}"' in page


def test_saving_the_whole_series_bumps_its_sequence(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    response = signed_in.post(
        f"/organiser/events/{seminar.uid}/edit",
        data={
            **BASE,
            "start_time": "15:00",
            "end_time": "16:00",
            "revision": str(seminar.revision),
            "save": "Save",
        },
    )
    assert response.status_code == 302
    [event] = stored(app)
    assert event.start_local == datetime(2031, 1, 29, 15)
    assert (event.sequence, event.revision) == (1, 2)


def test_a_stale_form_is_a_conflict_and_overwrites_nothing(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    url = f"/organiser/events/{seminar.uid}/edit"
    first = signed_in.post(
        url, data={**BASE, "title": "First edit", "revision": "1", "save": "Save"}
    )
    assert first.status_code == 302
    second = signed_in.post(
        url, data={**BASE, "title": "Second edit", "revision": "1", "save": "Save"}
    )
    assert second.status_code == 409
    assert "Someone else changed this event" in second.text
    assert stored(app)[0].title == "First edit"


# One occurrence -----------------------------------------------------------------------------


def test_the_occurrences_page_lists_the_next_ones(signed_in: FlaskClient, seminar: Event) -> None:
    page = signed_in.get(f"/organiser/events/{seminar.uid}/occurrences").text
    assert "Wed 26 Feb 2031, 14:00–15:00 GMT" in page
    assert occurrence_url(seminar, "2031-02-26T14:00:00") in page


def test_cancelling_and_restoring_one_occurrence(
    listing: Listing, signed_in: FlaskClient, seminar: Event
) -> None:
    url = occurrence_url(seminar, "2031-02-26T14:00:00")
    assert "Cancel the chosen dates" in signed_in.get(url).text
    response = signed_in.post(
        url, data={"revision": "1", "scope": "this", "cancel_occurrence": "y"}
    )
    assert response.status_code == 302
    assert listing("2031-02-01", "2031-04-01") == [
        ("TPS seminar", "2031-02-26T14:00:00+00:00", "2031-02-26 14:00:00", True),
        ("TPS seminar", "2031-03-26T14:00:00+00:00", "2031-03-26 14:00:00", False),
    ]
    assert signed_in.post(url, data={"revision": "2", "restore": "y"}).status_code == 302
    assert [c for *_rest, c in listing("2031-02-01", "2031-03-01")] == [False]


def test_moving_and_retitling_one_occurrence(
    listing: Listing, signed_in: FlaskClient, seminar: Event
) -> None:
    url = occurrence_url(seminar, "2031-02-26T14:00:00")
    response = signed_in.post(
        url,
        data={
            "revision": "1",
            "scope": "this",
            "start_date": "2031-02-27",
            "start_time": "16:00",
            "end_date": "2031-02-27",
            "end_time": "17:30",
            "title": "Special seminar",
            "location": "British Library",
            "save": "y",
        },
    )
    assert response.status_code == 302
    assert listing("2031-01-01", "2031-04-01") == [
        ("TPS seminar", "2031-01-29T14:00:00+00:00", "2031-01-29 14:00:00", False),
        ("Special seminar", "2031-02-27T16:00:00+00:00", "2031-02-26 14:00:00", False),
        ("TPS seminar", "2031-03-26T14:00:00+00:00", "2031-03-26 14:00:00", False),
    ]


def test_an_unknown_occurrence_is_404(signed_in: FlaskClient, seminar: Event) -> None:
    assert signed_in.get(occurrence_url(seminar, "2031-02-25T14:00:00")).status_code == 404
    assert signed_in.get(occurrence_url(seminar, "garbage")).status_code == 404


def test_a_stale_occurrence_form_is_a_conflict(
    listing: Listing, signed_in: FlaskClient, seminar: Event
) -> None:
    url = occurrence_url(seminar, "2031-02-26T14:00:00")
    signed_in.post(url, data={"revision": "1", "cancel_occurrence": "y"})
    response = signed_in.post(
        occurrence_url(seminar, "2031-03-26T14:00:00"),
        data={"revision": "1", "cancel_occurrence": "y"},
    )
    assert response.status_code == 409
    assert [c for *_rest, c in listing("2031-03-01", "2031-04-01")] == [False]


def test_this_and_all_later_ones_splits_the_series(
    app: Flask, signed_in: FlaskClient, seminar: Event, listing: Listing
) -> None:
    url = occurrence_url(seminar, "2031-04-30T14:00:00")
    response = signed_in.post(
        url,
        data={
            "revision": "1",
            "scope": "later",
            "start_date": "2031-04-30",
            "start_time": "16:00",
            "end_date": "2031-04-30",
            "end_time": "17:00",
            "title": "TPS seminar (new time)",
            "location": "British Library",
            "save": "y",
        },
    )
    assert response.status_code == 302
    old, new = stored(app)
    assert old.uid == seminar.uid and old.sequence == 1
    assert "UNTIL=20310430T125959Z" in old.rrule
    assert new.uid != old.uid and new.rrule == "FREQ=MONTHLY;BYDAY=-1WE"
    assert new.start_local == datetime(2031, 4, 30, 16)
    assert [(title, start) for title, start, _r, _c in listing("2031-02-01", "2031-07-01")] == [
        ("TPS seminar", "2031-02-26T14:00:00+00:00"),
        ("TPS seminar", "2031-03-26T14:00:00+00:00"),
        ("TPS seminar (new time)", "2031-04-30T16:00:00+01:00"),
        ("TPS seminar (new time)", "2031-05-28T16:00:00+01:00"),
        ("TPS seminar (new time)", "2031-06-25T16:00:00+01:00"),
    ]


def test_splitting_a_counted_series_keeps_the_number_of_instances(
    app: Flask, signed_in: FlaskClient, listing: Listing
) -> None:
    signed_in.post(
        "/organiser/events/new", data={**BASE, "ends": "count", "count": "6", "save": "Save"}
    )
    [event] = stored(app)
    signed_in.post(
        occurrence_url(event, "2031-03-26T14:00:00"),
        data={"revision": "1", "scope": "later", "title": "Renamed", "location": "", "save": "y"},
    )
    found = listing("2031-01-01", "2033-01-01")
    assert [title for title, *_rest in found] == ["TPS seminar"] * 2 + ["Renamed"] * 4


def test_cancelling_this_and_all_later_ones_ends_the_series(
    listing: Listing, signed_in: FlaskClient, seminar: Event
) -> None:
    url = occurrence_url(seminar, "2031-03-26T14:00:00")
    asked = signed_in.post(url, data={"revision": "1", "scope": "later", "cancel_occurrence": "y"})
    assert asked.status_code == 200  # a confirmation step first: nothing is changed yet
    assert "End “TPS seminar” before Wed 26 Mar 2031?" in asked.text
    assert re.search(
        r'<button type="submit" name="cancel_occurrence" value="y" '
        r'class="danger">End the series before Wed 26 Mar 2031</button>',
        asked.text,
    )
    assert len(listing("2031-01-01", "2031-06-01")) == 5
    response = signed_in.post(
        url, data={"revision": "1", "scope": "later", "cancel_occurrence": "y", "confirmed": "yes"}
    )
    assert response.status_code == 302
    assert [start for _t, start, _r, _c in listing("2031-01-01", "2033-01-01")] == [
        "2031-01-29T14:00:00+00:00",
        "2031-02-26T14:00:00+00:00",
    ]


# Deleting -----------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes(app: Flask, signed_in: FlaskClient, seminar: Event) -> None:
    url = f"/organiser/events/{seminar.uid}/delete"
    page = signed_in.get(url)
    assert "cannot be undone" in page.text
    assert signed_in.post(url, data={"revision": "0"}).status_code == 409
    assert len(stored(app)) == 1
    assert signed_in.post(url, data={"revision": "1"}).status_code == 302
    assert stored(app) == []
