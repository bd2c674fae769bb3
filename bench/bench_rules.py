"""Benchmark: the rules engine next to bare dateutil and recurring-ical-events.

Run:  python bench/bench_rules.py [--rounds N]

1. A year from DTSTART: 200 mixed series (weekly, every 2 weeks, monthly on a day or an nth
   weekday, yearly) in four zones, all starting in January 2027, expanded over 2027.
   * rules.expand: full Occurrence objects (zone-aware starts/ends, UTC, recurrence ids) —
     "window seen before" (the agenda asking again: cached dateutil walkers), "new window"
     (walk caches cleared every round), "fresh process" (parsed-rule caches cleared too);
   * bare dateutil: ``rrule.between`` on pre-built rrule objects, naive local datetimes only
     (the target: rules ≤ 1.3× this); also with the rrule built from its text on each call;
   * recurring-ical-events: the same series as one VCALENDAR, ``of(cal).between(...)``.
2. A 4-week window of the same mix of series begun 1, 5 and 10 years earlier: rules.expand
   (new window / seen before) next to bare dateutil ``between``, which walks from DTSTART.

Timings are the best of ``--rounds`` rounds (the engines taking turns), in milliseconds for all
200 series.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import icalendar  # noqa: E402
import recurring_ical_events  # noqa: E402
from dateutil.rrule import rrulestr  # noqa: E402

from rules import Series, Window, expand, local_from_aware  # noqa: E402
from rules import recurrence as engine  # noqa: E402
from rules.timezones import zone  # noqa: E402

ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
DAYS = ("MO", "TU", "WE", "TH", "FR")


def _naive(*args: int) -> datetime:
    return datetime(*args)  # type: ignore[misc]  # noqa: DTZ001


def make_series(n: int, first_year: int, seed: int = 5545) -> list[Series]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 5
        day = rnd.randrange(1, 29)
        start = _naive(first_year, 1, day, rnd.choice((9, 10, 14, 18)), rnd.choice((0, 30)))
        weekday = DAYS[start.weekday()] if start.weekday() < 5 else "MO"
        if start.weekday() >= 5:
            start += timedelta(days=7 - start.weekday())
            weekday = "MO"
        nth = (start.day - 1) // 7 + 1
        rule = [
            f"FREQ=WEEKLY;BYDAY={weekday}",
            f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}",
            f"FREQ=MONTHLY;BYMONTHDAY={start.day}",
            f"FREQ=MONTHLY;BYDAY={min(nth, 4)}{weekday}"
            if nth <= 4
            else "FREQ=MONTHLY;BYDAY=-1" + weekday,
            f"FREQ=YEARLY;BYMONTH={start.month};BYMONTHDAY={start.day}",
        ][kind]
        out.append(
            Series(
                start=start,
                end=start + timedelta(hours=1),
                tzid=ZONES[i % 4],
                rrule=rule,
                key=f"s{i}@bench",
            )
        )
    return out


def timed(fn: Callable[[], object], before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def interleaved(
    runs: list[tuple[Callable[[], object], Callable[[], None] | None]], rounds: int
) -> list[float]:
    """Best time (ms) of each run, the runs taking turns every round so that a busy machine
    slows them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, (fn, before) in enumerate(runs):
            best[i] = min(best[i], timed(fn, before))
    return [b * 1000 for b in best]


def clear_walks() -> None:
    engine.clear_caches()


def clear_all() -> None:
    engine.clear_caches(parsed=True)


def calendar_of(series: list[Series]) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//bench//rules//EN")
    cal.add("version", "2.0")
    for s in series:
        ev = icalendar.Event()
        ev.add("uid", s.key)
        ev.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
        ev.add("summary", s.key)
        ev.add("dtstart", s.start.replace(tzinfo=zone(s.tzid)))  # type: ignore[union-attr]
        ev.add("dtend", s.end.replace(tzinfo=zone(s.tzid)))  # type: ignore[union-attr]
        ev.add("rrule", icalendar.vRecur.from_ical(s.rrule))
        cal.add_component(ev)
    return cal


def year_from_dtstart(rounds: int) -> None:
    series = make_series(200, 2027)
    window = Window(datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    bare = []
    for s in series:
        rule = rrulestr(s.rrule, dtstart=s.start, cache=False)  # type: ignore[arg-type]
        lo = local_from_aware(window.start_utc, s.tzid)
        hi = local_from_aware(window.end_utc, s.tzid)
        bare.append((rule, lo, hi))
    cal = calendar_of(series)

    def ours() -> int:
        return sum(len(expand(s, window).occurrences) for s in series)

    def dateutil_between() -> int:
        return sum(len(rule.between(lo, hi, inc=False)) for rule, lo, hi in bare)

    def dateutil_built() -> int:
        total = 0
        for s in series:
            rule = rrulestr(s.rrule, dtstart=s.start, cache=False)  # type: ignore[arg-type]
            total += len(
                rule.between(
                    local_from_aware(window.start_utc, s.tzid),
                    local_from_aware(window.end_utc, s.tzid),
                    inc=False,
                )
            )
        return total

    def rie() -> int:
        return len(recurring_ical_events.of(cal).between(window.start_utc, window.end_utc))

    counts = (ours(), dateutil_between(), rie())
    t_bare, t_ours, t_ours_cold, t_ours_fresh, t_built = interleaved(
        [
            (dateutil_between, None),
            (ours, None),
            (ours, clear_walks),
            (ours, clear_all),
            (dateutil_built, None),
        ],
        rounds,
    )
    (t_rie,) = interleaved([(rie, None)], max(1, rounds // 3))
    print("1. 200 series, a year from DTSTART (2027)")
    print(
        f"   occurrences: rules {counts[0]}, dateutil {counts[1]}, "
        f"recurring-ical-events {counts[2]}"
    )
    print(f"   {'engine':<34}{'ms':>9}{'× dateutil':>12}")
    for name, value in (
        ("bare dateutil rrule.between", t_bare),
        ("rules.expand, window seen before", t_ours),
        ("rules.expand, new window", t_ours_cold),
        ("rules.expand, fresh process", t_ours_fresh),
        ("dateutil rrulestr + between", t_built),
        ("recurring-ical-events", t_rie),
    ):
        print(f"   {name:<34}{value:>9.2f}{value / t_bare:>11.2f}×")


def by_age(rounds: int) -> None:
    window = Window(datetime(2037, 1, 5, tzinfo=UTC), datetime(2037, 2, 2, tzinfo=UTC))
    print("\n2. 200 series, a 4-week window (5 Jan – 2 Feb 2037), by age of the series")
    print(
        f"   {'began':<14}{'occurrences':>12}{'dateutil ms':>13}{'rules new ms':>14}"
        f"{'rules seen ms':>15}{'new/dateutil':>14}"
    )
    for years in (1, 5, 10):
        series = make_series(200, 2037 - years)
        bare = []
        for s in series:
            rule = rrulestr(s.rrule, dtstart=s.start, cache=False)  # type: ignore[arg-type]
            bare.append(
                (
                    rule,
                    local_from_aware(window.start_utc, s.tzid),
                    local_from_aware(window.end_utc, s.tzid),
                )
            )

        def ours(series: list[Series] = series) -> int:
            return sum(len(expand(s, window).occurrences) for s in series)

        def dateutil_between(bare: list = bare) -> int:  # type: ignore[type-arg]
            return sum(len(rule.between(lo, hi, inc=False)) for rule, lo, hi in bare)

        n = ours()
        t_bare, t_cold, t_warm = interleaved(
            [(dateutil_between, None), (ours, clear_walks), (ours, None)], rounds
        )
        print(
            f"   {years:>2} years ago{n:>12}{t_bare:>13.2f}{t_cold:>14.2f}{t_warm:>15.2f}"
            f"{t_cold / t_bare:>13.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, best of {args.rounds} rounds\n")
    year_from_dtstart(args.rounds)
    by_age(args.rounds)


if __name__ == "__main__":
    main()
