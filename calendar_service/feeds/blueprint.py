"""The feeds' blueprint, apart from its views so that they can share it without a cycle."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
