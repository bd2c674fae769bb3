"""The organiser pages' blueprint, apart from its views so that they can share it without a
cycle."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organiser", __name__, url_prefix="/organiser")
