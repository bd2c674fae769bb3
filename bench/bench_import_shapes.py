"""What hostile import files cost to refuse, and whether a dry run blocks others' writes.

1. Refusal: the seconds and peak traced memory ``read_calendar`` takes on the shapes a security
   review used (10,000 VTIMEZONEs; 200,000 nested components), beside the baseline of reading
   an ordinary file of about the same size (40,000 one-off events) in the same run.
2. Dry run: a dry run of ``--events`` one-off events into a calendar, while another connection
   writes to that calendar's row every 50 ms (on SQLite that needs the database's one write
   lock, on PostgreSQL the calendar's row, as another organiser's PATCH does): the dry run's
   seconds, its longest write-lock hold (first write to commit or rollback), and the writer's
   slowest wait and failures (SQLite answers "database is locked" after its 5 s busy timeout).

    .venv/bin/python bench/bench_import_shapes.py                       # SQLite, 5,000 events
    .venv/bin/python bench/bench_import_shapes.py --events 50000
    .venv/bin/python bench/bench_import_shapes.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_shapes

Run against an older checkout with ``PYTHONPATH=<checkout>`` from that folder: a reader without
``dry_run`` is driven as its command did (one transaction, rolled back at the end).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//shapes//EN\r\n"
FOOT = "END:VCALENDAR\r\n"
ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:{n}\r\nBEGIN:STANDARD\r\nDTSTART:16011028T020000\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T010000\r\nTZOFFSETFROM:+0000\r\n"
    "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
)


def one_offs(count: int) -> bytes:
    return (
        HEAD
        + "".join(
            f"BEGIN:VEVENT\r\nUID:bench-{n}@x\r\nSUMMARY:Talk {n}\r\n"
            f"DTSTART:2027{1 + n % 12:02d}{1 + n % 28:02d}T100000Z\r\nEND:VEVENT\r\n"
            for n in range(count)
        )
        + FOOT
    ).encode()


def shapes() -> list[tuple[str, bytes]]:
    known = sorted(available_timezones())
    return [
        ("40,000 one-off events (baseline)", one_offs(40_000)),
        (
            "10,000 VTIMEZONEs, names of its own",
            (HEAD + "".join(ZONE.format(n=f"Custom {n}") for n in range(10_000)) + FOOT).encode(),
        ),
        (
            "10,000 VTIMEZONEs, IANA names",
            (
                HEAD + "".join(ZONE.format(n=known[n % len(known)]) for n in range(10_000)) + FOOT
            ).encode(),
        ),
        (
            "200,000 nested components",
            (HEAD + "BEGIN:X-B\r\n" * 200_000 + "END:X-B\r\n" * 200_000 + FOOT).encode(),
        ),
    ]


def refusals() -> None:
    from calendar_service.ical.reader import IcsImportError, read_calendar

    print("1. reading hostile files (read_calendar, no database)")
    print(f"   {'file':34} {'bytes':>10} {'seconds':>8} {'peak MB':>8}  outcome")
    for name, data in shapes():
        tracemalloc.start()
        began = time.perf_counter()
        try:
            read_calendar(data, max_bytes=4 * 1024 * 1024)
            outcome = "read"
        except IcsImportError as error:
            outcome = f"refused: {str(error)[:70]}"
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"   {name:34} {len(data):>10,} {seconds:>8.2f} {peak:>8.1f}  {outcome}")


def lock_holds(engine: Any) -> tuple[list[float], Callable[[], None]]:
    """The seconds from each transaction's first write to its end, recorded as they happen."""
    from sqlalchemy import event

    holds: list[float] = []
    began: dict[int, float] = {}

    def on_statement(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if id(connection) not in began and statement.lstrip()[:6].upper() in (
            "INSERT",
            "UPDATE",
            "DELETE",
        ):
            began[id(connection)] = time.perf_counter()

    def on_end(connection: Any) -> None:
        if id(connection) in began:
            holds.append(time.perf_counter() - began.pop(id(connection)))

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)

    def remove() -> None:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_end)
        event.remove(engine, "rollback", on_end)

    return holds, remove


def importer() -> Any:
    """The module whose ``import_ics`` imports a file: the import service, or in an older
    checkout the reader, which imported files itself."""
    try:
        from calendar_service.services import imports
    except ImportError:
        from calendar_service.ical import reader

        return reader
    return imports


def dry_run(url: str | None, events: int) -> None:
    from sqlalchemy import create_engine, text

    from calendar_service import create_app
    from calendar_service.store import operations
    from calendar_service.store.db import db

    folder = tempfile.mkdtemp(prefix="bench-shapes-")
    url = url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        operations.create_calendar(
            {"slug": "bench", "name": "Bench"}, "cli", default_tz="Europe/London"
        )
        db.session.commit()
        engine = db.engine
    data = one_offs(events)
    reader = importer()
    has_dry_run = "dry_run" in inspect.signature(reader.import_ics).parameters
    outcome: dict[str, Any] = {}
    holds, remove = lock_holds(engine)

    def run() -> None:
        with app.app_context():
            target = operations.find_calendar("bench")
            began = time.perf_counter()
            if has_dry_run:
                result = reader.import_ics(
                    data,
                    target,
                    "cli",
                    max_bytes=4 * 1024 * 1024,
                    batch_size=reader.batch_size_for(100),
                    dry_run=True,
                )
            else:  # as the command did: the whole import in one transaction, rolled back
                result = reader.import_ics(data, target, "cli", max_bytes=4 * 1024 * 1024)
            db.session.rollback()
            outcome["seconds"] = time.perf_counter() - began
            outcome["summary"] = result.summary()

    writer = create_engine(url, connect_args={"timeout": 5} if url.startswith("sqlite") else {})
    waits: list[float] = []
    failures = 0
    worker = threading.Thread(target=run)
    worker.start()
    while worker.is_alive():
        began = time.perf_counter()
        try:
            with writer.begin() as connection:
                connection.execute(text("UPDATE calendars SET name = name WHERE slug = 'bench'"))
        except Exception:  # noqa: BLE001 - SQLite's "database is locked": counted
            failures += 1
        waits.append(time.perf_counter() - began)
        time.sleep(0.05)
    worker.join()
    remove()
    print(
        f"2. dry run of {events:,} one-off events on {engine.dialect.name} "
        f"({'in steps' if has_dry_run else 'one transaction'}): {outcome['summary']}"
    )
    print(
        f"   dry run {outcome['seconds']:.1f} s; longest write-lock hold "
        f"{max(holds, default=0):.2f} s over {len(holds)} transactions"
    )
    print(
        f"   another writer of the calendar's row: {len(waits)} writes, slowest "
        f"{max(waits, default=0):.2f} s, failed {failures}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-shapes", action="store_true")
    args = parser.parse_args()
    import calendar_service

    print(f"python {sys.version.split()[0]}, code from {Path(calendar_service.__file__).parent}")
    if not args.skip_shapes:
        refusals()
    dry_run(args.database_url, args.events)


if __name__ == "__main__":
    main()
