"""A real HTTP server over a seeded temporary database, for browser tests and screenshots.

The Turing–Roche seed plus a few events placed relative to today (a weekly call with one date
cancelled, a week-long sprint under way, a one-off talk), so every page has something to show
whatever the date the tests run on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Flask
from werkzeug.serving import make_server

from calendar_service import create_app
from calendar_service.clock import utcnow
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.moments import parse_stored
from calendar_service.store.seed import load_seed

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = Path("/usr/bin/chromium")
ORGANISER_PASSWORD = "a long enough password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def seed_database(url: str) -> None:
    """Load the seed and the events relative to today into the database at ``url``."""
    app = create_app({"TESTING": True, "SECRET_KEY": "browser", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        calendar = load_seed().calendar
        today = utcnow().astimezone(ZoneInfo(calendar.timezone)).date()
        weekly = operations.create_event(
            {
                "calendar": calendar.slug,
                "uid": "office-hours@browser.test",
                "title": "Research software office hours",
                "categories": ["tps"],
                "start": f"{today + timedelta(days=1)}T11:00:00",
                "end": f"{today + timedelta(days=1)}T12:30:00",
                "rrule": "FREQ=WEEKLY",
                "location": "https://meet.example.org/office-hours",
                "description": "Bring your code questions.\nNotes: https://example.org/notes",
            },
            "browser",
        )
        operations.create_event(
            {
                "calendar": calendar.slug,
                "uid": "sprint@browser.test",
                "title": "Docs sprint",
                "categories": ["turing-way"],
                "all_day": True,
                "start": str(today - timedelta(days=1)),
                "end": str(today + timedelta(days=4)),
                "location": "Online and in person",
            },
            "browser",
        )
        operations.create_event(
            {
                "calendar": calendar.slug,
                "uid": "talk@browser.test",
                "title": "Reproducible pipelines talk",
                "categories": ["training"],
                "start": f"{today + timedelta(days=2)}T16:00:00",
                "location": "Room 4",
            },
            "browser",
        )
        db.session.flush()
        operations.set_override(
            weekly,
            parse_stored(f"{today + timedelta(days=8)}T11:00:00", False),
            {"status": "cancelled"},
            "browser",
        )
        db.session.commit()
        db.engine.dispose()


@contextmanager
def running_server(database: Path) -> Iterator[str]:
    """Serve the app over a freshly seeded SQLite file; yields the base URL."""
    url = f"sqlite:///{database}"
    seed_database(url)
    app = create_app({"SECRET_KEY": "browser", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with serving(app) as base_url:
            yield base_url
    finally:
        with app.app_context():
            db.engine.dispose()


def buffered(app: WSGIApplication) -> WSGIApplication:
    """``app`` with each response body read whole and closed before the server sends it.

    Werkzeug's development server skips closing the body when the browser has already dropped
    the connection (a favicon or stylesheet request cut short as a page closes), so a static
    file stays open until garbage collection, and pytest reports the ResourceWarning as an
    error in whichever test runs next.  A list of bytes holds nothing open.
    """

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
