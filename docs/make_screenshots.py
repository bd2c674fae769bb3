"""Take the README's screenshots (docs/agenda.png, docs/event.png, docs/import-dry-run.png)
with the system Chromium.

Run:  python docs/make_screenshots.py

Serves the seeded demo database of the browser tests and photographs the agenda and an event
page at a desktop width, then signs in as an organiser and previews (dry run) the import of
the Outlook desktop export in tests/ical/data; the browser is /usr/bin/chromium, never a
downloaded one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from calendar_service import create_app  # noqa: E402
from calendar_service.store import accounts, permissions  # noqa: E402
from calendar_service.store.db import db  # noqa: E402
from calendar_service.store.models import Category  # noqa: E402
from calendar_service.store.operations import find_calendar  # noqa: E402
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

ORGANISER, PASSWORD = "ada@example.org", "a long screenshot passphrase"
OUTLOOK = ROOT / "tests" / "ical" / "data" / "outlook-desktop.ics"

SHOTS = {
    "agenda.png": "/",
    "event.png": "/events/tps-seminar@turing-roche.calendar",
}


def add_organiser(database: Path) -> None:
    """An organiser who may change the seed calendar, which has a category "Meetings"."""
    app = create_app({"SECRET_KEY": "browser", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():
        calendar = find_calendar("turing-roche")
        assert calendar is not None
        db.session.add(Category(calendar=calendar, slug="meetings", name="Meetings"))
        organiser = accounts.create_organiser(ORGANISER, PASSWORD)
        permissions.grant(organiser, calendar, "editor", "screenshots")
        db.session.commit()
        db.engine.dispose()


def import_dry_run(page: Page, base_url: str) -> None:
    page.goto(base_url + "/organiser/sign-in")
    page.get_by_label("E-mail").fill(ORGANISER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base_url + "/organiser/import")
    page.get_by_label(".ics file").set_input_files(str(OUTLOOK))
    page.get_by_label("Give every event the category").select_option("turing-roche:meetings")
    page.get_by_role("button", name="Preview (dry run)").click()
    page.get_by_role("heading", name="Dry run", exact=False).wait_for()
    page.screenshot(path=str(ROOT / "docs" / "import-dry-run.png"), full_page=True)
    print("docs/import-dry-run.png <- /organiser/import (dry run of tests/ical/data/"
          "outlook-desktop.ics)")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    database = folder / "demo.sqlite3"
    with running_server(database) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-GB",
                                timezone_id="Europe/London")
        for name, path in SHOTS.items():
            page.goto(base_url + path)
            page.screenshot(path=str(ROOT / "docs" / name))
            print(f"docs/{name} <- {path}")
        add_organiser(database)
        import_dry_run(page, base_url)
        browser.close()


if __name__ == "__main__":
    main()
