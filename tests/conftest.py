"""Fixtures shared by every service test: an app on a fresh database (and more apps on the same
one), its client and runner; calendars and events, changes to an event or to one of its
occurrences, and what the app lists in a window; organisers (editors of every calendar the
fixtures make, unless a test says otherwise), their API tokens and signed-in clients.

The suite runs on a SQLite file per test by default.  With CALENDAR_TEST_DATABASE_URL set
(a PostgreSQL URL), it makes its own database beside the one named, creates the schema once,
empties every table before each test, and drops the database at the end, so parallel runs on one
server never see each other's rows.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from calendar_service import clock as app_clock
from calendar_service import create_app
from calendar_service.store import accounts
from calendar_service.store.db import db

PG_URL = os.environ.get("CALENDAR_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"

# CI runs the property tests on a fixed sequence of examples, so a run is repeatable.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What the run's times depend on: the app's clock and the zone data."""
    from rules import zone_data

    moved = app_clock.offset
    said = (
        f"moved {moved.total_seconds() / 86400:.1f} days ahead, to "
        f"{app_clock.utcnow():%Y-%m-%d %H:%M} UTC (CALENDAR_CLOCK_OFFSET)"
        if moved
        else "real time"
    )
    return [f"app clock: {said}; zone data: IANA {zone_data.version()}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out the browser tests: they serve their own SQLite demo database
    whatever the suite runs on (tests/browser/server.py), so the SQLite run already ran them
    exactly as they would run here."""
    if not PG_URL:
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]


class Clock:
    """The app's one clock (``calendar_service.clock``) in a test's hands, through time-machine,
    which moves ``datetime.now`` and ``time.time`` for every library at once: the service,
    Flask-Login's and itsdangerous' expiries and the test's own code all see the same instant.

    ``set(when)`` puts it at an instant (ISO text or an aware datetime; it goes on ticking
    unless ``tick=False``), ``move(delta)`` moves it on, ``now()`` and ``today(zone)`` read it.
    Setting it drops ``CALENDAR_CLOCK_OFFSET``, so a test that sets the time gets that time even
    in the run with the clock moved ahead."""

    def __init__(
        self, machine: time_machine.TimeMachineFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self._machine = machine
        self._monkeypatch = monkeypatch
        self._set = False

    def set(self, when: datetime | str, *, tick: bool = True) -> datetime:
        instant = datetime.fromisoformat(when) if isinstance(when, str) else when
        if instant.tzinfo is None:
            raise ValueError(f"{when!r}: give the clock an aware instant")
        self._monkeypatch.setattr(app_clock, "offset", timedelta(0))
        self._machine.move_to(instant, tick=tick)
        self._set = True
        return instant

    def move(self, delta: timedelta) -> datetime:
        if not self._set:
            self.set(self.now())
        self._machine.shift(delta)
        return self.now()

    def now(self) -> datetime:
        return app_clock.utcnow()

    def today(self, zone: str = "Europe/London") -> date:
        return app_clock.today(ZoneInfo(zone))


@pytest.fixture
def clock(time_machine: time_machine.TimeMachineFixture, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The app's clock, for a test to set or move (``Clock``)."""
    return Clock(time_machine, monkeypatch)


@pytest.fixture(autouse=True)
def _clock_at_marked_time(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.now("2026-12-01T12:00:00+00:00")``: the test runs with the clock set to
    that instant (ticking on from it), for tests whose data are fixed calendar dates."""
    marker = request.node.get_closest_marker("now")
    if marker is not None:
        request.getfixturevalue("clock").set(marker.args[0], **marker.kwargs)


@pytest.fixture
def clock_environment() -> Callable[[], dict[str, str]]:
    """``clock_environment()``: ``CALENDAR_CLOCK_OFFSET`` for a server process a test starts,
    so that the process's clock reads what the test's reads (set, moved, or the run's offset)."""

    def environment() -> dict[str, str]:
        hatch = time_machine.escape_hatch
        if hatch.is_travelling():
            real = hatch.datetime.datetime.now(UTC)
        else:
            real = app_clock.utcnow() - app_clock.offset
        return {"CALENDAR_CLOCK_OFFSET": f"{(app_clock.utcnow() - real).total_seconds():.3f}"}

    return environment


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A private PostgreSQL database for this test session, or None on SQLite."""
    if not PG_URL:
        yield None
        return
    base = make_url(PG_URL)
    name = f"calendar_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    schema_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(postgres_url: str | None, tmp_path: Path) -> str:
    if postgres_url is None:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return postgres_url


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test settings; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "CALENDAR_TIMEZONE": "Europe/London",
    }


@pytest.fixture
def app(app_config: dict[str, Any], postgres_url: str | None) -> Iterator[Flask]:
    app = create_app(app_config)
    with app.app_context():
        if postgres_url is None:
            db.create_all()
        else:
            _empty_postgres_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_postgres_tables() -> None:
    """Every row deleted and every id sequence back at 1, as a fresh database has them.  DELETE
    rather than TRUNCATE: a test leaves a few rows, which DELETE removes in ~5 ms where TRUNCATE
    makes new files for every table (~35 ms, a minute over the suite)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    sequences = db.session.scalars(
        text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
            " AND last_value IS NOT NULL"
        )
    )
    for sequence in list(sequences):
        db.session.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    db.session.commit()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_app(app: Flask) -> Iterator[Callable[[dict[str, Any]], Flask]]:
    """Another app on the same database (a second worker); its connections close at the end."""
    made: list[Flask] = []

    def make(config: dict[str, Any]) -> Flask:
        other = create_app(config)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def editors_everywhere() -> list[int]:
    """Organisers (ids) who are editors of every calendar the fixtures make, as the migration
    made every organiser of an existing installation: ``make_organiser`` adds to it unless
    told ``calendars=()``."""
    return []


def _grant_editor(organiser_ids: list[int], calendar_ids: list[int] | None = None) -> None:
    """Editor rows for these organisers in these calendars (all when None), without audit
    entries: set-up, not something a test looks at."""
    from sqlalchemy import select

    from calendar_service.store.models import Calendar, CalendarMember

    if calendar_ids is None:
        calendar_ids = list(db.session.scalars(select(Calendar.id)))
    for organiser_id in organiser_ids:
        for calendar_id in calendar_ids:
            if db.session.get(CalendarMember, (organiser_id, calendar_id)) is None:
                db.session.add(
                    CalendarMember(
                        organiser_id=organiser_id, calendar_id=calendar_id, role="editor"
                    )
                )
    db.session.commit()


@pytest.fixture
def make_calendar(app: Flask, editors_everywhere: list[int]) -> Callable[..., dict[str, Any]]:
    """Add a calendar: ``make_calendar(slug="x", name="X", timezone="Europe/London")``; the
    organisers in ``editors_everywhere`` become its editors."""
    from calendar_service.store import operations

    def make(**fields: Any) -> dict[str, Any]:
        data = {"slug": "test", "name": "Test calendar", **fields}
        with app.app_context():
            calendar = operations.create_calendar(data, "test", default_tz="Europe/London")
            db.session.commit()
            _grant_editor(editors_everywhere, [calendar.id])
            return {"slug": calendar.slug, "id": calendar.id, "timezone": calendar.timezone}

    return make


@pytest.fixture
def make_event(
    app: Flask, make_calendar: Callable[..., dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """Add an event from EVENT fields and return its EVENT JSON.

    Defaults: calendar ``test`` (made on first use), title "Event", start 2027-01-27T14:00:00.
    """
    from calendar_service.services.rule_text import rule_text
    from calendar_service.store import operations
    from calendar_service.store.values import event_json

    def make(**fields: Any) -> dict[str, Any]:
        data = {"calendar": "test", "title": "Event", "start": "2027-01-27T14:00:00", **fields}
        with app.app_context():
            if operations.find_calendar(data["calendar"]) is None:
                make_calendar(slug=data["calendar"])
            event = operations.create_event(data, "test")
            db.session.commit()
            return {**event_json(event), "recurrence_text": rule_text(event)}

    return make


@pytest.fixture
def calendar(make_calendar: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Calendar ``test`` in Europe/London."""
    return make_calendar(slug="test", timezone="Europe/London")


@pytest.fixture
def change(app: Flask) -> Callable[..., dict[str, Any]]:
    """``change(uid, **EVENT fields)``: update an event as the API would, and commit."""
    from calendar_service.services.rule_text import rule_text
    from calendar_service.store import operations
    from calendar_service.store.values import event_json

    def apply(uid: str, **fields: Any) -> dict[str, Any]:
        with app.app_context():
            event = operations.find_event(uid)
            assert event is not None
            operations.update_event(event, fields, "test")
            db.session.commit()
            return {**event_json(event), "recurrence_text": rule_text(event)}

    return apply


@pytest.fixture
def override(app: Flask) -> Callable[..., None]:
    """``override(uid, "2026-03-25T14:00:00", status="cancelled" | start=… | title=…)``: cancel,
    move or retitle one occurrence as PUT …/occurrences/<recurrence id> would, and commit."""
    from calendar_service.store import operations

    def apply(uid: str, recurrence_id: str, **data: Any) -> None:
        with app.app_context():
            event = operations.find_event(uid)
            assert event is not None
            moment = operations.parse_recurrence_id(event, recurrence_id)
            operations.set_override(event, moment, data, "test")
            db.session.commit()

    return apply


# A page larger than any window a test lists: the whole window, each event cut at its limit.
EVERY_OCCURRENCE = 100_000


@pytest.fixture
def occurrences_between(app: Flask) -> Callable[..., list[Any]]:
    """``occurrences_between(start, end, project, calendar=None, limit=100, **options)``:
    ``project(item)`` for each occurrence the schedule lists from ``start`` to ``end`` (ISO
    date-times, read as UTC), ``limit`` of each event at most, in an app context; ``calendar`` is
    a slug, the other options are ``schedule.page``'s (``include_drafts=True``, …)."""
    import rules
    from calendar_service.services import schedule
    from calendar_service.store import operations

    def between(
        start: str,
        end: str,
        project: Callable[[Any], Any],
        *,
        calendar: str | None = None,
        limit: int = 100,
        **options: Any,
    ) -> list[Any]:
        with app.app_context():
            window = rules.Window(
                datetime.fromisoformat(start).replace(tzinfo=UTC),
                datetime.fromisoformat(end).replace(tzinfo=UTC),
            )
            if calendar is not None:
                options["calendar"] = operations.find_calendar(calendar)
            listing = schedule.page(window, size=EVERY_OCCURRENCE, per_event=limit, **options)
            return [project(item) for item in listing.items]

    return between


@pytest.fixture
def seeded(app: Flask, editors_everywhere: list[int]) -> Flask:
    """The app with the Turing–Roche seed calendar loaded."""
    from calendar_service.store.seed import load_seed

    with app.app_context():
        load_seed()
        db.session.commit()
        _grant_editor(editors_everywhere)
    return app


@pytest.fixture
def make_organiser(app: Flask, editors_everywhere: list[int]) -> Callable[..., dict[str, Any]]:
    """Add an organiser: ``make_organiser(email=…, admin=False)`` → {"id", "email"}.

    A non-admin is an editor of every calendar the fixtures make, before or after (as every
    organiser was before calendars had members), unless ``calendars=()``; ``calendars=("a",)``
    grants those slugs alone."""

    def make(
        email: str = "ada@example.org",
        admin: bool = False,
        password: str = PASSWORD,
        calendars: Any = "all",
    ) -> dict[str, Any]:
        from sqlalchemy import select

        from calendar_service.store.models import Calendar

        with app.app_context():
            organiser = accounts.create_organiser(email, password, admin=admin)
            db.session.commit()
            if not admin and calendars == "all":
                editors_everywhere.append(organiser.id)
                _grant_editor([organiser.id])
            elif not admin and calendars:
                _grant_editor(
                    [organiser.id],
                    list(
                        db.session.scalars(select(Calendar.id).where(Calendar.slug.in_(calendars)))
                    ),
                )
            return {"id": organiser.id, "email": organiser.email, "password": password}

    return make


@pytest.fixture
def organiser(make_organiser: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_organiser("ada@example.org")


@pytest.fixture
def admin(make_organiser: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_organiser("grace@example.org", admin=True)


@pytest.fixture
def make_token(app: Flask) -> Callable[[str], str]:
    """A new API token secret for the organiser with this e-mail."""

    def make(email: str, name: str = "test") -> str:
        with app.app_context():
            found = accounts.find_organiser(email)
            assert found is not None
            _row, secret = accounts.create_token(found, name)
            db.session.commit()
            return secret

    return make


@pytest.fixture
def token(organiser: dict[str, Any], make_token: Callable[[str], str]) -> str:
    return make_token(organiser["email"])


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_headers(admin: dict[str, Any], make_token: Callable[[str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(admin['email'])}"}


def _sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/organiser/sign-in", data={"email": email, "password": password})


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, email, password=PASSWORD)`` posts the sign-in form."""
    return _sign_in


@pytest.fixture
def signed_in(client: FlaskClient, organiser: dict[str, Any]) -> FlaskClient:
    """The test client, signed in as the organiser."""
    response = _sign_in(client, organiser["email"])
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def admin_client(client: FlaskClient, admin: dict[str, Any]) -> FlaskClient:
    """The test client, signed in as an admin."""
    response = _sign_in(client, admin["email"])
    assert response.status_code == 302, response.text
    return client


@contextmanager
def _memory_at_most(megabytes: float) -> Iterator[None]:
    """Trace the block's allocations; fail if they peaked at ``megabytes`` or more."""
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        if not tracing:
            tracemalloc.stop()
    assert peak < megabytes * 2**20, f"allocated up to {peak / 2**20:.0f} MB"


@pytest.fixture
def memory_at_most() -> Callable[[float], AbstractContextManager[None]]:
    """``with memory_at_most(50): ...``: the block's allocations (tracemalloc) must peak under
    that many megabytes.  A bound on memory only: what a block costs in work is asserted as a
    count (``rule_walks``, ``sql_statements``), and a block that hangs is stopped by the
    per-test timeout."""
    return _memory_at_most


class WalkOverBudget(AssertionError):
    """Raised inside dateutil once a block has walked more than its budget: a runaway walk
    stops there instead of running for minutes."""


class RuleWalks:
    """The work the recurrence engine (and anything else: icalendar's VTIMEZONE reading) makes
    dateutil do, counted where dateutil does it: ``days``, the days it examines in each period
    it visits (366 for a year, 7 for a week, 1 for a day, an hour or a minute), and
    ``instances``, the dates it yields.  ``steps`` is their sum.

    Every walk, refused or not, goes through these two places, so a rule that never matches
    (walked to the year 9999 without yielding) counts as surely as one that matches every
    minute; and unlike seconds, the count is the same on a quiet machine and a busy one.

    ``with rule_walks.at_most(steps): ...`` counts the block from zero and fails if it walked
    more, stopping the walk (``WalkOverBudget``) as soon as it passes the budget."""

    def __init__(self) -> None:
        self.days = 0
        self.instances = 0
        self.budget: int | None = None

    @property
    def steps(self) -> int:
        return self.days + self.instances

    def reset(self) -> None:
        self.days = self.instances = 0

    def _spend(self, days: int, instances: int) -> None:
        self.days += days
        self.instances += instances
        if self.budget is not None and self.steps > self.budget:
            raise WalkOverBudget(
                f"walked more than {self.budget:,} steps ({self.days:,} days "
                f"examined, {self.instances:,} instances)"
            )

    @contextmanager
    def at_most(self, steps: int) -> Iterator[None]:
        self.reset()
        self.budget = steps
        try:
            yield
        finally:
            self.budget = None
            # Checked whatever the block raised: the code under test may have caught
            # WalkOverBudget (the app turns errors into pages, an import into its own error).
            if self.steps > steps:
                raise AssertionError(
                    f"walked {self.steps:,} steps ({self.days:,} days examined, "
                    f"{self.instances:,} instances), over {steps:,}"
                )

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from dateutil import rrule as du

        for name in ("ydayset", "mdayset", "wdayset", "ddayset"):
            monkeypatch.setattr(
                du._iterinfo,
                name,
                self._counting_dayset(  # noqa: SLF001
                    getattr(du._iterinfo, name)
                ),
            )  # noqa: SLF001
        monkeypatch.setattr(du.rrule, "_iter", self._counting_iter(du.rrule._iter))  # noqa: SLF001
        # If dateutil ever walks without these, every count would read zero and every bound
        # would pass: make sure a known walk (three weekly instances) is seen.
        list(du.rrule(du.WEEKLY, count=3, dtstart=datetime(2027, 1, 4)))
        assert self.instances == 3 and self.days >= 21, (self.days, self.instances)
        self.reset()

    def _counting_dayset(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def dayset(info: Any, year: int, month: int, day: int) -> Any:
            found = original(info, year, month, day)
            self._spend(found[2] - found[1], 0)
            return found

        return dayset

    def _counting_iter(
        self, original: Callable[[Any], Iterator[datetime]]
    ) -> Callable[[Any], Iterator[datetime]]:
        def iterate(rule: Any) -> Iterator[datetime]:
            for instance in original(rule):
                self._spend(0, 1)
                yield instance

        return iterate


@pytest.fixture
def rule_walks(monkeypatch: pytest.MonkeyPatch) -> RuleWalks:
    """dateutil's work, counted (``RuleWalks``): ``with rule_walks.at_most(20_000): ...``."""
    walks = RuleWalks()
    walks.install(monkeypatch)
    return walks


@pytest.fixture
def sql_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends, in order (clear it to count a block)."""
    from sqlalchemy import event as sa_event

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa_event.remove(engine, "before_cursor_execute", record)


class CacheWaits:
    """The threads that wait for another's build in ``LRUCache.get_or_build`` (on its
    ``threading.Event``), counted, and the builds a test's build functions report
    (``started()``): a build holds (``until``) while the others arrive, so a test of single
    flight does not depend on a sleep being long enough for threads on a busy machine."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.waits = 0
        self.builds = 0

    def started(self) -> None:
        with self._changed:
            self.builds += 1
            self._changed.notify_all()

    def waited(self) -> None:
        with self._changed:
            self.waits += 1
            self._changed.notify_all()

    def until(self, arrived: Callable[[], bool]) -> None:
        """Hold the calling build until ``arrived()``; the timeout only keeps a broken cache
        from hanging the test (the per-test timeout would stop it later, and less clearly)."""
        with self._changed:
            if not self._changed.wait_for(arrived, timeout=30):
                raise AssertionError(f"still {self.waits} waits and {self.builds} builds")


@pytest.fixture
def cache_waits(monkeypatch: pytest.MonkeyPatch) -> CacheWaits:
    """Counts the waits of every ``LRUCache`` made in the test (``CacheWaits``)."""
    from calendar_service import caching

    counted = CacheWaits()

    class CountingEvent(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            counted.waited()
            return super().wait(timeout)

    # The cache module's own view of threading only: Thread.start waits on an Event too.
    own = types.ModuleType("threading")
    own.__dict__.update(vars(threading))
    own.Event = CountingEvent  # type: ignore[attr-defined]
    monkeypatch.setattr(caching, "threading", own)
    return counted


@pytest.fixture(autouse=True)
def _test_cost_passwords(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """New passwords are hashed with scrypt at 1/32 of werkzeug's cost (N=1024, not 32768):
    the method and every check are the real ones, but a hash takes ~5 ms instead of ~150 ms,
    which halved the organiser tests' time.  A test marked ``production_password_cost`` gets
    werkzeug's default, and one checks that the app stores that."""
    if request.node.get_closest_marker("production_password_cost"):
        return
    monkeypatch.setattr(
        accounts,
        "generate_password_hash",
        partial(generate_password_hash, method=TEST_PASSWORD_METHOD),
    )
