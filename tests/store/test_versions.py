"""The version reader: every connection it takes is given back, it never holds more than its
bound, and when all are busy a read gives up after its timeout with SQLAlchemy's TimeoutError
(a 503)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import TimeoutError as PoolTimeout

from calendar_service import create_app
from calendar_service.store.db import db
from calendar_service.store.versions import VersionReader
from calendar_service.web.http_cache import version_reader


def recorded_waits(reader: VersionReader) -> list[float | None]:
    """The timeout of every wait the reader makes for a free connection, as it makes it."""
    waits: list[float | None] = []
    slots = reader._slots  # noqa: SLF001

    class Recording:
        def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return slots.acquire(blocking, timeout)

        def release(self) -> None:
            slots.release()

    reader._slots = Recording()  # type: ignore[assignment]  # noqa: SLF001
    return waits


def test_reads_from_many_threads_share_a_bounded_set_of_connections(
    app: Flask, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    make_calendar(slug="test")
    with app.app_context():
        reader = VersionReader(db.engine, max_connections=3, timeout=5)
        versions: list[int] = []
        most = [0]

        def poll() -> None:
            for _ in range(20):
                row = reader.read("test")
                assert row is not None
                versions.append(row.version)
                most[0] = max(most[0], reader.connections)

        threads = [threading.Thread(target=poll) for _ in range(40)]  # a thread per request
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(versions) == 800 and set(versions) == {versions[0]}
        assert most[0] in range(1, 4)
        assert reader.connections <= 3
        # Every connection is back: the pool lends them all again at once.
        assert db.engine.pool.checkedout() == reader.connections  # type: ignore[attr-defined]
        db.engine.dispose()
        assert reader.connections == 0


def test_a_read_gives_up_after_its_timeout_when_every_connection_is_busy(
    app: Flask, make_calendar: Callable[..., dict[str, Any]]
) -> None:
    make_calendar(slug="test")
    with app.app_context():
        reader = VersionReader(db.engine, max_connections=1, timeout=0.2)
        waits = recorded_waits(reader)
        held = reader._checkout()  # noqa: SLF001 - a read in progress on another thread
        with pytest.raises(PoolTimeout):
            reader.read("test")
        # Each wait for a connection was bounded by the reader's timeout (the second, the one
        # that gave up): never a wait without one.
        assert waits == [0.2, 0.2]
        reader._checkin(held)  # noqa: SLF001
        row = reader.read("test")
        assert row is not None and row.slug == "test"


def test_an_exhausted_pool_answers_503_with_retry_after_and_recovers(
    app_config: dict[str, Any], make_calendar: Callable[..., dict[str, Any]], app: Flask
) -> None:
    make_calendar(slug="test")
    small = create_app({**app_config, "CALENDAR_THREADS": 1, "CALENDAR_POOL_TIMEOUT": 0.3})
    with small.app_context():
        assert small.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 1
        hogs = [db.engine.connect() for _ in range(2)]  # pool_size 1 + max_overflow 1
        # Each request below waits for a connection at most CALENDAR_POOL_TIMEOUT, in the pool
        # and in the version reader alike, and then answers 503 (SQLAlchemy's own default
        # would keep it waiting 30 s; Flask-SQLAlchemy's engine keeps whole seconds of 0.3).
        assert db.engine.pool.timeout() <= 0.3  # type: ignore[attr-defined]
        assert version_reader().timeout == 0.3
    client = small.test_client()
    feed = client.get("/calendars/test.ics", headers={"If-None-Match": '"x"'})
    api = client.get("/api/v1/calendars")
    health = client.get("/healthz")
    assert (feed.status_code, feed.headers["Retry-After"]) == (503, "5")
    assert (api.status_code, api.mimetype) == (503, "application/problem+json")
    assert health.status_code == 503
    for hog in hogs:
        hog.close()
    assert client.get("/calendars/test.ics").status_code == 200
    assert client.get("/healthz").status_code == 200
    with small.app_context():
        db.engine.dispose()
