"""Answers for machines: liveness for load balancers, and robots.txt for crawlers."""

from __future__ import annotations

import sqlite3

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from calendar_service.store.db import db

bp = Blueprint("health", __name__)


# How long /healthz waits for SQLite's write lock before it says "busy" (milliseconds).
WRITE_LOCK_WAIT_MS = 1000


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when a trivial query succeeds (and, on SQLite, a write could start), 503 when the
    database does not answer or, on SQLite, when another transaction has held the one write
    lock for longer than a second: then every write, sign-in and token use waits for it too,
    and a load balancer should hear so rather than "ok"."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        writable = _sqlite_write_lock_free() if db.engine.dialect.name == "sqlite" else True
    except (SQLAlchemyError, sqlite3.Error, OSError):
        db.session.rollback()
        return _answer({"status": "unavailable", "detail": "the database does not answer"}, 503)
    if not writable:
        return _answer(
            {
                "status": "busy",
                "detail": "another transaction has held the "
                "database's write lock for over a second: writes are waiting",
            },
            503,
        )
    return _answer({"status": "ok"}, 200)


def _answer(body: dict[str, str], status: int) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _sqlite_write_lock_free() -> bool:
    """Whether ``BEGIN IMMEDIATE`` (taking the write lock, as any write does) succeeds within
    WRITE_LOCK_WAIT_MS; rolled back at once, so it holds the lock for no time at all."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        previous = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout={WRITE_LOCK_WAIT_MS}")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return False
            raise
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(previous)}")
        cursor.execute("ROLLBACK")
        return True
    finally:
        raw.close()


ROBOTS = """User-agent: *
Allow: /
Disallow: /organiser/
"""


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawlers may read everything public; Google fetches feeds only where robots.txt allows."""
    response = Response(ROBOTS, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
