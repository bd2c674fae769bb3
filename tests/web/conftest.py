"""Fixtures for the app-wide web tests: an app whose database never answers."""

from __future__ import annotations

import pytest
from flask import Flask

from calendar_service import create_app


@pytest.fixture
def unreachable_app() -> Flask:
    """An app whose database does not answer (nothing listens on port 1)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
