"""Every kind of exception: RDATE, EXDATE, moved/cancelled/retitled overrides, orphans."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from itertools import permutations

import pytest
from rules_helpers import local, make, utc

from rules import (
    Occurrence,
    Override,
    SeriesError,
    Window,
    expand,
    generates,
    orphan_overrides,
    series_bounds,
)

YEAR = Window(utc(2027, 1, 1), utc(2028, 1, 1))
WED = local(2027, 1, 6, 18)  # weekly on Wednesdays at 18:00, 8 times


def weekly(**kw: object) -> object:
    return make(WED, "FREQ=WEEKLY;COUNT=8", **kw)  # type: ignore[arg-type]


def ids(series: object, window: Window = YEAR) -> list:  # type: ignore[type-arg]
    return [
        (o.recurrence_id, o.start_utc, o.cancelled, o.moved, o.title)
        for o in expand(series, window).occurrences
    ]  # type: ignore[arg-type]


def wed(n: int) -> object:
    return WED + timedelta(weeks=n)


@pytest.mark.parametrize(
    ("name", "kw", "check"),
    [
        (
            "RDATE adds an instance with the series duration",
            {"rdates": (local(2027, 1, 8, 9),)},
            lambda occ: (
                occ[1].recurrence_id == local(2027, 1, 8, 9)
                and occ[1].end_utc - occ[1].start_utc == timedelta(hours=1)
                and len(occ) == 9
            ),
        ),
        (
            "EXDATE removes",
            {"exdates": (wed(1), wed(7))},
            lambda occ: len(occ) == 6 and wed(1) not in [o.recurrence_id for o in occ],
        ),
        (
            "EXDATE of DTSTART removes it",
            {"exdates": (WED,)},
            lambda occ: occ[0].recurrence_id == wed(1) and len(occ) == 7,
        ),
        (
            "EXDATE not generated is harmless",
            {"exdates": (local(2027, 1, 7, 18),)},
            lambda occ: len(occ) == 8,
        ),
        (
            "override retitles",
            {"overrides": (Override(wed(2), title="Special", location="Hall"),)},
            lambda occ: (
                occ[2].title == "Special" and occ[2].location == "Hall" and not occ[2].moved
            ),
        ),
        (
            "override moves later, order follows the new time",
            {"overrides": (Override(wed(2), start=wed(3) + timedelta(hours=1)),)},
            lambda occ: (
                [o.recurrence_id for o in occ][2:4] == [wed(3), wed(2)]
                and occ[3].moved
                and occ[3].end_utc - occ[3].start_utc == timedelta(hours=1)
            ),
        ),
        (
            "override changes only the end",
            {"overrides": (Override(wed(0), end=WED + timedelta(hours=3)),)},
            lambda occ: occ[0].moved and occ[0].end_utc - occ[0].start_utc == timedelta(hours=3),
        ),
        (
            "cancelled override is listed, marked",
            {"overrides": (Override(wed(4), cancelled=True),)},
            lambda occ: occ[4].cancelled and len(occ) == 8,
        ),
        (
            "EXDATE wins over an override",
            {"exdates": (wed(5),), "overrides": (Override(wed(5), title="x"),)},
            lambda occ: len(occ) == 7 and all(o.title is None for o in occ),
        ),
        (
            "override of an RDATE",
            {
                "rdates": (local(2027, 6, 1, 9),),
                "overrides": (Override(local(2027, 6, 1, 9), cancelled=True),),
            },
            lambda occ: occ[-1].recurrence_id == local(2027, 6, 1, 9) and occ[-1].cancelled,
        ),
        (
            "orphan override is ignored",
            {"overrides": (Override(local(2027, 1, 7, 18), title="?"),)},
            lambda occ: len(occ) == 8 and all(o.title is None for o in occ),
        ),
    ],
)
def test_exception_kinds(name: str, kw: dict, check: object) -> None:  # type: ignore[type-arg]
    occ = expand(weekly(**kw), YEAR).occurrences  # type: ignore[arg-type]
    assert check(occ), name  # type: ignore[operator]


def test_override_moves_into_and_out_of_a_window() -> None:
    s = weekly(overrides=(Override(wed(1), start=local(2027, 3, 1, 9)),))
    january = Window(utc(2027, 1, 1), utc(2027, 2, 1))
    march = Window(utc(2027, 3, 1), utc(2027, 3, 2))
    assert wed(1) not in [o.recurrence_id for o in expand(s, january).occurrences]  # type: ignore
    moved = expand(s, march).occurrences  # type: ignore[arg-type]
    assert [(o.recurrence_id, o.moved) for o in moved] == [(wed(1), True)]
    assert series_bounds(s) == (utc(2027, 1, 6, 18), utc(2027, 3, 1, 10))  # type: ignore
    early = weekly(overrides=(Override(wed(7), start=local(2026, 12, 1, 9)),))
    assert series_bounds(early)[0] == utc(2026, 12, 1, 9)  # type: ignore[arg-type]


def test_exceptions_in_every_order() -> None:
    parts = [
        ("rdates", local(2027, 1, 8, 9)),
        ("exdates", wed(1)),
        ("overrides", Override(wed(2), start=wed(1) + timedelta(hours=2))),
        ("overrides", Override(wed(3), cancelled=True)),
        ("exdates", wed(3)),
    ]
    results = set()
    for order in permutations(parts):
        kw: dict[str, tuple] = {"rdates": (), "exdates": (), "overrides": ()}  # type: ignore
        for key, value in order:
            kw[key] = kw[key] + (value,)
        results.add(tuple(ids(weekly(**kw))))
    assert len(results) == 1


def test_generates_and_orphans() -> None:
    s = weekly(
        exdates=(wed(1),),
        rdates=(local(2027, 5, 5, 9),),
        overrides=(Override(local(2027, 1, 7, 18)), Override(wed(2))),
    )
    assert generates(s, WED) and generates(s, wed(1)) and generates(s, local(2027, 5, 5, 9))  # type: ignore
    assert not generates(s, wed(8)) and not generates(s, date(2027, 1, 6))  # type: ignore
    assert not generates(s, utc(2027, 1, 6, 18))  # type: ignore[arg-type]
    assert [o.recurrence_id for o in orphan_overrides(s)] == [local(2027, 1, 7, 18)]  # type: ignore


def test_single_events_and_validation() -> None:
    single = make(local(2027, 1, 6, 18))
    assert not generates(single, local(2027, 1, 6, 18))
    orphaned = make(local(2027, 1, 6, 18), overrides=(Override(local(2027, 1, 6, 18), title="x"),))
    assert [o.title for o in expand(orphaned, YEAR).occurrences] == [None]
    assert len(orphan_overrides(orphaned)) == 1
    with pytest.raises(SeriesError) as info:
        make(local(2027, 1, 6, 18), "FREQ=DAILY", exdates=(date(2027, 1, 7),))
    assert info.value.field == "exdates"
    with pytest.raises(SeriesError) as info:
        make(local(2027, 1, 6, 18), "FREQ=DAILY", duration=timedelta(hours=-1))
    assert info.value.field == "end"
    with pytest.raises(SeriesError) as info:
        make(local(2027, 1, 6, 18), "FREQ=DAILY", tzid="Mars/Base")
    assert info.value.field == "timezone"
    with pytest.raises(SeriesError):
        make(
            local(2027, 1, 6, 18),
            "FREQ=DAILY",
            overrides=(Override(wed(1)), Override(wed(1), title="twice")),
        )


def test_series_stores_normalised_values() -> None:
    s = make(local(2027, 1, 6, 18), "rrule:freq=weekly;interval=1", rdates=(wed(3), wed(2), wed(3)))
    assert s.rrule == "FREQ=WEEKLY" and s.rdates == (wed(2), wed(3))  # type: ignore[comparison-overlap]


def test_fast_occurrences_equal_constructed_ones() -> None:
    s = make(local(2027, 3, 27, 1, 30), "FREQ=DAILY;COUNT=3")  # crosses the London gap
    for occ in expand(s, YEAR).occurrences:
        values = {f.name: getattr(occ, f.name) for f in fields(Occurrence)}
        again = Occurrence(**values)
        assert again == occ and repr(again) == repr(occ)
        assert occ.start == occ.start_utc and occ.end == occ.end_utc  # same instants
        assert occ.start.tzinfo is not None and str(occ.start.tzinfo) == "Europe/London"  # type: ignore[union-attr]
    gap = expand(s, YEAR).occurrences[1]
    assert (gap.start.hour, gap.start.minute) == (2, 30)  # type: ignore[union-attr]
