"""Reading a calendar's version row for every feed request, at the cost of one round trip.

A feed's ETag comes from the calendar's ``version``, read from the database on every request, so
a change made through any worker on any host is served everywhere on the very next request.
That read is the whole cost of a 304, so it skips what a pooled ORM session would add around it
on PostgreSQL (a pre-ping, BEGIN and ROLLBACK): each thread keeps one autocommit connection for
it.  A connection the server dropped is replaced and the read tried once more, so a database
restart costs no failed request.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, event, select
from sqlalchemy.exc import DBAPIError

from calendar_service.models import Calendar

STAMP = select(Calendar.id, Calendar.slug, Calendar.version, Calendar.changed).where(
    Calendar.slug == bindparam("slug")
)


class StampReader:
    """Version rows of calendars, read on one long-lived autocommit connection per thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._open: list[Connection] = []
        self._lock = threading.Lock()
        # Disposing the engine (shutdown, tests) closes these connections too.
        event.listen(engine, "engine_disposed", self._close_all)

    def read(self, slug: str) -> Row[Any] | None:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                return connection.execute(STAMP, {"slug": slug}).first()
            except DBAPIError as error:
                self._forget(connection)
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._local.connection = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
        try:
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
