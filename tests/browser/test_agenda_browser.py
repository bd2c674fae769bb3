"""The public pages in a real browser: the agenda loads, filters narrow it, navigation moves
the window, subscribe and add-to-calendar links carry the right URLs, the layout holds at
360 px, and the keyboard reaches everything."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

FEED = "/calendars/turing-roche.ics"


def occurrence_titles(page: Any) -> list[str]:
    return [title.strip() for title in page.locator(".occurrence-title").all_inner_texts()]


def test_the_agenda_loads_with_day_headings_and_occurrences(page: Any) -> None:
    page.goto("/")
    assert page.title() == "Turing–Roche engagement opportunities · Events calendar"
    headings = page.locator("h2.day-heading").all_inner_texts()
    assert headings[0].startswith("Today")
    assert any(heading.startswith("Tomorrow") for heading in headings)
    titles = occurrence_titles(page)
    assert "Research software office hours" in titles
    assert "Docs sprint" in titles  # began yesterday, still listed while it runs
    sprint = page.locator(".occurrence", has_text="Docs sprint")
    assert "Under way" in sprint.text_content()
    cancelled = page.locator(".occurrence.is-cancelled", has_text="office hours")
    assert cancelled.count() == 1 and "Cancelled" in cancelled.text_content()
    assert page.locator("main#main").count() == 1 and page.locator("header nav").count() == 1


def test_category_and_search_filters_narrow_the_agenda(page: Any) -> None:
    page.goto("/")
    everything = occurrence_titles(page)
    page.locator("summary", has_text="Search and filter").click()
    page.get_by_role("checkbox", name="Tools, Practices and Systems").check()
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"category=tps"))
    narrowed = occurrence_titles(page)
    assert narrowed and len(narrowed) < len(everything)
    for item in page.locator(".occurrence").all():
        assert "Tools, Practices and Systems" in item.locator(".categories").inner_text()
    page.locator("summary", has_text="Search and filter").click()
    page.get_by_label("Search").fill("office hours")
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"q=office\+hours"))
    assert set(occurrence_titles(page)) == {"Research software office hours"}
    page.locator("summary", has_text="Search and filter").click()
    page.get_by_role("link", name="Clear filters").click()
    assert len(occurrence_titles(page)) == len(everything)


def test_later_and_earlier_move_the_window(page: Any) -> None:
    page.goto("/?days=7")
    first_day = page.locator("h2.day-heading time").first.get_attribute("datetime")
    page.locator(".pager").first.get_by_role("link", name=re.compile("Later")).click()
    page.wait_for_url(re.compile(r"from=\d{4}-\d{2}-\d{2}"))
    moved = parse_qs(urlsplit(page.url).query)
    assert moved["days"] == ["7"]
    later_day = page.locator("h2.day-heading time").first.get_attribute("datetime")
    assert later_day > first_day
    page.locator("summary", has_text="Search and filter").click()
    assert page.locator("#filter-from").input_value() == moved["from"][0]
    page.locator(".pager").first.get_by_role("link", name=re.compile("Earlier")).click()
    page.wait_for_url(lambda url: "from=" not in url)
    assert page.locator("h2.day-heading time").first.get_attribute("datetime") == first_day


def test_subscribe_links_carry_the_feed_urls(page: Any, base_url: str) -> None:
    page.goto("/")
    host = urlsplit(base_url).netloc
    panel = page.locator("section.subscribe .feed-main")
    hrefs = {
        link.get_attribute("data-platform"): link.get_attribute("href")
        for link in panel.locator("a[data-platform]").all()
    }
    assert hrefs["apple"] == f"webcal://{host}{FEED}"
    assert parse_qs(urlsplit(hrefs["google"]).query) == {"cid": [f"webcal://{host}{FEED}"]}
    for key, origin in (
        ("outlook_com", "https://outlook.live.com"),
        ("outlook_365", "https://outlook.office.com"),
    ):
        assert hrefs[key].startswith(origin + "/calendar/0/addfromweb?")
        assert parse_qs(urlsplit(hrefs[key]).query)["url"] == [base_url + FEED]
    copy_field = panel.locator("input[type=url]")
    assert copy_field.input_value() == base_url + FEED
    button = panel.get_by_role("button", name="Copy")
    assert button.is_visible()  # shown by the script
    button.click()
    page.wait_for_function(
        "document.querySelector('.feed-main button.copy').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == base_url + FEED
    tps = page.locator("details.feed[data-feed=tps]")
    tps.locator("summary").click()
    apple = tps.locator("a[data-platform=apple]")
    assert apple.is_visible()
    assert apple.get_attribute("href") == f"webcal://{host}{FEED}?category=tps"
    feed = page.request.get(base_url + FEED + "?category=tps")
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    assert b"UID:tps-seminar@turing-roche.calendar" in feed.body()
    assert b"UID:turing-way-coworking@turing-roche.calendar" not in feed.body()


def test_the_event_pages_add_to_calendar_links_work(page: Any, base_url: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Reproducible pipelines talk").click()
    page.wait_for_url(re.compile(r"/events/talk@browser\.test"))
    assert page.locator("h1").inner_text() == "Reproducible pipelines talk"
    with page.expect_download() as download_info:
        page.locator("a[data-add=ics]").click()
    download = download_info.value
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"BEGIN:VCALENDAR") and b"UID:talk@browser.test" in body
    when = page.locator(".facts time[data-local]").first.get_attribute("datetime")
    seen: list[str] = []

    def answer(route: Any) -> None:
        seen.append(route.request.url)
        # An inline icon: Chromium fetches /favicon.ico outside Playwright's routing, and that
        # address does not resolve here, which would log a console error.
        route.fulfill(
            status=200,
            content_type="text/html",
            body='<title>stub</title><link rel="icon" href="data:,">ok',
        )

    page.route(re.compile(r"^https://(calendar\.google\.com|outlook\.(live|office)\.com)/"), answer)
    for key in ("google", "outlook_com", "outlook_365"):
        page.goto(base_url + "/events/talk@browser.test")
        page.locator(f"a[data-add={key}]").click()
        page.wait_for_url(re.compile(r"^https://"))
    google, outlook_com, outlook_365 = (parse_qs(urlsplit(url).query) for url in seen)
    assert google["text"] == ["Reproducible pipelines talk"]
    start_utc = google["dates"][0].split("/")[0]
    assert re.fullmatch(r"\d{8}T\d{6}Z", start_utc)
    assert outlook_com["subject"] == ["Reproducible pipelines talk"]
    assert outlook_com["startdt"][0].endswith("Z")
    assert outlook_com["startdt"][0].replace("-", "").replace(":", "") == start_utc
    assert urlsplit(seen[1]).netloc == "outlook.live.com"
    assert urlsplit(seen[2]).netloc == "outlook.office.com"
    assert outlook_365["location"] == ["Room 4"]
    assert when is not None


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/events/office-hours@browser.test",
        "/calendars/turing-roche/next",
        "/?category=tps&q=seminar",
        "/calendars/turing-roche/2027/1",
        "/calendars/turing-roche",
        "/embed?calendar=turing-roche",
        "/?q=office&tz=Asia/Tokyo",
    ],
)
def test_the_layout_holds_at_360_px(browser: Any, base_url: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    context.close()
    assert widths[0] <= widths[1] == 360, widths


def test_the_keyboard_reaches_the_skip_link_first_and_focus_is_visible(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_the_next_link_lands_on_an_upcoming_occurrence(page: Any) -> None:
    page.goto("/calendars/turing-roche/next?category=tps")
    assert "/events/" in page.url and "on=" in page.url
    assert page.locator(".facts dt").first.inner_text() in ("This date", "Next")


def test_a_visitor_in_another_zone_also_sees_their_own_time(browser: Any, base_url: str) -> None:
    context = browser.new_context(timezone_id="America/New_York", base_url=base_url)
    page = context.new_page()
    page.goto("/events/talk@browser.test")
    note = page.locator(".facts .local-time").inner_text()
    start = page.locator(".facts time[data-local]").first.get_attribute("datetime")
    context.close()
    assert note.endswith("your time)")
    assert start is not None and start[11:16] == "16:00" and "11:00" in note


def test_every_page_is_complete_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/?category=tps")
    titles = occurrence_titles(page)
    copy_hidden = page.locator(".feed-main button.copy").is_hidden()
    address = page.locator(".feed-main input[type=url]").input_value()
    page.goto("/events/office-hours@browser.test")
    add_links = page.locator("a[data-add]").count()
    context.close()
    assert "Research software office hours" in titles
    assert copy_hidden and address.endswith(FEED + "?category=tps")  # the view's feed first
    assert add_links == 5  # the date's .ics, the whole series', Google, two Outlooks


CONTRAST_JS = """
(selectors) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                   : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const value = rgb(getComputedStyle(el).backgroundColor);
      if (value.length < 4 || value[3] > 0) { return value; }
    }
    return rgb(getComputedStyle(document.body).backgroundColor);
  };
  const out = {};
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    if (!el) { out[selector] = null; continue; }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    out[selector] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
}
"""
TEXT = [
    "body",
    ".window-summary",
    ".occurrence .when",
    ".occurrence-title a",
    ".rhythm",
    ".categories a",
    ".badge-cancelled",
    ".badge-ongoing",
    ".subscribe .help",
    ".filters label",
    "button[type=submit]",
    ".site-footer",
    ".day-heading .date",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_aa_contrast_in_both_schemes(browser: Any, base_url: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, base_url=base_url)
    page = context.new_page()
    page.goto("/")
    ratios = page.evaluate(CONTRAST_JS, TEXT)
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert (body == "rgb(255, 255, 255)") == (scheme == "light")
    low = {selector: ratio for selector, ratio in ratios.items() if ratio is None or ratio < 4.5}
    assert low == {}


def test_print_shows_the_events_without_forms_and_panels(page: Any) -> None:
    page.goto("/")
    page.emulate_media(media="print")
    assert page.locator(".agenda-tools").is_hidden()
    assert page.locator("section.subscribe").is_hidden()
    assert page.locator(".pager").first.is_hidden()
    assert page.locator(".occurrence").first.is_visible()
