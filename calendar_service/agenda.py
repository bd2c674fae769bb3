"""Blueprint: agenda."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda", __name__)
