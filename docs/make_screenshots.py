"""Take the README's screenshots (docs/agenda.png, docs/event.png, docs/editor.png) with the
system Chromium.

Run:  python docs/make_screenshots.py [NAME.png ...]   (no names: every one)

Serves the seeded demo database of the browser tests and photographs the agenda, an event page
and, signed in as an organiser, the editor with its preview, at a desktop width; the browser is
/usr/bin/chromium, never a downloaded one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from calendar_service import create_app  # noqa: E402
from calendar_service.store import accounts  # noqa: E402
from calendar_service.store.db import db  # noqa: E402
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

SHOTS = {
    "agenda.png": "/",
    "event.png": "/events/tps-seminar@turing-roche.calendar",
}
EDITOR = "/organiser/events/tps-seminar@turing-roche.calendar/edit"
ORGANISER, PASSWORD = "screenshots@example.org", "screenshots only, never served"


def add_organiser(database: Path) -> None:
    """An admin to sign in as for the organiser pages' screenshot."""
    app = create_app({"SECRET_KEY": "screenshots",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():
        accounts.create_organiser(ORGANISER, PASSWORD, admin=True)
        db.session.commit()
        db.engine.dispose()


def main(wanted: list[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    with running_server(folder / "demo.sqlite3") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-GB",
                                timezone_id="Europe/London")
        for name, path in SHOTS.items():
            if wanted and name not in wanted:
                continue
            page.goto(base_url + path)
            page.screenshot(path=str(ROOT / "docs" / name))
            print(f"docs/{name} <- {path}")
        if wanted and "editor.png" not in wanted:
            browser.close()
            return
        add_organiser(folder / "demo.sqlite3")
        page.goto(base_url + "/organiser/sign-in")
        page.get_by_label("E-mail").fill(ORGANISER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.set_viewport_size({"width": 1280, "height": 1240})
        page.goto(base_url + EDITOR)
        page.locator("#preview-dates").wait_for()
        page.screenshot(path=str(ROOT / "docs" / "editor.png"))
        print(f"docs/editor.png <- {EDITOR}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
