"""The API and categories (docs/contract.md EVENT): a slug the calendar does not have is
created with the event, as it always was (a script's slugs are deliberate), and the audit log
says so; the organiser editor never does that by itself (tests/organiser/test_categories_ui.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Category


def test_an_unknown_slug_is_created_and_audited(
    app: Flask, client: FlaskClient, calendar: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    body = {
        "calendar": "test",
        "title": "Seminar",
        "start": "2027-01-27T14:00:00",
        "categories": ["tps", "ai-uk"],
    }
    response = client.post("/api/v1/events", json=body, headers=auth_headers)
    assert response.status_code == 201
    assert response.get_json()["categories"] == ["ai-uk", "tps"]
    again = client.post("/api/v1/events", json={**body, "title": "Again"}, headers=auth_headers)
    assert again.status_code == 201
    with app.app_context():
        assert [
            (c.slug, c.name) for c in db.session.scalars(select(Category).order_by(Category.slug))
        ] == [("ai-uk", "Ai Uk"), ("tps", "Tps")]
        made = db.session.scalars(
            select(AuditEntry.details).where(
                AuditEntry.action == "create", AuditEntry.target_type == "categories"
            )
        ).all()
        # One entry for the categories one change made, not again for the second event.
        assert made == [{"names": {"ai-uk": "Ai Uk", "tps": "Tps"}}]
