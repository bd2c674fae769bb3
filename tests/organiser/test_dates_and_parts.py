"""Changing a series from one of its dates: this date, this and following, or all; the parts a
split leaves stay one series for organisers and link to each other on the public pages; ending
or cancelling more than one date asks first; deleting takes every part."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import Listing, occurrence_url, stored

from calendar_service.services.rule_text import rule_text
from calendar_service.store.models import Event

pytestmark = pytest.mark.usefixtures("calendar")

MOVE_LATER = {
    "scope": "later",
    "start_date": "2031-04-30",
    "start_time": "16:00",
    "end_date": "2031-04-30",
    "end_time": "17:00",
    "title": "TPS seminar",
    "location": "British Library",
    "save": "y",
}


def split_at_april(signed_in: FlaskClient, seminar: Event) -> None:
    response = signed_in.post(
        occurrence_url(seminar, "2031-04-30T14:00:00"),
        data={**MOVE_LATER, "revision": str(seminar.revision)},
    )
    assert response.status_code == 302, response.text


def dashboard_rows(page: str, title: str) -> list[str]:
    return [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f">{title}<" in row]


def test_the_form_offers_this_date_this_and_following_and_all(
    signed_in: FlaskClient, seminar: Event
) -> None:
    page = signed_in.get(occurrence_url(seminar, "2031-03-26T14:00:00")).text
    assert re.findall(r'name="scope" type="radio" value="(\w+)"> ([^<]+)</label>', page) == [
        ("this", "This date only"),
        ("later", "This and following dates"),
        ("all", "All dates of the series"),
    ]


def test_all_dates_moves_every_date_past_ones_too(
    app: Flask, signed_in: FlaskClient, seminar: Event, listing: Listing
) -> None:
    response = signed_in.post(
        occurrence_url(seminar, "2031-03-26T14:00:00"),
        data={
            "revision": "1",
            "scope": "all",
            "start_date": "2031-03-26",
            "start_time": "15:00",
            "end_date": "2031-03-26",
            "end_time": "16:30",
            "title": "TPS seminar",
            "location": "Alan Turing Institute",
            "save": "y",
        },
    )
    assert response.status_code == 302
    [event] = stored(app)
    assert (event.start_local, event.end_local) == (
        datetime(2031, 1, 29, 15),
        datetime(2031, 1, 29, 16, 30),
    )
    assert event.location == "Alan Turing Institute"
    assert [start for _t, start, _r, _c in listing("2031-01-01", "2031-04-01")] == [
        "2031-01-29T15:00:00+00:00",
        "2031-02-26T15:00:00+00:00",
        "2031-03-26T15:00:00+00:00",
    ]


def test_a_split_series_is_one_row_and_its_parts_link(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    split_at_april(signed_in, seminar)
    old, new = stored(app)
    assert (old.continues_id, new.continues_id) == (None, old.id)
    # It ends a second before the 30 April seminar, so its last day is the one before (not
    # "until 30 April 2031 at 14:59", which reads as if that day's seminar still belonged).
    with app.app_context():
        assert rule_text(old) == "Monthly on the last Wednesday, until 29 April 2031"
    rows = dashboard_rows(signed_in.get("/organiser/").text, "TPS seminar")
    assert len(rows) == 1
    assert f"/organiser/events/{new.uid}/edit" in rows[0]
    assert "as changed from Wednesday 30 April 2031" in rows[0]

    earlier_page = signed_in.get(f"/events/{old.uid}").text
    continuation = re.search(r'<p class="notice" id="continuation">(.*?)</p>', earlier_page, re.S)
    assert continuation, "the old page does not link to its continuation"
    assert f'href="/events/{new.address}"' in continuation.group(1)  # its readable address
    assert "Wednesday 30 April 2031" in continuation.group(1)
    later_page = signed_in.get(f"/events/{new.uid}").text
    assert re.search(
        rf'id="earlier-dates">.*?href="/events/{re.escape(old.address)}"', later_page, re.S
    )
    dates = signed_in.get(f"/organiser/events/{new.uid}/occurrences").text
    assert f'href="/organiser/events/{old.uid}/occurrences" id="earlier-part"' in dates


def test_splitting_an_earlier_part_again_keeps_one_chain(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    split_at_april(signed_in, seminar)
    old = stored(app)[0]
    response = signed_in.post(
        occurrence_url(old, "2031-02-26T14:00:00"),
        data={
            "revision": str(old.revision),
            "scope": "later",
            "title": "Renamed",
            "location": "British Library",
            "save": "y",
        },
    )
    assert response.status_code == 302
    first, last, middle = stored(app)
    assert (first.continues_id, middle.continues_id, last.continues_id) == (
        None,
        first.id,
        middle.id,
    )
    assert len(dashboard_rows(signed_in.get("/organiser/").text, "TPS seminar")) == 1
    assert dashboard_rows(signed_in.get("/organiser/").text, "Renamed") == []


def test_cancelling_all_dates_asks_then_cancels_every_part(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    split_at_april(signed_in, seminar)
    old, new = stored(app)
    url = occurrence_url(new, "2031-05-28T16:00:00")
    asked = signed_in.post(
        url, data={"revision": str(new.revision), "scope": "all", "cancel_occurrence": "y"}
    )
    assert asked.status_code == 200
    assert "Cancel every date of “TPS seminar”?" in asked.text
    assert [event.status for event in stored(app)] == ["confirmed", "confirmed"]
    done = signed_in.post(
        url,
        data={
            "revision": str(new.revision),
            "scope": "all",
            "cancel_occurrence": "y",
            "confirmed": "yes",
        },
    )
    assert done.status_code == 302
    assert [event.status for event in stored(app)] == ["cancelled", "cancelled"]


def test_ending_an_earlier_part_cancels_the_later_ones(
    app: Flask, signed_in: FlaskClient, seminar: Event, listing: Listing
) -> None:
    split_at_april(signed_in, seminar)
    old = stored(app)[0]
    url = occurrence_url(old, "2031-02-26T14:00:00")
    asked = signed_in.post(
        url, data={"revision": str(old.revision), "scope": "later", "cancel_occurrence": "y"}
    )
    assert (
        "The later part of the series (from Wednesday 30 April 2031) is cancelled too."
        in " ".join(asked.text.split())
    )
    signed_in.post(
        url,
        data={
            "revision": str(old.revision),
            "scope": "later",
            "cancel_occurrence": "y",
            "confirmed": "yes",
        },
    )
    assert [start for _t, start, _r, _c in listing("2031-01-01", "2031-04-30")] == [
        "2031-01-29T14:00:00+00:00"
    ]
    assert [event.status for event in stored(app)] == ["confirmed", "cancelled"]


def test_delete_asks_in_red_and_takes_every_part(
    app: Flask, signed_in: FlaskClient, seminar: Event
) -> None:
    split_at_april(signed_in, seminar)
    new = stored(app)[1]
    url = f"/organiser/events/{new.uid}/delete"
    page = signed_in.get(url).text
    assert "it is in 2 parts; all of them are deleted" in page
    assert re.search(
        r'<input class="danger" id="submit" name="submit" type="submit" '
        r'value="Delete for good">',
        page,
    )
    assert signed_in.post(url, data={"revision": str(new.revision)}).status_code == 302
    assert stored(app) == []


def test_the_cancel_button_looks_unlike_saving(signed_in: FlaskClient, seminar: Event) -> None:
    page = signed_in.get(occurrence_url(seminar, "2031-03-26T14:00:00")).text
    assert '<input id="save" name="save" type="submit" value="Save change">' in page
    assert re.search(
        r'<input class="danger" id="cancel_occurrence" name="cancel_occurrence" '
        r'type="submit" value="Cancel the chosen dates">',
        page,
    )


def test_the_api_names_the_parts_on_either_side(
    app: Flask, signed_in: FlaskClient, seminar: Event, admin_headers: dict[str, str]
) -> None:
    """A script sees that two events are one series changed from a date, and which way; a
    draft part is named only to token holders, as the draft itself is."""
    split_at_april(signed_in, seminar)
    old, new = stored(app)
    public = app.test_client()

    def links(body: dict[str, Any]) -> tuple[str | None, str | None]:
        return body["continues"], body["continued_by"]

    assert links(public.get(f"/api/v1/events/{old.uid}").get_json()) == (None, new.uid)
    assert links(public.get(f"/api/v1/events/{new.uid}").get_json()) == (old.uid, None)
    listed = public.get("/api/v1/events?calendar=test").get_json()["events"]
    assert {body["uid"]: links(body) for body in listed} == {
        old.uid: (None, new.uid),
        new.uid: (old.uid, None),
    }

    # Sent back as read, the read-only fields change nothing; the later part becomes a draft.
    body = public.get(f"/api/v1/events/{new.uid}").get_json()
    changed = public.patch(
        f"/api/v1/events/{new.uid}", json={**body, "published": False}, headers=admin_headers
    )
    assert (changed.status_code, links(changed.get_json())) == (200, (old.uid, None))
    assert links(public.get(f"/api/v1/events/{old.uid}").get_json()) == (None, None)
    assert links(public.get(f"/api/v1/events/{old.uid}", headers=admin_headers).get_json()) == (
        None,
        new.uid,
    )
    assert public.get(f"/api/v1/events/{new.uid}").status_code == 404
