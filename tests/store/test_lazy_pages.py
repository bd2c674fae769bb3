"""Pages merged from series streams (``store.streams``): the same page as expanding every series
over the window and sorting, for any calendar, position and limit, at a cost that follows the
page rather than the window."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, not_, select

import rules
from calendar_service.app_caches import app_caches
from calendar_service.clock import utcnow
from calendar_service.services import schedule
from calendar_service.store import occurrences, streams
from calendar_service.store.budget import Budget
from calendar_service.store.db import db
from calendar_service.store.models import Calendar, Event
from calendar_service.store.occurrences import (
    EventOccurrence,
    OccurrencePage,
    PageKey,
    _after_one_off,
    _binary,
    _one_off,
    expansion,
    load_for_series,
    load_listed,
    page_key,
    window_query,
)
from calendar_service.store.operations import find_event

Make = Callable[..., dict[str, Any]]
Override = Callable[..., None]
START = datetime(2027, 3, 1, tzinfo=UTC)


def eager_page(
    window: rules.Window,
    *,
    size: int,
    after: PageKey | None = None,
    per_event: int | None = None,
    skip_costly: bool = False,
    **filters: Any,
) -> OccurrencePage:
    """The page as it was computed before streams: every series expanded over the window with
    the limit, everything sorted, then cut at the horizon and the size (the reference)."""
    if after is not None:
        if after[0] >= window.end_utc:
            return OccurrencePage((), True, False)
        window = rules.Window(max(window.start_utc, after[0]), window.end_utc)
    series, singles = eager_rows(window, size, after, filters)
    load_for_series([*series, *singles], app_caches())
    load_listed([*series, *singles])
    items: list[EventOccurrence] = []
    horizon: PageKey | None = None
    truncated = False
    costly: list[Event] = []
    for event in [*series, *singles]:
        try:
            expanded = expansion(event, window, per_event or size, app_caches())
        except rules.ExpansionLimitError:
            if not skip_costly:
                raise
            costly.append(event)
            continue
        found = [EventOccurrence(event, occurrence) for occurrence in expanded.occurrences]
        if expanded.truncated and per_event is not None:
            truncated = True
        elif expanded.truncated and found:
            last = max(page_key(item) for item in found)
            if after is None or last > after:
                horizon = last if horizon is None else min(horizon, last)
            else:
                truncated = True
        items.extend(item for item in found if after is None or page_key(item) > after)
    if len(singles) > size:
        last_single = singles[-1]
        key = (last_single.first_start_utc, last_single.title, last_single.uid, "")
        horizon = key if horizon is None else min(horizon, key)
    items.sort(key=page_key)
    if horizon is not None:
        items = [item for item in items if page_key(item) <= horizon]
    if len(items) > size:
        return OccurrencePage(tuple(items[:size]), False, truncated, tuple(costly))
    return OccurrencePage(tuple(items), horizon is None, truncated, tuple(costly))


def eager_rows(
    window: rules.Window, size: int, after: PageKey | None, filters: dict[str, Any]
) -> tuple[Sequence[Event], Sequence[Event]]:
    """``eager_page``'s rows: every series touching the window, and the first ``size + 1``
    one-off events after ``after``."""
    query = window_query(window, **filters)
    series = db.session.scalars(query.where(not_(_one_off()))).all()
    singles_query = (
        query.where(_one_off())
        .order_by(None)
        .order_by(Event.first_start_utc, _binary(Event.title), _binary(Event.uid))
        .limit(size + 1)
    )
    if after is not None:
        singles_query = singles_query.where(_after_one_off(after))
    return series, db.session.scalars(singles_query).all()


def summary(page: OccurrencePage) -> tuple[Any, ...]:
    """What a page says, comparable across sessions: each occurrence as shown, the flags and
    the events left out as too costly."""
    return (
        tuple(
            (
                page_key(item),
                item.title,
                item.location,
                item.status,
                item.occurrence.end_utc,
                item.occurrence.moved,
            )
            for item in page.items
        ),
        page.complete,
        page.truncated,
        tuple(event.uid for event in page.too_costly),
    )


def random_calendar(make_event: Make, override: Override, rnd: random.Random) -> None:
    """Series of every shape around March 2027 (some sharing starts and titles), with
    exceptions, moved, retitled and cancelled occurrences, one-offs, a draft, all-day and
    multi-day events, and two series too costly for a long window."""
    rhythms = [
        "FREQ=DAILY",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=DAILY;COUNT=9",
        "FREQ=WEEKLY;UNTIL=20270320T000000Z",
        "FREQ=DAILY;BYHOUR=9,13,17",
    ]
    for index in range(18):
        day = START + timedelta(days=rnd.randrange(-40, 20))
        hour = rnd.choice((9, 9, 12, 14))
        start = f"{day:%Y-%m-%d}T{hour:02d}:00:00"
        rrule = rnd.choice(rhythms)
        length = rnd.choice((1, 1, 2, 30))
        end = (datetime.fromisoformat(start) + timedelta(hours=length)).isoformat()
        first = datetime.fromisoformat(start)
        plain = rrule in ("FREQ=DAILY", "FREQ=WEEKLY")
        exdates = [(first + timedelta(days=7)).isoformat()] if plain else []
        make_event(
            uid=f"s{index}@x",
            title=rnd.choice(("Seminar", "Talk", f"Series {index}")),
            start=start,
            end=end,
            rrule=rrule,
            exdates=exdates,
        )
        if plain and index % 2 == 0:  # a week near the start moved a day on, and retitled
            weeks = max(2, -(-(START.replace(tzinfo=None) - first).days // 7))
            rid = first + timedelta(days=7 * (weeks + rnd.randrange(3)))
            override(
                f"s{index}@x",
                rid.isoformat(),
                title="Moved",
                start=(rid + timedelta(days=1, hours=3)).isoformat(),
            )
            if rrule == "FREQ=DAILY":
                override(f"s{index}@x", (rid + timedelta(days=2)).isoformat(), status="cancelled")
    for index in range(25):
        day = START + timedelta(days=rnd.randrange(-2, 12), hours=rnd.choice((9, 10, 10)))
        make_event(
            uid=f"o{index}@x",
            title=rnd.choice(("Talk", "talk", "Lunch")),
            start=f"{day:%Y-%m-%dT%H:%M:%S}",
        )
    make_event(
        uid="draft@x",
        title="Draft",
        start="2027-03-02T10:00:00",
        rrule="FREQ=DAILY",
        published=False,
    )
    make_event(
        uid="fair@x",
        title="Fair",
        start="2027-02-27",
        end="2027-03-04",
        all_day=True,
        rrule="FREQ=WEEKLY;INTERVAL=2",
    )
    make_event(
        uid="conf@x", title="Conference", start="2027-02-28T09:00:00", end="2027-03-03T17:00:00"
    )
    # Refused over a long window with a page's limit, but not its first few occurrences
    # alone (a dense rule: its walk is costed by the occurrences asked for) ...
    make_event(
        uid="minutes@x",
        title="Every minute",
        start="2027-02-20T00:00:00",
        end="2027-02-20T00:01:00",
        rrule="FREQ=DAILY;BYHOUR="
        + ",".join(map(str, range(24)))
        + ";BYMINUTE="
        + ",".join(map(str, range(60))),
    )
    # ... and refused however few are asked for (its walk visits every minute of the window).
    make_event(
        uid="sparse@x",
        title="Three o'clock",
        start="2027-01-20T03:00:00",
        end="2027-01-20T03:01:00",
        rrule="FREQ=MINUTELY;BYHOUR=3;BYMINUTE=0",
    )


def unlimited() -> Budget:
    return Budget(10**15)


def positions(reference: OccurrencePage, rnd: random.Random) -> Iterator[PageKey | None]:
    """No position, positions of listed occurrences, and one between them."""
    yield None
    keys = [page_key(item) for item in reference.items]
    yield from rnd.sample(keys, min(4, len(keys)))
    if keys:
        start, title, uid, rid = keys[len(keys) // 2]
        yield (start, title[:-1], uid, rid)


@pytest.mark.slow  # a long random search: ~20 s a seed
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_pages_equal_the_sorted_expansion_of_every_series(
    app: Flask, make_event: Make, override: Override, seed: int
) -> None:
    rnd = random.Random(seed)
    random_calendar(make_event, override, rnd)
    windows = [rules.Window(START, START + timedelta(days=days)) for days in (1, 7, 56, 400)]
    checked = 0
    with app.app_context():
        for window in windows:
            for size in (1, 4, 30, 301):
                for per_event in (None, 3):
                    reference = eager_page(window, size=500, skip_costly=True)
                    for after in positions(reference, rnd):
                        options: dict[str, Any] = {
                            "size": size,
                            "after": after,
                            "per_event": per_event,
                            "skip_costly": True,
                        }
                        app_caches().clear()
                        # The merge is compared, not the budget (tests/app/test_calendar_costs):
                        # the costliest series here are what a budget leaves out first.
                        lazy = summary(schedule.page(window, budget=unlimited(), **options))
                        assert lazy == summary(eager_page(window, **options)), (window, options)
                        assert (
                            summary(schedule.page(window, budget=unlimited(), **options)) == lazy
                        )  # cached
                        checked += 1
                db.session.rollback()
    assert checked > 100


def test_a_series_one_call_refuses_is_refused_however_little_the_page_needs(
    app: Flask, make_event: Make
) -> None:
    make_event(
        uid="minutes@x",
        title="Every minute",
        start="2027-02-20T00:00:00",
        end="2027-02-20T00:01:00",
        rrule="FREQ=DAILY;BYHOUR="
        + ",".join(map(str, range(24)))
        + ";BYMINUTE="
        + ",".join(map(str, range(60))),
    )
    for index in range(10):
        make_event(
            uid=f"talk{index}@x",
            title=f"Talk {index}",
            start=f"2027-03-01T{10 + index}:00:00",
            rrule="FREQ=WEEKLY",
        )
    window = rules.Window(START, START + timedelta(days=400))
    with app.app_context():
        minutes = schedule.series(find_event("minutes@x"))
        # The merge's first step for it (a page of 301 over 11 series: 28) is affordable
        # alone; a page's limit is not, and a step costed as one is refused as that is.
        assert len(rules.expand(minutes, window, limit=28).occurrences) == 28
        with pytest.raises(rules.ExpansionLimitError):
            rules.expand(minutes, window, limit=301)
        with pytest.raises(rules.ExpansionLimitError):
            rules.expand(minutes, window, limit=28, costed_as=301)
        page = schedule.page(window, size=301, skip_costly=True)
        assert [event.uid for event in page.too_costly] == ["minutes@x"]
        assert len(page.items) == 301 and not page.complete
        assert {item.event.uid for item in page.items} == {f"talk{i}@x" for i in range(10)}
        with pytest.raises(rules.ExpansionLimitError):
            schedule.page(window, size=301)
        # Over one day its page's limit is affordable: listed.
        day = rules.Window(START, START + timedelta(days=1))
        assert len(schedule.page(day, size=301).items) == 301


def weekly_rows(calendar_id: int, count: int, freq: str) -> list[dict[str, Any]]:
    """Rows of ``count`` series at different hours that began a year before START and never
    end, as ``operations.create_event`` stores them."""
    rows = []
    now = utcnow()
    for index in range(count):
        start = datetime(2026, 3, 2, 8 + index % 10, index % 60)  # noqa: DTZ001 (wall time)
        series = rules.Series(
            start=start,
            end=start + timedelta(minutes=30),
            tzid="Europe/London",
            rrule=f"FREQ={freq}",
        )
        first, last = rules.series_bounds(series)
        rows.append(
            {
                "uid": f"busy-{index}@x",
                "calendar_id": calendar_id,
                "title": f"Busy {index}",
                "description": "",
                "location": "",
                "url": "",
                "all_day": False,
                "start_local": start,
                "end_local": series.end,
                "timezone": "Europe/London",
                "rrule": series.rrule,
                "rdates": [],
                "exdates": [],
                "status": "confirmed",
                "published": True,
                "sequence": 0,
                "revision": 1,
                "first_start_utc": first,
                "last_end_utc": last,
                "created": now,
                "updated": now,
            }
        )
    return rows


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the ``rules.expand`` calls streams make and the occurrences they return."""
    seen = {"calls": 0, "occurrences": 0}
    real = rules.expand

    def expand(*args: Any, **kwargs: Any) -> rules.Expansion:
        found = real(*args, **kwargs)
        seen["calls"] += 1
        seen["occurrences"] += len(found.occurrences)
        return found

    monkeypatch.setattr(streams.rules, "expand", expand)
    return seen


def busy_calendar(app: Flask, make_event: Make, freq: str) -> None:
    """Event "One" at 07:00 on 1 March 2027, and 1,000 series of ``freq`` beside it."""
    make_event(uid="one@x", title="One", start="2027-03-01T07:00:00")
    with app.app_context():
        calendar_id = db.session.scalar(select(Calendar.id))
        db.session.execute(insert(Event), weekly_rows(calendar_id, 1000, freq))
        db.session.commit()


def test_a_first_page_of_1000_daily_series_expands_about_a_page_not_the_window(
    app: Flask, make_event: Make, counted: dict[str, int]
) -> None:
    busy_calendar(app, make_event, "DAILY")
    with app.app_context():
        window = rules.Window(START, START + timedelta(days=7))  # 7,001 occurrences
        app_caches().clear()
        page = schedule.page(window, size=301)
        # Every series' first occurrence (the heads of the merge), and a step further for
        # the few the page reaches past their first: about a page, never the window's 7,001.
        assert counted["calls"] < 1000 + 2 * 301
        assert counted["occurrences"] < 1000 + streams.GROWTH * 301
        app_caches().clear()
        assert summary(page) == summary(eager_page(window, size=301))
        assert [item.event.uid for item in page.items[:3]] == [
            "one@x",
            "busy-0@x",
            "busy-120@x",
        ]  # 08:00, by title
        assert not page.complete


def test_an_agenda_first_page_of_1000_weekly_series_lists_the_earliest(
    app: Flask, make_event: Make, counted: dict[str, int]
) -> None:
    busy_calendar(app, make_event, "WEEKLY")
    app_caches(app).clear()
    text = app.test_client().get("/?from=2027-03-01&days=56").text
    # 1,000 series on Mondays (2 March 2026 was one), one occurrence each in the first week:
    # Monday 1 March 2027 alone holds more than a page, which ends inside it ...
    assert text.count('class="occurrence-title"') == 300
    assert "Monday 1 March 2027 holds more occurrences than one page lists" in text
    # ... and each series was expanded once, for its first occurrence, over the first week.
    assert counted["calls"] == 1000 + 1


def test_an_event_deleted_while_its_page_is_read_is_left_out(
    app: Flask, make_event: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_event(uid="gone@x", title="Gone", start="2027-03-01T09:00:00", rrule="FREQ=DAILY")
    make_event(uid="kept@x", title="Kept", start="2027-03-01T10:00:00", rrule="FREQ=DAILY")
    listed = occurrences._listed_events

    def deleted_meanwhile(ids: list[int]) -> dict[int, Event]:
        found = listed(ids)  # as if the row of gone@x had been deleted after the rows were read
        return {ident: event for ident, event in found.items() if event.uid != "gone@x"}

    monkeypatch.setattr(occurrences, "_listed_events", deleted_meanwhile)
    with app.app_context():
        page = schedule.page(rules.Window(START, START + timedelta(days=2)), size=10)
        assert [(item.event.uid, item.occurrence.start_utc.day) for item in page.items] == [
            ("kept@x", 1),
            ("kept@x", 2),
        ]
