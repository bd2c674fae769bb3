"""Checks every request passes before any view runs."""

from __future__ import annotations

from flask import Flask, abort, current_app, request

from calendar_service import deadline
from calendar_service.store import budget
from calendar_service.store.validation import has_control_characters

# NUL and other C0 controls have no place in a URL; PostgreSQL rejects NUL in text outright,
# so a path or query carrying one would otherwise reach the database as an error.


def register_guards(app: Flask) -> None:
    @app.before_request
    def limit_reads() -> None:
        # Reads only: a write's work is bounded by validation and batches, and stopping one
        # half-way would cost the organiser the change.
        if request.method in ("GET", "HEAD"):
            deadline.start(float(current_app.config["CALENDAR_REQUEST_SECONDS"]))
        # Every request's listings share one budget of expansion steps (store.budget), so a
        # page that lists in several goes (the "next" link's pages) costs what one may.
        budget.start(int(current_app.config.get("REQUEST_STEPS", budget.REQUEST_STEPS)))

    @app.teardown_request
    def lift_limit(_error: BaseException | None) -> None:
        deadline.clear()
        budget.clear()

    @app.before_request
    def refuse_control_characters() -> None:
        if not _is_utf8(request.query_string):
            abort(400, "The address's query is not UTF-8: percent-encode what it holds.")
        if has_control_characters(request.path) or any(
            has_control_characters(key) or has_control_characters(value)
            for key, values in request.args.lists()
            for value in values
        ):
            abort(400, "The address contains control characters.")


def _is_utf8(raw: bytes) -> bool:
    """Whether the query's raw bytes are UTF-8 text (as they are once percent-encoded): a
    server passes other bytes on as they came, and reading them as parameters fails."""
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
