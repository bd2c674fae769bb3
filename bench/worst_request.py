"""Worst request: the slowest answer and the largest worker we can produce, with data anyone
holding an organiser token may store, under the project's own gunicorn settings.

It stores, through the write API (so validation decides what gets in), the costliest things it
accepts: the most overlapping series allowed (hourly, each occurrence lasting weeks), a
minutely series without end, rules that look productive but almost never (or never) occur, the
largest texts and date lists, hundreds of overrides, a series in the year 9000, and, through
`calendar-service import-ics`, thousands of events on one day; it also imports the hostile
files the security review used (a VTIMEZONE with minutely observances, 200,000 categories,
3,000 overrides), timing each import process and reading its peak RSS.  Each attempt's status
is printed, so a refusal is visible.

Then it asks every public and API read for the worst it can: the widest windows, the last
years, every hostile event's page, feed and occurrences, the month of the crowded day, searches,
category lists, the OpenAPI document.  Each request is sent alone and timed, the workers' peak
RSS (VmHWM) read after each; then the slowest five are sent again by eight clients at once for
a few seconds.  The baseline in the same run is the trivial route (/robots.txt) and the
seeded-size agenda before the hostile data went in.

    .venv/bin/python bench/worst_request.py                   # SQLite
    .venv/bin/python bench/worst_request.py --db postgresql   # PostgreSQL at 127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import peak_rss_mb  # noqa: E402
from faults import (  # noqa: E402
    BIN,
    RssMonitor,
    Server,
    call,
    cli_env,
    database,
    start_gunicorn,
    stop_gunicorn,
)

SLUG = "hostile"


@dataclass
class Stored:
    name: str
    status: int
    uid: str | None
    detail: str


@dataclass
class Timing:
    path: str
    status: int
    size: int
    seconds: float
    worker_mb: float


def prepare(url: str, instance: Path) -> str:
    """Schema, the calendar, an admin's token (what an organiser of this calendar holds)."""
    os.environ["CALENDAR_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from calendar_service import create_app
    from calendar_service.store import operations
    from calendar_service.store.accounts import create_organiser, create_token
    from calendar_service.store.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "worst"})
    with app.app_context():
        upgrade()
        operations.create_calendar(
            {"slug": SLUG, "name": "Hostile"}, "bench", default_tz="Europe/London"
        )
        organiser = create_organiser("worst@example.org", "worst-password-123", admin=True)
        _row, secret = create_token(organiser, "worst")
        db.session.commit()
        db.engine.dispose()
    return secret


def event(title: str, start: str, end: str, **more: Any) -> dict[str, Any]:
    return {
        "calendar": SLUG,
        "title": title,
        "start": start,
        "end": end,
        "timezone": "Europe/London",
        **more,
    }


def store(port: int, token: str, name: str, body: dict[str, Any]) -> Stored:
    status, _headers, answer = call(
        port, "POST", "/api/v1/events", body, {"Authorization": f"Bearer {token}"}, timeout=300
    )
    parsed = json.loads(answer) if answer else {}
    detail = "" if status == 201 else str(parsed.get("errors") or parsed.get("detail"))[:140]
    return Stored(name, status, parsed.get("uid") if status == 201 else None, detail)


def longest_accepted(port: int, token: str) -> Stored:
    """The hourly series whose occurrences last longest while still accepted (most overlap)."""
    for days in (60, 45, 42, 41, 40, 35, 30):
        end = f"2026-{1 + days // 28:02d}-{1 + days % 28:02d}T10:00"
        stored = store(
            port,
            token,
            f"hourly, each lasting {days} days",
            event(f"Overlap {days}", "2026-01-01T10:00", end, rrule="FREQ=HOURLY"),
        )
        print(f"  {stored.name}: {stored.status} {stored.detail}")
        if stored.status == 201:
            return stored
    return stored


def hostile_events(port: int, token: str) -> list[Stored]:
    dates = [f"2027-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:30" for i in range(1000)]
    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            "minutely, no end",
            event("Every minute", "2026-01-01T00:00", "2026-01-01T00:01", rrule="FREQ=MINUTELY"),
        ),
        (
            "minutely, each lasting 16 hours",
            event("Minutely long", "2026-01-01T00:00", "2026-01-01T16:00", rrule="FREQ=MINUTELY"),
        ),
        (
            "secondly, no end",
            event("Every second", "2026-01-01T00:00", "2026-01-01T00:00:01", rrule="FREQ=SECONDLY"),
        ),
        (
            "31 February, monthly (never occurs)",
            event(
                "Never",
                "2026-01-31T10:00",
                "2026-01-31T11:00",
                rrule="FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31",
            ),
        ),
        (
            "29 February on a Monday, yearly (every 28 years)",
            event(
                "Rare",
                "2026-01-01T10:00",
                "2026-01-01T11:00",
                rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
            ),
        ),
        (
            "every day by week number and weekday",
            event(
                "Busy rule",
                "2026-01-01T10:00",
                "2026-01-01T11:00",
                rrule="FREQ=YEARLY;BYWEEKNO="
                + ",".join(map(str, range(1, 54)))
                + ";BYDAY=MO,TU,WE,TH,FR,SA,SU",
            ),
        ),
        (
            "daily from 8999",
            event("Far future", "8999-01-01T10:00", "8999-01-01T11:00", rrule="FREQ=DAILY"),
        ),
        (
            "1,000 RDATEs and 1,000 EXDATEs",
            event(
                "Many dates",
                "2027-01-01T09:00",
                "2027-01-01T09:15",
                rrule="FREQ=HOURLY",
                rdates=dates,
                exdates=[d.replace(":30", ":00") for d in dates],
            ),
        ),
    ]
    big = "<b>&amp;</b> " * 1_800 + "x" * 1_000
    for number in range(40):
        attempts.append(
            (
                f"largest texts {number}",
                event(
                    ("T" * 499) + str(number % 10),
                    "2027-03-03T09:00",
                    "2027-03-03T10:00",
                    description=big[:20_000],
                    location="L" * 500,
                    url="https://example.org/" + "u" * 1900,
                    categories=[f"c{n}" for n in range(20)],
                    rrule="FREQ=DAILY",
                ),
            )
        )
    results = []
    for name, body in attempts:
        stored = store(port, token, name, body)
        print(f"  {name}: {stored.status} {stored.detail}")
        results.append(stored)
    return results


def many_overrides(port: int, token: str, count: int) -> Stored:
    stored = store(
        port,
        token,
        f"weekly with {count} overrides",
        event("Overridden weekly", "2026-01-05T10:00", "2026-01-05T11:00", rrule="FREQ=WEEKLY"),
    )
    assert stored.uid
    from datetime import date, timedelta

    first = date(2026, 1, 5)
    ok = 0
    for week in range(count):
        rid = f"{(first + timedelta(weeks=week)).isoformat()}T10:00:00"
        body = {"title": f"Session {week}", "description": "Speaker and topic. " * 50}
        status, _h, _b = call(
            port,
            "PUT",
            f"/api/v1/events/{stored.uid}/occurrences/{rid}",
            body,
            {"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        ok += status == 200
    print(f"  {stored.name}: {ok} of {count} overrides stored")
    return stored


def run_import(url: str, instance: Path, name: str, data: bytes) -> tuple[str, float, float, str]:
    """One `calendar-service import-ics` process: (name, seconds, peak RSS MB, last line)."""
    path = instance / "import.ics"
    path.write_bytes(data)
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            str(BIN / "flask"),
            "--app",
            "calendar_service",
            "import-ics",
            str(path),
            "--calendar",
            SLUG,
        ],
        cwd=ROOT,
        env=cli_env(url, instance),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    seconds = time.perf_counter() - started
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return name, seconds, usage.ru_maxrss / 1024, last[:150]


def ics(*events: list[str], zone: list[str] | None = None) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//worst//EN", *(zone or [])]
    for lines_of_event in events:
        lines += ["BEGIN:VEVENT", *lines_of_event, "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def hostile_imports() -> list[tuple[str, bytes]]:
    crowded = [
        [
            f"UID:crowd-{n}@worst",
            "DTSTAMP:20260101T000000Z",
            "DTSTART:20270303T100000Z",
            "DTEND:20270303T110000Z",
            f"SUMMARY:Crowd {n}",
        ]
        for n in range(3000)
    ]
    bomb_zone = [
        "BEGIN:VTIMEZONE",
        "TZID:Bomb",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "RRULE:FREQ=MINUTELY",
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    bomb = [
        [
            "UID:bomb@worst",
            "DTSTAMP:20260101T000000Z",
            "DTSTART;TZID=Bomb:20270101T100000",
            "DTEND;TZID=Bomb:20270101T110000",
            "SUMMARY:Bomb",
        ]
    ]
    categories = [
        [
            "UID:cats@worst",
            "DTSTAMP:20260101T000000Z",
            "DTSTART:20270101T100000Z",
            "DTEND:20270101T110000Z",
            "SUMMARY:Categories",
            "CATEGORIES:" + ",".join(f"k{n}" for n in range(200_000)),
        ]
    ]
    series = [
        "UID:ovr@worst",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260105T100000Z",
        "DTEND:20260105T110000Z",
        "RRULE:FREQ=DAILY",
        "SUMMARY:Series",
    ]
    overrides = [series] + [
        [
            "UID:ovr@worst",
            "DTSTAMP:20260101T000000Z",
            f"RECURRENCE-ID:{_day(n)}T100000Z",
            f"DTSTART:{_day(n)}T120000Z",
            f"DTEND:{_day(n)}T130000Z",
            f"SUMMARY:Moved {n}",
        ]
        for n in range(3000)
    ]
    return [
        ("3,000 events on one day", ics(*crowded)),
        ("VTIMEZONE with minutely observances", ics(*bomb, zone=bomb_zone)),
        ("200,000 categories on one line", ics(*categories)),
        ("3,000 overrides of one series", ics(*overrides)),
    ]


def _day(n: int) -> str:
    from datetime import date, timedelta

    return (date(2026, 1, 5) + timedelta(days=n)).strftime("%Y%m%d")


def reads(uids: dict[str, str]) -> list[str]:
    paths = [
        "/robots.txt",
        "/",
        "/?days=366",
        "/?from=2026-01-01&days=366",
        "/?from=8999-06-01&days=366",
        "/?from=1800-01-01&days=366",
        "/?q=" + "a" * 200,
        "/?q=Crowd&days=366",
        "/?" + "&".join(f"category=c{n}" for n in range(20)),
        "/?from=2027-03-03&days=1",
        "/?from=2027-03-03&days=1&calendar=hostile",
        f"/calendars/{SLUG}/2027/3",
        f"/calendars/{SLUG}/2026/1",
        f"/calendars/{SLUG}/9000/12",
        f"/calendars/{SLUG}.ics",
        f"/calendars/{SLUG}.ics?category=c1",
        "/api/v1/calendars",
        f"/api/v1/events?calendar={SLUG}&limit=1000",
        "/api/v1/openapi.json",
        "/api/v1/occurrences?start=2026-01-01&end=2028-01-01",
        "/api/v1/occurrences?start=2027-03-03&end=2027-03-04",
        "/api/v1/occurrences?start=8998-01-01&end=8999-12-31",
        "/api/v1/occurrences?start=2026-01-01&end=2028-01-01&category=c1",
    ]
    for name, uid in uids.items():
        paths += [
            f"/events/{uid}",
            f"/events/{uid}.ics",
            f"/api/v1/events/{uid}",
            f"/events/{uid}?on=89991231T100000",
            f"/api/v1/occurrences?start=2026-06-01&end=2028-06-01&calendar={SLUG}#{name}",
        ]
    return paths


def time_each(server: Server, paths: list[str]) -> list[Timing]:
    timings = []
    for path in paths:
        started = time.perf_counter()
        status, _headers, body = call(server.port, "GET", path.split("#")[0], timeout=600)
        seconds = time.perf_counter() - started
        worker = max((peak_rss_mb(pid) for pid in server.workers()), default=0.0)
        timings.append(Timing(path, status, len(body), seconds, worker))
    return timings


def storm(server: Server, paths: list[str], clients: int, seconds: float) -> tuple[int, int, float]:
    """``clients`` threads sending the paths round-robin: (answers, errors, slowest)."""
    lock = threading.Lock()
    counts = {"answers": 0, "errors": 0}
    slowest = [0.0]
    until = time.monotonic() + seconds

    def client(offset: int) -> None:
        n = offset
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                status = call(server.port, "GET", paths[n % len(paths)].split("#")[0], timeout=600)[
                    0
                ]
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                counts["answers"] += 1
                counts["errors"] += status == 0 or status >= 500
                slowest[0] = max(slowest[0], elapsed)
            n += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["answers"], counts["errors"], slowest[0]


def section(title: str, body: Callable[[], None]) -> None:
    print(f"\n## {title}")
    body()


def run(kind: str, clients: int, storm_seconds: float) -> None:
    instance = Path(tempfile.mkdtemp(prefix="worst-"))
    with database(kind, "worst", instance) as url:
        token = prepare(url, instance)
        server = start_gunicorn(url, instance)
        try:
            with RssMonitor(server) as monitor:
                baseline = time_each(server, ["/robots.txt", "/", "/api/v1/calendars"])
                print(
                    f"# {kind}: baseline (empty calendar) "
                    + ", ".join(f"{t.path} {t.seconds * 1000:.1f} ms" for t in baseline)
                )
                print("\n## stored through the API (201 = accepted)")
                stored = [longest_accepted(server.port, token)]
                stored += hostile_events(server.port, token)
                stored.append(many_overrides(server.port, token, 300))
                print("\n## imports through `calendar-service import-ics` (one process each)")
                for name, data in hostile_imports():
                    label, seconds, mb, last = run_import(url, instance, name, data)
                    print(f"  {label}: {seconds:.1f} s, peak RSS {mb:.0f} MB: {last}")
                uids = {s.name: s.uid for s in stored if s.uid and "largest texts" not in s.name}
                uids.update({s.name: s.uid for s in stored if s.uid and s.name.endswith(" 0")})
                timings = time_each(server, reads(uids))
                timings.sort(key=lambda t: t.seconds, reverse=True)
                print(f"\n## {len(timings)} reads, one at a time, slowest first")
                print("| request | status | bytes | time | largest worker (VmHWM) |")
                print("|---|---|---|---|---|")
                for t in timings[:15]:
                    print(
                        f"| `{t.path[:110]}` | {t.status} | {t.size:,} | "
                        f"{t.seconds * 1000:,.0f} ms | {t.worker_mb:.0f} MB |"
                    )
                errors = [t for t in timings if t.status >= 500]
                print(
                    f"server errors: {len(errors)}"
                    + "".join(f"\n  {t.status} {t.path}" for t in errors)
                )
                worst = [t.path for t in timings[:5]]
                answers, failed, slowest = storm(server, worst, clients, storm_seconds)
                print(f"\n## the five slowest, {clients} clients at once for {storm_seconds:.0f} s")
                print(
                    f"{answers} answers, {failed} errors or server errors, "
                    f"slowest {slowest * 1000:,.0f} ms"
                )
            print(f"\nworkers' peak RSS over the whole run: {monitor.describe()}")
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"(this script's own peak RSS: {own:.0f} MB)")
        finally:
            stop_gunicorn(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--storm-seconds", type=float, default=10.0)
    args = parser.parse_args()
    run(args.db, args.clients, args.storm_seconds)


if __name__ == "__main__":
    main()
