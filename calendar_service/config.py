"""Configuration: defaults, then the CALENDAR_* environment variables, then a test mapping.

Read when the app is created, never at import, so tests and several apps in one process each
get their own settings.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # IANA zone for new calendars, the agenda and window bounds given without an offset.
    "CALENDAR_TIMEZONE": "Europe/London",
    # Absolute base for links written into feeds; None takes it from each request.
    "CALENDAR_BASE_URL": None,
    # How many reverse proxies to trust for X-Forwarded-* headers (0: none, run bare).
    "CALENDAR_TRUSTED_PROXIES": 0,
    # Request bodies anywhere (the .ics import upload is the largest thing we accept); raised
    # by ``load`` to leave an import upload room for its form around the file.
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # JSON bodies of the API (docs/contract.md: 413 over 1 MiB).
    "API_MAX_CONTENT_LENGTH": 1024 * 1024,
    # Upload limit of an .ics import, in the organiser UI and the CLI.
    "IMPORT_MAX_BYTES": 4 * 1024 * 1024,
    # Events an import writes per transaction on SQLite (0: one transaction, all or nothing),
    # so that others' writes and sign-ins get the database's one write lock in between.
    "IMPORT_BATCH_EVENTS": 100,
    # Default agenda span in days (docs/contract.md: 8 weeks).
    "AGENDA_DAYS": 56,
    # Most occurrences one event contributes to one API answer before "truncated": true.
    "OCCURRENCE_LIMIT": 1000,
    # Cookies: HttpOnly always, SameSite=Lax; Secure is switched on by CALENDAR_SECURE_COOKIES.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "WTF_CSRF_TIME_LIMIT": None,
    # Sign-in throttle (store.throttle): failures per e-mail and address, and per address, that
    # count inside a sliding window of this many seconds.
    "SIGN_IN_WINDOW_SECONDS": 15 * 60,
    "SIGN_IN_PER_ACCOUNT": 5,
    "SIGN_IN_PER_ADDRESS": 30,
    # Threads that serve requests in one process (gunicorn.conf.py passes GUNICORN_THREADS);
    # the connection pools are sized from it.
    "CALENDAR_THREADS": 4,
    # Seconds a read (GET or HEAD) may spend on work that grows with the stored data before it
    # stops with a 503 and Retry-After (``calendar_service.deadline``); 0: no limit.  Under
    # gunicorn's 30 s ``timeout``, which gthread workers do not apply to a request.
    "CALENDAR_REQUEST_SECONDS": 20.0,
    # Bytes of finished public answers each process keeps (web.http_cache).
    "ANSWER_CACHE_BYTES": 16 * 1024 * 1024,
    # Seconds a request waits for a free database connection before it answers 503.
    "CALENDAR_POOL_TIMEOUT": 3.0,
    # Engine options: pre-ping so a restarted database costs one retry, not a dead worker; the
    # pool's size is set from CALENDAR_THREADS by ``pool_options``.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_recycle": 1800},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
}

_TRUE = {"1", "true", "yes", "on"}

IMPORT_FORM_OVERHEAD = 16 * 1024
"""Bytes a multipart upload adds around an imported file (boundaries, part headers, the CSRF
token, the calendar's slug and the other fields): the request may be this much larger than
``IMPORT_MAX_BYTES``.  The CSRF check reads the form before the import view runs, under the
app's ``MAX_CONTENT_LENGTH``, so that limit must leave the room too."""


def _megabytes(value: str) -> int:
    """MB (which may have a fraction) as bytes, at least one."""
    return max(1, int(float(value) * 1024 * 1024))


def _hosts(value: str) -> list[str]:
    """A comma-separated list of host names.  Flask refuses other Host headers (400), so links
    built from the request's host are only ever built from these when CALENDAR_BASE_URL is not
    set."""
    return [host.strip() for host in value.split(",") if host.strip()]


# Environment variables read into settings when set and not empty: (variable, setting, read).
_FROM_ENVIRONMENT: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("CALENDAR_TIMEZONE", "CALENDAR_TIMEZONE", str),
    ("CALENDAR_BASE_URL", "CALENDAR_BASE_URL", lambda value: value.rstrip("/")),
    ("CALENDAR_TRUSTED_PROXIES", "CALENDAR_TRUSTED_PROXIES", int),
    ("CALENDAR_POOL_TIMEOUT", "CALENDAR_POOL_TIMEOUT", float),
    ("CALENDAR_REQUEST_SECONDS", "CALENDAR_REQUEST_SECONDS", float),
    ("CALENDAR_ANSWER_CACHE_MB", "ANSWER_CACHE_BYTES", _megabytes),
    ("CALENDAR_TRUSTED_HOSTS", "TRUSTED_HOSTS", _hosts),
    ("CALENDAR_IMPORT_BATCH_EVENTS", "IMPORT_BATCH_EVENTS", int),
)


def load(instance_path: Path, test_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Build the settings mapping for one app."""
    settings = dict(DEFAULTS)
    env = os.environ
    settings["SQLALCHEMY_DATABASE_URI"] = env.get("CALENDAR_DATABASE_URL") or (
        f"sqlite:///{instance_path / 'calendar.sqlite3'}"
    )
    for name, setting, read in _FROM_ENVIRONMENT:
        value = env.get(name)
        if value:
            settings[setting] = read(value)
    threads = env.get("CALENDAR_THREADS") or env.get("GUNICORN_THREADS")
    if threads:
        settings["CALENDAR_THREADS"] = int(threads)
    if env.get("CALENDAR_SECURE_COOKIES", "").lower() in _TRUE:
        settings["SESSION_COOKIE_SECURE"] = settings["REMEMBER_COOKIE_SECURE"] = True
    if test_config:
        settings.update(test_config)
    settings["MAX_CONTENT_LENGTH"] = request_limit(settings)
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = pool_options(settings)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = env.get("CALENDAR_SECRET_KEY") or instance_secret(instance_path)
    return settings


def request_limit(settings: Mapping[str, Any]) -> int | None:
    """The largest request body (None: any): at least an import upload's, the file at its
    limit and the form around it."""
    configured = settings.get("MAX_CONTENT_LENGTH")
    if configured is None:
        return None
    return max(int(configured), int(settings["IMPORT_MAX_BYTES"]) + IMPORT_FORM_OVERHEAD)


def pool_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The engine options with the pool sized for the process's threads.

    Each thread holds at most one session connection and, for a moment, one of the version
    reader's (``store.versions``), so ``threads`` plus as many again in overflow never runs
    out; a server that starts more threads than that (the development server starts one per
    request) waits ``CALENDAR_POOL_TIMEOUT`` seconds for a connection and answers 503, never a
    500 or a long hang.  An in-memory SQLite database has a single connection and no pool.
    """
    options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
    url = str(settings["SQLALCHEMY_DATABASE_URI"])
    if url.startswith("sqlite") and (
        url.rstrip("/").endswith(":") or ":memory:" in url or url in ("sqlite://", "sqlite:///")
    ):
        return options
    threads = max(1, int(settings["CALENDAR_THREADS"]))
    options.setdefault("pool_size", threads)
    options.setdefault("max_overflow", threads)
    options.setdefault("pool_timeout", float(settings["CALENDAR_POOL_TIMEOUT"]))
    return options


def create_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (it holds password and token
    hashes) before SQLite would create it with the process's default permissions."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser()
    if str(path) in ("", ".") or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def instance_secret(instance_path: Path) -> str:
    """The signing key kept in the instance folder, made once with owner-only permissions."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
