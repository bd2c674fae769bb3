"""Take the README's screenshots (docs/agenda.png, docs/event.png) with the system Chromium.

Run:  python docs/make_screenshots.py

Serves the seeded demo database of the browser tests and photographs the agenda and an event
page at a desktop width; the browser is /usr/bin/chromium, never a downloaded one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

SHOTS = {
    "agenda.png": "/",
    "event.png": "/events/tps-seminar@turing-roche.calendar",
}


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    with running_server(folder / "demo.sqlite3") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-GB",
                                timezone_id="Europe/London")
        for name, path in SHOTS.items():
            page.goto(base_url + path)
            page.screenshot(path=str(ROOT / "docs" / name))
            print(f"docs/{name} <- {path}")
        browser.close()


if __name__ == "__main__":
    main()
