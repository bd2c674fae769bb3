"""Occurrences of a series: ``expand``, ``upcoming``, ``generates``, ``occurrence_at`` and
``series_bounds``.

The instances of a series are DTSTART, the RRULE's dates and the RDATEs, less the EXDATEs
(RFC 5545 §3.8.5); each is identified by its original local start, its recurrence id.  They are
generated as naive local wall times and only then placed in the zone, so a 14:00 seminar stays
at 14:00 across daylight-saving changes.  A local start that a clock change skips (a spring gap)
takes the offset before the gap, one it repeats (an autumn fold) its first instance (``fold=0``,
RFC 5545 §3.3.5).  A timed instance lasts the series' exact duration, the elapsed time from
DTSTART to DTEND (RFC 5545 §3.8.5.3: "the same exact duration will apply to all the members of
the generated recurrence set"), so an hour-long call is an hour long on the night the clocks
change too; all-day instances span whole days (§3.3.6: a nominal duration).

An override replaces the instance it names (its recurrence id), possibly moving it into or out
of the window; a cancelled override is returned with ``cancelled=True``.  An EXDATE wins over an
override, and an override for an instance the series does not generate is ignored.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from rules import limits
from rules.errors import ExpansionLimitError
from rules.model import Expansion, Moment, Occurrence, Override, Series, Window
from rules.recurrence import UNIT, Recurrence, recurrence_for
from rules.timezones import _to_utc, zone

_DAY = timedelta(days=1)
_EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
_LATEST = datetime(9990, 1, 1, tzinfo=UTC)


def _as_datetime(value: Moment) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _as_moment(value: datetime, all_day: bool) -> Moment:
    return value.date() if all_day else value


def recurrence(series: Series) -> Recurrence | None:
    """The series' rule bound to its start, or None without one."""
    if series.rrule is None:
        return None
    return recurrence_for(series.rrule, series.start, series.tzid)


class _Placer:
    """Turns local starts of one series into Occurrences."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self.tz: ZoneInfo = zone(series.tzid)
        self.all_day = series.all_day
        # Wall-clock length (days for all-day series), and the elapsed time of a timed one.
        self.duration = _as_datetime(series.end) - _as_datetime(series.start)
        self.exact = self.duration
        if not self.all_day:
            elapsed = _to_utc(series.end, self.tz) - _to_utc(series.start, self.tz)
            self.exact = max(timedelta(0), elapsed)
        # How far before its start an instance can still reach into a window.
        self.reach = max(self.duration, self.exact)
        self.recurring = series.rrule is not None or bool(series.rdates)
        self.epoch_tz = datetime(1970, 1, 1, tzinfo=self.tz)

    def natural_times(self, start: Moment) -> tuple[datetime, datetime]:
        """(start_utc, end_utc) of an instance starting at local ``start`` with the series'
        own length: whole days for an all-day series, the exact duration for a timed one."""
        start_utc = _to_utc(start, self.tz)
        if self.all_day:
            end_utc = _to_utc(_as_moment(_as_datetime(start) + self.duration, True), self.tz)
            return start_utc, max(start_utc, end_utc)
        return start_utc, start_utc + self.exact

    def times(self, start: Moment, end: Moment | None) -> tuple[datetime, datetime]:
        """(start_utc, end_utc) for local ``start`` and ``end``; no end means the series' own
        length, and an end before the start is moved to the start."""
        if end is None:
            return self.natural_times(start)
        start_utc = _to_utc(start, self.tz)
        return start_utc, max(start_utc, _to_utc(end, self.tz))

    def occurrence(self, rid: Moment, override: Override | None = None) -> Occurrence:
        natural = self.natural_times(rid)
        start: Moment = rid
        end: Moment | None = None
        if override is not None:
            if override.start is not None:
                start = override.start
            end = override.end
        start_utc, end_utc = self.times(start, end)
        moved = override is not None and (start != rid or end_utc != natural[1])
        if self.all_day:
            start_shown: Moment = start
            end_shown: Moment = (
                end if end is not None else _as_moment(_as_datetime(start) + self.duration, True)
            )
        else:
            start_shown, end_shown = start_utc.astimezone(self.tz), end_utc.astimezone(self.tz)
        return Occurrence(
            series=self.series,
            recurrence_id=rid if self.recurring else None,
            start=start_shown,
            end=end_shown,
            start_utc=start_utc,
            end_utc=end_utc,
            cancelled=override.cancelled if override is not None else False,
            moved=moved,
            title=override.title if override is not None else None,
            location=override.location if override is not None else None,
            description=override.description if override is not None else None,
        )


def _overlaps(occ: Occurrence, window: Window) -> bool:
    if occ.end_utc > occ.start_utc:
        return occ.start_utc < window.end_utc and occ.end_utc > window.start_utc
    return window.start_utc <= occ.start_utc < window.end_utc


@lru_cache(maxsize=1024)
def _offset_range(tz: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta]:
    """(lowest, highest) UTC offset of ``tz`` within a day either side of ``instant``.

    Cached: a page expands its many series over the same window, mostly in one zone."""
    before = (instant - _DAY).astimezone(tz).utcoffset()
    after = (instant + _DAY).astimezone(tz).utcoffset()
    assert before is not None and after is not None
    return min(before, after), max(before, after)


def _local_range(placer: _Placer, window: Window) -> tuple[datetime, datetime, datetime]:
    """(lo, hi, sure): every instance whose occurrence overlaps ``window`` starts (local) in
    [lo, hi]; one starting at or after ``sure`` (and by ``hi``) starts inside the window."""
    start = window.start_utc.replace(tzinfo=None)
    end = window.end_utc.replace(tzinfo=None)
    low, high_at_start = _offset_range(placer.tz, window.start_utc)
    high = _offset_range(placer.tz, window.end_utc)[1]
    return start + low - placer.reach, end + high, start + high_at_start


def _generated(
    series: Series,
    rec: Recurrence | None,
    lo: datetime,
    hi: datetime,
    cap: int | None,
    sure: datetime | None = None,
    costed: int | None = None,
) -> list[datetime]:
    """Local starts (naive datetimes) of DTSTART, rule dates and RDATEs in [lo, hi], sorted and
    without duplicates (the walk costed as for ``costed`` instances, default ``cap``)."""
    found = rec.instances(lo, hi, cap, count_from=sure, costed=costed) if rec is not None else []
    start = _as_datetime(series.start)
    if lo <= start <= hi and (not found or found[0] != start):
        found.insert(0, start)  # DTSTART is always the first instance (RFC 5545 §3.8.5.3)
    rdates = series.rdates
    if rdates:
        keys = [_as_datetime(r) for r in rdates]
        extra = keys[bisect_left(keys, lo) : bisect_right(keys, hi)]
        if extra:
            found = sorted(set(found).union(extra))
    return found


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or limit < 1:
        raise ValueError("limit must be a positive whole number")
    if limit > limits.MAX_LIMIT:
        raise ExpansionLimitError(f"limit must be at most {limits.MAX_LIMIT}", field="limit")


@dataclass(frozen=True)
class ExpansionCost:
    """What one ``expand`` call will cost, estimated before it runs (``expansion_cost``).

    ``steps``: in the unit of ``limits.MAX_WALK_STEPS`` (about a microsecond each): the walk,
    placing each instance it yields, the exceptions examined and the call itself.  ``held``: an
    upper bound on the occurrences the window holds whatever the limit (so a call with a limit
    at least that large returns them all, untruncated)."""

    steps: int
    held: int


# Steps of one call besides its walk (placing DTSTART, ordering, the result), of placing one
# instance the walk yields as an Occurrence, and of examining one EXDATE or override.
CALL_STEPS = 20
PLACE_STEPS = 3
EXCEPTION_STEPS = 5


def expansion_cost(
    series: Series, window: Window, *, limit: int = limits.DEFAULT_LIMIT
) -> ExpansionCost:
    """The estimated cost of ``expand(series, window, limit=limit)``, from the rule's parts and
    the window alone (no walk): a caller spending a budget over many series asks this first.

    An upper bound as ``limits.MAX_WALK_STEPS`` is checked against, whether or not ``expand``
    would refuse the walk; raises ``ExpansionLimitError`` only for a ``limit`` over
    ``limits.MAX_LIMIT``."""
    _check_limit(limit)
    clipped = _clipped(window)
    if clipped is None:
        return ExpansionCost(CALL_STEPS, 0)
    placer = _Placer(series)
    rec = recurrence(series)
    lo, hi, sure = _local_range(placer, clipped)
    exceptions = len(series.exdates) + (len(series.overrides) if placer.recurring else 0)
    steps = walked = held = 0
    if rec is not None:
        steps, walked, held = rec.walk_estimate(lo, hi, limit + exceptions, sure)
    if series.rdates:
        keys = [_as_datetime(r) for r in series.rdates]
        extra = bisect_right(keys, hi) - bisect_left(keys, lo)
        walked += extra
        held += extra
    walked += 1  # DTSTART
    held += 1 + len(series.overrides)  # an override may move an occurrence into the window
    return ExpansionCost(
        CALL_STEPS + steps + PLACE_STEPS * walked + EXCEPTION_STEPS * exceptions, held
    )


def _clipped(window: Window) -> Window | None:
    """The window within the years ``expand`` places occurrences in (None: nothing of it is),
    or a window over ``limits.MAX_WINDOW_SPAN`` as it is (``expand`` refuses it unwalked)."""
    if window.span > limits.MAX_WINDOW_SPAN:
        return None
    clipped_start = max(window.start_utc, _EARLIEST)
    clipped_end = min(window.end_utc, _LATEST)
    if clipped_end <= clipped_start:
        return None
    return Window(clipped_start, clipped_end)


def expand(
    series: Series,
    window: Window,
    *,
    limit: int = limits.DEFAULT_LIMIT,
    costed_as: int | None = None,
) -> Expansion:
    """Every occurrence overlapping the half-open ``window`` [start_utc, end_utc), in order of
    ``start_utc`` then recurrence id, at most ``limit`` of them (``truncated`` says when more
    exist).  An occurrence in progress at the window start is in it; one ending exactly there
    is not (a zero-length one is in it when it starts in it).

    Raises ``ExpansionLimitError`` when the window is longer than ``limits.MAX_WINDOW_SPAN``,
    ``limit`` is over ``limits.MAX_LIMIT``, or the walk would cost over the limits (see
    ``rules.limits``); never runs unbounded.

    ``costed_as`` (at least ``limit``): refuse the walk as the same call with that larger limit
    would.  The first ``limit`` occurrences are always the first of the larger call's, so a
    caller taking them in growing steps (a page merging many series, most of which it needs
    only the first of) is refused for exactly the series one large call would refuse.
    """
    _check_limit(limit)
    if costed_as is not None:
        _check_limit(costed_as)
    if window.span > limits.MAX_WINDOW_SPAN:
        raise ExpansionLimitError(
            f"a window may span at most {limits.MAX_WINDOW_SPAN.days} days", field="window"
        )
    clipped_start = max(window.start_utc, _EARLIEST)
    clipped_end = min(window.end_utc, _LATEST)
    if clipped_end <= clipped_start:
        return Expansion(occurrences=())
    if (clipped_start, clipped_end) != (window.start_utc, window.end_utc):
        window = Window(clipped_start, clipped_end)
    placer = _Placer(series)
    rec = recurrence(series)
    lo, hi, sure = _local_range(placer, window)
    # A one-off has no instances to override (its overrides are orphans, see rules.validate).
    overrides = {o.recurrence_id: o for o in series.overrides} if placer.recurring else {}
    exdates = set(series.exdates)
    cap = limit + len(exdates) + len(overrides)
    costed = cap if costed_as is None else max(limit, costed_as) + len(exdates) + len(overrides)
    skip = {_as_datetime(m) for m in exdates} | {_as_datetime(m) for m in overrides}
    chosen, ordered = _plain_occurrences(
        placer, _generated(series, rec, lo, hi, cap, sure, costed), skip, window
    )
    for rid, override in overrides.items():
        if rid in exdates:
            continue
        occ = placer.occurrence(rid, override)
        if _overlaps(occ, window) and _generates(series, rec, rid):
            chosen.append(occ)
            ordered = False
    if not ordered:
        chosen.sort(key=_order)
    truncated = len(chosen) > limit
    if truncated:
        del chosen[limit:]
    return Expansion(occurrences=tuple(chosen), truncated=truncated)


_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_new = object.__new__


def _plain_occurrences(
    placer: _Placer, starts: list[datetime], skip: set[datetime], window: Window
) -> tuple[list[Occurrence], bool]:
    """Occurrences for generated local starts (no override), overlapping ``window``; and
    whether they came out in ``_order`` already (they do unless a clock change reorders them).

    The hot loop of every expansion, so it avoids per-instance zone objects: the offset is
    looked up for the naive wall time (``ZoneInfo.utcoffset`` reads it as ``fold=0``, RFC 5545
    §3.3.5), and Occurrence values are filled in directly (what the frozen dataclass's own
    ``__init__`` would store, without its per-field ``object.__setattr__``).
    """
    tz = placer.tz
    utcoffset = tz.utcoffset
    duration = placer.duration
    exact = placer.exact
    series = placer.series
    recurring = placer.recurring
    all_day = placer.all_day
    w_start, w_end = window.start_utc, window.end_utc
    epoch, epoch_utc, epoch_tz, day = _EPOCH, _EPOCH_UTC, placer.epoch_tz, _DAY
    out: list[Occurrence] = []
    append = out.append
    previous = _EPOCH_UTC
    ordered = True
    for local in starts:
        if local in skip:
            continue
        offset = utcoffset(local)
        start_utc = epoch_utc + (local - offset - epoch)  # type: ignore[operator]
        if all_day:
            end_local = local + duration
            end_utc = epoch_utc + (end_local - utcoffset(end_local) - epoch)  # type: ignore[operator]
        else:
            end_utc = start_utc + exact
        if end_utc > start_utc:
            if not (start_utc < w_end and end_utc > w_start):
                continue
        else:
            end_utc = start_utc
            if not (w_start <= start_utc < w_end):
                continue
        if start_utc < previous:
            ordered = False  # a clock change put a later wall time at an earlier instant
        previous = start_utc
        occ = _new(Occurrence)
        if all_day:
            rid: Moment = local.date()
            start: Moment = rid
            end: Moment = end_local.date()
        else:
            rid = local
            # Wall time + zone is the normal form unless a clock change is near (a day either
            # side): then let zoneinfo normalise it (a skipped local time moves forward).
            if utcoffset(local - day) == offset == utcoffset(local + day):
                start = epoch_tz + (local - epoch)
                if exact <= day:
                    end = start + exact  # within the same quiet two days: the same offset
                else:
                    end = end_utc.astimezone(tz)
            else:
                start = start_utc.astimezone(tz)
                end = end_utc.astimezone(tz)
        occ.__dict__.update(
            series=series,
            recurrence_id=rid if recurring else None,
            start=start,
            end=end,
            start_utc=start_utc,
            end_utc=end_utc,
            cancelled=False,
            moved=False,
            title=None,
            location=None,
            description=None,
        )
        append(occ)
    return out, ordered


def _order(occ: Occurrence) -> tuple[datetime, datetime]:
    rid = occ.recurrence_id
    return occ.start_utc, _as_datetime(rid) if rid is not None else datetime.min  # noqa: DTZ901


def _generates(series: Series, rec: Recurrence | None, rid: Moment) -> bool:
    if rid == series.start or rid in series.rdates:
        return True
    if rec is None:
        return False
    local = _as_datetime(rid)
    if local < _as_datetime(series.start):
        return False
    return rec.contains(local)


def generates(series: Series, recurrence_id: Moment) -> bool:
    """Whether the series generates an instance with this recurrence id: DTSTART, a date of the
    RRULE (COUNT and UNTIL applied) or an RDATE — **even when an EXDATE removes it**, so an
    override or exclusion can be undone.  A value of the wrong type (a date for a timed series,
    an aware datetime, ...) is never generated.  May raise ``ExpansionLimitError`` for a COUNT
    rule whose end cannot be found within the limits."""
    if series.all_day:
        if isinstance(recurrence_id, datetime) or not isinstance(recurrence_id, date):
            return False
    elif not isinstance(recurrence_id, datetime) or recurrence_id.tzinfo is not None:
        return False
    if series.rrule is None and not series.rdates:
        return False
    return _generates(series, recurrence(series), recurrence_id)


def occurrence_at(series: Series, recurrence_id: Moment) -> Occurrence | None:
    """The occurrence with this recurrence id as it is now (moved, retitled or cancelled), or
    None when the series does not generate it (or an EXDATE removes it).

    It is looked for in one-second windows where it starts: where the series puts it and where
    an override moved it, so the cost does not depend on how dense the rule is.  May raise
    ``RulesError`` (a COUNT whose end cannot be found, a date at the ends of time).
    """
    if not generates(series, recurrence_id):
        return None
    starts = [recurrence_id] + [
        override.start
        for override in series.overrides
        if override.recurrence_id == recurrence_id and override.start is not None
    ]
    for start in starts:
        start_utc = _to_utc(start, zone(series.tzid))
        window = Window(start_utc, start_utc + timedelta(seconds=1))
        for occurrence in expand(series, window).occurrences:
            if occurrence.recurrence_id == recurrence_id:
                return occurrence
    return None


def orphan_overrides(series: Series) -> tuple[Override, ...]:
    """The overrides whose recurrence id the series does not generate (``expand`` ignores them)."""
    if series.rrule is None and not series.rdates:
        return series.overrides
    rec = recurrence(series)
    return tuple(o for o in series.overrides if not _generates(series, rec, o.recurrence_id))


def series_bounds(series: Series) -> tuple[datetime, datetime | None]:
    """(first_start_utc, last_end_utc) enclosing every occurrence; last_end_utc is None when the
    series has no end (or a COUNT whose end cannot be found within the limits).

    No occurrence starts before the first value or ends after the second: they cover DTSTART,
    RDATEs and every override (moved earlier or later).  Exact for the rule's own last instance
    when it can be found cheaply; cost is bounded (UNTIL: a short walk back; COUNT: a bounded
    walk, cached).  Use them to store indexed bounds so window queries skip far-away series.
    """
    placer = _Placer(series)
    starts: list[Moment] = [series.start]
    if series.rdates:
        starts.append(series.rdates[0])
    first = min(_to_utc(s, placer.tz) for s in starts)
    ends: list[datetime] = []
    for local in _candidate_last(series):
        ends.append(placer.natural_times(local)[1])
    for override in series.overrides:
        occ = placer.occurrence(override.recurrence_id, override)
        first = min(first, occ.start_utc)
        ends.append(occ.end_utc)
    rec = recurrence(series)
    if rec is not None:
        bounded, latest = rec.last_instance()
        if not bounded:
            return first, None
        if latest is not None:
            moment = _as_moment(latest, placer.all_day)
            ends.append(placer.occurrence(moment).end_utc)
    return first, max(ends)


def _candidate_last(series: Series) -> Iterable[Moment]:
    yield series.start
    if series.rdates:
        yield series.rdates[-1]


def upcoming(series: Series, after_utc: datetime, count: int) -> tuple[Occurrence, ...]:
    """The first ``count`` occurrences (at most ``limits.MAX_UPCOMING``) that end after the
    aware instant ``after_utc`` — those ``expand`` would give for a window starting then, so one
    in progress is included (and a zero-length one starting exactly then) — in start order,
    cancelled ones included and marked.  Works for unbounded rules at bounded cost: it looks
    ahead in growing windows up to ``limits.UPCOMING_HORIZON`` and returns what it found when the
    series ends, the horizon is reached, or a window would exceed the limits."""
    if after_utc.tzinfo is None:
        raise ValueError("after_utc must be an aware datetime")
    if count < 1:
        return ()
    if count > limits.MAX_UPCOMING:
        raise ExpansionLimitError(f"count must be at most {limits.MAX_UPCOMING}", field="count")
    after_utc = after_utc.astimezone(UTC)
    horizon = _upcoming_horizon(series, after_utc)
    if horizon is None:
        return ()
    start = after_utc
    first_span = span = _first_span(series, count)
    found: list[Occurrence] = []
    seen: set[tuple[Moment | None, datetime]] = set()
    for _ in range(_MAX_UPCOMING_WINDOWS):
        end = min(start + span, horizon, _LATEST)
        if end <= start:
            break
        try:
            result = expand(series, Window(start, end), limit=count)
        except ExpansionLimitError:
            if span <= first_span:  # even the smallest window is too costly here
                break
            span = max(span / 4, first_span)  # look again, nearer
            continue
        for occurrence in result.occurrences:  # one in progress at ``start`` was seen before
            key = (occurrence.recurrence_id, occurrence.start_utc)
            if key not in seen:
                seen.add(key)
                found.append(occurrence)
        if len(found) >= count or end >= horizon or end >= _LATEST:
            break
        start = end  # walk on from here: windows are contiguous, so nothing is skipped
        span = min(span * 4, limits.MAX_WINDOW_SPAN)
    return tuple(found[:count])


# Windows ``upcoming`` may try before it answers with what it has (keeps its cost bounded).
_MAX_UPCOMING_WINDOWS = 64


def _upcoming_horizon(series: Series, after_utc: datetime) -> datetime | None:
    """How far ``upcoming`` looks from ``after_utc``: ``limits.UPCOMING_HORIZON``, or just past
    the series' last end when that is sooner; None when the series ended before."""
    _first, last_end = series_bounds(series)
    if last_end is None:
        return after_utc + limits.UPCOMING_HORIZON
    if last_end < after_utc:
        return None
    return min(after_utc + limits.UPCOMING_HORIZON, last_end + timedelta(seconds=1))


def _first_span(series: Series, count: int) -> timedelta:
    rec = recurrence(series)
    if rec is None:
        return timedelta(days=7)
    return max(UNIT[rec.rule.freq] * rec.rule.interval * (count + 1), timedelta(days=1))
