"""Fault script: the whole service under gunicorn while things break, then an audit of what it
acknowledged.

Scenarios (each on a database of its own, made and dropped here):

  a. gunicorn (2 workers, deploy/gunicorn.conf.py) on PostgreSQL, a stream of API writes from a
     few client threads (creates of one-off events, each with its own uid and title, and PATCHes
     of the client's own events) beside a feed poller; one worker is killed with SIGKILL
     mid-stream and gunicorn starts another.
  b. the same stream while PostgreSQL is restarted mid-stream (``pg_ctlcluster ... restart``).
  c. SQLite: separate writer processes at once on one database file: HTTP clients through
     gunicorn, processes calling ``store.operations`` directly, and ``calendar-service
     import-ics`` runs.
  d. memory: peak RSS of each worker with a 10,000-series calendar (bench_load's fill) after an
     .ics import through the organiser upload page and one through the CLI, and after building
     the full feed, a filtered feed, the agenda and the occurrences API for 4 weeks.

After each of a-c: every write answered 2xx must be in the database (by uid, with the
acknowledged title, or a later write's title) and in the feed's bytes (UID and SUMMARY lines);
the calendar's version must have gone up once per committed change (the feed's ETag is made
from it); no event row may lack a required field; every worker must serve the same feed; no
request may be answered 500 (503 with Retry-After is the right answer while the database is
away; a request whose connection broke is counted as "no answer").  Recovery time is from the
fault to the end of the first 2xx write sent after it.

    .venv/bin/python bench/faults.py                     # every scenario, a few minutes
    .venv/bin/python bench/faults.py --scenarios a,c --seconds 8

Needs PostgreSQL at 127.0.0.1:5432 with trust auth (a, b, d) and the right to restart it with
pg_ctlcluster (b); PostgreSQL is started again at the end whatever happens.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import fill, free_port, peak_rss_mb, workers_of  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SLUG = "bench"  # the calendar bench_load's fill makes
BIN = Path(sys.executable).parent


# HTTP -------------------------------------------------------------------------------------------


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own; connection errors propagate."""
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    sent = {"Connection": "close", **(headers or {})}
    if data is not None and "Content-Type" not in sent:
        sent["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@dataclass
class Attempt:
    """One write: its outcome as the writer saw it."""

    client: str
    seq: int
    kind: str  # create | patch | import
    uid: str
    title: str
    started: float  # time.time()
    ended: float = 0.0
    status: int | None = None  # None: no answer (the connection broke, the process failed)
    error: str = ""
    retry_after: str | None = None

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def stream_writes(
    port: int,
    token: str,
    client: str,
    tag: str,
    until: float,
    max_writes: int,
    stop: threading.Event | None = None,
    pause: float = 0.0,
) -> list[Attempt]:
    """Creates of one-off events (own uid, unique title) and, every third write, a PATCH of one
    of this client's acknowledged events, one at a time, until ``until`` or ``max_writes``."""
    rng = random.Random(f"{tag}-{client}")
    auth = {"Authorization": f"Bearer {token}"}
    attempts: list[Attempt] = []
    mine: list[str] = []
    for seq in range(max_writes):
        if time.time() >= until or (stop is not None and stop.is_set()):
            break
        if seq % 3 == 2 and mine:
            uid = rng.choice(mine)
            attempt = Attempt(
                client, seq, "patch", uid, f"{tag} {client} w{seq} patched", time.time()
            )
            method, path = "PATCH", f"/api/v1/events/{uid}"
            body: dict[str, Any] = {"title": attempt.title, "location": f"Room {seq}"}
        else:
            uid = f"{tag}-{client}-{seq}@faults.test"
            attempt = Attempt(
                client, seq, "create", uid, f"{tag} {client} w{seq} created", time.time()
            )
            day = 1 + seq % 28
            method, path = "POST", "/api/v1/events"
            body = {
                "uid": uid,
                "calendar": SLUG,
                "title": attempt.title,
                "start": f"2027-03-{day:02d}T{9 + seq % 8:02d}:00:00",
                "location": "Fault room",
                "categories": ["tps"],
            }
        try:
            status, headers, data = call(port, method, path, body, auth)
            attempt.status, attempt.retry_after = status, headers.get("Retry-After")
            if status in (200, 201):
                stored = json.loads(data)
                if stored.get("uid") != uid or stored.get("title") != attempt.title:
                    attempt.error = f"answer names {stored.get('uid')} {stored.get('title')!r}"
                if attempt.kind == "create":
                    mine.append(uid)
            elif status >= 500:
                attempt.error = data[:300].decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            attempt.error = type(error).__name__
        attempt.ended = time.time()
        attempts.append(attempt)
        if pause:
            time.sleep(pause)
    return attempts


@dataclass
class Poller:
    """Feed requests beside the writes, as subscribers make them: in turn a conditional poll
    (If-None-Match of the last ETag) and a full fetch, whose body is kept by ETag, so two
    different feeds served under one ETag are seen."""

    port: int
    statuses: Counter[int | str] = field(default_factory=Counter)
    bodies: dict[str, set[str]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, until: float) -> None:
        etag = ""
        for turn in range(100_000):
            if self.stop.is_set() or time.time() >= until:
                return
            conditional = turn % 2 == 1 and etag
            try:
                status, headers, body = call(
                    self.port,
                    "GET",
                    f"/calendars/{SLUG}.ics",
                    headers={"If-None-Match": etag} if conditional else {},
                )
                self.statuses[status] += 1
                etag = headers.get("ETag", etag)
                if status == 200:
                    self.bodies.setdefault(etag, set()).add(hashlib.sha256(body).hexdigest())
            except (OSError, http.client.HTTPException) as error:
                self.statuses[type(error).__name__] += 1
            self.stop.wait(0.1)

    def describe(self) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items(), key=str))
        return (
            f"feed requests beside the writes: {statuses}; {len(self.bodies)} ETags served "
            f"with a body, {self.shared_etags()} of them with more than one body"
        )

    def shared_etags(self) -> int:
        """How many ETags were served with more than one body."""
        return sum(len(bodies) > 1 for bodies in self.bodies.values())


# Servers and processes --------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    access: Path

    def workers(self) -> list[int]:
        return sorted(workers_of(self.process))


def start_gunicorn(url: str, instance: Path, workers: int = 2) -> Server:
    port = free_port()
    log, access = instance / "gunicorn.log", instance / "access.log"
    env = {
        **os.environ,
        "CALENDAR_DATABASE_URL": url,
        "CALENDAR_SECRET_KEY": "faults",
        "CALENDAR_INSTANCE_PATH": str(instance),
        "GUNICORN_ACCESS_LOG": str(access),
        "PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                "deploy/gunicorn.conf.py",
                "--workers",
                str(workers),
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    server = Server(process, port, log, access)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                call(port, "GET", "/healthz", timeout=2)[0] == 200
                and len(server.workers()) == workers
            ):
                return server
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    stop_gunicorn(server)
    raise SystemExit("gunicorn did not start:\n" + log.read_text()[-2000:])


def stop_gunicorn(server: Server) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


class RssMonitor:
    """Peak RSS (VmHWM) of every worker the server has had, sampled until stopped, so a worker
    that is killed keeps its figure."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peaks: dict[int, float] = {}
        self.respawned: list[tuple[float, int]] = []  # (time.time(), pid) of workers seen later
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssMonitor:
        self.sample()
        self._initial = set(self.peaks)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    def sample(self) -> None:
        for pid in self.server.workers():
            try:
                mb = peak_rss_mb(pid)
            except OSError:
                continue
            if pid not in self.peaks and hasattr(self, "_initial"):
                self.respawned.append((time.time(), pid))
            self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)

    def _run(self) -> None:
        for _ in range(100_000):
            if self._stop.wait(0.2):
                return
            self.sample()

    def describe(self, killed: int | None = None) -> str:
        parts = []
        for pid, mb in self.peaks.items():
            note = (
                " (killed)"
                if pid == killed
                else (" (respawned)" if pid not in self._initial else "")
            )
            parts.append(f"{pid}{note} {mb:.0f} MB")
        return ", ".join(parts)


@contextmanager
def database(kind: str, label: str, instance: Path) -> Iterator[str]:
    """A database of the scenario's own: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{instance / 'faults.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"faults_{label}_{uuid.uuid4().hex[:8]}"
    # No pool: a connection kept across a restart of PostgreSQL would be dead.
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        ensure_postgres_running()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False
        ).returncode
        == 0
    )


def ensure_postgres_running() -> None:
    if pg_ready():
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"],
        check=False,
        timeout=120,
    )
    for _ in range(60):
        if pg_ready():
            return
        time.sleep(1)


def tokens_for(url: str, count: int) -> list[str]:
    """``count`` API tokens of the organiser fill made, one for each writer, as separate scripts
    or organisers have (one shared token would serialise every write on its row's lock)."""
    from calendar_service import create_app
    from calendar_service.store.accounts import create_token, find_organiser
    from calendar_service.store.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "faults"})
    with app.app_context():
        organiser = find_organiser("bench@example.org")
        assert organiser is not None
        secrets = [create_token(organiser, f"writer {n}")[1] for n in range(count)]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secrets


# Checking what was acknowledged ------------------------------------------------------------------


def feed_events(body: bytes) -> dict[str, str]:
    """UID → SUMMARY of every VEVENT in a feed (lines unfolded; text unescaped)."""
    text = body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode()
    found: dict[str, str] = {}
    uid = summary = None
    for line in text.split("\r\n"):
        if line == "BEGIN:VEVENT":
            uid = summary = None
        elif line.startswith("UID:"):
            uid = line[4:]
        elif line.startswith("SUMMARY"):
            value = line.split(":", 1)[1]
            summary = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)
        elif line == "END:VEVENT" and uid is not None:
            found[uid] = summary or ""
    return found


@dataclass
class Snapshot:
    """The database's side: the calendar's version, its event rows, audit entries since a mark."""

    version: int
    audit_max: int
    titles: dict[str, str]
    incomplete: list[str]
    changes: int = 0  # audited event changes after the mark
    created_audited: set[str] = field(default_factory=set)


REQUIRED = (
    "title",
    "start_local",
    "end_local",
    "timezone",
    "first_start_utc",
    "created",
    "updated",
    "sequence",
    "revision",
    "status",
    "published",
)


def snapshot(url: str, audit_after: int = 0) -> Snapshot:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            calendar_id, version = connection.execute(
                text("SELECT id, version FROM calendars WHERE slug = :slug"), {"slug": SLUG}
            ).one()
            rows = (
                connection.execute(
                    text(f"SELECT uid, {', '.join(REQUIRED)} FROM events WHERE calendar_id = :id"),
                    {"id": calendar_id},
                )
                .mappings()
                .all()
            )
            audit_max = connection.execute(
                text("SELECT coalesce(max(id), 0) FROM audit_entries")
            ).scalar_one()
            audited = connection.execute(
                text(
                    "SELECT action, target FROM audit_entries WHERE id > :mark "
                    "AND target_type = 'event' AND calendar_slug = :slug"
                ),
                {"mark": audit_after, "slug": SLUG},
            ).all()
    finally:
        engine.dispose()
    incomplete = [
        row["uid"] for row in rows if any(row[name] is None or row[name] == "" for name in REQUIRED)
    ]
    return Snapshot(
        version,
        audit_max,
        {row["uid"]: row["title"] for row in rows},
        incomplete,
        changes=len(audited),
        created_audited={target for action, target in audited if action == "create"},
    )


def feed_copies(port: int, copies: int = 8) -> tuple[dict[str, str], set[tuple[str, str]], str]:
    """The feed fetched ``copies`` times on fresh connections (so from every worker): its events,
    the distinct (ETag, body hash) pairs seen, and the ETag."""
    seen: set[tuple[str, str]] = set()
    body, etag = b"", ""
    for _ in range(copies):
        status, headers, body = call(port, "GET", f"/calendars/{SLUG}.ics", timeout=60)
        assert status == 200, status
        etag = headers.get("ETag", "")
        seen.add((etag, hashlib.sha256(body).hexdigest()[:12]))
    return feed_events(body), seen, etag


@dataclass
class Report:
    attempted: int = 0
    acked: int = 0
    in_db: int = 0
    in_feed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    no_answer: Counter[str] = field(default_factory=Counter)
    unacked_committed: int = 0
    superseded: int = 0
    problems: list[str] = field(default_factory=list)
    missing_retry_after: int = 0


def verify(attempts: list[Attempt], db: Snapshot, feed: dict[str, str]) -> Report:
    """Every acknowledged write in the database and the feed: the uid present with the write's
    title, or with the title of a later write to the same uid (one that was not acknowledged
    may still have committed)."""
    report = Report(attempted=len(attempts))
    by_uid: dict[str, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda a: (a.client, a.seq)):
        by_uid.setdefault(attempt.uid, []).append(attempt)
        if attempt.status is None:
            report.no_answer[attempt.error or "?"] += 1
        else:
            report.statuses[str(attempt.status)] += 1
            if attempt.status == 503 and not attempt.retry_after:
                report.missing_retry_after += 1
        if attempt.acked and attempt.error:
            report.problems.append(f"{attempt.uid}: {attempt.error}")
    for uid, writes in by_uid.items():
        stored, shown = db.titles.get(uid), feed.get(uid)
        if stored is not None and stored != shown:
            report.problems.append(f"{uid}: database says {stored!r}, feed {shown!r}")
        for index, write in enumerate(writes):
            allowed = {write.title} | {later.title for later in writes[index + 1 :]}
            if not write.acked:
                if stored == write.title:
                    report.unacked_committed += 1
                continue
            report.acked += 1
            report.in_db += stored in allowed
            report.in_feed += shown in allowed
            report.superseded += (
                stored in allowed
                and stored != write.title
                and not any(later.acked and later.title == stored for later in writes[index + 1 :])
            )
            if stored not in allowed:
                report.problems.append(
                    f"acknowledged {write.kind} {uid} {write.title!r}: database has {stored!r}"
                )
            elif shown not in allowed:
                report.problems.append(
                    f"acknowledged {write.kind} {uid} {write.title!r}: feed has {shown!r}"
                )
    return report


def check_integrity(
    before: Snapshot,
    after: Snapshot,
    stream_uids: set[str],
    copies: set[tuple[str, str]],
    etag_before: str,
    etag_after: str,
) -> list[str]:
    """What would show a half-written change: lost version bumps, rows lacking fields, events
    without their audit entry, workers serving different feeds, an ETag that did not move."""
    problems = []
    bumps = after.version - before.version
    if bumps != after.changes:
        problems.append(
            f"calendar version went up {bumps} times for {after.changes} committed "
            f"event changes (audit entries): {after.changes - bumps} bumps lost, so "
            "two different feeds share an ETag"
        )
    if after.incomplete:
        problems.append(
            f"{len(after.incomplete)} event rows lack a required field: {after.incomplete[:3]}"
        )
    unaudited = [
        uid
        for uid in stream_uids
        if uid in after.titles and uid not in before.titles and uid not in after.created_audited
    ]
    if unaudited:
        problems.append(f"{len(unaudited)} new events have no create audit entry")
    if len(copies) > 1:
        problems.append(f"the workers served {len(copies)} different feeds: {sorted(copies)}")
    if etag_before == etag_after:
        problems.append("the feed's ETag did not change over the writes")
    return problems


def recovery(attempts: list[Attempt], fault: float) -> tuple[float | None, str]:
    """Seconds from the fault to the end of the first 2xx write sent after it, and the span of
    failed writes (non-2xx or no answer) around it."""
    after = [a for a in attempts if a.started >= fault and a.acked]
    first = min((a.ended for a in after), default=None)
    failed = [a for a in attempts if not a.acked and a.ended >= fault - 1]
    span = (
        f"failed writes from +{min(a.started for a in failed) - fault:.2f} s to "
        f"+{max(a.ended for a in failed) - fault:.2f} s"
        if failed
        else "no failed writes"
    )
    return (None if first is None else first - fault), span


def log_findings(server: Server) -> list[str]:
    """What the server logged that matters: unhandled errors (tracebacks), worker timeouts."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    lines = [
        f"server log: {text.count('database unavailable')} 'database unavailable' (503), "
        f"{text.count('unhandled error')} 'unhandled error' (500), "
        f"{text.count('WORKER TIMEOUT')} worker timeouts, "
        f"{text.count('Booting worker')} workers booted"
    ]
    for match in list(re.finditer(r"unhandled error.*?(?=\n\S*\[\d{4}-|\Z)", text, re.S))[:2]:
        lines.append("  " + match.group(0)[-3000:].replace("\n", "\n  "))
    if server.access.exists():
        codes = Counter(m.group(1) for m in re.finditer(r'" (\d{3}) ', server.access.read_text()))
        lines.append(
            "access log statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))
        )
    return lines


def print_report(name: str, report: Report, extra: list[str]) -> None:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())) or "none"
    no_answer = ", ".join(f"{k}: {v}" for k, v in sorted(report.no_answer.items())) or "0"
    print(f"\n## {name}")
    print(
        f"writes attempted {report.attempted}, acknowledged (2xx) {report.acked}, "
        f"found in DB {report.in_db}, found in feed {report.in_feed}"
    )
    print(f"answers by status: {statuses}; no answer: {no_answer}")
    print(
        f"503 without Retry-After: {report.missing_retry_after}; unacknowledged writes that "
        f"committed anyway: {report.unacked_committed}; acknowledged titles since replaced by "
        f"an unacknowledged later write: {report.superseded}"
    )
    for line in extra:
        print(line)
    verdict = "OK" if not report.problems else f"{len(report.problems)} PROBLEMS"
    print(f"verdict: {verdict}")
    for problem in report.problems[:12]:
        print(f"  - {problem}")


# Scenarios a and b: a write stream on PostgreSQL with a fault in the middle ----------------------


@dataclass
class StreamResult:
    attempts: list[Attempt]
    poller: Poller
    before: Snapshot
    etag_before: str


def run_stream(
    server: Server, url: str, args: argparse.Namespace, tag: str, fault: Callable[[], None]
) -> StreamResult:
    """Threads writing for ``args.seconds``; ``fault`` is called ``args.fault_at`` s in."""
    _, _, etag_before = feed_copies(server.port, 2)
    before = snapshot(url)
    until = time.time() + args.seconds
    results: list[list[Attempt]] = [[] for _ in range(args.clients)]
    tokens = tokens_for(url, args.clients)

    def client(index: int) -> None:
        results[index] = stream_writes(
            server.port, tokens[index], f"c{index}", tag, until, args.max_writes
        )

    poller = Poller(server.port)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    threads.append(threading.Thread(target=poller.run, args=(until,)))
    for thread in threads:
        thread.start()
    time.sleep(args.fault_at)
    fault()
    for thread in threads:
        thread.join(timeout=args.seconds + 120)
    poller.stop.set()
    return StreamResult([a for batch in results for a in batch], poller, before, etag_before)


def finish_stream(
    name: str,
    server: Server,
    url: str,
    result: StreamResult,
    fault_time: float,
    extra: list[str],
    monitor: RssMonitor,
    killed: int | None = None,
) -> Report:
    time.sleep(0.5)
    feed, copies, etag_after = feed_copies(server.port)
    after = snapshot(url, result.before.audit_max)
    report = verify(result.attempts, after, feed)
    report.problems += check_integrity(
        result.before,
        after,
        {a.uid for a in result.attempts},
        copies,
        result.etag_before,
        etag_after,
    )
    polls = result.poller.statuses
    report.problems += [f"{n} feed polls answered 500" for n in [polls.get(500, 0)] if n]
    report.problems += [
        f"{n} ETags were each served with different feed bodies during the "
        "stream (a cached feed that misses a committed change)"
        for n in [result.poller.shared_etags()]
        if n
    ]
    report.problems += [f"{n} writes answered 500" for n in [report.statuses.get("500", 0)] if n]
    seconds, span = recovery(result.attempts, fault_time)
    lines = [
        f"recovery: first 2xx write sent after the fault ended "
        f"{'never' if seconds is None else f'+{seconds:.2f} s'} after it; {span}",
        result.poller.describe(),
        f"version bumps {after.version - result.before.version}, audited event changes "
        f"{after.changes}; feed copies identical across workers: {len(copies) == 1}",
        *extra,
        f"peak RSS per worker: {monitor.describe(killed)}",
        *log_findings(server),
    ]
    print_report(name, report, lines)
    return report


def scenario_kill_worker(args: argparse.Namespace) -> Report:
    instance = Path(tempfile.mkdtemp(prefix="faults-a-"))
    try:
        with database("postgresql", "a", instance) as url:
            fill(url, instance, args.base_series)
            server = start_gunicorn(url, instance)
            try:
                with RssMonitor(server) as monitor:
                    state: dict[str, Any] = {}

                    def fault() -> None:
                        victim = random.choice(server.workers())
                        state.update(victim=victim, at=time.time())
                        os.kill(victim, signal.SIGKILL)

                    result = run_stream(server, url, args, "fa", fault)
                respawn = [t - state["at"] for t, _ in monitor.respawned]
                extra = [
                    f"killed worker {state['victim']} (SIGKILL) at +{args.fault_at:.1f} s; "
                    f"replacement seen after "
                    f"{f'{respawn[0]:.2f} s' if respawn else 'never'}; "
                    f"workers now {server.workers()}"
                ]
                return finish_stream(
                    "a. PostgreSQL, SIGKILL of one gunicorn worker mid-stream",
                    server,
                    url,
                    result,
                    state["at"],
                    extra,
                    monitor,
                    killed=state["victim"],
                )
            finally:
                stop_gunicorn(server)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def scenario_restart_postgres(args: argparse.Namespace) -> Report:
    instance = Path(tempfile.mkdtemp(prefix="faults-b-"))
    try:
        with database("postgresql", "b", instance) as url:
            fill(url, instance, args.base_series)
            server = start_gunicorn(url, instance)
            try:
                with RssMonitor(server) as monitor:
                    state: dict[str, Any] = {}

                    def fault() -> None:
                        state["at"] = time.time()
                        try:
                            done = subprocess.run(
                                [
                                    "pg_ctlcluster",
                                    "--skip-systemctl-redirect",
                                    pg_version(),
                                    "main",
                                    "restart",
                                ],
                                capture_output=True,
                                text=True,
                                timeout=120,
                            )
                            state["rc"] = done.returncode
                        finally:
                            ensure_postgres_running()
                        state["back"] = time.time()

                    result = run_stream(server, url, args, "fb", fault)
                back = state["back"] - state["at"]
                first_after_back = min(
                    (a.ended for a in result.attempts if a.acked and a.started >= state["back"]),
                    default=None,
                )
                extra = [
                    f"pg_ctlcluster restart at +{args.fault_at:.1f} s (exit {state['rc']}) "
                    f"took {back:.2f} s; first 2xx write sent after it returned ended "
                    + (
                        "never"
                        if first_after_back is None
                        else f"+{first_after_back - state['back']:.2f} s later"
                    )
                ]
                return finish_stream(
                    "b. PostgreSQL restarted mid-stream",
                    server,
                    url,
                    result,
                    state["at"],
                    extra,
                    monitor,
                )
            finally:
                stop_gunicorn(server)
    finally:
        ensure_postgres_running()
        shutil.rmtree(instance, ignore_errors=True)


# Scenario c: writer processes on one SQLite file --------------------------------------------------


def role_http_writer(args: argparse.Namespace) -> None:
    attempts = stream_writes(
        args.port, args.token, args.client, args.tag, time.time() + args.seconds, args.max_writes
    )
    print(json.dumps([asdict(a) for a in attempts]))


def role_ops_writer(args: argparse.Namespace) -> None:
    """Creates and updates through ``store.operations``, one commit each, as a script would."""
    from sqlalchemy.exc import SQLAlchemyError

    from calendar_service import create_app
    from calendar_service.store import operations
    from calendar_service.store.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db_url, "SECRET_KEY": "faults"})
    attempts: list[Attempt] = []
    mine: list[str] = []
    until = time.time() + args.seconds
    with app.app_context():
        for seq in range(args.max_writes):
            if time.time() >= until:
                break
            patch = seq % 3 == 2 and bool(mine)
            uid = mine[seq % len(mine)] if patch else f"{args.tag}-{args.client}-{seq}@faults.test"
            title = f"{args.tag} {args.client} w{seq} {'patched' if patch else 'created'}"
            attempt = Attempt(
                args.client, seq, "patch" if patch else "create", uid, title, time.time()
            )
            try:
                if patch:
                    event = operations.find_event(uid)
                    assert event is not None
                    operations.update_event(event, {"title": title}, "faults")
                else:
                    operations.create_event(
                        {
                            "uid": uid,
                            "calendar": SLUG,
                            "title": title,
                            "start": f"2027-04-{1 + seq % 28:02d}T10:00:00",
                        },
                        "faults",
                    )
                db.session.commit()
                attempt.status = 200 if patch else 201
                if not patch:
                    mine.append(uid)
            except SQLAlchemyError as error:
                db.session.rollback()
                attempt.error = f"{type(error).__name__}: {str(error.orig or error)[:60]}"
            attempt.ended = time.time()
            attempts.append(attempt)
    print(json.dumps([asdict(a) for a in attempts]))


def ics_file(path: Path, tag: str, client: str, seq: int, count: int) -> list[Attempt]:
    """An .ics of ``count`` new one-off events; one Attempt each (to be filled in)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//faults//EN"]
    attempts = []
    for number in range(count):
        uid = f"{tag}-{client}-f{seq}-e{number}@faults.test"
        title = f"{tag} {client} f{seq} e{number} imported"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:202705{1 + number % 28:02d}T{10 + seq % 8:02d}0000Z",
            f"DTEND:202705{1 + number % 28:02d}T{11 + seq % 8:02d}0000Z",
            f"SUMMARY:{title}",
            "END:VEVENT",
        ]
        attempts.append(Attempt(client, seq * 1000 + number, "import", uid, title, time.time()))
    lines.append("END:VCALENDAR")
    path.write_text("\r\n".join(lines) + "\r\n")
    return attempts


def cli_env(url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CALENDAR_DATABASE_URL": url,
        "CALENDAR_INSTANCE_PATH": str(instance),
        "CALENDAR_SECRET_KEY": "faults",
        "PYTHONPATH": str(ROOT),
    }


def cli_importer(
    url: str, instance: Path, client: str, tag: str, until: float, max_runs: int, per_file: int
) -> list[Attempt]:
    """``calendar-service import-ics`` runs one after another, each a new process."""
    attempts: list[Attempt] = []
    for seq in range(max_runs):
        if time.time() >= until:
            break
        path = instance / f"{tag}-{client}-{seq}.ics"
        batch = ics_file(path, tag, client, seq, per_file)
        done = subprocess.run(
            [str(BIN / "calendar-service"), "import-ics", str(path), "--calendar", SLUG],
            cwd=ROOT,
            env=cli_env(url, instance),
            capture_output=True,
            text=True,
            timeout=120,
        )
        created = set(re.findall(r"^created: (\S+)$", done.stdout, re.M))
        for attempt in batch:
            attempt.ended = time.time()
            if done.returncode == 0 and attempt.uid in created:
                attempt.status = 201
            else:
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                attempt.error = f"exit {done.returncode}: {last[:70]}"
        attempts += batch
    return attempts


def scenario_sqlite_processes(args: argparse.Namespace) -> Report:
    instance = Path(tempfile.mkdtemp(prefix="faults-c-"))
    try:
        with database("sqlite", "c", instance) as url:
            fill(url, instance, args.base_series)
            tokens = tokens_for(url, args.processes)
            server = start_gunicorn(url, instance)
            try:
                with RssMonitor(server) as monitor:
                    _, _, etag_before = feed_copies(server.port, 2)
                    before = snapshot(url)
                    script = [sys.executable, str(Path(__file__).resolve())]
                    common = [
                        "--seconds",
                        str(args.seconds),
                        "--max-writes",
                        str(args.max_writes),
                        "--tag",
                        "fc",
                    ]
                    started = time.time()
                    children = [
                        subprocess.Popen(
                            [
                                *script,
                                "--role",
                                "http-writer",
                                "--port",
                                str(server.port),
                                "--token",
                                tokens[i],
                                "--client",
                                f"h{i}",
                                *common,
                            ],
                            cwd=ROOT,
                            env=cli_env(url, instance),
                            stdout=subprocess.PIPE,
                        )
                        for i in range(args.processes)
                    ]
                    children += [
                        subprocess.Popen(
                            [
                                *script,
                                "--role",
                                "ops-writer",
                                "--db-url",
                                url,
                                "--client",
                                f"o{i}",
                                *common,
                            ],
                            cwd=ROOT,
                            env=cli_env(url, instance),
                            stdout=subprocess.PIPE,
                        )
                        for i in range(args.ops_processes)
                    ]
                    imports: list[list[Attempt]] = [[] for _ in range(args.importers)]

                    def importer(index: int) -> None:
                        imports[index] = cli_importer(
                            url, instance, f"i{index}", "fc", started + args.seconds, 50, 20
                        )

                    threads = [
                        threading.Thread(target=importer, args=(i,)) for i in range(args.importers)
                    ]
                    poller = Poller(server.port)
                    threads.append(
                        threading.Thread(target=poller.run, args=(started + args.seconds,))
                    )
                    for thread in threads:
                        thread.start()
                    attempts: list[Attempt] = []
                    kinds: dict[str, list[Attempt]] = {}
                    for child in children:
                        out, _ = child.communicate(timeout=args.seconds + 180)
                        batch = [Attempt(**item) for item in json.loads(out or b"[]")]
                        attempts += batch
                        kinds.setdefault(
                            "HTTP" if batch and batch[0].client[0] == "h" else "operations", []
                        ).extend(batch)
                    for thread in threads:
                        thread.join(timeout=args.seconds + 300)
                    poller.stop.set()
                    kinds["CLI import-ics"] = [a for batch in imports for a in batch]
                    attempts += kinds["CLI import-ics"]
                    wall = time.time() - started
                time.sleep(0.5)
                feed, copies, etag_after = feed_copies(server.port)
                after = snapshot(url, before.audit_max)
                report = verify(attempts, after, feed)
                report.problems += check_integrity(
                    before, after, {a.uid for a in attempts}, copies, etag_before, etag_after
                )
                report.problems += [
                    f"{n} writes answered 500" for n in [report.statuses.get("500", 0)] if n
                ]
                report.problems += [
                    f"{n} feed polls answered 500" for n in [poller.statuses.get(500, 0)] if n
                ]
                report.problems += [
                    f"{n} ETags were each served with different feed bodies during the stream"
                    for n in [poller.shared_etags()]
                    if n
                ]
                lines = [
                    f"{args.processes} HTTP writer processes, {args.ops_processes} "
                    f"operations processes, {args.importers} CLI import-ics loops "
                    f"(20 events a file), {wall:.1f} s"
                ]
                for kind, batch in kinds.items():
                    part = verify(batch, after, feed)
                    rate = part.acked / wall if wall else 0.0
                    lines.append(
                        f"  {kind:15} attempted {part.attempted}, acknowledged {part.acked} "
                        f"({rate:.1f}/s), in DB {part.in_db}, in feed {part.in_feed}; "
                        f"statuses {dict(sorted(part.statuses.items()))}; failures "
                        f"{dict(part.no_answer)}"
                    )
                lines += [
                    poller.describe(),
                    f"version bumps {after.version - before.version}, audited event changes "
                    f"{after.changes}; feed copies identical across workers: {len(copies) == 1}",
                    f"peak RSS per worker: {monitor.describe()}",
                    *log_findings(server),
                ]
                print_report("c. SQLite, several writer processes at once", report, lines)
                return report
            finally:
                stop_gunicorn(server)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


# Scenario d: memory with a large calendar ---------------------------------------------------------


class Browser:
    """A signed-in organiser's cookies and CSRF tokens, for the upload page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        status, answer, data = call(self.port, method, path, body, headers, timeout=300)
        for key, value in answer.items():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return status, data

    def csrf(self, path: str) -> str:
        _, page = self.request("GET", path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1).decode()

    def sign_in(self, email: str, password: str) -> None:
        from urllib.parse import urlencode

        token = self.csrf("/organiser/sign-in")
        form = urlencode({"csrf_token": token, "email": email, "password": password}).encode()
        status, _ = self.request(
            "POST", "/organiser/sign-in", form, "application/x-www-form-urlencoded"
        )
        assert status == 302, f"sign-in answered {status}"

    def upload(self, slug: str, name: str, data: bytes) -> tuple[int, bytes]:
        token = self.csrf("/organiser/import")
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in (("csrf_token", token), ("calendar", slug)):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: text/calendar\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST", "/organiser/import", body, f"multipart/form-data; boundary={boundary}"
        )


def series_ics(tag: str, count: int) -> bytes:
    """``count`` weekly series in Europe/London with a description, as exported calendars are."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//faults//EN"]
    days = ["MO", "TU", "WE", "TH", "FR"]
    for number in range(count):
        day = 1 + number % 28
        lines += [
            "BEGIN:VEVENT",
            f"UID:{tag}-{number}@faults.test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Europe/London:202601{day:02d}T{9 + number % 8:02d}0000",
            f"DTEND;TZID=Europe/London:202601{day:02d}T{10 + number % 8:02d}0000",
            f"RRULE:FREQ=WEEKLY;BYDAY={days[number % 5]}",
            f"SUMMARY:Imported {tag} series {number}",
            "DESCRIPTION:A description of the series\\, long enough to be realistic "
            "and to be folded onto a second line by the writer.",
            "LOCATION:Room 4\\, 96 Euston Road",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def timed(port: int, path: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    status, _, body = call(port, "GET", path, timeout=300)
    return status, len(body), time.perf_counter() - started


def scenario_memory(args: argparse.Namespace) -> None:
    from sqlalchemy import create_engine, text

    instance = Path(tempfile.mkdtemp(prefix="faults-d-"))
    try:
        with database(args.memory_db, "d", instance) as url:
            started = time.perf_counter()
            token, _ = fill(url, instance, args.series)
            print(
                f"\n## d. memory, {args.memory_db}: filled {args.series:,} series "
                f"(bench_load's mix) in {time.perf_counter() - started:.0f} s"
            )
            server = start_gunicorn(url, instance)
            try:
                rows = []
                with RssMonitor(server) as monitor:
                    rows.append(("after start", dict(monitor.peaks)))
                    auth = {"Authorization": f"Bearer {token}"}
                    for slug in ("uploaded", "cli"):
                        status, _, _ = call(
                            server.port,
                            "POST",
                            "/api/v1/calendars",
                            {"slug": slug, "name": f"Imported ({slug})"},
                            auth,
                        )
                        assert status == 201, status
                    browser = Browser(server.port)
                    browser.sign_in("bench@example.org", "bench-password-123")
                    upload = series_ics("up", args.import_series)
                    begun = time.perf_counter()
                    status, page = browser.upload("uploaded", "series.ics", upload)
                    summary = re.search(rb"(\d+) created", page)
                    print(
                        f"organiser upload of {args.import_series:,} series "
                        f"({len(upload) / 1e6:.1f} MB): {status} in "
                        f"{time.perf_counter() - begun:.1f} s"
                        f"{', ' + summary.group(0).decode() if summary else ''}"
                    )
                    monitor.sample()
                    rows.append(("after the upload import", dict(monitor.peaks)))
                    path = instance / "cli.ics"
                    path.write_bytes(series_ics("cli", args.import_series))
                    print(run_cli_import(url, instance, path, args.import_series))
                    pids = server.workers()
                    print(
                        f"{'request':44} {'status':>6} {'bytes':>11} {'seconds':>8}  "
                        "peak RSS of each worker after it (MB)"
                    )
                    window = "start=2026-12-01&end=2026-12-29&calendar=bench"
                    paths = [f"/calendars/{SLUG}.ics"] * 6 + [
                        f"/calendars/{SLUG}.ics?category=tps",
                        "/calendars/uploaded.ics",
                        "/calendars/cli.ics",
                        f"/?calendar={SLUG}",
                        "/?days=56",
                        f"/calendars/{SLUG}/2026/12",
                        f"/api/v1/occurrences?{window}",
                        f"/api/v1/occurrences?{window}",
                        f"/api/v1/events?calendar={SLUG}",
                    ]
                    for path_ in paths:
                        status, size, seconds = timed(server.port, path_)
                        peaks = [peak_rss_mb(pid) for pid in pids]
                        print(
                            f"{path_[:44]:44} {status:6d} {size:11,d} {seconds:8.2f}  "
                            + " ".join(f"{mb:5.0f}" for mb in peaks)
                        )
                    monitor.sample()
                    rows.append(("after feeds, agenda, occurrences", dict(monitor.peaks)))
                engine = create_engine(url)
                with engine.connect() as connection:
                    events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
                    overrides = connection.execute(
                        text("SELECT count(*) FROM overrides")
                    ).scalar_one()
                engine.dispose()
                print(f"database: {events:,} events, {overrides:,} overrides")
                for label, peaks in rows:
                    print(
                        f"peak RSS per worker {label:34}: "
                        + ", ".join(f"{pid} {mb:.0f} MB" for pid, mb in sorted(peaks.items()))
                    )
                current = {pid: current_rss_mb(pid) for pid in server.workers()}
                print(
                    "current RSS per worker at the end"
                    + " " * 21
                    + ": "
                    + ", ".join(f"{pid} {mb:.0f} MB" for pid, mb in sorted(current.items()))
                )
                print(
                    "target (bench_load): < 150 MB a worker; " + "; ".join(log_findings(server)[:1])
                )
            finally:
                stop_gunicorn(server)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def run_cli_import(url: str, instance: Path, path: Path, series: int) -> str:
    """``calendar-service import-ics`` of the file into calendar ``cli``: its figures, with the
    process's peak RSS (from wait4, so no other child counts)."""
    begun = time.perf_counter()
    with (instance / "cli.out").open("w+b") as out:
        child = subprocess.Popen(
            [str(BIN / "calendar-service"), "import-ics", str(path), "--calendar", "cli"],
            cwd=ROOT,
            env=cli_env(url, instance),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        timer = threading.Timer(600, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        last = (out.read().decode(errors="replace").strip().splitlines() or ["?"])[-1]
    return (
        f"CLI import-ics of {series:,} series: exit {child.returncode} in "
        f"{time.perf_counter() - begun:.1f} s ({last}); peak RSS of the CLI process "
        f"{usage.ru_maxrss / 1024:.0f} MB"
    )


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# Main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="a,b,c,d", help="comma-separated: a,b,c,d")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each write stream")
    parser.add_argument("--fault-at", type=float, default=4.0, help="seconds into the stream")
    parser.add_argument("--clients", type=int, default=4, help="writer threads (a, b)")
    parser.add_argument("--max-writes", type=int, default=2000, help="per writer")
    parser.add_argument(
        "--base-series",
        type=int,
        default=200,
        help="series in the calendar before the stream (a-c)",
    )
    parser.add_argument("--processes", type=int, default=4, help="HTTP writer processes (c)")
    parser.add_argument(
        "--ops-processes",
        type=int,
        default=2,
        help="processes writing through store.operations (c)",
    )
    parser.add_argument("--importers", type=int, default=2, help="CLI import-ics loops (c)")
    parser.add_argument("--series", type=int, default=10_000, help="series in the calendar (d)")
    parser.add_argument(
        "--import-series", type=int, default=2_000, help="series in each imported .ics (d)"
    )
    parser.add_argument("--memory-db", choices=["postgresql", "sqlite"], default="postgresql")
    # Internal: the writer processes of scenario c.
    parser.add_argument("--role", choices=["http-writer", "ops-writer"], help=argparse.SUPPRESS)
    for name in ("--port", "--token", "--client", "--tag", "--db-url"):
        parser.add_argument(name, help=argparse.SUPPRESS, type=int if name == "--port" else str)
    args = parser.parse_args()
    if args.role == "http-writer":
        return role_http_writer(args)
    if args.role == "ops-writer":
        return role_ops_writer(args)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    print(
        f"machine: {os.cpu_count()} cores; gunicorn 2 workers "
        f"({os.environ.get('GUNICORN_THREADS', '4')} threads); streams of {args.seconds:g} s, "
        f"fault at +{args.fault_at:g} s, {args.clients} writer threads + 1 feed poller; "
        f"{args.base_series} series in the calendar beforehand"
    )
    reports: dict[str, Report] = {}
    started = time.perf_counter()
    try:
        scenarios: dict[str, Callable[[argparse.Namespace], Any]] = {
            "a": scenario_kill_worker,
            "b": scenario_restart_postgres,
            "c": scenario_sqlite_processes,
            "d": scenario_memory,
        }
        for name in chosen:
            result = scenarios[name](args)
            if isinstance(result, Report):
                reports[name] = result
    finally:
        ensure_postgres_running()
    print(
        f"\n## summary ({time.perf_counter() - started:.0f} s; PostgreSQL "
        f"{'running' if pg_ready() else 'NOT RUNNING'})"
    )
    for name, report in reports.items():
        print(f"{name}: {'OK' if not report.problems else f'{len(report.problems)} problems'}")


if __name__ == "__main__":
    main()
