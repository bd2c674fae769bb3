"""Calendar bomb: the public pages of a calendar holding thousands of series, each under the
engine's own limits (one-minute repeats lasting 16 h 39 min: 999 in progress at once, under the
1,000 one series may have), and another calendar's pages meanwhile.

The series are inserted as rows (the per-calendar limits now refuse the 21st of them when
written, so this is what an older database may hold, and what any limit left to reads must
survive).  Under the project's gunicorn settings (2 workers) it times each public page of the
hostile calendar once, cold (each with a query no earlier request asked, so the answer cache
cannot help), reading the workers' peak RSS (VmHWM) after each; then, for a few seconds, eight
clients ask the hostile pages with ever new windows while one more asks the bystander's pages,
and it prints the bystander's latencies.  The baseline in the same run is the bystander's pages
before the hostile rows went in.

    .venv/bin/python bench/calendar_bomb.py                        # SQLite, 5,000 series
    .venv/bin/python bench/calendar_bomb.py --series 1000 --db postgresql
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import peak_rss_mb  # noqa: E402
from faults import RssMonitor, Server, call, database, start_gunicorn, stop_gunicorn  # noqa: E402

LENGTH = timedelta(hours=16, minutes=39)


def prepare(url: str, instance: Path, series: int, today: date) -> None:
    """Schema, the bystander's weekly seminar, the hostile calendar and its rows."""
    import os

    os.environ["CALENDAR_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade
    from sqlalchemy import insert

    import rules
    from calendar_service import create_app
    from calendar_service.store import operations
    from calendar_service.store.db import db
    from calendar_service.store.models import Event

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bomb"})
    with app.app_context():
        upgrade()
        operations.create_calendar(
            {"slug": "quiet", "name": "Quiet"}, "bench", default_tz="Europe/London"
        )
        hostile = operations.create_calendar(
            {"slug": "hostile", "name": "Hostile", "timezone": "UTC"},
            "bench",
            default_tz="Europe/London",
        )
        operations.create_event(
            {
                "calendar": "quiet",
                "uid": "seminar@x",
                "title": "Seminar",
                "start": f"{today}T14:00:00",
                "rrule": "FREQ=WEEKLY",
            },
            "bench",
        )
        db.session.commit()
        start = datetime.combine(today - timedelta(days=6), datetime.min.time())
        shape = rules.Series(start=start, end=start + LENGTH, tzid="UTC", rrule="FREQ=MINUTELY")
        first, last = rules.series_bounds(shape)
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        rows: list[dict[str, Any]] = [
            {
                "uid": f"bomb-{n:05d}@x",
                "calendar_id": hostile.id,
                "title": f"Bomb {n:05d}",
                "description": "",
                "location": "",
                "url": "",
                "all_day": False,
                "start_local": start,
                "end_local": shape.end,
                "timezone": "UTC",
                "rrule": shape.rrule,
                "rdates": [],
                "exdates": [],
                "status": "confirmed",
                "published": True,
                "sequence": 0,
                "revision": 1,
                "first_start_utc": first,
                "last_end_utc": last,
                "created": stamp,
                "updated": stamp,
            }
            for n in range(series)
        ]
        for offset in range(0, len(rows), 1000):
            db.session.execute(insert(Event), rows[offset : offset + 1000])
        db.session.get(type(hostile), hostile.id).touch()  # type: ignore[union-attr]
        db.session.commit()
        db.engine.dispose()


def hostile_paths(today: date) -> list[str]:
    later = today + timedelta(days=730)
    return [
        "/",
        "/calendars/hostile",
        "/embed?calendar=hostile",
        "/calendars/hostile.atom",
        f"/calendars/hostile/{today.year}/{today.month}",
        "/calendars/hostile/next",
        f"/?days=56&from={today + timedelta(days=1)}",
        "/?q=Bomb",
        f"/api/v1/occurrences?start={today}&end={later}",
        f"/api/v1/occurrences?calendar=hostile&start={today}&end={today + timedelta(days=1)}",
    ]


def bystander_paths(today: date) -> list[str]:
    return [
        "/calendars/quiet",
        "/calendars/quiet.atom",
        "/embed?calendar=quiet",
        f"/api/v1/occurrences?calendar=quiet&start={today}&end={today + timedelta(days=365)}",
    ]


def fresh(path: str, n: int) -> str:
    """The path with a query no earlier request had (the answer cache is keyed by it); Atom
    and the "next" link take no window of their own."""
    if path.startswith("/api/v1/occurrences"):
        head, _, _end = path.rpartition("&end=")
        start = date.fromisoformat(head.rpartition("start=")[2])
        return f"{head}&end={start + timedelta(days=1 + n % 700)}"
    if path.endswith(".atom") or path.endswith("/next"):
        return path
    return path + ("&" if "?" in path else "?") + f"days={1 + n % 365}"


def time_one(server: Server, path: str) -> tuple[int, int, float, float]:
    started = time.perf_counter()
    status, _headers, body = call(server.port, "GET", path, timeout=600)
    seconds = time.perf_counter() - started
    worker = max((peak_rss_mb(pid) for pid in server.workers()), default=0.0)
    return status, len(body), seconds, worker


def storm(
    server: Server, hostile: list[str], bystander: list[str], clients: int, seconds: float
) -> tuple[int, int, list[float]]:
    """``clients`` threads asking hostile pages with ever new windows, and one thread asking
    the bystander's: (hostile answers, their 5xx, the bystander's latencies)."""
    until = time.monotonic() + seconds
    numbers = count(1000)
    lock = threading.Lock()
    tally = {"answers": 0, "errors": 0}
    latencies: list[float] = []

    def attacker(offset: int) -> None:
        n = offset
        while time.monotonic() < until:
            path = fresh(hostile[n % len(hostile)], next(numbers))
            try:
                status = call(server.port, "GET", path, timeout=600)[0]
            except OSError:
                status = 0
            with lock:
                tally["answers"] += 1
                tally["errors"] += status == 0 or status >= 500
            n += 1

    def visitor() -> None:
        n = 0
        while time.monotonic() < until:
            path = fresh(bystander[n % len(bystander)], next(numbers))
            started = time.perf_counter()
            call(server.port, "GET", path, timeout=600)
            latencies.append(time.perf_counter() - started)
            n += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=attacker, args=(k,)) for k in range(clients)]
    threads.append(threading.Thread(target=visitor))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally["answers"], tally["errors"], latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--storm-seconds", type=float, default=30.0)
    args = parser.parse_args()
    today = datetime.now(UTC).date()  # the service's own today (no clock offset here)
    instance = Path(tempfile.mkdtemp(prefix="bomb-"))
    with database(args.db, "bomb", instance) as url:
        prepare(url, instance, 0, today)
        server = start_gunicorn(url, instance)
        try:
            baseline = [time_one(server, path) for path in bystander_paths(today)]
            print(f"# {args.db}, code at {ROOT}")
            print(
                "bystander alone: "
                + ", ".join(
                    f"{path} {t[2] * 1000:.0f} ms"
                    for path, t in zip(bystander_paths(today), baseline, strict=True)
                )
            )
        finally:
            stop_gunicorn(server)
    instance = Path(tempfile.mkdtemp(prefix="bomb-"))
    with database(args.db, "bomb", instance) as url:
        started = time.perf_counter()
        prepare(url, instance, args.series, today)
        print(f"{args.series:,} hostile series inserted in {time.perf_counter() - started:.1f} s")
        server = start_gunicorn(url, instance)
        try:
            with RssMonitor(server) as monitor:
                print("\n| request (cold) | status | bytes | time | largest worker (VmHWM) |")
                print("|---|---|---|---|---|")
                for path in hostile_paths(today):
                    status, size, seconds, worker = time_one(server, path)
                    print(
                        f"| `{path}` | {status} | {size:,} | {seconds * 1000:,.0f} ms | "
                        f"{worker:.0f} MB |"
                    )
                for path in bystander_paths(today):
                    status, size, seconds, worker = time_one(server, fresh(path, 1))
                    print(
                        f"| bystander `{fresh(path, 1)}` | {status} | {size:,} | "
                        f"{seconds * 1000:,.0f} ms | {worker:.0f} MB |"
                    )
                answers, errors, latencies = storm(
                    server,
                    hostile_paths(today),
                    bystander_paths(today),
                    args.clients,
                    args.storm_seconds,
                )
                print(
                    f"\n{args.clients} clients on the hostile pages for {args.storm_seconds:.0f}"
                    f" s: {answers} answers, {errors} 5xx or no answer"
                )
                if latencies:
                    print(
                        f"bystander meanwhile: {len(latencies)} answers, median "
                        f"{statistics.median(latencies) * 1000:,.0f} ms, slowest "
                        f"{max(latencies) * 1000:,.0f} ms"
                    )
            print(f"workers' peak RSS: {monitor.describe()}")
        finally:
            stop_gunicorn(server)


if __name__ == "__main__":
    main()
