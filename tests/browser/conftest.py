"""Fixtures for browser tests: a live server and the system Chromium driven by Playwright.

The browser is always the system one (``/usr/bin/chromium``, installed by apt); Playwright never
downloads one.  Without it the tests skip, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from calendar_service.store import accounts, operations, permissions
from calendar_service.store.db import db
from tests.browser.server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ORGANISER_PASSWORD,
    running_server,
    serving,
)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("browser") / "live.sqlite3") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API allows one running instance, and
    other modules may start their own."""
    if not CHROMIUM.exists():
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh desktop-sized page; fails the test on any console error or failed request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The test app served on a free port, with calendar "turing" and its editor
    ada@example.org (password ORGANISER_PASSWORD), for the organiser's browser tests."""
    with app.app_context():
        calendar = operations.create_calendar(
            {"slug": "turing", "name": "Turing events"}, "test", default_tz="Europe/London"
        )
        ada = accounts.create_organiser("ada@example.org", ORGANISER_PASSWORD)
        permissions.grant(ada, calendar, "editor", "test")
        db.session.commit()
    with serving(app) as base_url:
        yield base_url
