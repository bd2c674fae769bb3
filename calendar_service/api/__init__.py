"""The JSON API (CONTRACT: /api/v1): read routes, write routes, problem+json errors."""

from __future__ import annotations

from flask import Blueprint, current_app, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _limit_body() -> None:
    """Bodies over the API's limit answer 413 before anything reads them (CONTRACT)."""
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]


from calendar_service.api import read, write  # noqa: E402,F401  (routes register on bp)
