"""Benchmark: cold answers of the agenda and the API with 100 to 100,000 series in the database.

Run:  python bench/bench_agenda.py [--rounds N] [--database-url URL] [--sizes 100,1000,...]
          [--active 1000]

The database holds what a real multi-year calendar does: the same 60 live series every time
(weekly, fortnightly and monthly ones that began years ago and never end, plus the Turing–Roche
seed), and around them finished series and single events spread over the twenty years before
(with a few planned years ahead).  Only the live ones touch the agenda's window, so the agenda
should cost the same at every size: the window query reads series by their indexed bounds
(``first_start_utc``/``last_end_utc``) and the engine expands only those.

Rows are bulk-inserted with exactly the values ``operations.create_event`` stores (bounds
computed by ``rules``), so the database is built in seconds.  Warm answers
come from the answer cache (bench/bench_load.py measures those); this script times cold ones,
the best of ``--rounds`` requests each made after emptying the answer cache (what the first
request after a change costs: "changed") or every cache of the app (a new worker: "new"):
``GET /`` (the agenda's first page), the same agenda of one calendar (``?calendar=``) and
``GET /api/v1/occurrences`` over four weeks.  Beside the API it times the bare cost of the same
occurrences: dateutil expanding each rule over the window and json.dumps of the list.  The
best, not the median, because the machine's other work only ever adds time.

Targets: the agenda flat (within 1.5x of the 100-series figure) up to 100,000 series; within 2x
with ``--active`` series all touching the window; the cold API at most 3x the bare cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dateutil.rrule import rrulestr  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

import rules  # noqa: E402
from calendar_service import create_app  # noqa: E402
from calendar_service.app_caches import app_caches  # noqa: E402
from calendar_service.clock import utcnow  # noqa: E402
from calendar_service.store import operations  # noqa: E402
from calendar_service.store.db import db  # noqa: E402
from calendar_service.store.models import Event, event_categories  # noqa: E402
from calendar_service.store.occurrences import window_query  # noqa: E402
from calendar_service.store.seed import load_seed  # noqa: E402

SIZES = (100, 1_000, 10_000, 100_000)
LIVE = 60  # series touching the window at every size (seed included)
DAYS = ("MO", "TU", "WE", "TH", "FR")
BATCH = 5_000


def naive(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001  (wall time)


def row_for(
    calendar_id: int, uid: str, title: str, start: datetime, end: datetime, rrule: str | None
) -> dict[str, Any]:
    """The events row ``operations.create_event`` would write for these values."""
    series = rules.Series(start=start, end=end, tzid="Europe/London", rrule=rrule)
    first, last = rules.series_bounds(series)
    now = utcnow()
    return {
        "uid": uid,
        "calendar_id": calendar_id,
        "title": title,
        "description": "",
        "location": "Room 1",
        "url": "",
        "all_day": False,
        "start_local": start,
        "end_local": end,
        "timezone": "Europe/London",
        "rrule": rrule,
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


def live_rows(calendar_id: int, today: date, count: int, first: int = 0) -> list[dict[str, Any]]:
    """Series that began years ago and never end: they are in every window."""
    rnd = random.Random(1 + first)
    rows = []
    for index in range(first, count):
        start = naive(today - timedelta(days=365 * 3 + rnd.randrange(365)), 9 + index % 8)
        weekday = DAYS[start.weekday()] if start.weekday() < 5 else "MO"
        rule = (
            "FREQ=WEEKLY;BYDAY=" + weekday,
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + weekday,
            "FREQ=MONTHLY;BYDAY=-1" + weekday,
        )[index % 3]
        rows.append(
            row_for(
                calendar_id,
                f"live-{index}@bench",
                f"Live series {index}",
                start,
                start + timedelta(hours=1),
                rule,
            )
        )
    return rows


def filler_rows(
    calendar_id: int, today: date, start_index: int, count: int
) -> list[dict[str, Any]]:
    """Finished series and single events of past years (a few planned far ahead)."""
    rnd = random.Random(start_index)
    rows = []
    for index in range(start_index, start_index + count):
        if index % 20 == 0:  # planned: more than a year ahead
            day = today + timedelta(days=400 + rnd.randrange(3000))
        else:  # finished: up to twenty years back, ended at least 30 days ago
            day = today - timedelta(days=200 + rnd.randrange(7000))
        start = naive(day, 9 + rnd.randrange(9), rnd.choice((0, 30)))
        kind = index % 4
        rule = (None, None, "FREQ=WEEKLY;COUNT=10", "FREQ=DAILY;COUNT=5")[kind]
        rows.append(
            row_for(
                calendar_id,
                f"filler-{index}@bench",
                f"Old event {index}",
                start,
                start + timedelta(hours=1),
                rule,
            )
        )
    return rows


def insert_rows(rows: list[dict[str, Any]], category_id: int) -> None:
    for offset in range(0, len(rows), BATCH):
        chunk = rows[offset : offset + BATCH]
        db.session.execute(insert(Event), chunk)
        uids = [row["uid"] for row in chunk]
        ids = db.session.scalars(select(Event.id).where(Event.uid.in_(uids))).all()
        db.session.execute(
            insert(event_categories),
            [{"event_id": event_id, "category_id": category_id} for event_id in ids],
        )
    db.session.commit()


def best_ms(client: Any, url: str, rounds: int, forget: Callable[[], None]) -> float:
    """The best of ``rounds`` cold answers: ``forget`` empties caches before each."""
    for _ in range(2):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(rounds):
        forget()
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return min(timings)


def dateutil_ms(window: rules.Window, rounds: int) -> tuple[float, int]:
    """The bare cost of the same occurrences: each series' rule expanded by dateutil over the
    window, every occurrence made an OCCURRENCE-like dict, the list dumped with json.dumps.
    The rows are read beforehand (not timed), so this is expansion and serialising alone."""
    rows = db.session.execute(
        window_query(window).with_only_columns(
            Event.uid,
            Event.title,
            Event.location,
            Event.url,
            Event.status,
            Event.all_day,
            Event.timezone,
            Event.rrule,
            Event.start_local,
            Event.end_local,
        )
    ).all()
    best, count = float("inf"), 0
    for _ in range(rounds):
        began = time.perf_counter()
        listed = []
        for row in rows:
            tz = ZoneInfo(row.timezone)
            duration = row.end_local - row.start_local
            start_local = window.start_utc.astimezone(tz).replace(tzinfo=None) - duration
            end_local = window.end_utc.astimezone(tz).replace(tzinfo=None)
            starts = (
                rrulestr(row.rrule, dtstart=row.start_local).between(
                    start_local, end_local, inc=True
                )
                if row.rrule
                else [row.start_local]
            )
            for start in starts:
                begins, ends = start.replace(tzinfo=tz), (start + duration).replace(tzinfo=tz)
                if not (begins < window.end_utc and ends > window.start_utc):
                    continue
                listed.append(
                    {
                        "uid": row.uid,
                        "recurrence_id": start.isoformat() if row.rrule else None,
                        "title": row.title,
                        "start": begins.isoformat(timespec="seconds"),
                        "end": ends.isoformat(timespec="seconds"),
                        "all_day": row.all_day,
                        "timezone": row.timezone,
                        "status": row.status,
                        "calendar": "bench",
                        "categories": ["bench"],
                        "location": row.location,
                        "url": row.url,
                        "moved": False,
                    }
                )
        json.dumps({"occurrences": listed})
        best, count = min(best, (time.perf_counter() - began) * 1000), len(listed)
    db.session.rollback()
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--keep", action="store_true", help="leave the rows in the database")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument(
        "--active",
        type=int,
        default=1000,
        help="last, this many series all touching the window (0: skip)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    folder = tempfile.mkdtemp(prefix="bench-agenda-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ["CALENDAR_INSTANCE_PATH"] = folder
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed = load_seed()
        calendar = seed.calendar
        category = operations.category_for(calendar, "bench")
        db.session.commit()
        calendar_id, category_id = calendar.id, category.id
        today = utcnow().astimezone(ZoneInfo(calendar.timezone)).date()
        base = db.session.scalar(select(func.count()).select_from(Event))
        insert_rows(live_rows(calendar_id, today, LIVE - base), category_id)
        start = rules.to_utc(today, calendar.timezone)
        window = rules.Window(start, start + timedelta(days=app.config["AGENDA_DAYS"]))
        weeks = rules.Window(start, start + timedelta(days=28))
        api = f"/api/v1/occurrences?start={today}&end={today + timedelta(days=28)}"
        caches = app_caches()
        after_change, new_process = caches.answers.clear, caches.clear
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(
            f"agenda: its first page from {window.start_utc:%Y-%m-%d}; API: 4 weeks from "
            f"then; best of {args.rounds} cold requests, each after emptying the answer "
            "cache (as after a change: 'changed') or every cache (a new worker: 'new')\n"
        )
        print(
            f"{'series':>9} | {'build s':>7} | {'read':>4} | {'occ. 4 wk':>9} | "
            f"{'agenda changed':>14} | {'x base':>6} | {'agenda new':>10} | {'x base':>6} | "
            f"{'one cal. new':>12} | {'API new':>7} | {'API changed':>11} | "
            f"{'dateutil+json':>13} | {'API new / bare':>14}"
        )
        print("-" * 162)
        baseline: tuple[float, float] | None = None
        one = f"/?calendar={calendar.slug}"
        made = LIVE
        active = LIVE
        steps = [(size, LIVE) for size in sizes] + (
            [(max(sizes), args.active)] if args.active > LIVE else []
        )
        for size, live in steps:
            began = time.perf_counter()
            if size > made:
                insert_rows(filler_rows(calendar_id, today, made, size - made), category_id)
                made = size
            if live > active:
                insert_rows(live_rows(calendar_id, today, live, first=active), category_id)
                active = live
            if db.engine.dialect.name == "sqlite":
                db.session.execute(text("ANALYZE"))
            else:
                db.session.execute(text("ANALYZE events"))
            db.session.commit()
            built = time.perf_counter() - began
            total = db.session.scalar(select(func.count()).select_from(Event))
            read = len(db.session.scalars(window_query(window)).all())
            db.session.rollback()
            agenda = best_ms(client, "/", args.rounds, after_change)
            agenda_new = best_ms(client, "/", args.rounds, new_process)
            filtered = best_ms(client, one, args.rounds, new_process)
            occurrences = len(client.get(api).get_json()["occurrences"])
            reads = best_ms(client, api, args.rounds, new_process)
            reads_changed = best_ms(client, api, args.rounds, after_change)
            bare, bare_count = dateutil_ms(weeks, args.rounds)
            if bare_count != occurrences:
                print(f"  (dateutil listed {bare_count} occurrences, the API {occurrences})")
            baseline = baseline or (agenda, agenda_new)
            label = f"{total:>9,}" if live == LIVE else f"{total:>9,} with {live} active"
            print(
                f"{label} | {built:>7.1f} | {read:>4} | {occurrences:>9} | "
                f"{agenda:>14.1f} | {agenda / baseline[0]:>6.2f} | "
                f"{agenda_new:>10.1f} | {agenda_new / baseline[1]:>6.2f} | "
                f"{filtered:>12.1f} | {reads:>7.1f} | {reads_changed:>11.1f} | "
                f"{bare:>13.1f} | {reads / bare:>14.2f}"
            )
        if db.engine.dialect.name == "sqlite":
            plan = db.session.execute(
                text(
                    "EXPLAIN QUERY PLAN "
                    + str(
                        window_query(window).compile(
                            db.engine, compile_kwargs={"literal_binds": True}
                        )
                    )
                )
            ).all()
            print("\nwindow query plan (SQLite):")
            for row in plan:
                print("  ", row[-1])
        db.session.remove()
        if args.database_url and not args.keep:
            db.drop_all()


if __name__ == "__main__":
    main()
