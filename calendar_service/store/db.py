"""The database handle, the declarative base, the column types every model shares, and the
reachability check run at start-up and by init-db."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can alter and drop them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive-UTC so SQLite and PostgreSQL compare it alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def register_session_teardown(app: Flask) -> None:
    """Close each request's session before Flask-SQLAlchemy's own teardown would, forgiving a
    connection the database dropped after the answer was made.

    Closing a session rolls its transaction back.  When the server went away meanwhile (a
    restart), that ROLLBACK fails after the view has already answered, and the error escaping
    teardown turns a good answer into a 500.  There is nothing left to roll back on a dead
    connection, so it is invalidated instead and the pool replaces it.  Teardowns run in the
    reverse order of registration: this one must be registered after ``db.init_app``.
    """

    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        try:
            db.session.remove()
        except SQLAlchemyError as failure:
            app.logger.warning("closing the request's session failed (%s); invalidating it",
                               failure)
            db.session().invalidate()
            db.session.remove()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on and WAL for SQLite, so concurrent readers never block the writer."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def ensure_database_reachable() -> None:
    """Make a SQLite file's folder, then run one query; errors say which database failed."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
