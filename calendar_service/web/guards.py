"""Checks every request passes before any view runs."""

from __future__ import annotations

import re

from flask import Flask, abort, request

# NUL and other C0 controls have no place in a URL; PostgreSQL rejects NUL in text outright,
# so a path or query carrying one would otherwise reach the database as an error.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def register_guards(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters() -> None:
        if _CONTROL.search(request.path) or any(
            _CONTROL.search(key) or _CONTROL.search(value)
            for key, values in request.args.lists() for value in values
        ):
            abort(400, "The address contains control characters.")
