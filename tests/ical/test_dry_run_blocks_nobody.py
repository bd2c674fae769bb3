"""An import's dry run blocks nobody, on SQLite and on PostgreSQL: it writes what the import would
and rolls it back a step at a time, so it holds SQLite's one write lock, or the calendar's row on
PostgreSQL, no longer than one step of a real import.

A security review found a dry run of a 3.2 MB, 50,000-event file holding SQLite's write lock for
its whole 1,492 s (others' API writes and sign-ins answered 503, /healthz said busy), and on
PostgreSQL holding the calendar's row (a PATCH of another event waited 33 s).  The tests count
what each transaction wrote between its first write and its end, and how many of the dry run's
steps ended while each request of another user waited; none reads a clock."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, func, select

from calendar_service.services import imports
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import Event
from tests.ical.others_meanwhile import ask_meanwhile, statuses

STEP = 100  # IMPORT_BATCH_EVENTS as shipped, and a dry run's step on PostgreSQL
EVENT_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE)\s+events\b", re.I)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR\s+UPDATE\b", re.I)


def one_offs(count: int, title: str = "Talk") -> bytes:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//dry//EN\r\n"]
    for index in range(count):
        parts.append(
            f"BEGIN:VEVENT\r\nUID:dry-{index}@x\r\nSUMMARY:{title} {index}\r\n"
            f"DTSTART:2027{1 + index % 12:02d}{1 + index % 28:02d}T100000Z\r\n"
            "CATEGORIES:Talks\r\nEND:VEVENT\r\n"
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


@dataclass
class Locks:
    """Each transaction that wrote (took SQLite's write lock, or row locks on PostgreSQL), as
    the number of event rows it wrote between its first write and its commit or rollback."""

    held: list[int] = field(default_factory=list)
    _open: dict[int, int] = field(default_factory=dict)  # connection → event rows so far

    def statement(self, connection: Any, statement: str) -> None:
        key = id(connection)
        if key in self._open or WRITE.search(statement):
            self._open[key] = self._open.get(key, 0) + bool(EVENT_WRITE.search(statement))

    def end(self, connection: Any) -> None:
        if id(connection) in self._open:
            self.held.append(self._open.pop(id(connection)))


@pytest.fixture
def locks(app: Flask) -> Iterator[Locks]:
    """What every transaction of the app's engine held its locks for (``Locks``)."""
    found = Locks()
    with app.app_context():
        engine = db.engine

    def on_statement(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found.statement(connection, statement)

    def on_end(connection: Any) -> None:
        found.end(connection)

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    yield found
    event.remove(engine, "before_cursor_execute", on_statement)
    event.remove(engine, "commit", on_end)
    event.remove(engine, "rollback", on_end)


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event)) or 0


def is_sqlite(app: Flask) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def test_the_command_dry_run_writes_no_more_than_a_step_at_a_time(
    app: Flask, runner: FlaskCliRunner, calendar: dict[str, Any], tmp_path: Path, locks: Locks
) -> None:
    path = tmp_path / "big.ics"
    path.write_bytes(one_offs(350))
    result = runner.invoke(args=["import-ics", str(path), "--calendar", "test", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "test: 350 created, 0 updated, 0 unchanged, 0 skipped (dry run: nothing was changed)"
    )
    # Every event was written once, in steps of at most a real import's batch, each rolled
    # back before the next began (one transaction of all 350 held the lock for the whole run).
    assert sum(locks.held) == 350
    assert max(locks.held) == STEP, locks.held
    assert len([rows for rows in locks.held if rows]) == 4
    assert stored(app) == 0
    # It says what the real import would do: in steps on SQLite, one transaction on PostgreSQL.
    steps_note = (
        "note: " + str(path)[-80:] + ": would be written in 4 steps of at most 100 "
        "events so that others could save changes meanwhile; until the last step, "
        "readers would see only part of it"
    )
    assert (steps_note in result.output.splitlines()) == is_sqlite(app)


def test_the_page_dry_run_of_updates_writes_no_more_than_a_step_at_a_time(
    app: Flask, signed_in: FlaskClient, calendar: dict[str, Any], locks: Locks
) -> None:
    first = signed_in.post(
        "/organiser/import",
        data={"calendar": "test", "file": (BytesIO(one_offs(250)), "talks.ics")},
        content_type="multipart/form-data",
    )
    assert first.status_code == 200
    assert stored(app) == 250
    locks.held.clear()
    preview = signed_in.post(
        "/organiser/import",
        data={
            "calendar": "test",
            "file": (BytesIO(one_offs(250, title="Seminar")), "talks.ics"),
            "preview": "Preview (dry run)",
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert "Dry run: 0 created, 250 updated, 0 unchanged, 0 skipped" in preview.text
    assert "Nothing was changed" in preview.text
    assert max(locks.held) == STEP, locks.held
    assert sum(locks.held) == 250
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.title.like("Seminar%"))
            )
            == 0
        )


def test_a_failure_in_a_dry_run_saves_nothing_and_says_nothing_was_imported(
    app: Flask,
    runner: FlaskCliRunner,
    calendar: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create = operations.create_event

    def failing_create(data: Any, actor: Any, **options: Any) -> Any:
        if data.uid == "dry-250@x":
            raise operations.ValidationError({"title": "refused meanwhile"})
        return create(data, actor, **options)

    monkeypatch.setattr(operations, "create_event", failing_create)
    path = tmp_path / "big.ics"
    path.write_bytes(one_offs(300))
    result = runner.invoke(args=["import-ics", str(path), "--calendar", "test", "--dry-run"])
    assert result.exit_code == 1, result.output
    assert (
        f"{path}: nothing imported: event 'dry-250@x' could not be saved: title: refused "
        "meanwhile" in result.output
    )
    assert "earlier steps saved" not in result.output
    assert stored(app) == 0


def test_a_dry_runs_statements_grow_with_the_file(
    app: Flask, calendar: dict[str, Any], sql_statements: list[str]
) -> None:
    """Linear, counted: four times the events take four times the statements, a handful each
    (a 50,000-event dry run ran 1,492 s)."""

    def statements(count: int) -> int:
        with app.app_context():
            target = operations.find_calendar("test")
            assert target is not None
            sql_statements.clear()
            result = imports.import_ics(
                one_offs(count),
                target,
                "test",
                max_bytes=4 * 1024 * 1024,
                batch_size=STEP,
                dry_run=True,
            )
            db.session.rollback()
            assert len(result.created) == count
        return len(sql_statements)

    small, large = statements(200), statements(800)
    assert large <= 4.05 * small, (small, large)
    assert large <= 800 * 12, large
    assert stored(app) == 0


def test_others_write_and_sign_in_during_a_dry_run(
    app: Flask,
    signed_in: FlaskClient,
    calendar: dict[str, Any],
    make_event: Callable[..., dict[str, Any]],
    organiser: dict[str, Any],
    admin_headers: dict[str, str],
    sign_in: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a real import (tests/ical/test_import_while_others_write.py): another organiser's
    PATCH of an event of the same calendar, a sign-in, a token read and /healthz, each answered
    while at most a few of the dry run's steps end.  Steps of 50 events on SQLite (its
    IMPORT_BATCH_EVENTS), so that one step holds the write lock well inside SQLite's 5 s wait
    however busy the machine; on PostgreSQL a dry run's steps are of 100."""
    make_event(uid="mine@x", title="Mine")
    app.config["IMPORT_BATCH_EVENTS"] = 50
    count = 1500
    steps = count // (50 if is_sqlite(app) else imports.DRY_RUN_EVENTS)
    ended = [0]  # the dry run's steps rolled back so far
    paused, asking, done_asking = threading.Event(), threading.Event(), threading.Event()
    nap = imports.sleep

    def gap(seconds: float) -> None:
        """The dry run's pause between steps, its locks free: counts the step just rolled
        back, and holds the dry run after its first step until the requests begin and before
        its last until they end, so that they surely meet it, however the threads run."""
        ended[0] += 1
        if ended[0] == 1:
            paused.set()
            asking.wait(60)
        if ended[0] == steps - 1:
            done_asking.wait(60)
        nap(seconds)

    monkeypatch.setattr(imports, "sleep", gap)
    outcome: dict[str, Any] = {}

    def run_dry_run() -> None:
        try:
            outcome["page"] = signed_in.post(
                "/organiser/import",
                data={
                    "calendar": "test",
                    "file": (BytesIO(one_offs(count)), "big.ics"),
                    "preview": "Preview (dry run)",
                },
                content_type="multipart/form-data",
            )
        except BaseException as error:  # reported by the main thread
            outcome["error"] = error
        finally:
            paused.set()

    worker = threading.Thread(target=run_dry_run)
    worker.start()
    try:
        assert paused.wait(120), "the dry run never got past its first step"
        assert ended[0] == 1, "the dry run ended without a single step between others' writes"
        asking.set()
        answers = ask_meanwhile(
            app,
            ended,
            organiser_email=organiser["email"],
            admin_headers=admin_headers,
            sign_in=sign_in,
        )
        last = ended[0]
    finally:
        asking.set()
        done_asking.set()
        worker.join(240)
    assert "error" not in outcome, outcome.get("error")
    had, wanted = statuses(answers)
    assert had == wanted, answers
    assert max(waited for _, _, waited in answers) <= steps // 5, answers
    assert last < steps, last  # answered before the dry run's last step
    page = outcome["page"]
    assert page.status_code == 200
    assert f"Dry run: {count} created, 0 updated, 0 unchanged, 0 skipped" in page.text
    assert stored(app) == 1
    with app.app_context():
        mine = operations.find_event("mine@x")
        assert mine is not None and mine.title == "Mine, round 2"
