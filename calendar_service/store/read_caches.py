"""What the store's read paths keep between requests: the caches they are handed.

The store never looks its caches up: the app owns them (``calendar_service.app_caches``) and the
services hand them in, so the store knows nothing of Flask or of which app it serves.  This is
the part of the app's registry the store uses, as a protocol the registry meets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import rules
from calendar_service.caching import LRUCache

# What names one version of an event's series: the row's id, uid, ``revision`` and ``updated``,
# which every change to it (overrides included) moves.
SeriesKey = tuple[int, str, int, datetime]
# One expansion: the series version, the window's UTC bounds, the limit and the limit it
# was costed as (``rules.expand``'s ``costed_as``; the limit itself for one plain call).
ExpansionKey = tuple[SeriesKey, datetime, datetime, int, int]


class ReadCaches(Protocol):
    """Engine series by event version, and expansions by series version and window."""

    @property
    def series(self) -> LRUCache[SeriesKey, rules.Series]: ...

    @property
    def expansions(self) -> LRUCache[ExpansionKey, rules.Expansion]: ...
