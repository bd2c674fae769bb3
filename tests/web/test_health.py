"""Answers for machines: /healthz for load balancers, robots.txt for crawlers."""

from __future__ import annotations

from flask import Flask


def test_healthz_answers_ok_when_the_database_answers(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(unreachable_app: Flask) -> None:
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_robots_txt_lets_calendar_clients_fetch_feeds(client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    assert not any(line.strip() in ("Disallow: /", "Disallow: /calendars/") for line in lines)
