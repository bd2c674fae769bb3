"""Take the README's screenshots with the system Chromium: the agenda (docs/agenda.png), the
agenda on a phone (docs/agenda-phone.png), an event page (docs/event.png), the embeddable agenda
inside another site's page (docs/embed.png) and, signed in as a throwaway admin of the demo
database, the editor with its preview (docs/editor.png) and the dry run of an Outlook export's
import (docs/import-dry-run.png, from tests/ical/data/outlook-desktop.ics).

Run:  python docs/make_screenshots.py [NAME.png ...]   (no names: every one)

Serves the seeded demo database of the browser tests; the embed is framed by a small page
served from a second origin, as another site would frame it.  The browser is
/usr/bin/chromium, never a downloaded one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from calendar_service import create_app  # noqa: E402
from calendar_service.store import accounts  # noqa: E402
from calendar_service.store.db import db  # noqa: E402
from calendar_service.store.models import Category  # noqa: E402
from calendar_service.store.operations import find_calendar  # noqa: E402
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, running_server, serving  # noqa: E402

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 360, "height": 740}
SHOTS = [
    ("agenda.png", "/", DESKTOP),
    ("agenda-phone.png", "/calendars/turing-roche", PHONE),
    ("event.png", "/events/tps-seminar@turing-roche.calendar", DESKTOP),
]
EMBED = "/embed?calendar=turing-roche&days=28"
EDITOR = "/organiser/events/tps-seminar@turing-roche.calendar/edit"
ORGANISER, PASSWORD = "screenshots@example.org", "screenshots only, never served"
OUTLOOK = ROOT / "tests" / "ical" / "data" / "outlook-desktop.ics"
HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A community site</title><link rel="icon" href="data:,"></head>
<body style="font-family: Georgia, serif; background: #f3efe6; margin: 0; padding: 24px">
<h1>Our community site</h1><p>What's coming up at the Turing:</p>
<iframe src="{src}" title="Coming events" width="520" height="560"
        style="border: 1px solid #b9b2a0; background: #fff"></iframe></body></html>"""


def host(embed_url: str) -> Flask:
    """Another site that frames the embed."""
    app = Flask("host")
    app.add_url_rule("/", "page", lambda: HOST_PAGE.format(src=embed_url))
    return app


def add_organiser(database: Path) -> None:
    """An admin to sign in as for the organiser pages' screenshots, and a category "Meetings"
    of the seed calendar for the import to give its events."""
    app = create_app(
        {"SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    )
    with app.app_context():
        accounts.create_organiser(ORGANISER, PASSWORD, admin=True)
        calendar = find_calendar("turing-roche")
        assert calendar is not None
        db.session.add(Category(calendar=calendar, slug="meetings", name="Meetings"))
        db.session.commit()
        db.engine.dispose()


def new_page(browser: Browser, viewport: dict[str, int]) -> Page:
    return browser.new_page(viewport=viewport, locale="en-GB", timezone_id="Europe/London")


def public_pages(browser: Browser, base_url: str, wanted: list[str]) -> None:
    for name, path, viewport in SHOTS:
        if wanted and name not in wanted:
            continue
        page = new_page(browser, viewport)
        page.goto(base_url + path)
        page.screenshot(path=str(ROOT / "docs" / name))
        page.close()
        print(f"docs/{name} <- {path}")
    if wanted and "embed.png" not in wanted:
        return
    with serving(host(base_url + EMBED)) as host_url:
        page = new_page(browser, {"width": 620, "height": 720})
        page.goto(host_url)
        page.frame_locator("iframe").locator(".occurrence").first.wait_for()
        page.screenshot(path=str(ROOT / "docs" / "embed.png"))
        page.close()
        print(f"docs/embed.png <- {EMBED} in another site")


def sign_in(browser: Browser, base_url: str) -> Page:
    page = new_page(browser, DESKTOP)
    page.goto(base_url + "/organiser/sign-in")
    page.get_by_label("E-mail").fill(ORGANISER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def editor(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1240})
    page.goto(base_url + EDITOR)
    page.locator("#preview-dates").wait_for()
    page.screenshot(path=str(ROOT / "docs" / "editor.png"))
    print(f"docs/editor.png <- {EDITOR}")


def import_dry_run(page: Page, base_url: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(base_url + "/organiser/import")
    page.get_by_label(".ics file").set_input_files(str(OUTLOOK))
    page.get_by_label("Give every event the category").select_option("turing-roche:meetings")
    page.get_by_role("button", name="Preview (dry run)").click()
    page.get_by_role("heading", name="Dry run", exact=False).wait_for()
    page.screenshot(path=str(ROOT / "docs" / "import-dry-run.png"), full_page=True)
    print(
        "docs/import-dry-run.png <- /organiser/import (dry run of tests/ical/data/"
        "outlook-desktop.ics)"
    )


def main(wanted: list[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    database = folder / "demo.sqlite3"
    with running_server(database) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        public_pages(browser, base_url, wanted)
        organiser_shots = [
            name for name in ("editor.png", "import-dry-run.png") if not wanted or name in wanted
        ]
        if organiser_shots:
            add_organiser(database)
            page = sign_in(browser, base_url)
            if "editor.png" in organiser_shots:
                editor(page, base_url)
            if "import-dry-run.png" in organiser_shots:
                import_dry_run(page, base_url)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
