"""Checks every request passes before any view runs."""

from __future__ import annotations

from flask import Flask, abort, request

from calendar_service.store.validation import has_control_characters

# NUL and other C0 controls have no place in a URL; PostgreSQL rejects NUL in text outright,
# so a path or query carrying one would otherwise reach the database as an error.


def register_guards(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters() -> None:
        if has_control_characters(request.path) or any(
            has_control_characters(key) or has_control_characters(value)
            for key, values in request.args.lists() for value in values
        ):
            abort(400, "The address contains control characters.")
