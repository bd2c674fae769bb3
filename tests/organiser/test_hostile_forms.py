"""Control characters (NUL above all: PostgreSQL refuses it in text) typed into any organiser form
or sent to the calendar route get a field message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from calendar_service.store.db import db
from calendar_service.store.models import ApiToken, Calendar, Organiser, SignInAttempt

NUL = "bad\x00value"


def test_sign_in_with_a_nul_is_refused_quietly(
    app: Flask, client: FlaskClient, organiser: dict[str, Any]
) -> None:
    response = client.post(
        "/organiser/sign-in", data={"email": "ada\x00@example.org", "password": "x\x00"}
    )
    assert response.status_code == 422
    assert "control characters" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInAttempt)) == 0


def test_a_token_name_with_a_nul_is_a_field_error(app: Flask, signed_in: FlaskClient) -> None:
    response = signed_in.post("/organiser/tokens", data={"name": NUL})
    assert response.status_code == 422
    assert "control characters" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize(
    "form",
    [
        {"email": "lin\x00@example.org", "name": "Lin", "password": "long enough password"},
        {"email": "lin@example.org", "name": NUL, "password": "long enough password"},
    ],
)
def test_an_organiser_with_a_nul_is_a_field_error(
    app: Flask, admin_client: FlaskClient, form: dict[str, str]
) -> None:
    response = admin_client.post("/organiser/admin/organisers", data=form)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organiser)) == 1


@pytest.mark.parametrize(
    "form",
    [
        {"slug": "ok", "name": NUL},
        {"slug": "ok", "name": "Fine", "description": NUL},
        {"slug": "ok\x00", "name": "Fine"},
        {"slug": "ok", "name": "Fine", "timezone": "Europe/\x00London"},
    ],
)
def test_a_calendar_with_a_nul_is_a_field_error(
    app: Flask, admin_client: FlaskClient, admin_headers: dict[str, str], form: dict[str, str]
) -> None:
    page = admin_client.post("/organiser/admin/calendars", data=form)
    assert page.status_code == 422
    api = admin_client.post("/api/v1/calendars", json=form, headers=admin_headers)
    assert api.status_code == 422
    assert set(api.json["errors"]) <= {"slug", "name", "description", "timezone"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Calendar)) == 0


def test_a_nul_in_an_editor_field_is_a_field_error(
    signed_in: FlaskClient, make_calendar: Any
) -> None:
    make_calendar(slug="test")
    response = signed_in.post(
        "/organiser/events/new",
        data={
            "title": NUL,
            "calendar": "test",
            "start_date": "2031-01-29",
            "start_time": "14:00",
            "recurrence": "none",
            "ends": "never",
            "status": "confirmed",
            "published": "published",
            "timezone": "Europe/\x00London",
            "save": "Save",
        },
    )
    assert response.status_code == 422
    assert "control characters" in response.text
