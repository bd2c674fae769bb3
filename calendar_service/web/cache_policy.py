"""How each cacheable endpoint's answers are cached: one row per endpoint, read by
``web.http_cache`` (the only code that acts on it).

A row says:

* ``params``: the query parameters the answer reads.  Others are left out of the key (a
  newsletter's ``?utm_source=…`` shares the plain page's entry) and hidden from the view
  (``request.args`` holds only these), so no form, link or echo can carry an unkeyed value into an
  answer that others are then served.
* ``private``: whose requests get a private answer, never stored nor served from the cache:
  signed-in organisers (pages show drafts and their own navigation), API requests with a token,
  or nobody (a feed is the same for everyone).
* ``vary``: the request headers the answer varies on, for shared caches; beside them every key
  holds the base URL the links are written with (``CALENDAR_BASE_URL`` or the request's host).
* ``cache_control``: how long shared caches and browsers may keep a public answer.
* ``calendars``: whose versions a stored answer is keyed by: every calendar's (a page listing or
  offering all of them), only those the view names while building it (``answer_reads``; every
  calendar's when it names none), or none (the API's description).
* ``stored``: whether finished answers are kept (``answers`` cache).  Feeds are not: their
  validators come from the calendar's version row before anything is built, and their bodies
  are kept by ETag in the ``feeds`` cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Public pages and API reads: shared caches and browsers may keep them a minute, then revalidate.
PUBLIC = "public, max-age=60"
# Feeds, polled by calendar clients every hour or more: a quarter of an hour, then a 304.
FEED = "public, max-age=900"
PRIVATE = "private, no-store"


class Private(Enum):
    """Whose requests get a private answer."""

    SIGNED_IN = "a signed-in organiser's (or a remember-me cookie's, or a token's)"
    TOKEN = "an API request's with a token"
    NOBODY = "nobody's: the answer is the same for everyone"


class Calendars(Enum):
    """Whose versions a stored answer is keyed by."""

    ALL = "every calendar's"
    NAMED = "those the view names (answer_reads), else every calendar's"
    NONE = "none: the answer depends on no calendar"


@dataclass(frozen=True)
class Policy:
    params: frozenset[str]
    private: Private
    vary: tuple[str, ...]
    calendars: Calendars
    cache_control: str = PUBLIC
    stored: bool = True


def _page(*params: str, calendars: Calendars = Calendars.NAMED) -> Policy:
    return Policy(frozenset(params), Private.SIGNED_IN, ("Cookie",), calendars)


def _api(
    *params: str, calendars: Calendars = Calendars.NAMED, cache_control: str = PUBLIC
) -> Policy:
    return Policy(frozenset(params), Private.TOKEN, ("Authorization",), calendars, cache_control)


def _feed(*params: str) -> Policy:
    return Policy(
        frozenset(params), Private.NOBODY, ("Accept-Encoding",), Calendars.NAMED, FEED, stored=False
    )


_AGENDA = ("from", "days", "category", "q", "after", "tz")

POLICIES: dict[str, Policy] = {
    # The agenda offers every calendar in its filter form, whichever one it shows.
    "agenda.index": _page(*_AGENDA, "calendar", calendars=Calendars.ALL),
    "agenda.calendar_page": _page(*_AGENDA),
    "agenda.month_view": _page("category"),
    "agenda.event_page": _page("on", "tz"),
    "agenda.embed": _page("calendar", "category", "days"),
    # No drafts and no organiser's view: the same answer for everyone, read by feed readers.
    "agenda.atom_feed": Policy(frozenset({"category"}), Private.NOBODY, (), Calendars.NAMED, FEED),
    "api.list_calendars": _api("limit", "after", calendars=Calendars.ALL),
    "api.list_events": _api("calendar", "category", "limit", "after"),
    "api.get_event": _api(),
    "api.list_occurrences": _api("calendar", "category", "start", "end"),
    "api.openapi": _api(calendars=Calendars.NONE, cache_control="public, max-age=3600"),
    "feeds.calendar_feed": _feed("category"),
    "feeds.event_feed": _feed("on"),
}
