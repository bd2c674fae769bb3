"""Reading a calendar's version row for every feed request, at the cost of one round trip.

A feed's ETag comes from the calendar's ``version``, read from the database on every request, so
a change made through any worker on any host is served everywhere on the very next request.
That read is the whole cost of a 304, so it skips what SQLAlchemy would add around it: the reader
keeps a few autocommit connections of its own (no pre-ping, BEGIN or ROLLBACK), and the
statement, compiled once by SQLAlchemy for the engine's dialect, runs on the driver's own cursor
(psycopg prepares it after a few runs).  Driver errors are raised as SQLAlchemy's, and a
connection the server dropped is replaced and the read tried once more, so once a restarted
database is back, the first poll succeeds instead of failing on a stale connection.

Each read takes a connection and gives it back at once, and the reader holds at most
``max_connections`` of them (one per server thread is enough: a thread reads one row at a
time).  A server that starts a thread per request (the development server) therefore never
strands a connection, and when every connection is busy a read waits at most ``timeout``
seconds and then raises SQLAlchemy's ``TimeoutError``, which the app answers with a 503.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from calendar_service.store.models import Calendar

VERSION_ROW = select(Calendar.id, Calendar.slug, Calendar.version, Calendar.changed).where(
    Calendar.slug == bindparam("slug")
)
# Every calendar's (id, version): what a page that may show any calendar is a function of.  A
# calendar made or deleted changes the list as a change to one changes its version.
ALL_VERSIONS = select(Calendar.id, Calendar.version).order_by(Calendar.id)


class CalendarVersion(NamedTuple):
    """A calendar's version row: what a feed's validators are made of."""

    id: int
    slug: str
    version: int
    changed: datetime


class VersionReader:
    """Version rows of calendars, read on at most ``max_connections`` autocommit connections,
    each taken for one read and returned."""

    def __init__(self, engine: Engine, *, max_connections: int = 4, timeout: float = 3.0) -> None:
        self.engine = engine
        self.max_connections = max_connections
        self.timeout = timeout
        dialect = engine.dialect
        compiled = VERSION_ROW.compile(dialect=dialect)
        self._sql = str(compiled)
        self._all_sql = str(ALL_VERSIONS.compile(dialect=dialect))
        self._params: Callable[[str], Sequence[Any] | Mapping[str, Any]]
        if compiled.positional:
            self._params = lambda slug: (slug,)
        else:
            self._params = lambda slug: {"slug": slug}
        # The column type's own conversion (naive UTC text or datetime → aware UTC datetime).
        changed_type = Calendar.__table__.c.changed.type.dialect_impl(dialect)
        self._changed = changed_type.result_processor(dialect, None) or (lambda value: value)
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle: list[Connection] = []  # the most recently used last (LIFO)
        self._open: list[Connection] = []
        self._lock = threading.Lock()
        # Disposing the engine (shutdown, tests) closes these connections too.
        event.listen(engine, "engine_disposed", self._close_all)

    def read(self, slug: str) -> CalendarVersion | None:
        """The calendar's version row, or None for an unknown slug."""
        params = self._params(slug)
        rows = self._fetch(self._sql, params, one=True)
        if not rows:
            return None
        row = rows[0]
        return CalendarVersion(row[0], row[1], row[2], self._changed(row[3]))

    def read_all(self) -> tuple[tuple[int, int], ...]:
        """Every calendar's (id, version), by id: one small query on one connection."""
        return tuple((row[0], row[1]) for row in self._fetch(self._all_sql, (), one=False))

    def _fetch(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any], *, one: bool
    ) -> list[Any]:
        """The statement's rows (the first only when ``one``), tried once more on a fresh
        connection when the server had dropped the one taken."""
        for attempt in (1, 2):
            connection = self._checkout()
            try:
                cursor = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    sql, params
                )
                rows = [cursor.fetchone()] if one else cursor.fetchall()
            except self._driver_error as error:
                gone = self.engine.dialect.is_disconnect(
                    error,  # type: ignore[arg-type]
                    connection.connection.dbapi_connection,
                    None,
                )
                self._discard(connection, invalidate=gone)
                if attempt == 2 or not gone:
                    raise DBAPIError.instance(
                        sql,
                        params,
                        error,
                        self._driver_error,
                        connection_invalidated=gone,
                        dialect=self.engine.dialect,
                    ) from error
                continue
            self._checkin(connection)
            return [row for row in rows if row is not None]
        raise AssertionError("unreachable")

    @property
    def connections(self) -> int:
        """How many connections the reader holds now, idle or in use."""
        with self._lock:
            return len(self._open)

    def _checkout(self) -> Connection:
        """An idle connection, or a new one while fewer than ``max_connections`` are open;
        waits up to ``timeout`` seconds for one to come back."""
        if not self._slots.acquire(timeout=self.timeout):
            raise PoolTimeout(
                f"all {self.max_connections} connections of the version reader are busy "
                f"(waited {self.timeout:g} s)"
            )
        try:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None or connection.closed or connection.invalidated:
                connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                with self._lock:
                    self._open.append(connection)
            return connection
        except BaseException:
            self._slots.release()
            raise

    def _checkin(self, connection: Connection) -> None:
        with self._lock:
            self._idle.append(connection)
        self._slots.release()

    def _discard(self, connection: Connection, *, invalidate: bool) -> None:
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
        try:
            if invalidate:
                connection.invalidate()
            connection.close()
        except DBAPIError:
            pass
        finally:
            self._slots.release()

    def _close_all(self, engine: Engine) -> None:
        with self._lock:
            connections, self._open, self._idle = self._open, [], []
        for connection in connections:
            try:
                # The engine's pool is already replaced: close the DBAPI connection for real
                # rather than check it in to the pool being thrown away.
                connection.invalidate()
                connection.close()
            except DBAPIError:
                pass
