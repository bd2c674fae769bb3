"""The API's blueprint, apart from its views so that they can share it without a cycle."""

from __future__ import annotations

from flask import Blueprint, current_app, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _limit_body() -> None:
    """Bodies over the API's limit answer 413 before anything reads them (docs/contract.md)."""
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]
