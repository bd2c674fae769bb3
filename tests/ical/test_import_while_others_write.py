"""A large import on SQLite must not hold the database's one write lock for its whole length (a
security review found every write, sign-in and token-authenticated read answering 503 after 5 s
for the ~150 s of a 50,000-event import, while /healthz said 200).  The import commits every few
events; others get in between.  And /healthz says "busy" when a write lock is held too long."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from calendar_service.services import imports
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.errors import StoreError
from calendar_service.store.models import Event
from tests.ical.others_meanwhile import ask_meanwhile, statuses

EVENTS = 3000
BATCH = 100


def one_offs(count: int) -> bytes:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//big//EN\r\n"]
    for index in range(count):
        parts.append(
            f"BEGIN:VEVENT\r\nUID:big-{index}@x\r\nSUMMARY:Talk {index}\r\n"
            f"DTSTART:2027{1 + index % 12:02d}{1 + index % 28:02d}T100000Z\r\n"
            "END:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


@pytest.fixture
def sqlite_only(postgres_url: str | None) -> None:
    if postgres_url is not None:
        pytest.skip("SQLite's single write lock; PostgreSQL imports in one transaction")


@pytest.fixture
def fail_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``fail_at(uid)``: the import's creation of that event fails, as the store fails a write
    (an address taken meanwhile is not such a failure: that event is skipped)."""

    def arrange(uid: str) -> None:
        create = operations.create_event

        def failing_create(data: Any, actor: Any, **options: Any) -> Any:
            if data.uid == uid:
                raise StoreError("taken meanwhile")
            return create(data, actor, **options)

        monkeypatch.setattr(operations, "create_event", failing_create)

    return arrange


def test_others_write_and_sign_in_during_a_large_import(
    sqlite_only: None,
    app: Flask,
    calendar: dict[str, Any],
    make_event: Callable[..., dict[str, Any]],
    organiser: dict[str, Any],
    admin_headers: dict[str, str],
    sign_in: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_event(uid="mine@x", title="Mine")
    batches = EVENTS // BATCH
    committed = [0]  # the import's batches committed so far
    paused = threading.Event()
    asking = threading.Event()
    done_asking = threading.Event()
    outcome: dict[str, Any] = {}
    nap = imports.sleep

    def gap(seconds: float) -> None:
        """The import's pause between batches, with its write lock free: counts the batch just
        committed, and holds the import after its first batch until the requests begin and
        before its last until they end, so they surely meet it writing, however the two
        threads are scheduled (the requests' own waits are not held)."""
        committed[0] += 1
        if committed[0] == 1:
            paused.set()
            asking.wait(60)
        if committed[0] == batches - 1:
            done_asking.wait(60)
        nap(seconds)

    monkeypatch.setattr(imports, "sleep", gap)

    def run_import() -> None:
        with app.app_context():
            target = operations.find_calendar("test")
            assert target is not None
            try:
                outcome["result"] = imports.import_ics(
                    one_offs(EVENTS),
                    target,
                    "test",
                    max_bytes=4 * 1024 * 1024,
                    batch_size=imports.batch_size_for(BATCH),
                )
                db.session.commit()
            except BaseException as error:  # reported by the main thread
                outcome["error"] = error
                db.session.rollback()
            finally:
                paused.set()  # a failed import holds nobody

    worker = threading.Thread(target=run_import)
    worker.start()
    try:
        assert paused.wait(60), "the import never wrote its first batch"
        asking.set()
        first = committed[0]
        answers = ask_meanwhile(
            app,
            committed,
            organiser_email=organiser["email"],
            admin_headers=admin_headers,
            sign_in=sign_in,
        )
        last = committed[0]
    finally:
        done_asking.set()
        worker.join(120)
    assert "error" not in outcome, outcome.get("error")
    had, wanted = statuses(answers)
    assert had == wanted
    # Each waited for at most a few of the import's 30 batches: a writer that slept through
    # the gaps between batches waited for most of the import, and before batches, for all of it.
    assert max(waited for _, _, waited in answers) <= batches // 5, answers
    # The requests were answered between the import's first batch and its last.
    assert first == 1 and last < batches, (first, last)
    result = outcome["result"]
    assert (len(result.created), result.skipped) == (EVENTS, [])
    assert result.transactions == batches
    assert [note.reason for note in result.notes] == [
        f"written in {batches} steps of at most {BATCH} events so that others could "
        "save changes meanwhile; until the last step, readers saw only part of it"
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == EVENTS + 1
        mine = operations.find_event("mine@x")
        assert mine is not None and mine.title == "Mine, round 2"


def test_between_two_batches_the_write_lock_is_free_longer_than_sqlites_longest_nap(
    sqlite_only: None, app: Flask, calendar: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A waiting writer's busy handler sleeps up to 100 ms between tries; a shorter gap can be
    slept through, batch after batch (CI once saw a sign-in wait 3.7 s of a 6 s import).

    Read on a clock of the test's own, which only the import's pauses move: the gap from each
    commit to the next write is what the import leaves free, whatever the machine's speed."""
    now = [0.0]
    monkeypatch.setattr(imports, "monotonic", lambda: now[0])
    monkeypatch.setattr(imports, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    moments: list[tuple[str, float]] = []

    def on_commit(connection: Any) -> None:
        moments.append(("commit", now[0]))

    def on_statement(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            moments.append(("write", now[0]))

    with app.app_context():
        target = operations.find_calendar("test")
        assert target is not None
        event.listen(db.engine, "commit", on_commit)
        event.listen(db.engine, "before_cursor_execute", on_statement)
        try:
            result = imports.import_ics(
                one_offs(400), target, "test", max_bytes=4 * 1024 * 1024, batch_size=BATCH
            )
            db.session.commit()
        finally:
            event.remove(db.engine, "commit", on_commit)
            event.remove(db.engine, "before_cursor_execute", on_statement)
    assert result.transactions == 4
    gaps = [
        later - at
        for (kind, at), (next_kind, later) in itertools.pairwise(moments)
        if kind == "commit" and next_kind == "write"
    ]
    assert len(gaps) == 3, moments
    assert min(gaps) >= imports.WRITERS_GAP > 0.1, gaps


def test_a_failure_part_way_keeps_the_saved_batches_and_says_so(
    sqlite_only: None, app: Flask, calendar: dict[str, Any], fail_at: Callable[[str], None]
) -> None:
    fail_at("big-250@x")
    with app.app_context():
        target = operations.find_calendar("test")
        assert target is not None
        with pytest.raises(imports.ImportFailed) as caught:
            imports.import_ics(
                one_offs(400), target, "test", max_bytes=4 * 1024 * 1024, batch_size=BATCH
            )
        db.session.rollback()
        assert "big-250@x" in str(caught.value)
        saved = caught.value.saved
        assert saved is not None
        assert (len(saved.created), saved.created[-1]) == (200, "big-199@x")
        assert db.session.scalar(select(func.count()).select_from(Event)) == 200


def test_the_import_command_says_what_was_kept_when_it_stops_part_way(
    sqlite_only: None,
    app: Flask,
    calendar: dict[str, Any],
    runner: Any,
    tmp_path: Any,
    fail_at: Callable[[str], None],
) -> None:
    app.config["IMPORT_BATCH_EVENTS"] = BATCH
    fail_at("big-150@x")
    path = tmp_path / "big.ics"
    path.write_bytes(one_offs(300))
    result = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert result.exit_code == 1
    assert "the import stopped part-way: event 'big-150@x' could not be saved" in result.output
    assert "earlier steps saved 100 created, 0 updated, 0 unchanged, 0 skipped" in result.output


def test_healthz_says_busy_while_another_connection_holds_the_write_lock(
    sqlite_only: None,
    app: Flask,
    client: FlaskClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert client.get("/healthz").status_code == 200
    traced: list[str] = []
    with app.app_context():
        engine = db.engine
    raw_connection = engine.raw_connection

    def tracing_connection() -> Any:
        connection = raw_connection()
        connection.driver_connection.set_trace_callback(traced.append)
        return connection

    monkeypatch.setattr(engine, "raw_connection", tracing_connection)
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["status"] == "busy"
        assert response.headers["Cache-Control"] == "no-store"
        # It said busy after asking SQLite to wait a second for the lock (a lock held for a
        # moment is no news), and put the connection's own wait back.
        busy = traced.index("BEGIN IMMEDIATE")
        assert traced[busy - 1] == "PRAGMA busy_timeout=1000"
        assert traced[busy + 1].startswith("PRAGMA busy_timeout=")
        assert traced[busy + 1] != "PRAGMA busy_timeout=1000"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = client.get("/healthz")
    assert (again.status_code, again.get_json()) == (200, {"status": "ok"})


def test_the_upload_page_lists_what_was_kept_when_it_stops_part_way(
    sqlite_only: None,
    app: Flask,
    calendar: dict[str, Any],
    signed_in: FlaskClient,
    fail_at: Callable[[str], None],
) -> None:
    app.config["IMPORT_BATCH_EVENTS"] = BATCH
    fail_at("big-150@x")
    response = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(one_offs(300)), "big.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert (
        "The import stopped part-way: event &#39;big-150@x&#39; could not be saved: taken "
        "meanwhile. What earlier steps saved is kept and listed below"
    ) in response.text
    assert "Imported: 100 created, 0 updated, 0 unchanged, 0 skipped" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 100
