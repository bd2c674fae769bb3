"""Reading a calendar's version row for every feed request, at the cost of one round trip.

A feed's ETag comes from the calendar's ``version``, read from the database on every request, so
a change made through any worker on any host is served everywhere on the very next request.
That read is the whole cost of a 304, so it skips what SQLAlchemy would add around it: each
thread keeps one autocommit connection (no pre-ping, BEGIN or ROLLBACK), and the statement,
compiled once by SQLAlchemy for the engine's dialect, runs on the driver's own cursor (psycopg
prepares it after a few runs).  Driver errors are raised as SQLAlchemy's, and a connection the
server dropped is replaced and the read tried once more, so once a restarted database is back,
the first poll on each thread succeeds instead of failing on its stale connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, event, select
from sqlalchemy.exc import DBAPIError

from calendar_service.store.models import Calendar

VERSION_ROW = select(Calendar.id, Calendar.slug, Calendar.version, Calendar.changed).where(
    Calendar.slug == bindparam("slug")
)


class CalendarVersion(NamedTuple):
    """A calendar's version row: what a feed's validators are made of."""

    id: int
    slug: str
    version: int
    changed: datetime


class VersionReader:
    """Version rows of calendars, read on one long-lived autocommit connection per thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        compiled = VERSION_ROW.compile(dialect=dialect)
        self._sql = str(compiled)
        self._params: Callable[[str], Sequence[Any] | Mapping[str, Any]]
        if compiled.positional:
            self._params = lambda slug: (slug,)
        else:
            self._params = lambda slug: {"slug": slug}
        # The column type's own conversion (naive UTC text or datetime → aware UTC datetime).
        changed_type = Calendar.__table__.c.changed.type.dialect_impl(dialect)
        self._changed = changed_type.result_processor(dialect, None) or (lambda value: value)
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self._local = threading.local()
        self._open: list[Connection] = []
        self._lock = threading.Lock()
        # Disposing the engine (shutdown, tests) closes these connections too.
        event.listen(engine, "engine_disposed", self._close_all)

    def read(self, slug: str) -> CalendarVersion | None:
        for attempt in (1, 2):
            connection = self._connection()
            params = self._params(slug)
            try:
                row = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    self._sql, params).fetchone()
            except self._driver_error as error:
                gone = self.engine.dialect.is_disconnect(
                    error, connection.connection.dbapi_connection, None)  # type: ignore[arg-type]
                self._forget(connection, invalidate=gone)
                if attempt == 2 or not gone:
                    raise DBAPIError.instance(
                        self._sql, params, error, self._driver_error,
                        connection_invalidated=gone, dialect=self.engine.dialect,
                    ) from error
                continue
            if row is None:
                return None
            return CalendarVersion(row[0], row[1], row[2], self._changed(row[3]))
        raise AssertionError("unreachable")

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._local.connection = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _forget(self, connection: Connection, *, invalidate: bool) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
        try:
            if invalidate:
                connection.invalidate()
            connection.close()
        except DBAPIError:
            pass

    def _close_all(self, engine: Engine) -> None:
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            try:
                # The engine's pool is already replaced: close the DBAPI connection for real
                # rather than check it in to the pool being thrown away.
                connection.invalidate()
                connection.close()
            except DBAPIError:
                pass
