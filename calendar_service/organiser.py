"""Blueprint: organiser."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organiser", __name__)
