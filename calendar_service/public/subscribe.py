"""The subscribe panel: for a calendar and each of its categories, a link per platform.

The links themselves come from ``links.subscribe_links`` (docs/peers.md B7); this module only says
which feeds to offer and how to explain each platform in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from calendar_service.store.models import Calendar, Category
from calendar_service.web.links import feed_url, subscribe_links


@dataclass(frozen=True)
class Platform:
    key: str
    label: str
    help: str


PLATFORMS = (
    Platform(
        "apple",
        "Apple Calendar",
        "iPhone, iPad and Mac: opens Calendar, which asks you to confirm the subscription.",
    ),
    Platform(
        "google",
        "Google Calendar",
        "Opens Google Calendar in the browser (also on Android); it then syncs to your "
        "phone. Google refreshes subscriptions only a few times a day.",
    ),
    Platform(
        "outlook_com",
        "Outlook.com",
        "Personal Microsoft accounts (outlook.com, hotmail.com, live.com).",
    ),
    Platform(
        "outlook_365",
        "Outlook for Microsoft 365",
        "Work or school accounts; Outlook on Windows and phones picks it up from there.",
    ),
)
COPY_HELP = (
    "Any other app (Thunderbird, Nextcloud, ICSx⁵): copy this address and paste it "
    "where the app offers to subscribe to a calendar on the internet."
)


@dataclass(frozen=True)
class Feed:
    """One subscribable feed: what it holds and its links per platform."""

    label: str
    name: str
    links: dict[str, str]
    category: str | None = None  # the categories' slugs, comma-separated; None: whole calendar


def feed(calendar: Calendar, categories: Sequence[Category] = ()) -> Feed:
    """The whole calendar's feed, or the feed of some of its categories."""
    slugs = [category.slug for category in categories]
    if not categories:
        label, name = "Whole calendar", calendar.name
    else:
        label = " or ".join(category.name for category in categories)
        name = f"{calendar.name}: {label}"
    url = feed_url(calendar.slug, slugs)
    return Feed(label, name, subscribe_links(url, name), ",".join(slugs) or None)


def panel(calendar: Calendar) -> list[Feed]:
    """The whole calendar first, then one feed per category."""
    return [feed(calendar)] + [feed(calendar, [category]) for category in calendar.categories]
