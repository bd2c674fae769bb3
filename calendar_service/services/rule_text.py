"""How a series repeats, in words: made each time a page, a list or an API answer shows it,
never stored, so that the same row can be described in the reader's language.

Every surface that shows the words asks here (pages through the ``rule_text`` template filter),
so they cannot disagree.  The words are a few string operations (tens of microseconds), less
than a cache of them would cost to look up and bound, so none is kept.  The series they are made
from is the one in the app's ``series`` cache, where the page listing the event has usually put
it; otherwise the row's rule and dates alone, which every query of whole events loads: the words
never mention exceptions or overrides, and reading those would cost a query per event.
"""

from __future__ import annotations

import rules
from calendar_service.services.schedule import caches
from calendar_service.store.models import Event
from calendar_service.store.occurrences import series_from, series_key


def rule_text(event: Event, words: rules.Phrasebook = rules.ENGLISH) -> str | None:
    """ "Monthly on the last Wednesday, until 29 April 2031" for the event's series, in
    ``words``' language (the contract's ``recurrence_text``); None for an event that does not
    repeat (no rule and no extra dates)."""
    series = caches().series.get(series_key(event))
    if series is None:  # as far as its words go: its start, rule and extra dates
        series = series_from(event, event.rdates or (), (), ())
    return rules.describe(series, words)
