"""Load benchmark of the whole service under gunicorn.

Starts the server itself (gunicorn, 2 workers) on SQLite and on PostgreSQL, fills a calendar with
a realistic mix of 1,000 series, and drives it from another process on loopback with wrk for a
fixed time per scenario: the full feed, the feed's 304, the cached read paths (the agenda, the
4-week occurrences API, an event page and the month view, each warm and revalidated with
If-None-Match), and the feed again with organiser writes mixed in.  Beside them it measures the
same server's ceiling: a trivial route (/robots.txt) and static files of the same size as the
feed, the agenda and the occurrences answer.  The machine is shared and its speed drifts, so the
scenarios run in interleaved rounds and the ratios are medians of each round's.

Feed 304s are answered inside Flask from the calendar's version row (``web.http_cache``); a
filtered feed's 304 (a query string) also resolves its categories, and is measured beside it.

    .venv/bin/python bench/bench_load.py                 # both databases, 5 rounds of 4 s
    .venv/bin/python bench/bench_load.py --db sqlite --rounds 3 --duration 3

Needs wrk (Debian package `wrk`); PostgreSQL at 127.0.0.1:5432 with trust auth for --db postgresql.
Targets: the feed's 304 >= 90% of the trivial route's rate, other 304s >= 80%; the full feed
>= 80% of a static file of the same bytes; the warm agenda and the warm occurrences answer >= 50%
of a static file of the same size; zero errors; p99 of warm answers under 50 ms; peak RSS under
150 MB a worker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STATIC_NAME = "_bench_feed.ics"
# Static files the size of the cached answers that are compared with one.
SIZED = {"agenda": "_bench_agenda.html", "occurrences API, 4 weeks": "_bench_occurrences.json"}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    note: str = ""


@dataclass
class Writer:
    """Organiser writes (PATCH of random events) at a steady rate beside a wrk run."""

    base: str
    token: str
    uids: list[str]
    rate: float = 10.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            uid = rng.choice(self.uids)
            body = json.dumps({"location": f"Room {rng.randint(1, 500)}"}).encode()
            request = urllib.request.Request(
                f"{self.base}/api/v1/events/{uid}",
                data=body,
                method="PATCH",
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                },
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                    if response.status != 200:
                        self.errors += 1
            except (urllib.error.URLError, OSError):
                self.errors += 1
            self.latencies.append(time.perf_counter() - started)
            self.stop.wait(1 / self.rate)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(url: str, instance: Path, series: int) -> tuple[str, list[str]]:
    """Schema, a calendar of ``series`` mixed series with exceptions, an organiser token."""
    os.environ["CALENDAR_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from calendar_service import create_app
    from calendar_service.store import operations
    from calendar_service.store.accounts import create_organiser, create_token
    from calendar_service.store.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    rng = random.Random(2026)
    weekdays = ["MO", "TU", "WE", "TH", "FR"]
    uids: list[str] = []
    with app.app_context():
        upgrade()
        operations.create_calendar(
            {"slug": "bench", "name": "Institute events"}, "bench", default_tz="Europe/London"
        )
        for index in range(series):
            kind = rng.choices(
                ["weekly", "biweekly", "monthly", "yearly", "multiday", "oneoff"],
                weights=[35, 20, 20, 8, 7, 10],
            )[0]
            year = rng.choice([2024, 2025, 2026])
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            hour = rng.choice([9, 10, 11, 13, 14, 15, 16])
            day_code = rng.choice(weekdays)
            start = f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00"
            fields: dict[str, object] = {
                "calendar": "bench",
                "title": f"{kind.title()} event {index}",
                "description": "A realistic description, with a link https://example.org/x "
                "and a second line.\nRoom details follow.",
                "location": "The Alan Turing Institute, 96 Euston Road, London",
                "categories": [rng.choice(["tps", "ai-uk", "turing-way", "training"])],
                "start": start,
                "end": f"{year}-{month:02d}-{day:02d}T{hour + 1:02d}:00:00",
            }
            if kind == "weekly":
                fields["rrule"] = f"FREQ=WEEKLY;BYDAY={day_code}"
            elif kind == "biweekly":
                fields["rrule"] = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day_code}"
            elif kind == "monthly":
                fields["rrule"] = f"FREQ=MONTHLY;BYDAY={rng.choice(['1', '2', '-1'])}{day_code}"
            elif kind == "yearly":
                fields["rrule"] = f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"
            elif kind == "multiday":
                fields.update(
                    all_day=True,
                    start=f"{year}-{month:02d}-{min(day, 23):02d}",
                    end=f"{year}-{month:02d}-{min(day, 23) + 5:02d}",
                    rrule="FREQ=YEARLY",
                )
            else:
                fields["start"] = f"2027-{month:02d}-{day:02d}T{hour:02d}:00:00"
                fields["end"] = f"2027-{month:02d}-{day:02d}T{hour + 1:02d}:00:00"
            event = operations.create_event(fields, "bench")
            uids.append(event.uid)
            if kind in ("weekly", "biweekly", "monthly") and rng.random() < 0.4:
                import rules
                from calendar_service.store.occurrences import series_of

                upcoming = rules.upcoming(
                    series_of(event), rules.to_utc(event.start_local, event.timezone), 6
                )
                if len(upcoming) >= 4:
                    exdate = upcoming[1].recurrence_id
                    operations.update_event(
                        event, {"exdates": [exdate.isoformat(timespec="seconds")]}, "bench"
                    )
                    cancelled = upcoming[2].recurrence_id
                    operations.set_override(event, cancelled, {"status": "cancelled"}, "bench")
                    moved = upcoming[3].recurrence_id
                    operations.set_override(
                        event,
                        moved,
                        {"title": "Moved session", "start": (moved.replace(hour=17)).isoformat()},
                        "bench",
                    )
            if index % 200 == 0:
                db.session.commit()
        organiser = create_organiser("bench@example.org", "bench-password-123", admin=True)
        _token, secret = create_token(organiser, "bench")
        db.session.commit()
        db.engine.dispose()
    return secret, uids


def start_server(url: str, instance: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CALENDAR_DATABASE_URL": url,
        "CALENDAR_SECRET_KEY": "bench",
        "CALENDAR_INSTANCE_PATH": str(instance),
        "GUNICORN_ACCESS_LOG": "",
        "PORT": str(port),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "deploy/gunicorn.conf.py",
            "--workers",
            "2",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start: " + (server.stderr.read() or b"").decode()[-2000:])


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:
            children.append(int(stat.parent.name))
    return children


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


WARMUP = 2


def wrk(
    name: str,
    url: str,
    duration: int,
    connections: int,
    headers: dict[str, str] | None = None,
    warm_up: bool = True,
) -> Result:
    """One scenario: a short unmeasured warm-up (every worker builds its caches, as a running
    server has), then the measured run."""
    options = []
    for key, value in (headers or {}).items():
        options += ["-H", f"{key}: {value}"]
    if WARMUP and warm_up:
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{WARMUP}s", *options, url],
            capture_output=True,
            check=True,
        )
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    output = subprocess.run(
        command + options + [url], capture_output=True, text=True, check=True
    ).stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(value) for value in socket_errors.groups())
    return Result(name, rps, latency("50"), latency("99"), requests, errors)


@dataclass
class Scenario:
    name: str
    url: str
    headers: dict[str, str] | None = None


def interleaved(
    scenarios: list[Scenario], rounds: int, duration: int, connections: int
) -> tuple[list[Result], list[dict[str, float]]]:
    """The scenarios compared with each other, run in turn ``rounds`` times.

    The machine is shared: its speed drifts by a factor of two within a minute.  Running the
    ceiling and the feed scenarios one after another in each round and taking medians compares
    them under the same conditions; each round's ratios are kept for the median ratio.
    """
    runs: dict[str, list[Result]] = {scenario.name: [] for scenario in scenarios}
    per_round: list[dict[str, float]] = []
    for round_number in range(rounds):
        figures = {}
        for scenario in scenarios:
            result = wrk(
                scenario.name,
                scenario.url,
                duration,
                connections,
                scenario.headers,
                warm_up=round_number == 0,
            )
            runs[scenario.name].append(result)
            figures[scenario.name] = result.rps
        per_round.append(figures)
    results = []
    for name, results_of in runs.items():
        results.append(
            Result(
                name,
                statistics.median(r.rps for r in results_of),
                statistics.median(r.p50_ms for r in results_of),
                statistics.median(r.p99_ms for r in results_of),
                sum(r.requests for r in results_of),
                sum(r.errors for r in results_of),
                note=" ".join(f"{r.rps:.0f}" for r in results_of),
            )
        )
    return results, per_round


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def new_database(kind: str, instance: Path) -> tuple[str, Any, str]:
    """A new empty database of ``kind``: its URL, the PostgreSQL admin engine that drops it
    afterwards (None for a SQLite file in ``instance``) and its name."""
    if kind == "sqlite":
        return f"sqlite:///{instance / 'bench.sqlite3'}", None, ""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"calendar_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    return url, admin_engine, name


def run_database(kind: str, args: argparse.Namespace) -> None:
    instance = Path(tempfile.mkdtemp(prefix="calendar-bench-"))
    url, admin_engine, name = new_database(kind, instance)
    static_file = ROOT / "calendar_service" / "static" / STATIC_NAME
    statics: dict[str, Path] = {}
    server = None
    try:
        started = time.perf_counter()
        token, uids = fill(url, instance, args.series)
        print(f"\n## {kind}: filled {args.series} series in {time.perf_counter() - started:.1f} s")
        port = free_port()
        server = start_server(url, instance, port)
        base = f"http://127.0.0.1:{port}"
        status, headers, feed = fetch(f"{base}/calendars/bench.ics")
        assert status == 200, status
        etag = headers["ETag"]
        static_file.parent.mkdir(exist_ok=True)
        static_file.write_bytes(feed)
        status_304, _, _ = fetch(f"{base}/calendars/bench.ics", {"If-None-Match": etag})
        assert status_304 == 304, status_304
        filtered = f"{base}/calendars/bench.ics?category=tps"
        status, headers, _ = fetch(filtered)
        assert status == 200, status
        filtered_etag = headers["ETag"]
        window = "start=2026-12-01&end=2026-12-29&calendar=bench"
        print(f"feed: {len(feed):,} bytes, ETag {etag}")
        pages = {  # the cached read paths: name → URL
            "agenda": f"{base}/?calendar=bench",
            "occurrences API, 4 weeks": f"{base}/api/v1/occurrences?{window}",
            "event page": f"{base}/events/{uids[0]}",
            "month view": f"{base}/calendars/bench/2026/12",
        }
        page_etags = {}
        for name, page_url in pages.items():
            status, headers, body = fetch(page_url)
            assert status == 200 and "ETag" in headers, (page_url, status)
            page_etags[name] = headers["ETag"]
            assert fetch(page_url, {"If-None-Match": headers["ETag"]})[0] == 304, page_url
            print(f"{name}: {len(body):,} bytes, ETag {headers['ETag']}")
            if name in SIZED:
                statics[name] = static_file.with_name(SIZED[name])
                statics[name].write_bytes(body)
        duration, connections = args.duration, args.connections
        trivial, static = "trivial route (/robots.txt)", "static file, feed-sized"
        full, poll = "feed 200", "feed 304 (If-None-Match)"
        scenarios = [
            Scenario(trivial, f"{base}/robots.txt"),
            Scenario(static, f"{base}/static/{STATIC_NAME}"),
            Scenario(full, f"{base}/calendars/bench.ics"),
            Scenario(poll, f"{base}/calendars/bench.ics", {"If-None-Match": etag}),
            Scenario("  filtered feed 304", filtered, {"If-None-Match": filtered_etag}),
        ]
        for name, page_url in pages.items():
            if name in SIZED:
                scenarios.append(
                    Scenario(f"static file, {name}-sized", f"{base}/static/{SIZED[name]}")
                )
            scenarios.append(Scenario(f"{name} 200 (warm)", page_url))
            scenarios.append(Scenario(f"{name} 304", page_url, {"If-None-Match": page_etags[name]}))
        results, per_round = interleaved(scenarios, args.rounds, duration, connections)
        writer = Writer(base, token, uids, rate=args.write_rate)
        thread = threading.Thread(target=writer.run, daemon=True)
        thread.start()
        mixed = wrk("feed 200 + writes", f"{base}/calendars/bench.ics", duration, connections)
        writer.stop.set()
        thread.join()
        write_p50 = statistics.median(writer.latencies) * 1000 if writer.latencies else 0.0
        write_p99 = (
            sorted(writer.latencies)[int(len(writer.latencies) * 0.99) - 1] * 1000
            if writer.latencies
            else 0.0
        )
        results.append(mixed)
        results.append(
            Result(
                "  organiser writes (PATCH)",
                len(writer.latencies) / duration,
                write_p50,
                write_p99,
                len(writer.latencies),
                writer.errors,
            )
        )
        status_after, headers_after, _ = fetch(
            f"{base}/calendars/bench.ics", {"If-None-Match": etag}
        )
        rss = {pid: peak_rss_mb(pid) for pid in workers_of(server)}
        print(
            f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} "
            f"{'errors':>7}  req/s in each round"
        )
        for result in results:
            print(
                f"{result.name:34} {result.rps:9.1f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
                f"{result.requests:9d} {result.errors:7d}  {result.note}"
            )
        compared = [(poll, trivial, 0.9), (full, static, 0.8)]
        for name in pages:
            if name in SIZED:
                compared.append((f"{name} 200 (warm)", f"static file, {name}-sized", 0.5))
            compared.append((f"{name} 304", trivial, 0.8))
        for numerator, denominator, target in compared:
            ratios = [figures[numerator] / figures[denominator] for figures in per_round]
            print(
                f"{numerator.strip()} / {denominator}: {statistics.median(ratios):.0%} median "
                f"of rounds ({', '.join(f'{r:.0%}' for r in ratios)}) "
                f"(target >= {target:.0%})"
            )
        warm = [result for result in results if "(warm)" in result.name]
        print(
            "p99 of the warm answers: "
            + ", ".join(
                f"{result.name.removesuffix(' 200 (warm)')} {result.p99_ms:.1f} ms"
                for result in warm
            )
            + " (target < 50 ms)"
        )
        print(f"errors in all scenarios: {sum(result.errors for result in results)} (target 0)")
        print(
            "peak RSS per worker: "
            + ", ".join(f"{mb:.0f} MB" for mb in rss.values())
            + " (target < 150 MB)"
        )
        print(
            f"after the writes the old ETag answers {status_after} "
            f"(new ETag {headers_after.get('ETag')})"
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        static_file.unlink(missing_ok=True)
        for path in statics.values():
            path.unlink(missing_ok=True)
        shutil.rmtree(instance, ignore_errors=True)
        if admin_engine is not None:
            from sqlalchemy import text

            with admin_engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--duration",
        type=int,
        default=4,
        help="seconds per scenario (per round for the compared ones)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of the ceiling and feed scenarios, interleaved",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--write-rate", type=float, default=10.0, help="writes per second")
    parser.add_argument(
        "--warmup", type=int, default=WARMUP, help="unmeasured seconds of load before each scenario"
    )
    args = parser.parse_args()
    globals()["WARMUP"] = args.warmup
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    print(
        f"machine: {os.cpu_count()} cores; wrk -t2 -c{args.connections} -d{args.duration}s "
        f"after {args.warmup} s warm-up; {args.rounds} interleaved rounds of the ceiling and "
        f"feed scenarios; gunicorn 2 workers (gthread, "
        f"{os.environ.get('GUNICORN_THREADS', 'deploy/gunicorn.conf.py default')} threads)"
    )
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run_database(kind, args)


if __name__ == "__main__":
    main()
