"""Subscribe links per platform (docs/peers.md B7), for each feed and each category's feed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from calendar_service.web.links import subscribe_links

FEED = "https://events.example.org/calendars/turing-roche.ics?category=tps"


def test_each_platform_gets_the_link_form_it_accepts(app: Flask) -> None:
    links = subscribe_links(FEED, "Turing–Roche: TPS")
    assert links["https"] == FEED
    assert (
        links["apple"]
        == links["webcal"]
        == ("webcal://events.example.org/calendars/turing-roche.ics?category=tps")
    )
    google = urlsplit(links["google"])
    assert (google.scheme, google.netloc, google.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    # Google only subscribes to a URL-encoded webcal:// address (cid=https… is a one-off import).
    assert (
        "cid=webcal%3A%2F%2Fevents.example.org%2Fcalendars%2Fturing-roche.ics%3Fcategory%3Dtps"
        in links["google"]
    )
    for key, host in (("outlook_com", "outlook.live.com"), ("outlook_365", "outlook.office.com")):
        parts = urlsplit(links[key])
        assert (parts.netloc, parts.path) == (host, "/calendar/0/addfromweb")
        assert parse_qs(parts.query) == {"url": [FEED], "name": ["Turing–Roche: TPS"]}


def test_the_api_lists_links_that_serve_the_feeds(seeded: Flask, client: FlaskClient) -> None:
    (calendar,) = client.get("/api/v1/calendars").json["calendars"]
    assert calendar["feed_url"] == "https://events.example.org/calendars/turing-roche.ics"
    assert calendar["subscribe"]["https"] == calendar["feed_url"]
    assert len(calendar["categories"]) == 7
    for entry in [calendar, *calendar["categories"]]:
        url = urlsplit(entry["feed_url"])
        response = client.get(url.path, query_string=url.query)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        google = parse_qs(urlsplit(entry["subscribe"]["google"]).query)["cid"][0]
        assert google == "webcal://" + entry["feed_url"].removeprefix("https://")
