"""An organiser, in a real browser, signs in, creates "last Wednesday of the month" with the
preview showing the right dates, cancels one occurrence, and sees both on the public agenda.

Playwright drives the system Chromium (never a downloaded one) against a real server on a free
port; the test is skipped, saying why, only when /usr/bin/chromium is not installed.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calendar_service.clock import today as clock_today
from tests.browser.server import CHROMIUM
from tests.browser.server import CHROMIUM_ARGS as ARGS
from tests.browser.server import ORGANISER_PASSWORD as PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="the system Chromium (/usr/bin/chromium) "
        "is not installed; install it with apt-get install chromium",
    ),
]


def last_wednesday(year: int, month: int) -> date:
    last = date(year, month, months.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 2) % 7)


def last_wednesdays_from(first: date, count: int) -> list[date]:
    """The oracle: the last Wednesday of each month, worked out from the calendar alone."""
    found, year, month = [], first.year, first.month
    while len(found) < count:
        found.append(last_wednesday(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def label(day: date) -> str:
    zone = datetime(day.year, day.month, day.day, 14, tzinfo=ZoneInfo("Europe/London")).tzname()
    return f"{day:%a} {day.day} {day:%b %Y}, 14:00–15:00 {zone}"


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(base_url=server, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def test_an_organiser_creates_a_monthly_series_and_cancels_one_occurrence(page: Any) -> None:
    from playwright.sync_api import expect

    today = clock_today(ZoneInfo("Europe/London"))  # the calendar's today
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    start = last_wednesday(next_month.year, next_month.month)
    expected = last_wednesdays_from(start, 10)

    page.goto("/organiser/")  # the organiser pages send strangers to sign in
    expect(page.get_by_role("heading", name="Organiser sign-in")).to_be_visible()
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Events", exact=True)).to_be_visible()

    page.get_by_role("link", name="New event").first.click()
    page.get_by_label("Title").fill("TPS seminar")
    page.locator("#start_date").fill(start.isoformat())
    page.locator("#start_time").fill("14:00")
    page.locator("#end_date").fill(start.isoformat())
    page.locator("#end_time").fill("15:00")
    # The live preview relabels the choices for the new start; pick the one people say.
    page.locator("#recurrence").select_option(label="Monthly on the last Wednesday")
    expect(page.locator("#preview-text")).to_contain_text("Monthly on the last Wednesday")
    expect(page.locator("#preview-text")).to_be_visible()
    expect(page.locator("#preview-dates li")).to_have_text([label(day) for day in expected])

    # The Preview button gives the same answer without the script.
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-dates li")).to_have_text([label(day) for day in expected])
    expect(page.locator("#recurrence option:checked")).to_have_text("Monthly on the last Wednesday")

    page.get_by_label("Published", exact=False).check()  # a new event starts as a draft
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="TPS seminar", exact=True)).to_be_visible()
    rows = page.locator("#occurrences tbody tr")
    expect(rows.nth(1)).to_contain_text(label(expected[1]))
    rows.nth(1).get_by_role("link", name="Change…").click()
    page.get_by_role("button", name="Cancel the chosen dates").click()
    expect(rows.nth(1)).to_contain_text("Cancelled")
    expect(rows.nth(0)).not_to_contain_text("Cancelled")

    page.goto(f"/?from={start.isoformat()}&days=40")
    first = page.locator("li.occurrence").filter(has_text="TPS seminar")
    expect(first).to_have_count(2)
    expect(first.nth(0)).not_to_have_class("is-cancelled")
    expect(first.nth(0)).not_to_contain_text("Cancelled")
    expect(first.nth(1)).to_have_class("occurrence is-cancelled")
    expect(first.nth(1)).to_contain_text("Cancelled")
    expect(first.nth(1).locator("del")).to_have_text("TPS seminar")


def next_spring_forward(today: date) -> date:
    """The next Sunday on which London's clocks go forward (the last Sunday of March)."""
    year = today.year
    while (spring := last_sunday_of_march(year)) <= today:
        year += 1
    return spring


def last_sunday_of_march(year: int) -> date:
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def test_the_editor_says_what_a_clock_change_does_to_the_times_typed(page: Any) -> None:
    """Typing a start the clocks skip shows, beside the field, what time it will be; the
    preview lists it at that time and says each end in its own zone."""
    from playwright.sync_api import expect

    page.goto("/organiser/sign-in")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    spring = next_spring_forward(clock_today(ZoneInfo("Europe/London")))
    day = f"{spring:%a} {spring.day} {spring:%b %Y}"
    page.goto("/organiser/events/new")
    warning = page.locator("#start-clock-warning")
    expect(warning).to_be_hidden()
    page.get_by_label("Title").fill("Small hours")
    page.locator("#start_date").fill(spring.isoformat())
    page.locator("#start_time").fill("01:30")
    page.locator("#end_date").fill(spring.isoformat())
    page.locator("#end_time").fill("03:30")
    page.locator("#recurrence").select_option("weekly")
    expect(warning).to_be_visible()
    expect(warning).to_have_text(
        f"01:30 on {day} does not exist in Europe/London: "
        "the clocks go forward then. It will be 02:30 BST."
    )
    expect(page.locator("#preview-dates li").first).to_have_text(f"{day}, 02:30–03:30 BST")
    # An ordinary time: the warning goes away at once.
    page.locator("#start_time").fill("09:30")
    page.locator("#end_time").fill("10:30")
    expect(warning).to_be_hidden()
    expect(page.locator("#preview-dates li").first).to_have_text(f"{day}, 09:30–10:30 BST")
