"""Organiser sign-in, CSRF, throttling, API tokens in the UI and the admin pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import csrf_token
from sqlalchemy import func, select

from calendar_service.store.db import db
from calendar_service.store.models import ApiToken, AuditEntry, Calendar, Organiser, SignInAttempt
from calendar_service.store.throttle import PER_ACCOUNT

# Sign-in ----------------------------------------------------------------------------------


def test_the_dashboard_needs_a_signed_in_organiser(client: FlaskClient) -> None:
    response = client.get("/organiser/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/sign-in?next=")


def test_signing_in_and_out(client: FlaskClient, organiser: dict[str, Any], sign_in: Any) -> None:
    response = sign_in(client, "ADA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"
    page = client.get("/organiser/")
    assert page.status_code == 200
    assert "ada@example.org" in page.text
    assert client.get("/organiser/sign-out").status_code == 405  # only a POST signs out
    assert client.post("/organiser/sign-out").status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(
    client: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    response = sign_in(client, organiser["email"], "wrong password!")
    assert response.status_code == 200
    assert "The e-mail or the password is not right." in response.text
    assert client.get("/organiser/").status_code == 302
    unknown = sign_in(client, "nobody@example.org", "wrong password!")
    assert "The e-mail or the password is not right." in unknown.text


def test_next_only_leads_to_this_site(client: FlaskClient, organiser: dict[str, Any]) -> None:
    data = {"email": organiser["email"], "password": organiser["password"]}
    for target, expected in (
        ("/organiser/tokens", "/organiser/tokens"),
        ("//evil.example/x", "/organiser/"),
        ("https://evil.example/", "/organiser/"),
        ("/\\evil.example", "/organiser/"),
    ):
        client.post("/organiser/sign-out")
        response = client.post("/organiser/sign-in", query_string={"next": target}, data=data)
        assert response.headers["Location"] == expected


def test_a_deactivated_organiser_cannot_sign_in_and_is_signed_out(
    app: Flask, signed_in: FlaskClient, sign_in: Any, organiser: dict[str, Any]
) -> None:
    with app.app_context():
        db.session.scalars(select(Organiser)).one().active = False
        db.session.commit()
    assert signed_in.get("/organiser/").status_code == 302
    response = sign_in(signed_in, organiser["email"])
    assert response.status_code == 200
    assert "not right" in response.text


def test_session_cookie_flags(
    app_config: dict[str, Any], organiser: dict[str, Any], make_app: Any, sign_in: Any
) -> None:
    secure = make_app({**app_config, "SESSION_COOKIE_SECURE": True})
    response = sign_in(secure.test_client(), organiser["email"], organiser["password"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


# Throttling -------------------------------------------------------------------------------


def test_repeated_failures_are_throttled_even_with_the_right_password(
    app: Flask, client: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    for _ in range(PER_ACCOUNT):
        assert sign_in(client, organiser["email"], "wrong password!").status_code == 200
    blocked = sign_in(client, organiser["email"])
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert "15 minutes" in blocked.text
    assert client.get("/organiser/").status_code == 302
    # Another address may still sign in to the same account.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(other, organiser["email"]).status_code == 302


def test_throttling_holds_across_workers(
    app: Flask, app_config: dict[str, Any], organiser: dict[str, Any], sign_in: Any, make_app: Any
) -> None:
    for _ in range(PER_ACCOUNT):
        sign_in(app.test_client(), organiser["email"], "wrong password!")
    second_worker = make_app(app_config)
    assert sign_in(second_worker.test_client(), organiser["email"]).status_code == 429


def test_a_successful_sign_in_clears_the_failures(
    app: Flask, client: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    for _ in range(PER_ACCOUNT - 1):
        sign_in(client, organiser["email"], "wrong password!")
    assert sign_in(client, organiser["email"]).status_code == 302
    client.post("/organiser/sign-out")
    for _ in range(PER_ACCOUNT - 1):
        sign_in(client, organiser["email"], "wrong password!")
    assert sign_in(client, organiser["email"]).status_code == 302
    with app.app_context():
        keys = set(db.session.scalars(select(SignInAttempt.key)))
    assert keys == {"address:127.0.0.1"}


# CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_forms_without_a_csrf_token_are_refused(
    csrf_app: dict[str, Any], app: Flask, client: FlaskClient, organiser: dict[str, Any]
) -> None:
    data = {"email": organiser["email"], "password": organiser["password"]}
    refused = client.post("/organiser/sign-in", data=data)
    assert refused.status_code == 400
    assert "CSRF" in refused.text
    page = client.get("/organiser/sign-in")
    signed = client.post("/organiser/sign-in", data={**data, "csrf_token": csrf_token(page.text)})
    assert signed.status_code == 302
    for path, form in (
        ("/organiser/tokens", {"name": "sync"}),
        ("/organiser/sign-out", {}),
        (
            "/organiser/events/new",
            {"title": "Sneaky", "calendar": "test", "start_date": "2027-01-27"},
        ),
    ):
        assert client.post(path, data=form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert client.get("/organiser/").status_code == 200  # still signed in


def test_the_api_needs_no_csrf_token(
    csrf_app: dict[str, Any], client: FlaskClient, make_calendar: Any, auth_headers: dict[str, str]
) -> None:
    make_calendar(slug="test")
    body = {"calendar": "test", "title": "From a script", "start": "2027-01-27T14:00:00"}
    response = client.patch("/api/v1/events/nope", json=body, headers=auth_headers)
    assert response.status_code == 404  # reached the view: no CSRF refusal


# API tokens in the UI ---------------------------------------------------------------------


def test_a_token_is_shown_once_works_and_can_be_revoked(
    app: Flask, signed_in: FlaskClient, make_calendar: Any
) -> None:
    make_calendar(slug="test")
    created = signed_in.post("/organiser/tokens", data={"name": "website sync"})
    assert created.status_code == 200
    secret = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
    assert secret.startswith("cal_")
    listing = signed_in.get("/organiser/tokens")
    assert secret not in listing.text
    assert "website sync" in listing.text
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"calendar": "test", "title": "Synced", "start": "2027-01-27T14:00:00"}
    assert signed_in.patch("/api/v1/events/nope", json=body, headers=headers).status_code == 404
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.token_hash != secret and secret not in token.token_hash
        token_id = token.id
    revoked = signed_in.post(f"/organiser/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert signed_in.patch("/api/v1/events/nope", json=body, headers=headers).status_code == 401
    assert "Revoked" in signed_in.get("/organiser/tokens").text


def test_organisers_cannot_revoke_each_others_tokens(
    app: Flask, signed_in: FlaskClient, make_organiser: Any, make_token: Any
) -> None:
    make_organiser("other@example.org")
    make_token("other@example.org")
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    assert signed_in.post(f"/organiser/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().revoked is None


def test_an_unnamed_token_is_a_field_error(signed_in: FlaskClient) -> None:
    response = signed_in.post("/organiser/tokens", data={"name": ""})
    assert response.status_code == 422
    assert "This field is required." in response.text


# Admin pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/organiser/admin/organisers", "/organiser/admin/calendars", "/organiser/admin/audit"]
)
def test_admin_pages_are_for_admins_only(signed_in: FlaskClient, path: str) -> None:
    assert signed_in.get(path).status_code == 403
    assert signed_in.post(path, data={}).status_code in (403, 405)


def test_admins_add_deactivate_and_promote_organisers(
    app: Flask, admin_client: FlaskClient, sign_in: Any
) -> None:
    added = admin_client.post(
        "/organiser/admin/organisers",
        data={"email": "lin@example.org", "name": "Lin", "password": "long enough password"},
    )
    assert added.status_code == 302
    short = admin_client.post(
        "/organiser/admin/organisers",
        data={"email": "lin@example.org", "password": "long enough password"},
    )
    assert short.status_code == 422
    assert "exists already" in short.text
    with app.app_context():
        lin = db.session.scalars(
            select(Organiser).where(Organiser.email == "lin@example.org")
        ).one()
        lin_id = lin.id
    assert admin_client.post(f"/organiser/admin/organisers/{lin_id}/make-admin").status_code == 302
    assert admin_client.post(f"/organiser/admin/organisers/{lin_id}/deactivate").status_code == 302
    with app.app_context():
        lin = db.session.get(Organiser, lin_id)
        assert (lin.is_admin, lin.active) == (True, False)
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target == "lin@example.org")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["create", "make-admin", "deactivate"]
    other = app.test_client()
    assert sign_in(other, "lin@example.org", "long enough password").status_code == 200


def test_admins_cannot_demote_themselves(
    app: Flask, admin_client: FlaskClient, admin: dict[str, Any]
) -> None:
    admin_client.post(f"/organiser/admin/organisers/{admin['id']}/remove-admin")
    with app.app_context():
        assert db.session.get(Organiser, admin["id"]).is_admin


def test_admins_create_calendars_with_field_errors(app: Flask, admin_client: FlaskClient) -> None:
    bad = admin_client.post(
        "/organiser/admin/calendars",
        data={"slug": "Book Dash!", "name": "Book Dash", "timezone": "Mars/Base"},
    )
    assert bad.status_code == 422
    assert "lower-case letters" in bad.text
    assert "not a known IANA time zone" in bad.text
    good = admin_client.post(
        "/organiser/admin/calendars",
        data={"slug": "book-dash", "name": "Book Dash", "timezone": ""},
    )
    assert good.status_code == 302
    with app.app_context():
        calendar = db.session.scalars(select(Calendar)).one()
        assert (calendar.slug, calendar.timezone) == ("book-dash", "Europe/London")
    audit = admin_client.get("/organiser/admin/audit")
    assert audit.status_code == 200
    assert "book-dash" in audit.text and "grace@example.org" in audit.text
