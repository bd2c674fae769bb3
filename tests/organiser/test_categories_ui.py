"""Categories managed by admins: create, rename, merge and delete (with where the events go),
403 for other organisers, and no category made by a typo in the editor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Category, Event

PAGE = "/organiser/admin/calendars/test/categories"


@pytest.fixture
def events(app: Flask, calendar: dict[str, Any], make_event: Callable[..., dict[str, Any]]) -> None:
    """Calendar ``test`` with categories tps, ai-uk and training, and events in them."""
    make_event(uid="seminar@x", title="Seminar", categories=["tps"])
    make_event(uid="both@x", title="Both", categories=["tps", "ai-uk"])
    make_event(uid="talk@x", title="Talk", categories=["ai-uk"])
    make_event(uid="course@x", title="Course", categories=["training"])


def categories_of(app: Flask) -> dict[str, list[str]]:
    with app.app_context():
        return {
            event.uid: event.category_slugs
            for event in db.session.scalars(select(Event).order_by(Event.uid))
        }


def names(app: Flask) -> dict[str, str]:
    with app.app_context():
        return {
            category.slug: category.name
            for category in db.session.scalars(select(Category).order_by(Category.slug))
        }


def test_the_page_lists_categories_with_their_events_and_feeds(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    assert "Tps <small><code>tps</code> · 2 events ·" in page.text
    assert "Training <small><code>training</code> · 1 event ·" in page.text
    assert "/calendars/test.ics?category=ai-uk" in page.text
    assert (
        'href="/organiser/admin/calendars/test/categories"'
        in admin_client.get("/organiser/admin/calendars").text
    )


def test_create_and_refuse_a_taken_name(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    made = admin_client.post(PAGE, data={"name": "Open Science"})
    assert made.status_code == 302
    assert names(app)["open-science"] == "Open Science"
    taken = admin_client.post(PAGE, data={"name": "TPS"})
    assert taken.status_code == 422
    assert "Test calendar has a category &#39;tps&#39; already" in taken.text
    empty = admin_client.post(PAGE, data={"name": "!!!"})
    assert empty.status_code == 422
    assert "needs at least one letter or digit" in empty.text


def test_rename_keeps_the_slug_and_the_events(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    response = admin_client.post(f"{PAGE}/tps/rename", data={"rename-tps-name": "Turing seminars"})
    assert response.status_code == 302
    assert names(app)["tps"] == "Turing seminars"
    assert categories_of(app)["seminar@x"] == ["tps"]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "rename")).one()
        assert entry.details["changes"] == {"name": ["Tps", "Turing seminars"]}


def test_merge_moves_every_event_and_removes_the_category(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    with app.app_context():
        before = operations.find_event("talk@x").revision
    response = admin_client.post(f"{PAGE}/ai-uk/merge", data={"merge-ai-uk-into": "tps"})
    assert response.status_code == 302
    assert categories_of(app) == {
        "both@x": ["tps"],
        "course@x": ["training"],
        "seminar@x": ["tps"],
        "talk@x": ["tps"],
    }
    assert "ai-uk" not in names(app)
    with app.app_context():
        assert operations.find_event("talk@x").revision == before + 1  # feeds see the change
    assert "“Ai Uk” is merged into “Tps” (2 events moved)." in admin_client.get(PAGE).text


@pytest.mark.parametrize(
    "move_to, expected",
    [
        (
            "training",
            {
                "both@x": ["ai-uk", "training"],
                "course@x": ["training"],
                "seminar@x": ["training"],
                "talk@x": ["ai-uk"],
            },
        ),
        ("", {"both@x": ["ai-uk"], "course@x": ["training"], "seminar@x": [], "talk@x": ["ai-uk"]}),
    ],
)
def test_delete_gives_the_events_the_chosen_category(
    app: Flask,
    admin_client: FlaskClient,
    events: None,
    move_to: str,
    expected: dict[str, list[str]],
) -> None:
    response = admin_client.post(f"{PAGE}/tps/delete", data={"delete-tps-move_to": move_to})
    assert response.status_code == 302
    assert categories_of(app) == expected
    assert "tps" not in names(app)


def feed_summaries(client: FlaskClient, category: str) -> tuple[int, list[str]]:
    """The status of a category's feed and the SUMMARY lines it holds, sorted."""
    response = client.get(f"/calendars/test.ics?category={category}")
    return response.status_code, sorted(
        line for line in response.get_data(as_text=True).splitlines() if line.startswith("SUMMARY:")
    )


# The events are one-offs on make_event's fixed date (2027-01-27): the clock stands before them,
# since the feed leaves out one-offs that ended more than about six months ago.
@pytest.mark.now("2026-12-01T12:00:00+00:00")
def test_a_merged_categorys_feed_goes_on_with_its_events_under_the_other(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    """Those subscribed to ai-uk keep their feed: it now serves tps, which took its events."""
    anonymous = app.test_client()
    assert feed_summaries(anonymous, "ai-uk") == (200, ["SUMMARY:Both", "SUMMARY:Talk"])
    admin_client.post(f"{PAGE}/ai-uk/merge", data={"merge-ai-uk-into": "tps"})
    merged = anonymous.get("/calendars/test.ics?category=ai-uk")
    assert (
        feed_summaries(anonymous, "ai-uk")
        == feed_summaries(anonymous, "tps")
        == (200, ["SUMMARY:Both", "SUMMARY:Seminar", "SUMMARY:Talk"])
    )
    assert (
        merged.headers["ETag"] == anonymous.get("/calendars/test.ics?category=tps").headers["ETag"]
    )
    # tps is then deleted, its events moved to training: both old addresses follow them.
    admin_client.post(f"{PAGE}/tps/delete", data={"delete-tps-move_to": "training"})
    expected = (200, ["SUMMARY:Both", "SUMMARY:Course", "SUMMARY:Seminar", "SUMMARY:Talk"])
    assert feed_summaries(anonymous, "ai-uk") == feed_summaries(anonymous, "tps") == expected
    assert feed_summaries(anonymous, "ai-uk&category=training") == expected
    # A category deleted with its events left without one has no feed to go on with.
    admin_client.post(f"{PAGE}/training/delete", data={"delete-training-move_to": ""})
    assert [feed_summaries(anonymous, slug)[0] for slug in ("ai-uk", "tps", "training")] == [
        404,
        404,
        404,
    ]


def test_a_merged_categorys_agenda_atom_and_embed_links_go_on_under_the_other(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    """A newsletter's link to the ai-uk agenda, an Atom subscription, an embed: after the merge
    they show tps, which took ai-uk's events; a slug that never was stays an error."""
    anonymous = app.test_client()
    admin_client.post(f"{PAGE}/ai-uk/merge", data={"merge-ai-uk-into": "tps"})
    page = anonymous.get("/calendars/test?category=ai-uk&from=2027-01-25&days=7")
    assert page.status_code == 200
    titles = re.findall(r'<a href="/events/[^"]+">([^<]+)</a>', page.text)
    assert sorted(set(titles)) == ["Both", "Seminar", "Talk"]
    assert anonymous.get("/?calendar=test&category=ai-uk").status_code == 200
    # The agenda of every calendar, where a category is named by slug alone, and the month.
    every = anonymous.get("/?category=ai-uk&from=2027-01-25&days=7")
    assert every.status_code == 200
    assert sorted(set(re.findall(r'<a href="/events/[^"]+">([^<]+)</a>', every.text))) == [
        "Both",
        "Seminar",
        "Talk",
    ]
    month = anonymous.get("/calendars/test/2027/1?category=ai-uk")
    assert (month.status_code, month.text.count("Seminar"), month.text.count("Course")) == (
        200,
        1,
        0,
    )
    assert [
        anonymous.get(url).status_code
        for url in (
            "/calendars/test.atom?category=ai-uk",
            "/embed?calendar=test&category=ai-uk",
            "/calendars/test.atom?category=nope",
            "/embed?calendar=test&category=nope",
            "/calendars/test?category=nope",
        )
    ] == [200, 200, 404, 404, 400]


# The clock stands before the events (make_event's 2027-01-27), so they are the next ones.
@pytest.mark.now("2026-12-01T12:00:00+00:00")
def test_a_merged_categorys_api_and_next_links_go_on_under_the_other(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    """An API client filtering by ai-uk and a newsletter's "next ai-uk event" link: after the
    merge they read tps, which took ai-uk's events, as the feeds and the agenda do."""
    anonymous = app.test_client()
    window = "start=2027-01-25&end=2027-02-01"

    def listed(query: str) -> list[str]:
        response = anonymous.get(f"/api/v1/occurrences?{query}&{window}")
        assert response.status_code == 200
        return [item["uid"] for item in response.get_json()["occurrences"]]

    assert listed("calendar=test&category=ai-uk") == ["both@x", "talk@x"]
    admin_client.post(f"{PAGE}/ai-uk/merge", data={"merge-ai-uk-into": "tps"})
    assert listed("calendar=test&category=ai-uk") == ["both@x", "seminar@x", "talk@x"]
    assert listed("category=ai-uk") == ["both@x", "seminar@x", "talk@x"]  # every calendar
    assert listed("calendar=test&category=tps") == ["both@x", "seminar@x", "talk@x"]
    assert listed("calendar=test&category=nope") == []  # names nothing: matches nothing
    events = anonymous.get("/api/v1/events?calendar=test&category=ai-uk").get_json()["events"]
    assert [event["uid"] for event in events] == ["both@x", "seminar@x", "talk@x"]
    following = anonymous.get("/calendars/test/next?category=ai-uk")
    assert following.status_code == 302
    assert (
        following.headers["Location"]
        == anonymous.get("/calendars/test/next?category=tps").headers["Location"]
    )
    assert following.headers["Location"].startswith("/events/")
    assert anonymous.get("/calendars/test/next?category=nope").status_code == 404


def test_a_merge_into_an_unknown_category_changes_nothing(
    app: Flask, admin_client: FlaskClient, events: None
) -> None:
    response = admin_client.post(f"{PAGE}/ai-uk/merge", data={"merge-ai-uk-into": "nope"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.text
    assert "ai-uk" in names(app)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", PAGE),
        ("post", PAGE),
        ("post", f"{PAGE}/tps/rename"),
        ("post", f"{PAGE}/tps/merge"),
        ("post", f"{PAGE}/tps/delete"),
    ],
)
def test_other_organisers_get_403(
    app: Flask, signed_in: FlaskClient, events: None, method: str, path: str
) -> None:
    response = getattr(signed_in, method)(path, data={"name": "x"})
    assert response.status_code == 403
    assert set(names(app)) == {"ai-uk", "tps", "training"}


EDITOR = {
    "title": "Launch",
    "calendar": "test",
    "start_date": "2031-01-29",
    "start_time": "14:00",
    "end_time": "15:00",
    "recurrence": "none",
    "ends": "never",
    "status": "confirmed",
    "published": "published",
    "save": "Save",
}


def test_the_editor_offers_the_calendars_categories_and_refuses_a_typo(
    app: Flask, signed_in: FlaskClient, events: None
) -> None:
    page = signed_in.get("/organiser/events/new").text
    assert '<input id="categories-0" name="categories" type="checkbox" value="ai-uk">' in page
    assert "it becomes a public category of this calendar" in page
    typo = signed_in.post("/organiser/events/new", data={**EDITOR, "categories": ["tsp"]})
    assert typo.status_code == 422
    assert "Test calendar has no category &#39;tsp&#39;" in typo.text
    assert set(names(app)) == {"ai-uk", "tps", "training"}
    ticked = signed_in.post("/organiser/events/new", data={**EDITOR, "categories": ["tps"]})
    assert ticked.status_code == 302
    new = signed_in.post(
        "/organiser/events/new",
        data={**EDITOR, "title": "Open day", "categories": ["tps"], "new_category": "Open Days"},
    )
    assert new.status_code == 302
    assert names(app)["open-days"] == "Open Days"
    with app.app_context():
        made = db.session.scalars(select(Event).where(Event.title == "Open day")).one()
        assert made.category_slugs == ["open-days", "tps"]
