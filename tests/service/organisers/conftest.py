"""Fixtures for the organiser tests: accounts, tokens, signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calendar_service import create_app
from calendar_service.store import accounts
from calendar_service.store.db import db

PASSWORD = "correct horse battery"


@pytest.fixture
def make_app(app: Flask) -> Iterator[Callable[[dict[str, Any]], Flask]]:
    """Another app on the same database (a second worker); its connections close at the end."""
    made: list[Flask] = []

    def make(config: dict[str, Any]) -> Flask:
        other = create_app(config)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def make_organiser(app: Flask) -> Callable[..., dict[str, Any]]:
    """Add an organiser: ``make_organiser(email=…, admin=False)`` → {"id", "email"}."""

    def make(email: str = "ada@example.org", admin: bool = False,
             password: str = PASSWORD) -> dict[str, Any]:
        with app.app_context():
            organiser = accounts.create_organiser(email, password, admin=admin)
            db.session.commit()
            return {"id": organiser.id, "email": organiser.email, "password": password}

    return make


@pytest.fixture
def organiser(make_organiser: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_organiser("ada@example.org")


@pytest.fixture
def admin(make_organiser: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_organiser("grace@example.org", admin=True)


@pytest.fixture
def make_token(app: Flask) -> Callable[[str], str]:
    """A new API token secret for the organiser with this e-mail."""

    def make(email: str, name: str = "test") -> str:
        with app.app_context():
            found = accounts.find_organiser(email)
            assert found is not None
            _row, secret = accounts.create_token(found, name)
            db.session.commit()
            return secret

    return make


@pytest.fixture
def token(organiser: dict[str, Any], make_token: Callable[[str], str]) -> str:
    return make_token(organiser["email"])


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_headers(admin: dict[str, Any], make_token: Callable[[str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(admin['email'])}"}


def _sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/organiser/sign-in", data={"email": email, "password": password})


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, email, password=PASSWORD)`` posts the sign-in form."""
    return _sign_in


@pytest.fixture
def signed_in(client: FlaskClient, organiser: dict[str, Any]) -> FlaskClient:
    """The test client, signed in as the organiser."""
    response = _sign_in(client, organiser["email"])
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def admin_client(client: FlaskClient, admin: dict[str, Any]) -> FlaskClient:
    """The test client, signed in as an admin."""
    response = _sign_in(client, admin["email"])
    assert response.status_code == 302, response.text
    return client
