"""The editor in a real browser, read as an organiser reads it: only what is visible counts.

The preview is there before anything is pressed and follows a change of rule within a second;
fields show only when they apply; a long title says its limit instead of being cut short;
ending a series asks first; a split series stays one row on the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from calendar_service.store import operations
from calendar_service.store.db import db
from tests.browser.server import CHROMIUM
from tests.browser.server import CHROMIUM_ARGS as ARGS
from tests.browser.server import ORGANISER_PASSWORD as PASSWORD

# Far ahead, so the preview's next ten dates start at the series' start whatever today is.
START = "2031-01-29"  # a Wednesday
WEEKLY = [
    "Wed 29 Jan 2031",
    "Wed 5 Feb 2031",
    "Wed 12 Feb 2031",
    "Wed 19 Feb 2031",
    "Wed 26 Feb 2031",
    "Wed 5 Mar 2031",
    "Wed 12 Mar 2031",
    "Wed 19 Mar 2031",
    "Wed 26 Mar 2031",
    "Wed 2 Apr 2031",
]
FORTNIGHTLY = [
    "Wed 29 Jan 2031",
    "Wed 12 Feb 2031",
    "Wed 26 Feb 2031",
    "Wed 12 Mar 2031",
    "Wed 26 Mar 2031",
    "Wed 9 Apr 2031",
    "Wed 23 Apr 2031",
    "Wed 7 May 2031",
    "Wed 21 May 2031",
    "Wed 4 Jun 2031",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="the system Chromium (/usr/bin/chromium) "
        "is not installed; install it with apt-get install chromium",
    ),
]


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    """A signed-in organiser's page; fails the test on any script error."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            base_url=server,
            locale="en-GB",
            timezone_id="Europe/London",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto("/organiser/sign-in")
            page.get_by_label("E-mail").fill("ada@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Events", exact=True).wait_for()
            yield page
        finally:
            context.close()
            browser.close()
        assert errors == []


def visible_dates(page: Any) -> list[str]:
    """The preview's dates as shown (the day, before the time)."""
    items = page.locator("#preview-dates li")
    return [text.split(",")[0] for text in items.all_inner_texts()]


def test_the_preview_is_there_on_opening_and_follows_the_rule(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/organiser/events/new")
    preview = page.locator("#preview-panel")
    expect(preview).to_be_visible()  # nothing pressed yet
    expect(page.locator("#preview-text")).to_be_visible()
    expect(page.locator("#preview-text")).to_contain_text("Does not repeat")
    expect(page.locator("#preview-dates li")).to_have_count(1)

    page.locator("#start_date").fill(START)
    page.locator("#recurrence").select_option("weekly")
    expect(page.locator("#preview-text")).to_have_text(
        "Every week on Wednesday (Europe/London)", timeout=1000
    )
    expect(page.locator("#preview-dates")).to_be_visible()
    assert visible_dates(page) == WEEKLY

    page.locator("#recurrence").select_option("biweekly")
    expect(page.locator("#preview-text")).to_have_text(
        "Every 2 weeks on Wednesday (Europe/London)", timeout=1000
    )
    expect(page.locator("#preview-dates li").nth(1)).to_have_text(
        "Wed 12 Feb 2031, 10:00–11:00 GMT", timeout=1000
    )
    assert visible_dates(page) == FORTNIGHTLY


def test_fields_show_only_when_they_apply(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/organiser/events/new")
    custom, ends = page.get_by_label("Custom rule (RRULE)"), page.get_by_text("Ends", exact=True)
    until = page.get_by_label("Last date", exact=True)
    count = page.get_by_label("Number of times", exact=True)
    for field in (custom, ends, until, count):
        expect(field).to_be_hidden()  # "Does not repeat": nothing about repeating applies
    expect(page.get_by_label("at", exact=True).first).to_be_visible()

    page.locator("#recurrence").select_option("weekly")
    expect(ends).to_be_visible()
    expect(until).to_be_hidden()
    page.get_by_label("On a date").check()
    expect(until).to_be_visible()
    expect(count).to_be_hidden()
    page.get_by_label("After a number of times").check()
    expect(count).to_be_visible()
    expect(until).to_be_hidden()

    page.locator("#recurrence").select_option("custom")
    expect(custom).to_be_visible()
    expect(ends).to_be_hidden()  # a custom rule says its own end

    page.get_by_label("All day").check()
    expect(page.get_by_label("at", exact=True)).to_have_count(2)
    expect(page.get_by_label("at", exact=True).first).to_be_hidden()
    expect(page.get_by_label("at", exact=True).last).to_be_hidden()
    page.get_by_label("All day").uncheck()
    expect(page.get_by_label("at", exact=True).first).to_be_visible()


def test_a_long_title_says_its_limit_and_keeps_every_character(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/organiser/events/new")
    title = page.get_by_label("Title")
    limit = page.locator("#title-limit")
    expect(limit).to_be_hidden()
    title.fill("x" * 420)
    expect(limit).to_be_visible()
    expect(limit).to_have_text("420 of 500 characters")
    title.fill("x" * 2000)  # as a paste would: nothing is cut
    expect(title).to_have_value("x" * 2000)
    expect(limit).to_have_text("2000 characters: 1500 more than the 500 allowed")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#title-errors")).to_be_visible()
    expect(page.locator("#title-errors")).to_have_text(
        "is 2000 characters long: at most 500 are allowed"
    )
    expect(page.get_by_label("Title")).to_have_value("x" * 2000)


@pytest.fixture
def seminar(app: Flask, server: str) -> str:
    """A published monthly seminar far ahead; its uid."""
    with app.app_context():
        event = operations.create_event(
            {
                "calendar": "turing",
                "uid": "tps@browser.test",
                "title": "TPS seminar",
                "start": "2031-01-29T14:00:00",
                "end": "2031-01-29T15:00:00",
                "rrule": "FREQ=MONTHLY;BYDAY=-1WE",
                "published": True,
            },
            "test",
        )
        db.session.commit()
        return event.uid


def test_ending_a_series_asks_first_in_red(page: Any, seminar: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/organiser/events/{seminar}/occurrences/2031-03-26T14:00:00")
    save = page.get_by_role("button", name="Save change")
    cancel = page.get_by_role("button", name="Cancel the chosen dates")
    expect(save).to_be_visible()
    expect(cancel).to_be_visible()
    assert cancel.evaluate("node => getComputedStyle(node).backgroundColor") != save.evaluate(
        "node => getComputedStyle(node).backgroundColor"
    )
    page.get_by_label("This and following dates").check()
    cancel.click()

    expect(
        page.get_by_role("heading", name="End “TPS seminar” before Wed 26 Mar 2031?")
    ).to_be_visible()
    expect(page.get_by_text("The dates before Wed 26 Mar 2031 stay.")).to_be_visible()
    page.get_by_role("link", name="No, go back").click()
    page.goto(f"/organiser/events/{seminar}/occurrences")
    expect(page.locator("#occurrences tbody tr")).to_have_count(20)  # nothing ended

    page.goto(f"/organiser/events/{seminar}/occurrences/2031-03-26T14:00:00")
    page.get_by_label("This and following dates").check()
    page.get_by_role("button", name="Cancel the chosen dates").click()
    page.get_by_role("button", name="End the series before Wed 26 Mar 2031").click()
    expect(page.get_by_text("The series now ends before Wed 26 Mar 2031.")).to_be_visible()
    expect(page.locator("#occurrences tbody tr")).to_have_count(2)
    expect(page.locator("#occurrences tbody tr").last).to_contain_text("Wed 26 Feb 2031")


def test_a_split_series_stays_one_row_on_the_dashboard(page: Any, seminar: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/organiser/events/{seminar}/occurrences/2031-04-30T14:00:00")
    page.get_by_label("This and following dates").check()
    page.locator("#start_time").fill("16:00")
    page.locator("#end_time").fill("17:00")
    page.get_by_role("button", name="Save change").click()
    expect(page.get_by_text("This date and every later one are changed.")).to_be_visible()

    page.get_by_role("link", name="Events", exact=True).click()
    rows = page.locator("#calendar-turing tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_be_visible()
    expect(rows.first).to_contain_text("TPS seminar")
    expect(rows.first).to_contain_text("as changed from Wednesday 30 April 2031")

    page.goto(f"/events/{seminar}")  # the old part's public page leads on
    continuation = page.locator("#continuation")
    expect(continuation).to_be_visible()
    expect(continuation).to_contain_text("From Wednesday 30 April 2031 this series continues")
    continuation.get_by_role("link", name="TPS seminar").click()
    expect(page.get_by_text("Wed 30 Apr").first).to_be_visible()
    expect(page.locator("#earlier-dates")).to_be_visible()


def test_without_javascript_every_field_shows_and_the_preview_button_works(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            base_url=server, locale="en-GB", timezone_id="Europe/London", java_script_enabled=False
        )
        try:
            page = context.new_page()
            page.goto("/organiser/sign-in")
            page.get_by_label("E-mail").fill("ada@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto("/organiser/events/new")
            expect(page.locator("#preview-text")).to_be_visible()  # rendered by the server
            expect(page.locator("#preview-text")).to_contain_text("Does not repeat")
            for label in ("Custom rule (RRULE)", "Last date", "Number of times"):
                expect(page.get_by_label(label, exact=True)).to_be_visible()
            page.locator("#start_date").fill(START)
            page.locator("#recurrence").select_option("biweekly")
            page.get_by_role("button", name="Preview").click()
            expect(page.locator("#preview-text")).to_have_text(
                "Every 2 weeks on Wednesday (Europe/London)"
            )
            assert visible_dates(page) == FORTNIGHTLY
        finally:
            context.close()
            browser.close()
