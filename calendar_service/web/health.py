"""Answers for machines: liveness for load balancers, and robots.txt for crawlers."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from calendar_service.store.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when a trivial query succeeds, 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        db.session.rollback()
        response = jsonify({"status": "unavailable", "detail": "the database does not answer"})
        response.headers["Cache-Control"] = "no-store"
        return response, 503
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response, 200


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
