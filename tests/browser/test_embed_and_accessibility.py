"""The embeddable agenda inside an iframe on another origin (framed, compact, links opening in
the top window, light or dark as the visitor prefers), every other page refusing to be framed,
and axe-core finding no accessibility violation on any public page, the embed included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from tests.browser.server import serving

pytestmark = pytest.mark.browser

EMBED = "/embed?calendar=turing-roche&days=28"
PAGES = [
    "/",
    "/calendars/turing-roche",
    "/calendars/turing-roche?category=tps&q=seminar",
    "/?q=office+hours",
    "/?tz=America/New_York",
    "/events/office-hours@browser.test",
    "/events/talk@browser.test",
    "/calendars/turing-roche/2027/1",
    EMBED,
]


@pytest.fixture(scope="module")
def host_url(base_url: str) -> Iterator[str]:
    """Another origin (its own server and port) whose page frames a path of the service."""
    host = Flask("host")

    @host.get("/frame")
    def frame() -> str:
        from flask import request

        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>'
            '<link rel="icon" href="data:,"></head><body><main><h1>A host page</h1>'
            f'<iframe src="{base_url}{request.args["path"]}" title="Events" width="480" '
            'height="600"></iframe></main></body></html>'
        )

    with serving(host) as url:
        yield url


def framed(browser: Any, host_url: str, path: str, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 800, "height": 900}, **options)
    page = context.new_page()
    page.goto(f"{host_url}/frame?path={path.replace('&', '%26').replace('?', '%3F')}")
    return context, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_embed_shows_in_another_sites_iframe(
    browser: Any, base_url: str, host_url: str, scheme: str
) -> None:
    context, page = framed(browser, host_url, EMBED, color_scheme=scheme)
    inside = page.frame_locator("iframe")
    first = inside.locator(".occurrence-title a").first
    first.wait_for()
    seen = {
        "title": inside.locator("h1").inner_text(),
        "header": inside.locator("header, footer, form").count(),
        "background": inside.locator("body").evaluate(
            "body => getComputedStyle(body).backgroundColor"
        ),
    }
    title = first.inner_text()
    first.click()  # opens in the top window, not inside the box
    page.wait_for_url(re.compile(re.escape(base_url) + "/events/"))
    top_heading = page.locator("h1").inner_text()
    context.close()
    assert seen == {
        "title": "Turing–Roche engagement opportunities",
        "header": 0,
        "background": "rgb(255, 255, 255)" if scheme == "light" else "rgb(20, 22, 26)",
    }
    assert top_heading == title


@pytest.mark.parametrize("path", ["/", "/calendars/turing-roche", "/events/talk@browser.test"])
def test_every_other_page_refuses_to_be_framed(browser: Any, host_url: str, path: str) -> None:
    context, page = framed(browser, host_url, path)
    page.wait_for_load_state("load")
    child = page.frames[1]
    child.wait_for_load_state("load")
    shown = (
        child.locator(".occurrence-title, h1").count()
        if not child.url.startswith("chrome-error")
        else 0
    )
    context.close()
    assert shown == 0


def violations(page: Any) -> list[tuple[str, list[Any]]]:
    results = Axe().run(page)
    return [
        (item["id"], [node["target"] for node in item["nodes"]])
        for item in results.response["violations"]
    ]


@pytest.mark.parametrize(("width", "scheme"), [(360, "light"), (1280, "dark")])
def test_axe_finds_no_violation_on_any_public_page(
    browser: Any, base_url: str, width: int, scheme: str
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, base_url=base_url
    )
    page = context.new_page()
    found = {}
    for path in PAGES:
        page.goto(path)
        found[path] = violations(page)
    context.close()
    assert found == {path: [] for path in PAGES}


def test_axe_finds_no_violation_in_the_embed_inside_another_sites_page(
    browser: Any, host_url: str
) -> None:
    context, page = framed(browser, host_url, EMBED)
    page.frame_locator("iframe").locator(".occurrence").first.wait_for()
    frame = page.frames[1]
    inside = violations(frame)
    context.close()
    assert frame.url.endswith(EMBED)
    assert inside == []


def test_axe_would_report_a_violation(browser: Any, base_url: str) -> None:
    """The check can fail: an image without a text alternative is reported."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"data:,\">')"
    )
    found = [rule for rule, _nodes in violations(page)]
    context.close()
    assert found == ["image-alt"]
