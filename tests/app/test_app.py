"""The application shell: configuration, health, the schema and its migrations."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from calendar_service import create_app
from calendar_service.store.db import db


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


def test_proxy_fix_trusts_forwarded_headers_only_when_configured(app_config: dict) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org"}
    for hops, expected in ((0, "http://localhost/"), (1, "https://cal.example.org/")):
        flask_app = create_app({**app_config, "CALENDAR_TRUSTED_PROXIES": hops})

        @flask_app.get("/_root")
        def root() -> str:
            from flask import request

            return request.host_url

        assert flask_app.test_client().get("/_root", headers=headers).text == expected


def test_healthz_answers_ok_when_the_database_answers(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
    })
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_unknown_api_route_is_problem_json(client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert set(body) >= {"type", "title", "status", "detail"}


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
    assert {"calendars", "events", "overrides", "organisers", "api_tokens",
            "audit_entries", "categories", "event_categories"} <= tables


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with app.app_context():
        db.engine.dispose()


def test_robots_txt_lets_calendar_clients_fetch_feeds(client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    assert not any(line.strip() in ("Disallow: /", "Disallow: /calendars/") for line in lines)


@pytest.mark.parametrize(
    "url",
    ["/events/%00.ics", "/calendars/%00.ics", "/events/%00", "/api/v1/events/a%00b",
     "/?q=%00", "/api/v1/occurrences?start=2027-01-01&end=2027-02-01&calendar=%01",
     "/calendars/x%1f/next"],
)
def test_control_characters_in_the_address_are_a_clear_400(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert "control characters" in response.get_json()["detail"]
    else:
        assert "control characters" in response.text


def test_a_value_the_database_refuses_is_a_400_not_a_500(app_config: dict) -> None:
    from sqlalchemy.exc import DataError

    flask_app = create_app(app_config)

    @flask_app.get("/api/v1/_refused")
    def refused() -> str:
        raise DataError("INSERT …", {}, ValueError("A string literal cannot contain NUL"))

    response = flask_app.test_client().get("/api/v1/_refused")
    assert response.status_code == 400
    assert response.get_json()["detail"] == "A value in the request was not accepted."


@pytest.mark.parametrize("path, mimetype", [
    ("/calendars/turing-roche.ics", "text/html"),
    ("/", "text/html"),
    ("/api/v1/calendars", "application/problem+json"),
])
def test_an_unreachable_database_is_a_503_to_retry_not_a_500(path: str, mimetype: str) -> None:
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
    })
    response = app.test_client().get(path, headers={"If-None-Match": '"a"'})
    assert response.status_code == 503
    assert response.mimetype == mimetype
    assert response.headers["Retry-After"] == "5"
    assert b"database is not answering" in response.data


def test_a_connection_dropped_after_the_answer_does_not_spoil_it(app_config: dict) -> None:
    """The database goes away between the view's answer and the session's closing ROLLBACK (a
    restart): the answer stands, and the next request gets a fresh connection."""
    from sqlalchemy import create_engine, text

    from calendar_service.store.db import db

    flask_app = create_app(app_config)
    url = app_config["SQLALCHEMY_DATABASE_URI"]

    @flask_app.get("/_dropped")
    def dropped() -> str:
        pid = db.session.execute(text(
            "SELECT pg_backend_pid()" if url.startswith("postgresql") else "SELECT 1"
        )).scalar()
        if url.startswith("postgresql"):  # the server ends this very connection
            killer = create_engine(url, isolation_level="AUTOCOMMIT")
            with killer.connect() as connection:
                assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                          {"pid": pid}).scalar()
            killer.dispose()
        else:  # SQLite has no server: close the file handle under the session instead
            db.session.connection().connection.dbapi_connection.close()
        return "answered"

    client = flask_app.test_client()
    response = client.get("/_dropped")
    assert (response.status_code, response.text) == (200, "answered")
    assert client.get("/healthz").status_code == 200
    with flask_app.app_context():
        db.engine.dispose()
