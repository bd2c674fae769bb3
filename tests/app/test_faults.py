"""Faults while organisers write through the API: a gunicorn worker killed mid-stream, and
several processes writing to one SQLite file at once.  Every write the service acknowledged (2xx)
is in the database and in the feed, with its title (or a later write's), and no request is
answered 500; 503 is allowed while the database is busy, always with Retry-After.

``bench/faults.py`` runs these at length with figures, and restarts PostgreSQL mid-stream, which
is too disruptive for the suite.  Run as a script, this module is one writer process of the
SQLite test: ``python tests/app/test_faults.py PORT TOKEN CLIENT WRITES``.

The streams are measured in writes, not seconds, and the worker is killed once the clients
have seen writes through: the same work on a quiet machine and a busy one.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_service.clock import utcnow

ROOT = Path(__file__).resolve().parents[2]
MAX_WRITES = 400  # per writer: a stream told to run until stopped stops here in any case
WRITES_PER_PROCESS = 30  # each writer process of the SQLite test

pytestmark = pytest.mark.slow

Write = dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection (so a write is never retried on a stale one)."""
    sent = {"Connection": "close", "Content-Type": "application/json", **(headers or {})}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(
            method, path, body=None if body is None else json.dumps(body), headers=sent
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def write_stream(
    port: int,
    token: str,
    client: str,
    count: int = MAX_WRITES,
    *,
    stop: threading.Event | None = None,
    after: threading.Event | None = None,
    progress: Callable[[Write], None] | None = None,
) -> list[Write]:
    """Creates of one-off events (own uid, unique title) and, every third write, a PATCH of one
    of this client's acknowledged events; one at a time, ``count`` of them or until ``stop``
    is set.  Each write notes whether ``after`` was set when it began, and is handed to
    ``progress`` once answered."""
    auth = {"Authorization": f"Bearer {token}"}
    writes: list[Write] = []
    mine: list[str] = []
    for seq in range(count):
        if stop is not None and stop.is_set():
            break
        if seq % 3 == 2 and mine:
            uid = mine[seq % len(mine)]
            write = {"uid": uid, "title": f"{client} w{seq} patched", "kind": "patch"}
            method, path = "PATCH", f"/api/v1/events/{uid}"
            body: dict[str, Any] = {"title": write["title"]}
        else:
            uid = f"{client}-{seq}@faults.test"
            write = {"uid": uid, "title": f"{client} w{seq} created", "kind": "create"}
            method, path = "POST", "/api/v1/events"
            body = {
                "uid": uid,
                "calendar": "test",
                "title": write["title"],
                "start": f"{utcnow().date() + timedelta(days=1 + seq % 28)}T10:00:00",
            }
        write.update(
            after=after is not None and after.is_set(), status=None, retry_after=None, error=""
        )
        try:
            status, headers, data = _call(port, method, path, body, auth)
            write.update(status=status, retry_after=headers.get("Retry-After"))
            if status in (200, 201):
                stored = json.loads(data)
                assert (stored["uid"], stored["title"]) == (uid, write["title"]), stored
                if write["kind"] == "create":
                    mine.append(uid)
            elif status >= 500:
                write["error"] = data[:300].decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            write["error"] = type(error).__name__
        writes.append(write)
        if progress is not None:
            progress(write)
    return writes


def _acknowledged(write: Write) -> bool:
    return write["status"] in (200, 201)


def _feed_titles(body: bytes) -> dict[str, str]:
    """UID → SUMMARY of each VEVENT of a feed."""
    text = body.replace(b"\r\n ", b"").decode()
    found: dict[str, str] = {}
    for block in text.split("BEGIN:VEVENT")[1:]:
        uid = re.search(r"^UID:(.*)$", block, re.M)
        summary = re.search(r"^SUMMARY[^:]*:(.*)$", block, re.M)
        if uid:
            found[uid.group(1).strip()] = summary.group(1).strip() if summary else ""
    return found


def _stored_titles(app: Any) -> dict[str, str]:
    from sqlalchemy import select

    from calendar_service.store.db import db
    from calendar_service.store.models import Event

    with app.app_context():
        return {uid: title for uid, title in db.session.execute(select(Event.uid, Event.title))}


def check_acknowledged(
    writes: list[Write], stored: dict[str, str], feed: dict[str, str]
) -> list[str]:
    """Each acknowledged write in the database and the feed: its uid with its title, or the
    title of a later write to that uid (one without an answer may have committed too)."""
    missing = []
    by_uid: dict[str, list[Write]] = {}
    for write in writes:  # in each client's order; a uid belongs to one client
        by_uid.setdefault(write["uid"], []).append(write)
    for uid, history in by_uid.items():
        for index, write in enumerate(history):
            if not _acknowledged(write):
                continue
            allowed = {write["title"]} | {later["title"] for later in history[index + 1 :]}
            if stored.get(uid) not in allowed:
                missing.append(f"database: {uid} {write['title']!r} -> {stored.get(uid)!r}")
            if feed.get(uid) not in allowed:
                missing.append(f"feed: {uid} {write['title']!r} -> {feed.get(uid)!r}")
    return missing


def _workers(master: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.add(int(stat.parent.name))
    return children


class Gunicorn:
    """A gunicorn with the project's config on the test database; its log is kept."""

    def __init__(self, url: str, tmp_path: Path, workers: int = 2) -> None:
        self.port = _free_port()
        self.log = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "CALENDAR_DATABASE_URL": url,
            "CALENDAR_SECRET_KEY": "test-key",
            "CALENDAR_INSTANCE_PATH": str(tmp_path / "instance"),
            "GUNICORN_ACCESS_LOG": "",
        }
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "--config",
                    "deploy/gunicorn.conf.py",
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=sink,
            )
        self.wait_for_workers(workers)

    def workers(self) -> set[int]:
        return _workers(self.process.pid)

    def wait_for_workers(self, count: int, timeout: float = 30) -> set[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if _call(self.port, "GET", "/healthz")[0] == 200 and len(self.workers()) == count:
                    return self.workers()
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(
            f"gunicorn did not have {count} answering workers within "
            f"{timeout} s:\n{self.log.read_text()[-3000:]}"
        )

    def feed(self) -> dict[str, str]:
        """The feed, fetched on fresh connections until each worker has served it, and the
        same by every one."""
        bodies = set()
        for _ in range(6):
            status, _, body = _call(self.port, "GET", "/calendars/test.ics")
            assert status == 200
            bodies.add(body)
        assert len(bodies) == 1, "the workers serve different feeds"
        return _feed_titles(bodies.pop())

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        return self.log.read_text(errors="replace")


@pytest.fixture
def gunicorn(app: Any, tmp_path: Path) -> Iterator[Callable[[], Gunicorn]]:
    servers: list[Gunicorn] = []

    def start() -> Gunicorn:
        servers.append(Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def assert_no_500(writes: list[Write], log: str, max_503: int) -> Counter[Any]:
    statuses = Counter(write["status"] for write in writes)
    assert not [
        w for w in writes if w["status"] is not None and w["status"] >= 500 and w["status"] != 503
    ], [w for w in writes if (w["status"] or 0) >= 500]
    assert "unhandled error" not in log, log[-5000:]
    print(f"{len(writes)} writes: {dict(statuses)}")  # shown with -s, and on a failure
    unavailable = [write for write in writes if write["status"] == 503]
    assert all(write["retry_after"] for write in unavailable)
    assert len(unavailable) <= max_503, statuses
    return statuses


def test_a_worker_killed_mid_stream_loses_no_acknowledged_write(
    app: Any,
    make_calendar: Callable[..., dict[str, Any]],
    token: str,
    make_token: Callable[[str], str],
    organiser: dict[str, Any],
    gunicorn: Callable[[], Gunicorn],
) -> None:
    make_calendar(slug="test")
    tokens = [token, make_token(organiser["email"]), make_token(organiser["email"])]
    server = gunicorn()
    results: list[list[Write]] = [[] for _ in tokens]
    killed, stop = threading.Event(), threading.Event()
    acknowledged_by = Counter[tuple[str, bool]]()  # (client, after the kill) → writes
    changed = threading.Condition()

    def note(write: Write) -> None:
        if _acknowledged(write):
            with changed:
                acknowledged_by[write["uid"].split("-")[0], write["after"]] += 1
                changed.notify_all()

    def each_client_has(enough: int, after_kill: bool) -> bool:
        """Wait until every client has ``enough`` writes acknowledged (begun after the kill,
        or before it); False if they never do (a stream ended or stalled)."""
        with changed:
            return changed.wait_for(
                lambda: all(
                    acknowledged_by[f"c{index}", after_kill] >= enough
                    for index in range(len(tokens))
                ),
                timeout=120,
            )

    def client(index: int) -> None:
        results[index] = write_stream(
            server.port, tokens[index], f"c{index}", stop=stop, after=killed, progress=note
        )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    try:
        # Mid-stream: every client has had writes through, and goes on writing.
        assert each_client_has(5, after_kill=False), acknowledged_by
        victim = min(server.workers())
        os.kill(victim, signal.SIGKILL)
        killed.set()
        assert each_client_has(5, after_kill=True), acknowledged_by
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    respawned = server.wait_for_workers(2)
    assert victim not in respawned

    writes = [write for batch in results for write in batch]
    acknowledged = [write for write in writes if _acknowledged(write)]
    assert len(acknowledged) >= 30, Counter(w["status"] for w in writes)
    # Only a request in flight on the killed worker goes unanswered: one per client at most.
    assert sum(write["status"] is None for write in writes) <= len(tokens)
    assert check_acknowledged(writes, _stored_titles(app), server.feed()) == []
    assert_no_500(writes, server.stop(), max_503=len(writes) // 10)


class TestSQLiteWriterProcesses:
    """Four processes, each its own HTTP client and token, writing at once through gunicorn to
    one SQLite file (on a PostgreSQL run of the suite too)."""

    @pytest.fixture
    def postgres_url(self) -> None:
        return None

    def test_every_acknowledged_write_is_kept(
        self,
        app: Any,
        make_calendar: Callable[..., dict[str, Any]],
        token: str,
        make_token: Callable[[str], str],
        organiser: dict[str, Any],
        gunicorn: Callable[[], Gunicorn],
    ) -> None:
        assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
        make_calendar(slug="test")
        tokens = [token] + [make_token(organiser["email"]) for _ in range(3)]
        server = gunicorn()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        writers = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    str(server.port),
                    secret,
                    f"p{index}",
                    str(WRITES_PER_PROCESS),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for index, secret in enumerate(tokens)
        ]
        writes: list[Write] = []
        for writer in writers:
            out, err = writer.communicate(timeout=90)
            assert writer.returncode == 0, err.decode()[-3000:]
            writes += json.loads(out)

        acknowledged = [write for write in writes if _acknowledged(write)]
        assert len(acknowledged) >= 40, Counter(w["status"] for w in writes)
        assert {w["uid"].split("-")[0] for w in acknowledged} == {"p0", "p1", "p2", "p3"}
        assert [w for w in writes if w["status"] is None] == []
        assert check_acknowledged(writes, _stored_titles(app), server.feed()) == []
        assert_no_500(writes, server.stop(), max_503=len(writes) // 10)


def test_two_overlapping_changes_each_bump_the_calendar_version(
    app: Any,
    client: Any,
    make_calendar: Callable[..., dict[str, Any]],
) -> None:
    """Organiser A's request has read the calendar when B's change commits; A then commits.
    The feed built in between must not be served for the state after A's change."""
    from calendar_service.store import operations
    from calendar_service.store.db import db

    make_calendar(slug="test")
    tomorrow = utcnow().date() + timedelta(days=1)
    with app.app_context():
        first = operations.find_calendar("test")
        assert first is not None
        start = first.version  # request A has loaded the calendar
        with app.app_context():  # request B, in a session of its own, commits first
            operations.create_event(
                {"calendar": "test", "title": "Change B", "start": f"{tomorrow}T10:00:00"}, "test"
            )
            db.session.commit()
        between = client.get("/calendars/test.ics")  # a subscriber polls in between
        assert b"SUMMARY:Change B" in between.data
        operations.create_event(
            {"calendar": "test", "title": "Change A", "start": f"{tomorrow}T11:00:00"}, "test"
        )
        db.session.commit()
        version = operations.find_calendar("test").version  # type: ignore[union-attr]
    after = client.get("/calendars/test.ics")
    held = client.get("/calendars/test.ics", headers={"If-None-Match": between.headers["ETag"]})
    assert (version - start, b"SUMMARY:Change A" in after.data, held.status_code) == (2, True, 200)


if __name__ == "__main__":
    port, secret, name, count = sys.argv[1:5]
    print(json.dumps(write_stream(int(port), secret, name, int(count))))
