"""What a visitor sees first, on a phone (360 px) and a laptop (1280 px): events in the first
screen, search and filters behind one control, Subscribe near the top."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}


def in_first_screen(page: Any, locator: Any) -> bool:
    """Visible, and wholly inside the viewport without scrolling."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        locator.is_visible()
        and box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] + box["width"] <= size["width"]
    )


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("path", ["/", "/calendars/turing-roche"])
def test_events_and_subscribe_are_in_the_first_screen(
    browser: Any, base_url: str, viewport: dict[str, int], path: str
) -> None:
    context = browser.new_context(viewport=viewport, base_url=base_url)
    page = context.new_page()
    page.goto(path)
    heading = page.get_by_role("heading", level=1)
    first_event = page.locator(".occurrence-title a").first
    subscribe = page.get_by_role("link", name="Subscribe", exact=True)
    toggle = page.locator("summary", has_text="Search and filter")
    seen = {
        "name": heading.inner_text(),
        "heading": in_first_screen(page, heading),
        "event": in_first_screen(page, first_event),
        "subscribe": in_first_screen(page, subscribe),
        "toggle": in_first_screen(page, toggle),
        "search hidden": page.get_by_label("Search").is_hidden(),
    }
    toggle.click()
    seen["search shown"] = page.get_by_label("Search").is_visible()
    subscribe.click()
    page.wait_for_url(re.compile("#subscribe$"))
    seen["panel"] = in_first_screen(page, page.locator("#subscribe-heading"))
    context.close()
    assert seen == {
        "name": "Turing–Roche engagement opportunities",
        "heading": True,
        "event": True,
        "subscribe": True,
        "toggle": True,
        "search hidden": True,
        "search shown": True,
        "panel": True,
    }


def test_the_filters_open_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, base_url=base_url)
    page = context.new_page()
    page.goto("/calendars/turing-roche")
    page.locator("summary", has_text="Search and filter").click()
    page.get_by_label("Search").fill("office hours")
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"/calendars/turing-roche\?q=office\+hours"))
    titles = {title.strip() for title in page.locator(".occurrence-title").all_inner_texts()}
    summary = page.locator("summary", has_text="Search and filter").inner_text()
    context.close()
    assert titles == {"Research software office hours"}
    assert summary == "Search and filter: “office hours”"


def shown_zones(page: Any) -> set[str]:
    """The zone abbreviations of every visible time range."""
    return {text.strip() for text in page.locator("abbr.zone:visible").all_inner_texts()}


def test_the_switch_puts_every_time_on_the_page_in_the_visitors_zone_and_remembers_it(
    browser: Any, base_url: str
) -> None:
    context = browser.new_context(
        timezone_id="America/New_York", locale="en-US", base_url=base_url, viewport=PHONE
    )
    page = context.new_page()
    page.goto("/calendars/turing-roche")
    before = shown_zones(page)
    notes = page.locator(".occurrence .local-time").first.inner_text()
    switch = page.get_by_role("link", name="Show times in my zone (America/New_York)")
    visible = switch.is_visible()
    switch.click()
    page.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    after = shown_zones(page)
    times = page.locator(".occurrence time[data-local]:visible").all_inner_texts()
    leftover_notes = page.locator(".local-time").count()
    page.goto("/events/talk@browser.test")  # remembered: the next page is in that zone too
    page.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    event_zones = shown_zones(page)
    page.get_by_role("link", name="Show the calendar’s time").click()
    page.wait_for_url(re.compile(r"/events/talk@browser\.test$"))
    page.goto("/calendars/turing-roche")
    forgotten = "tz=" not in page.url and shown_zones(page) <= {"GMT", "BST"}
    context.close()
    assert before <= {"GMT", "BST"} and before
    assert notes.endswith(", your time)") and ("EST" in notes or "EDT" in notes)
    assert visible
    assert after <= {"EST", "EDT"} and after
    assert times and all(re.fullmatch(r"\d{1,2}:\d{2} (AM|PM)", text) for text in times), times
    assert leftover_notes == 0
    assert event_zones <= {"EST", "EDT"} and event_zones
    assert forgotten


def test_the_zone_can_be_chosen_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/calendars/turing-roche?category=tps")
    page.locator("summary", has_text="Choose a time zone").click()
    page.get_by_label("Show times in").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(re.compile(r"category=tps&tz=Asia%2FTokyo"))
    zones = shown_zones(page)
    context.close()
    assert zones == {"JST"}


def test_subscribe_is_a_few_tab_presses_away_on_a_phone(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport=PHONE, base_url=base_url)
    page = context.new_page()
    page.goto("/calendars/turing-roche")
    presses = 0
    while (
        presses < 10 and page.evaluate("document.activeElement.textContent.trim()") != "Subscribe"
    ):
        page.keyboard.press("Tab")
        presses += 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("#subscribe$"))
    panel = in_first_screen(page, page.locator("#subscribe-heading"))
    context.close()
    assert presses <= 6 and panel
