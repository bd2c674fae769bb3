"""Checks on the database as a whole (reachability), used at start-up and by init-db."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import make_url

from calendar_service.db import db


def ensure_database_reachable() -> None:
    """Make a SQLite file's folder, then run one query; errors say which database failed."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
