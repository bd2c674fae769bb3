"""A page of occurrences from many series, expanding each only as far as the page reaches.

A page lists the first few hundred occurrences of a window, but a window can hold a thousand
series, each with dozens of occurrences in it.  Expanding every series over the whole window
and sorting the lot makes the page cost the window; here each series is a ``Stream`` of its
occurrences in order, expanded in growing steps (its first few, then four times as many, ...,
up to its limit), and ``merge`` takes the streams' heads in page order until the page is full.
A series the page never reaches past its first occurrence is expanded that far only.

Every step is one ``rules.expand`` call costed as the whole limit (``costed_as``), so a series
is refused (too costly) exactly when one call over the window with that limit would refuse it,
and the steps are cached like any expansion, so the next request with the same windows is free.
Before any of that, ``admit`` pays for each series from the listing's budget (``budget``) what
all its steps may cost, cheapest first, and leaves out those it cannot pay for.
Pure of the database: the store reads the rows and hands over series.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import rules
from calendar_service import deadline
from calendar_service.store.budget import Budget
from calendar_service.store.moments import format_moment

if TYPE_CHECKING:
    from calendar_service.store.read_caches import ExpansionKey, SeriesKey
    from calendar_service.store.read_caches import ReadCaches as Caches

PageKey = tuple[datetime, str, str, str]
"""Where an occurrence stands in every listing: (start in UTC, the series' title, uid,
recurrence id text or "" for a one-off event).  No two occurrences share one."""

# How much larger each step of a stream is than the one before.
GROWTH = 4


def key_of(title: str, uid: str, occurrence: rules.Occurrence) -> PageKey:
    """The ``PageKey`` of one occurrence of the series with this title and uid."""
    rid = occurrence.recurrence_id
    return (occurrence.start_utc, title, uid, "" if rid is None else format_moment(rid))


def cached_expansion(
    caches: Caches,
    key: SeriesKey,
    series: Callable[[], rules.Series],
    window: rules.Window,
    limit: int,
    costed_as: int | None = None,
) -> rules.Expansion:
    """``rules.expand`` of the series named by ``key`` (built by ``series`` only on a miss),
    from the ``expansions`` cache.  The engine is a pure function of the series, the window,
    the limit and what the call is costed as, and the series key moves with every change, so
    the cache key is those and an entry is never stale."""
    costed = limit if costed_as is None else costed_as
    cache_key: ExpansionKey = (key, window.start_utc, window.end_utc, limit, costed)
    expanded = caches.expansions.get_or_build(
        cache_key, lambda: rules.expand(series(), window, limit=limit, costed_as=costed_as)
    )
    deadline.check()  # after the expansion, so each attempt adds at least one to the cache
    return expanded


@dataclass(frozen=True)
class Source:
    """What a stream needs of its event: what names its series' version (the cache key), what
    orders its occurrences (title and uid), and the series itself."""

    ident: int
    key: SeriesKey
    title: str
    uid: str
    series: rules.Series


def reservation(series: rules.Series, window: rules.Window, limit: int, first: int) -> int:
    """Steps a ``Stream`` of this series may spend at most: each of its steps, from ``first``
    growing by ``GROWTH`` to ``limit``, as ``rules.expansion_cost`` estimates it, up to the
    first that holds every occurrence the window can have (the stream grows no further)."""
    total, step = 0, min(max(first, 1), limit)
    while True:
        cost = rules.expansion_cost(series, window, limit=step)
        total += cost.steps
        if step >= limit or cost.held <= step:
            return total
        step = min(step * GROWTH, limit)


# Series a listing tries to pay for after the budget first refused one, before it leaves out
# the rest unpriced (so pricing stays bounded however many series the window holds).
PRICING_TRIES = 64


def admit(
    sources: Sequence[Source], window: rules.Window, limit: int, first: int, budget: Budget
) -> tuple[list[tuple[Source, int]], list[Source]]:
    """The sources ``budget`` pays streams for, each with what it paid (in the sources' order),
    and those it leaves out.

    Cheapest first (by the cost of their first step, ties in the sources' order): a few costly
    series never crowd out the ordinary ones, which are listed whatever else the window holds.
    Each pays its ``reservation`` whether or not its expansions are cached, so what is listed
    depends on the data alone."""
    step = min(max(first, 1), limit)
    firsts = [rules.expansion_cost(source.series, window, limit=step).steps for source in sources]
    paid: dict[int, int] = {}
    tries = PRICING_TRIES
    for index in sorted(range(len(sources)), key=firsts.__getitem__):
        if firsts[index] > budget.remaining() or tries <= 0:
            break  # every later one costs at least as much to start
        price = reservation(sources[index].series, window, limit, first)
        if budget.pay(price):
            paid[index] = price
        else:
            tries -= 1
    admitted = [(source, paid[index]) for index, source in enumerate(sources) if index in paid]
    left_out = [source for index, source in enumerate(sources) if index not in paid]
    return admitted, left_out


class Stream:
    """One series' occurrences of a window in order (``rules.expand``'s), at most ``limit``,
    expanded in steps from ``first`` occurrences on, each step cached.

    ``head`` is the next occurrence (None when there are no more within the limit); ``cut``
    says the stream ended at its limit with more occurrences left in the window.  Raises
    ``rules.ExpansionLimitError`` when made, for a series one call with ``limit`` refuses.
    """

    __slots__ = ("source", "window", "limit", "caches", "step", "got", "more", "at")

    def __init__(
        self, source: Source, window: rules.Window, limit: int, first: int, caches: Caches
    ) -> None:
        self.source = source
        self.window = window
        self.limit = limit
        self.caches = caches
        self.at = 0
        self.step = 0
        self.got: tuple[rules.Occurrence, ...] = ()
        self.more = False
        self._expand(min(max(first, 1), limit))

    def _expand(self, step: int) -> None:
        """The first ``step`` occurrences, from the ``expansions`` cache."""
        source = self.source
        expanded = cached_expansion(
            self.caches, source.key, lambda: source.series, self.window, step, self.limit
        )
        self.step, self.got, self.more = step, expanded.occurrences, expanded.truncated

    def head(self) -> rules.Occurrence | None:
        """The next occurrence, expanding a step further when the taken ones are used up."""
        if self.at < len(self.got):
            return self.got[self.at]
        if not self.more or self.step >= self.limit:
            return None
        self._expand(min(self.step * GROWTH, self.limit))
        return self.got[self.at] if self.at < len(self.got) else None

    def advance(self) -> None:
        self.at += 1

    @property
    def cut(self) -> bool:
        """Every occurrence within the limit is taken and the window holds more."""
        return self.more and self.step >= self.limit and self.at >= len(self.got)

    def key(self, occurrence: rules.Occurrence) -> PageKey:
        return key_of(self.source.title, self.source.uid, occurrence)


@dataclass(frozen=True)
class Merged:
    """What ``merge`` found: the page's (stream, occurrence) pairs in page order, whether no
    occurrence of the window comes after them (``complete``), and whether a series had more
    occurrences than its limit that the page could not place (``truncated``)."""

    items: list[tuple[Stream, rules.Occurrence]]
    complete: bool
    truncated: bool


def _skip_to(stream: Stream, after: PageKey | None) -> rules.Occurrence | None:
    """The stream's first occurrence after ``after`` (its head when there is no position)."""
    head = stream.head()
    while head is not None and after is not None and stream.key(head) <= after:
        stream.advance()
        head = stream.head()
    return head


def merge(
    streams: Iterable[Stream],
    *,
    size: int,
    after: PageKey | None,
    horizon: PageKey | None,
    per_event: bool,
) -> Merged:
    """The first ``size`` occurrences of the streams after ``after``, in page order.

    Nothing past ``horizon`` is listed (the caller's, such as the last of the one-off events it
    read), nor past the last occurrence of a stream ``cut`` at its limit: the streams beyond it
    may hold occurrences that come first.  A page stopped by a horizon is not ``complete``.
    With ``per_event`` (each stream made with its limit as its first step, so it holds all it
    lists) a stream with more than its limit sets ``truncated`` and no horizon (the limit is the
    caller's per-event one); otherwise a cut stream all of whose occurrences come at or before
    ``after`` sets ``truncated`` (in progress since before the page, too many to place).
    """
    if per_event:
        return _sorted(streams, size=size, after=after, horizon=horizon)
    merged = list(streams)
    heap: list[tuple[PageKey, int]] = []
    truncated = False
    for index, stream in enumerate(merged):
        head = _skip_to(stream, after)
        if stream.cut:
            truncated = True
        if head is not None:
            heap.append((stream.key(head), index))
    heapq.heapify(heap)
    items: list[tuple[Stream, rules.Occurrence]] = []
    while heap:
        key, index = heap[0]
        if horizon is not None and key > horizon:
            return Merged(items, False, truncated)
        stream = merged[index]
        items.append((stream, stream.got[stream.at]))
        if len(items) > size:
            return Merged(items[:size], False, truncated)
        stream.advance()
        if stream.cut:
            horizon = key if horizon is None else min(horizon, key)
        head = stream.head()
        if head is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (stream.key(head), index))
    return Merged(items, horizon is None, truncated)


def _sorted(
    streams: Iterable[Stream], *, size: int, after: PageKey | None, horizon: PageKey | None
) -> Merged:
    """``merge`` with a per-event limit: each stream holds all its occurrences from the
    first step (its first step is its limit), so choosing the first ones is the cheaper merge.
    Only the first ``size + 1`` are kept as the streams come, each stream's own let go once
    looked through: what a listing holds follows its size, not the window's occurrences."""
    more = [False]

    def entries() -> Iterator[tuple[PageKey, Stream, rules.Occurrence]]:
        for stream in streams:
            more[0] = more[0] or stream.more
            for occurrence in stream.got:
                key = stream.key(occurrence)
                if (after is None or key > after) and (horizon is None or key <= horizon):
                    yield key, stream, occurrence
            stream.got = ()

    found = heapq.nsmallest(size + 1, entries(), key=_first)
    items = [(stream, occurrence) for _key, stream, occurrence in found]
    if len(items) > size:
        return Merged(items[:size], False, more[0])
    return Merged(items, horizon is None, more[0])


def _first(entry: tuple[PageKey, Stream, rules.Occurrence]) -> PageKey:
    return entry[0]
