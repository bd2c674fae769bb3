"""The application shell: configuration, the proxy setting, the schema and its migrations."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from calendar_service import create_app
from calendar_service.store.db import db

MakeApp = Callable[[dict[str, Any]], Flask]


def test_secret_key_is_generated_once_into_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALENDAR_SECRET_KEY", raising=False)
    monkeypatch.setenv("CALENDAR_INSTANCE_PATH", str(tmp_path / "instance"))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key_file = tmp_path / "instance" / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_environment_variables_configure_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALENDAR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CALENDAR_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("CALENDAR_SECRET_KEY", "from-env")
    monkeypatch.setenv("CALENDAR_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CALENDAR_BASE_URL", "https://events.example.org/")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["CALENDAR_TIMEZONE"] == "America/New_York"
    assert app.config["CALENDAR_BASE_URL"] == "https://events.example.org"


def test_default_database_is_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALENDAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CALENDAR_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/calendar.sqlite3"


def test_an_unknown_timezone_setting_is_refused_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALENDAR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CALENDAR_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(RuntimeError, match="CALENDAR_TIMEZONE='Mars/Olympus_Mons' is not"):
        create_app({"SECRET_KEY": "x"})


def test_proxy_fix_trusts_forwarded_headers_only_when_configured(
    app_config: dict, make_app: MakeApp
) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org"}
    for hops, expected in ((0, "http://localhost/"), (1, "https://cal.example.org/")):
        flask_app = make_app({**app_config, "CALENDAR_TRUSTED_PROXIES": hops})

        @flask_app.get("/_root")
        def root() -> str:
            from flask import request

            return request.host_url

        assert flask_app.test_client().get("/_root", headers=headers).text == expected


def test_migrations_build_the_schema_the_models_describe(tmp_path: Path) -> None:
    """``init-db`` (Alembic) and the models agree: no migration is missing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "calendars",
        "events",
        "overrides",
        "organisers",
        "api_tokens",
        "audit_entries",
        "categories",
        "event_categories",
        "calendar_members",
        "api_token_calendars",
    } <= tables


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with app.app_context():
        db.engine.dispose()


def test_the_pool_is_sized_from_the_threads_of_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from calendar_service.config import load

    monkeypatch.setenv("CALENDAR_DATABASE_URL", "postgresql+psycopg://db.example/events")
    monkeypatch.setenv("CALENDAR_THREADS", "32")
    monkeypatch.setenv("CALENDAR_POOL_TIMEOUT", "2.5")
    options = load(tmp_path, {"SECRET_KEY": "x"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (32, 32, 2.5)
    assert options["pool_pre_ping"] is True
    monkeypatch.delenv("CALENDAR_THREADS")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    assert load(tmp_path, {"SECRET_KEY": "x"})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 8
    memory = load(tmp_path, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "pool_size" not in memory["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_instance_folder_and_the_sqlite_file_are_the_owners_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALENDAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CALENDAR_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert stat.S_IMODE(os.stat(tmp_path / "instance").st_mode) == 0o700
    database = tmp_path / "instance" / "calendar.sqlite3"
    assert database.stat().st_size > 0  # SQLite wrote its tables into the file made for it
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_trusted_hosts_keep_foreign_hosts_out_of_links(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    app_config: dict[str, Any],
    make_calendar: Callable[..., dict[str, Any]],
) -> None:
    make_calendar(slug="test")
    monkeypatch.setenv("CALENDAR_TRUSTED_HOSTS", "events.example.org, localhost")
    app = create_app(app_config)
    assert app.config["TRUSTED_HOSTS"] == ["events.example.org", "localhost"]
    client = app.test_client()
    trusted = client.get("/api/v1/calendars", headers={"Host": "events.example.org"})
    assert trusted.json["calendars"][0]["feed_url"] == (
        "http://events.example.org/calendars/test.ics"
    )
    for path in ("/api/v1/calendars", "/calendars/test.ics", "/"):
        assert client.get(path, headers={"Host": "evil.example"}).status_code == 400
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new PostgreSQL database beside the suite's when
    CALENDAR_TEST_DATABASE_URL is set (dropped afterwards)."""
    base = os.environ.get("CALENDAR_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"calendar_migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migration_0003_keeps_what_existing_organisers_could_do_and_downgrades(
    empty_database_url: str,
) -> None:
    """Upgrading a 0002 database: every non-admin organiser becomes an editor of every
    calendar, tokens keep writing and never expire; downgrading takes it all away again and
    keeps every other row."""
    from flask_migrate import downgrade, upgrade

    url = empty_database_url
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            for number, (email, admin) in enumerate(
                (
                    ("ada@example.org", False),
                    ("grace@example.org", True),
                    ("lin@example.org", False),
                ),
                start=1,
            ):
                connection.execute(
                    text(
                        "INSERT INTO organisers (id, email, name, is_admin, active, created) "
                        "VALUES (:id, :email, '', :admin, true, '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "email": email, "admin": admin},
                )
            for number, slug in enumerate(("turing-roche", "book-dash"), start=1):
                connection.execute(
                    text(
                        "INSERT INTO calendars (id, slug, name, description, timezone, version, "
                        "created, changed) VALUES (:id, :slug, :slug, '', 'Europe/London', 1, "
                        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "slug": slug},
                )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (organiser_id, name, token_hash, prefix, created) "
                    "VALUES (1, 'old', :hash, 'cal_abcdef', '2026-01-01 00:00:00')"
                ),
                {"hash": "0" * 64},
            )
        upgrade()
        with db.engine.connect() as connection:
            members = sorted(
                tuple(row)
                for row in connection.execute(
                    text(
                        "SELECT o.email, c.slug, m.role FROM calendar_members m "
                        "JOIN organisers o ON o.id = m.organiser_id "
                        "JOIN calendars c ON c.id = m.calendar_id"
                    )
                )
            )
            token = tuple(connection.execute(text("SELECT scope, expires FROM api_tokens")).one())
            generations = set(
                connection.execute(text("SELECT session_generation FROM organisers")).scalars()
            )
        downgrade(revision="0002")
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            token_columns = {
                column["name"] for column in inspect(connection).get_columns("api_tokens")
            }
            kept = connection.execute(text("SELECT count(*) FROM api_tokens")).scalar()
        db.engine.dispose()
    assert members == [
        ("ada@example.org", "book-dash", "editor"),
        ("ada@example.org", "turing-roche", "editor"),
        ("lin@example.org", "book-dash", "editor"),
        ("lin@example.org", "turing-roche", "editor"),
    ]
    assert token == ("write", None)
    assert generations == {1}
    assert not {"calendar_members", "api_token_calendars"} & tables
    assert not {"scope", "expires"} & token_columns
    assert kept == 1


def test_migration_0007_drops_the_stored_rule_text_and_its_downgrade_describes_each_row(
    empty_database_url: str,
) -> None:
    """The English words for each rule were stored until 0007, which drops them (pages and API
    answers describe the rule when they show it); downgrading stores them again, as the code
    before would have: described from each row's rule and extra dates, null for a one-off.
    Upgrading once more works and keeps every row."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import JSON, Boolean, DateTime, Integer, String, column, table

    events = table(
        "events",
        *(
            column(name, String())
            for name in (
                "uid",
                "title",
                "description",
                "location",
                "url",
                "timezone",
                "rrule",
                "status",
            )
        ),
        *(column(name, Integer()) for name in ("id", "calendar_id", "sequence", "revision")),
        *(column(name, Boolean()) for name in ("all_day", "published")),
        *(column(name, JSON()) for name in ("rdates", "exdates")),
        *(
            column(name, DateTime())
            for name in (
                "start_local",
                "end_local",
                "first_start_utc",
                "last_end_utc",
                "created",
                "updated",
            )
        ),
    )
    stamp = datetime(2026, 1, 1)
    start = datetime(2027, 1, 27, 14)
    rows = [
        ("seminar", False, start, "FREQ=MONTHLY;BYDAY=-1WE", []),
        ("talk", False, start, None, []),
        ("fair", True, datetime(2027, 5, 1), None, ["2027-06-05"]),
        ("course", False, start, "FREQ=WEEKLY;INTERVAL=2;COUNT=3", ["2027-01-28T14:00:00"]),
    ]
    url = empty_database_url
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0006_category_aliases")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO calendars (id, slug, name, description, timezone, version, "
                    "created, changed) VALUES (1, 'turing-roche', 'Turing-Roche', '', "
                    "'Europe/London', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                events.insert(),
                [
                    {
                        "id": number,
                        "uid": f"{name}@x",
                        "calendar_id": 1,
                        "title": name,
                        "description": "",
                        "location": "",
                        "url": "",
                        "all_day": all_day,
                        "start_local": first,
                        "end_local": first + timedelta(days=1),
                        "timezone": "Europe/London",
                        "rrule": rrule,
                        "rdates": rdates,
                        "exdates": [],
                        "status": "confirmed",
                        "published": True,
                        "sequence": 0,
                        "revision": 1,
                        "first_start_utc": first,
                        "last_end_utc": None,
                        "created": stamp,
                        "updated": stamp,
                    }
                    for number, (name, all_day, first, rrule, rdates) in enumerate(rows, start=1)
                ],
            )
        upgrade()
        with db.engine.connect() as connection:
            upgraded = {column["name"] for column in inspect(connection).get_columns("events")}
        downgrade(revision="0006_category_aliases")
        with db.engine.connect() as connection:
            described = dict(
                connection.execute(
                    text("SELECT title, recurrence_text FROM events ORDER BY id")
                ).all()
            )
        upgrade()
        with db.engine.connect() as connection:
            again = {column["name"] for column in inspect(connection).get_columns("events")}
            kept = connection.execute(text("SELECT count(*) FROM events")).scalar()
        db.engine.dispose()
    assert "recurrence_text" not in upgraded and "rrule" in upgraded
    assert described == {
        "seminar": "Monthly on the last Wednesday",
        "talk": None,
        "fair": "On 1 May 2027 and 5 June 2027",
        "course": "Every 2 weeks on Wednesday, 3 times, plus 1 other date",
    }
    assert again == upgraded
    assert kept == 4
