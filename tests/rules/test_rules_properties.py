"""Property tests: the fast path is the full walk, windows compose, exceptions commute."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil import rrule as du
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rules_helpers import local

from rules import (
    Override,
    RulesError,
    Series,
    Window,
    expand,
    generates,
    to_utc,
    upcoming,
)
from rules.recurrence import recurrence_for
from rules.rule_text import WEEKDAYS
from rules.timezones import zone

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Tokyo",
    "UTC",
    "Pacific/Chatham",
)
# How far after DTSTART a window may start, per FREQ (keeps the reference walk short).
REACH = {
    "YEARLY": 40 * 366,
    "MONTHLY": 15 * 366,
    "WEEKLY": 12 * 366,
    "DAILY": 6 * 366,
    "HOURLY": 120,
    "MINUTELY": 4,
}


@st.composite
def rules_text(draw: st.DrawFn, all_day: bool) -> str:
    # The draws happen in a fixed order, so a saved failing example replays as it was found.
    freqs = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY"] + ([] if all_day else ["HOURLY", "MINUTELY"])
    freq = draw(st.sampled_from(freqs))
    parts = [f"FREQ={freq}"]
    parts += _interval_part(draw, freq)
    parts += _day_parts(draw, freq)
    parts += _time_parts(draw, freq, all_day)
    if freq in ("MONTHLY", "YEARLY", "WEEKLY") and len(parts) > 1 and draw(st.integers(0, 3)) == 0:
        parts.append("BYSETPOS=" + draw(st.sampled_from(["1", "-1", "2", "1,-1"])))
    if draw(st.integers(0, 3)) == 0:
        parts.append("WKST=" + draw(st.sampled_from(["SU", "TU"])))
    parts += _ending_part(draw)
    draw(st.randoms())
    return ";".join(parts)


def _interval_part(draw: st.DrawFn, freq: str) -> list[str]:
    interval = draw(st.sampled_from([1, 1, 1, 2, 3, 4, 5, 7, 12]))
    if freq in ("HOURLY", "MINUTELY"):
        interval = draw(st.sampled_from([1, 2, 3, 4, 6] if freq == "HOURLY" else [1, 5, 15, 30]))
    return [f"INTERVAL={interval}"] if interval > 1 else []


def _day_parts(draw: st.DrawFn, freq: str) -> list[str]:
    """BYDAY, BYMONTHDAY, BYMONTH, BYWEEKNO and BYYEARDAY, each only sometimes."""
    parts = []
    if draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
            days = [f"{draw(st.sampled_from([1, 2, 3, 4, -1, -2]))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and draw(st.integers(0, 3)) == 0:
        days = draw(
            st.lists(
                st.sampled_from([1, 5, 13, 15, 28, 29, 30, 31, -1, -3]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
    if draw(st.integers(0, 3)) == 0:
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if freq == "YEARLY" and draw(st.integers(0, 5)) == 0:
        parts.append("BYWEEKNO=" + draw(st.sampled_from(["1", "20", "-1", "52,53"])))
    if freq == "YEARLY" and draw(st.integers(0, 5)) == 0:
        parts.append("BYYEARDAY=" + draw(st.sampled_from(["1", "100", "-1", "60,366"])))
    return parts


def _time_parts(draw: st.DrawFn, freq: str, all_day: bool) -> list[str]:
    if all_day or freq in ("HOURLY", "MINUTELY") or draw(st.integers(0, 3)) != 0:
        return []
    parts = ["BYHOUR=" + draw(st.sampled_from(["9", "9,17", "0,1,2"]))]
    if draw(st.booleans()):
        parts.append("BYMINUTE=" + draw(st.sampled_from(["0", "0,30", "15"])))
    return parts


def _ending_part(draw: st.DrawFn) -> list[str]:
    ending = draw(st.integers(0, 3))
    if ending == 1:
        return [f"COUNT={draw(st.integers(1, 60))}"]
    if ending == 2:
        return ["UNTIL=__UNTIL__"]
    return []


@st.composite
def series_st(draw: st.DrawFn, exceptions: bool = False) -> Series:
    all_day = draw(st.integers(0, 4)) == 0
    tzid = draw(st.sampled_from(ZONES))
    day = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)))
    text = draw(rules_text(all_day))
    start: datetime | date
    if all_day:
        start = day
        duration = timedelta(days=draw(st.sampled_from([1, 1, 2, 7])))
        until = (day + timedelta(days=draw(st.integers(0, 3000)))).strftime("%Y%m%d")
    else:
        start = datetime.combine(day, datetime.min.time()).replace(
            hour=draw(st.sampled_from([0, 1, 2, 9, 14, 23])),
            minute=draw(st.sampled_from([0, 30, 45])),
        )
        duration = timedelta(minutes=draw(st.sampled_from([0, 30, 60, 150, 24 * 60 + 60])))
        until_local = start + timedelta(hours=draw(st.integers(0, 3000 * 24)))
        until = until_local.strftime("%Y%m%dT%H%M%S") + draw(st.sampled_from(["", "Z"]))
    text = text.replace("__UNTIL__", until)
    rdates: tuple = ()
    exdates: tuple = ()
    overrides: tuple[Override, ...] = ()
    try:
        plain = Series(start=start, end=start + duration, tzid=tzid, rrule=text)
    except RulesError:
        assume(False)
        raise
    if exceptions:
        rec = recurrence_for(plain.rrule, start, tzid)  # type: ignore[arg-type]
        dtstart = datetime.combine(day, datetime.min.time()) if all_day else start
        generated = rec.full_walk(dtstart + timedelta(days=400))[:40]  # type: ignore[operator]
        assume(len(generated) >= 3)
        pick = draw(st.lists(st.sampled_from(generated), max_size=6, unique=True))
        conv = (lambda x: x.date()) if all_day else (lambda x: x)
        exdates = tuple(conv(x) for x in pick[:2])
        overrides = tuple(
            Override(
                conv(x),
                start=conv(x + timedelta(days=draw(st.integers(-40, 40)))),
                cancelled=draw(st.booleans()),
                title="changed",
            )
            for x in pick[2:]
        )
        rdates = tuple(
            conv(dtstart + timedelta(days=draw(st.integers(1, 300)), hours=0))
            for _ in range(draw(st.integers(0, 3)))
        )
    return Series(
        start=start,
        end=start + duration,
        tzid=tzid,
        rrule=text,
        rdates=rdates,
        exdates=exdates,
        overrides=overrides,
    )


def _dtstart(series: Series) -> datetime:
    s = series.start
    return s if isinstance(s, datetime) else datetime.combine(s, datetime.min.time())


@SETTINGS
@given(series_st(), st.data())
def test_fast_path_equals_full_walk(series: Series, data: st.DataObject) -> None:
    assert series.rrule is not None
    rec = recurrence_for(series.rrule, series.start, series.tzid)
    dtstart = _dtstart(series)
    reach = REACH[rec.rule.freq]
    lo = dtstart + timedelta(minutes=data.draw(st.integers(-600, reach * 24 * 60)))
    hi = lo + timedelta(minutes=data.draw(st.integers(0, 90 * 24 * 60 if reach > 100 else 600)))
    try:
        fast = rec.instances(lo, hi)
    except RulesError:
        assume(False)
        raise
    full = [x for x in rec.full_walk(hi) if lo <= x]
    assert fast == full


@pytest.mark.slow
@SETTINGS
@given(series_st(), st.data())
def test_full_walk_matches_dateutil_on_the_rule_text(series: Series, data: st.DataObject) -> None:
    """Our explicit-default walk is dateutil's own reading of the text (aware DTSTART)."""
    assert series.rrule is not None
    rec = recurrence_for(series.rrule, series.start, series.tzid)
    assume(not series.all_day)
    assume(rec.rule.count is None or rec.full_walk(_dtstart(series))[:1] == [series.start])
    tz = zone(series.tzid)
    start = _dtstart(series)
    text = series.rrule
    if rec.rule.wkst == 0:
        text += ";WKST=MO"  # dateutil's default WKST is the locale's, not RFC 5545's Monday
    reference = du.rrulestr(text, dtstart=start.replace(tzinfo=tz))
    hi = start + timedelta(days=min(REACH[rec.rule.freq], 3 * 366))
    expected = []
    for x in reference:
        if x.replace(tzinfo=None) > hi:
            break
        expected.append(x.replace(tzinfo=None))
    assert rec.full_walk(hi) == expected


def _window(series: Series, data: st.DataObject) -> tuple[datetime, datetime, datetime]:
    base = to_utc(series.start, series.tzid)
    a = base + timedelta(hours=data.draw(st.integers(-48, 24 * 365 * 3)))
    b = a + timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    c = b + timedelta(hours=data.draw(st.integers(1, 24 * 60)))
    return a, b, c


def _ids(occs: tuple) -> list:  # type: ignore[type-arg]
    return [(o.recurrence_id, o.start_utc, o.end_utc, o.cancelled) for o in occs]


@pytest.mark.slow
@SETTINGS
@given(series_st(exceptions=True), st.data())
def test_windows_compose(series: Series, data: st.DataObject) -> None:
    a, b, c = _window(series, data)
    try:
        whole = expand(series, Window(a, c), limit=5000)
        left = expand(series, Window(a, b), limit=5000)
        right = expand(series, Window(b, c), limit=5000)
    except RulesError:
        assume(False)
        raise
    assume(not (whole.truncated or left.truncated or right.truncated))
    joined = {o.recurrence_id: o for o in left.occurrences + right.occurrences}
    assert sorted(_ids(whole.occurrences), key=str) == sorted(_ids(tuple(joined.values())), key=str)
    assert len({o.recurrence_id for o in whole.occurrences}) == len(whole.occurrences)
    keys = [(o.start_utc, str(o.recurrence_id)) for o in whole.occurrences]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    for occ in whole.occurrences:
        assert occ.start_utc < c and (occ.end_utc > a or occ.start_utc >= a)
        assert generates(series, occ.recurrence_id)  # type: ignore[arg-type]
        assert occ.recurrence_id not in series.exdates


@pytest.mark.slow
@SETTINGS
@given(series_st(exceptions=True), st.data())
def test_exceptions_in_any_order_give_one_result(series: Series, data: st.DataObject) -> None:
    a, _, c = _window(series, data)
    rnd = random.Random(data.draw(st.integers(0, 10**6)))
    shuffled = [list(series.rdates), list(series.exdates), list(series.overrides)]
    for part in shuffled:
        rnd.shuffle(part)
    other = Series(
        start=series.start,
        end=series.end,
        tzid=series.tzid,
        rrule=series.rrule,
        rdates=tuple(shuffled[0]),
        exdates=tuple(shuffled[1]),
        overrides=tuple(shuffled[2]),
    )
    try:
        first = expand(series, Window(a, c), limit=5000)
    except RulesError:
        assume(False)
        raise
    assert _ids(first.occurrences) == _ids(expand(other, Window(a, c), limit=5000).occurrences)


@SETTINGS
@given(series_st(), st.data())
def test_limit_keeps_the_first_occurrences(series: Series, data: st.DataObject) -> None:
    a, _, c = _window(series, data)
    try:
        full = expand(series, Window(a, c), limit=5000)
    except RulesError:
        assume(False)
        raise
    assume(not full.truncated)
    k = data.draw(st.integers(1, 20))
    cut = expand(series, Window(a, c), limit=k)
    assert _ids(cut.occurrences) == _ids(full.occurrences[:k])
    assert cut.truncated == (len(full.occurrences) > k)


@pytest.mark.slow
@SETTINGS
@given(series_st(), st.data())
def test_upcoming_agrees_with_expand(series: Series, data: st.DataObject) -> None:
    after = to_utc(series.start, series.tzid) + timedelta(
        hours=data.draw(st.integers(-100, 24 * 365 * 4))
    )
    try:
        nxt = upcoming(series, after, 5)
        check = expand(series, Window(after, after + timedelta(days=400)), limit=5000)
    except RulesError:
        assume(False)
        raise
    expected = check.occurrences[:5]
    if len(expected) == 5 or not check.truncated:
        assert _ids(nxt)[: len(expected)] == _ids(expected)


def test_property_helpers_are_sane() -> None:
    assert local(2027, 1, 1).tzinfo is None and UTC is not None
