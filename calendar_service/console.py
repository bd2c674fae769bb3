"""The ``calendar-service`` console script: the app's Flask command group, run without
``flask --app``.  Apart from ``cli`` (the commands, which the app factory registers) so that
neither imports the other's importer."""

from __future__ import annotations

from flask.cli import FlaskGroup

from calendar_service import create_app


def main() -> None:
    """Run a command of the app's (``calendar-service init-db``, ``… seed``, ...)."""
    group = FlaskGroup(create_app=lambda: create_app(), help="The calendar service's commands.")
    group.main(prog_name="calendar-service")
