"""Benchmark: the agenda's cost with 100, 1,000, 10,000 and 100,000 series in the database.

Run:  python bench/bench_agenda.py [--rounds N] [--database-url URL] [--sizes 100,1000,...]

The database holds what a real multi-year calendar does: the same 60 live series every time
(weekly, fortnightly and monthly ones that began years ago and never end, plus the Turing–Roche
seed), and around them finished series and single events spread over the twenty years before
(with a few planned years ahead).  Only the live ones touch the agenda's window, so the agenda
should cost the same at every size: the window query reads series by their indexed bounds
(``first_start_utc``/``last_end_utc``) and the engine expands only those.

Rows are bulk-inserted with exactly the values ``operations.create_event`` stores (bounds and
plain-English rhythm computed by ``rules``), so the database is built in seconds.  Each size
times ``GET /`` (the default 8-week agenda, rendered HTML), the same agenda of one calendar
(``?calendar=``) and ``GET /api/v1/occurrences`` over the same window: the best of
``--rounds`` requests after two warm-up requests (the best, not the median, because the
machine's other work only ever adds time).  The 100-series
figure is the baseline; the target is 100,000 within 2x of it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

import rules  # noqa: E402
from calendar_service import create_app
from calendar_service.store import operations  # noqa: E402
from calendar_service.store.db import db, utcnow  # noqa: E402
from calendar_service.store.models import Event, event_categories  # noqa: E402
from calendar_service.store.occurrences import window_query  # noqa: E402
from calendar_service.store.seed import load_seed  # noqa: E402

SIZES = (100, 1_000, 10_000, 100_000)
LIVE = 60  # series touching the window at every size (seed included)
DAYS = ("MO", "TU", "WE", "TH", "FR")
BATCH = 5_000


def naive(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001  (wall time)


def row_for(calendar_id: int, uid: str, title: str, start: datetime, end: datetime,
            rrule: str | None) -> dict[str, Any]:
    """The events row ``operations.create_event`` would write for these values."""
    series = rules.Series(start=start, end=end, tzid="Europe/London", rrule=rrule)
    first, last = rules.series_bounds(series)
    now = utcnow()
    return {
        "uid": uid, "calendar_id": calendar_id, "title": title, "description": "",
        "location": "Room 1", "url": "", "all_day": False, "start_local": start,
        "end_local": end, "timezone": "Europe/London", "rrule": rrule, "rdates": [],
        "exdates": [], "status": "confirmed", "published": True, "sequence": 0, "revision": 1,
        "recurrence_text": rules.describe(series), "first_start_utc": first,
        "last_end_utc": last, "created": now, "updated": now,
    }


def live_rows(calendar_id: int, today: date, count: int) -> list[dict[str, Any]]:
    """Series that began years ago and never end: they are in every window."""
    rnd = random.Random(1)
    rows = []
    for index in range(count):
        start = naive(today - timedelta(days=365 * 3 + rnd.randrange(365)), 9 + index % 8)
        weekday = DAYS[start.weekday()] if start.weekday() < 5 else "MO"
        rule = ("FREQ=WEEKLY;BYDAY=" + weekday, "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + weekday,
                "FREQ=MONTHLY;BYDAY=-1" + weekday)[index % 3]
        rows.append(row_for(calendar_id, f"live-{index}@bench", f"Live series {index}", start,
                            start + timedelta(hours=1), rule))
    return rows


def filler_rows(calendar_id: int, today: date, start_index: int, count: int
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
        rows.append(row_for(calendar_id, f"filler-{index}@bench", f"Old event {index}", start,
                            start + timedelta(hours=1), rule))
    return rows


def insert_rows(rows: list[dict[str, Any]], category_id: int) -> None:
    for offset in range(0, len(rows), BATCH):
        chunk = rows[offset:offset + BATCH]
        db.session.execute(insert(Event), chunk)
        uids = [row["uid"] for row in chunk]
        ids = db.session.scalars(select(Event.id).where(Event.uid.in_(uids))).all()
        db.session.execute(insert(event_categories),
                           [{"event_id": event_id, "category_id": category_id}
                            for event_id in ids])
    db.session.commit()


def best_ms(client: Any, url: str, rounds: int) -> float:
    for _ in range(2):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--keep", action="store_true", help="leave the rows in the database")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
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
        api = (f"/api/v1/occurrences?start={today}&end="
               f"{today + timedelta(days=app.config['AGENDA_DAYS'])}")
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"window: {window.start_utc:%Y-%m-%d} + {app.config['AGENDA_DAYS']} days, "
              f"best of {args.rounds} requests\n")
        print(f"{'series':>9} | {'build s':>7} | {'read':>4} | {'occurrences':>11} | "
              f"{'agenda ms':>9} | {'x base':>6} | {'one calendar':>12} | {'x base':>6} | "
              f"{'API ms':>7} | {'x base':>6}")
        print("-" * 104)
        baseline: tuple[float, float, float] | None = None
        one = f"/?calendar={calendar.slug}"
        made = LIVE
        for size in sizes:
            began = time.perf_counter()
            if size > made:
                insert_rows(filler_rows(calendar_id, today, made, size - made), category_id)
                made = size
            if db.engine.dialect.name == "sqlite":
                db.session.execute(text("ANALYZE"))
            else:
                db.session.execute(text("ANALYZE events"))
            db.session.commit()
            built = time.perf_counter() - began
            total = db.session.scalar(select(func.count()).select_from(Event))
            read = len(db.session.scalars(window_query(window)).all())
            db.session.rollback()
            agenda = best_ms(client, "/", args.rounds)
            filtered = best_ms(client, one, args.rounds)
            body = client.get(api).get_json()
            occurrences = len(body["occurrences"])
            reads = best_ms(client, api, args.rounds)
            baseline = baseline or (agenda, filtered, reads)
            print(f"{total:>9,} | {built:>7.1f} | {read:>4} | {occurrences:>11} | "
                  f"{agenda:>9.1f} | {agenda / baseline[0]:>6.2f} | "
                  f"{filtered:>12.1f} | {filtered / baseline[1]:>6.2f} | "
                  f"{reads:>7.1f} | {reads / baseline[2]:>6.2f}")
        if db.engine.dialect.name == "sqlite":
            plan = db.session.execute(text("EXPLAIN QUERY PLAN " + str(
                window_query(window).compile(db.engine, compile_kwargs={"literal_binds": True})
            ))).all()
            print("\nwindow query plan (SQLite):")
            for row in plan:
                print("  ", row[-1])
        db.session.remove()
        if args.database_url and not args.keep:
            db.drop_all()


if __name__ == "__main__":
    main()
