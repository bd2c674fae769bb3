"""Take the README's screenshots with the system Chromium: the agenda (docs/agenda.png), the
agenda on a phone (docs/agenda-phone.png), an event page (docs/event.png) and the embeddable
agenda inside another site's page (docs/embed.png).

Run:  python docs/make_screenshots.py

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
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, running_server, serving  # noqa: E402

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 360, "height": 740}
SHOTS = [
    ("agenda.png", "/", DESKTOP),
    ("agenda-phone.png", "/calendars/turing-roche", PHONE),
    ("event.png", "/events/tps-seminar@turing-roche.calendar", DESKTOP),
]
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


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="screenshots-"))
    with running_server(folder / "demo.sqlite3") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, path, viewport in SHOTS:
            page = browser.new_page(viewport=viewport, locale="en-GB",
                                    timezone_id="Europe/London")
            page.goto(base_url + path)
            page.screenshot(path=str(ROOT / "docs" / name))
            page.close()
            print(f"docs/{name} <- {path}")
        with serving(host(base_url + "/embed?calendar=turing-roche&days=28")) as host_url:
            page = browser.new_page(viewport={"width": 620, "height": 720}, locale="en-GB",
                                    timezone_id="Europe/London")
            page.goto(host_url)
            page.frame_locator("iframe").locator(".occurrence").first.wait_for()
            page.screenshot(path=str(ROOT / "docs" / "embed.png"))
            print("docs/embed.png <- /embed?calendar=turing-roche&days=28 in another site")
        browser.close()


if __name__ == "__main__":
    main()
