"""The command line (docs/contract.md: ``flask --app calendar_service …`` and ``calendar-service
…``).

Every command answers bad input and an unreachable database with one readable line and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from calendar_service.services.unit_of_work import ConcurrentChange, StaleRevision, unit_of_work
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import Organiser
from rules import zone_data

F = TypeVar("F", bound=Callable[..., Any])


def database_label() -> str:
    """The configured database, without a password, for messages."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return url.render_as_string(hide_password=True)


def commit_or_explain(func: F) -> F:
    """Run the command as one unit of work; turn the errors it can meet into one line on
    stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit_of_work():
                return func(*args, **kwargs)
        except ValidationError as error:
            raise click.ClickException(
                "; ".join(f"{key}: {value}" for key, value in error.errors.items())
            ) from None
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"cannot use the database {database_label()}: {reason}"
            ) from None
        except (ConcurrentChange, StaleRevision) as error:
            raise click.ClickException(f"database error: {error.detail}") from None
        except SQLAlchemyError as error:
            raise click.ClickException(f"database error: {error.__class__.__name__}") from None

    return wrapper  # type: ignore[return-value]


@click.command("init-db")
@with_appcontext
@commit_or_explain
def init_db_command() -> None:
    """Create or upgrade the schema (safe to run again)."""
    from flask_migrate import upgrade

    from calendar_service.store.db import ensure_database_reachable

    ensure_database_reachable()
    upgrade()
    click.echo(f"database ready: {database_label()}")
    click.echo(f"time zones: IANA {zone_data.version()}")


@click.command("version")
def version_command() -> None:
    """Print the service's version and the time zone data it places times with."""
    click.echo(f"calendar-service {metadata.version('calendar-service')}")
    click.echo(f"time zones: IANA {zone_data.version()}")


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no calendar yet.")
@with_appcontext
@commit_or_explain
def seed_command(if_empty: bool) -> None:
    """Load the Turing–Roche engagement calendar (slug turing-roche); safe to run again."""
    from sqlalchemy import select

    from calendar_service.store.models import Calendar
    from calendar_service.store.seed import load_seed

    if if_empty and db.session.scalar(select(Calendar.id).limit(1)) is not None:
        click.echo("database already holds calendars: seed not loaded")
        return
    result = load_seed(default_tz=current_app.config["CALENDAR_TIMEZONE"])
    click.echo(
        f"calendar {result.calendar.slug}: {len(result.created)} events added, "
        f"{len(result.kept)} already present"
    )


@click.command("create-organiser")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage calendars and organisers.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", default="", help="Display name.")
@with_appcontext
@commit_or_explain
def create_organiser_command(email: str, admin: bool, password_stdin: bool, name: str) -> None:
    """Add an organiser account."""
    from calendar_service.store.accounts import create_organiser

    organiser = create_organiser(
        email, read_password(password_stdin), admin=admin, name=name, actor="cli"
    )
    click.echo(f"organiser {organiser.email} added" + (" (admin)" if admin else ""))


def read_password(password_stdin: bool) -> str:
    """One line of standard input (without its line end), or a hidden prompt asked twice."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def organiser_or_fail(email: str) -> Organiser:
    from calendar_service.store.accounts import find_organiser

    organiser = find_organiser(email)
    if organiser is None:
        raise click.ClickException(f"no organiser {email!r}: add one with create-organiser")
    return organiser


@click.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@commit_or_explain
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set an organiser's password; every session of theirs ends."""
    from calendar_service.store.accounts import set_password

    organiser = organiser_or_fail(email)
    set_password(organiser, read_password(password_stdin), "cli")
    click.echo(f"password of {organiser.email} set; their sessions are signed out")


@click.command("grant")
@click.argument("email")
@click.option("--calendar", "slug", required=True, help="The calendar's slug.")
@click.option(
    "--role",
    type=click.Choice(["editor", "owner"]),
    default="editor",
    show_default=True,
    help="Owners also manage the calendar's members.",
)
@click.option("--withdraw", is_flag=True, help="Take the organiser's right to it away instead.")
@with_appcontext
@commit_or_explain
def grant_command(email: str, slug: str, role: str, withdraw: bool) -> None:
    """Let an organiser change a calendar's events (audited)."""
    from calendar_service.store import permissions
    from calendar_service.store.operations import find_calendar

    organiser = organiser_or_fail(email)
    calendar = find_calendar(slug)
    if calendar is None:
        raise click.ClickException(f"no calendar {slug!r}")
    if withdraw:
        had = permissions.withdraw(organiser, calendar, "cli")
        click.echo(
            f"{organiser.email} may no longer change {calendar.slug}"
            if had
            else f"{organiser.email} had no right to {calendar.slug}"
        )
        return
    permissions.grant(organiser, calendar, role, "cli")
    note = " (as an admin they may change every calendar anyway)" if organiser.is_admin else ""
    click.echo(f"{organiser.email} is now {role} of {calendar.slug}{note}")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@click.option(
    "--scope",
    type=click.Choice(["write", "read"]),
    default="write",
    show_default=True,
    help="read: drafts may be read, nothing changed.",
)
@click.option(
    "--calendar",
    "slugs",
    multiple=True,
    help="Only this calendar (repeatable); none: every one the organiser may change.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(min=1, max=36500),
    default=None,
    help="The token stops working after this many days (default: never).",
)
@with_appcontext
@commit_or_explain
def create_token_command(
    email: str, name: str, scope: str, slugs: tuple[str, ...], expires_days: int | None
) -> None:
    """Print a new API token for that organiser as the last line of stdout."""
    from datetime import timedelta

    from calendar_service.clock import utcnow
    from calendar_service.store.accounts import create_token
    from calendar_service.store.operations import find_calendar

    organiser = organiser_or_fail(email)
    calendars = []
    for slug in slugs:
        calendar = find_calendar(slug)
        if calendar is None:
            raise click.ClickException(f"no calendar {slug!r}")
        calendars.append(calendar)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    _token, secret = create_token(
        organiser, name, actor="cli", scope=scope, calendars=calendars, expires=expires
    )
    click.echo(f"token for {organiser.email}; it is shown only now:", err=True)
    click.echo(secret)


@click.command("export-ics")
@click.option("--calendar", "slug", required=True, help="The calendar's slug.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="Only events in this category (repeatable; any of them).",
)
@with_appcontext
@commit_or_explain
def export_ics_command(slug: str, categories: tuple[str, ...]) -> None:
    """Write the calendar's feed to stdout: the bytes GET /calendars/<slug>.ics serves.

    Links in it use CALENDAR_BASE_URL (else http://localhost, as the server would see it).
    """
    from calendar_service.app_caches import app_caches
    from calendar_service.services.feeds import export_feed
    from calendar_service.web import links

    base = current_app.config.get("CALENDAR_BASE_URL") or "http://localhost"
    with current_app.test_request_context("/", base_url=base):
        try:
            body = export_feed(slug, categories, app_caches(), links.base_url())
        except LookupError as error:
            raise click.ClickException(str(error.args[0])) from None
    sys.stdout.flush()
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


@click.command("import-ics")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str, allow_dash=True))
@click.option("--calendar", "slug", required=True, help="Slug of the calendar to import into.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be created, updated and skipped; change nothing.",
)
@click.option(
    "--category",
    default=None,
    help="Slug of one of the calendar's categories to give every imported event.",
)
@click.option("--draft", is_flag=True, help="Save the events it creates as drafts (unpublished).")
@with_appcontext
@commit_or_explain
def import_ics_command(
    file: str, slug: str, dry_run: bool, category: str | None, draft: bool
) -> None:
    """Import events from an .ics file by UID (importing again updates them)."""
    from calendar_service.services.imports import (
        ImportFailed,
        ImportLimits,
        ImportOptions,
        import_ics,
    )
    from calendar_service.store.operations import find_calendar

    calendar = find_calendar(slug)
    if calendar is None:
        raise click.ClickException(f"no calendar {slug!r}: create it first")
    limits = ImportLimits.of(current_app.config)
    try:
        with click.open_file(file, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror or error}") from None
    try:
        result = import_ics(
            data,
            calendar,
            "cli",
            max_bytes=limits.max_bytes,
            source=file,
            batch_size=limits.batch_size,
            options=ImportOptions(category, draft),
            dry_run=dry_run,
        )
    except ImportFailed as error:
        if error.saved is None:
            raise click.ClickException(f"{file}: nothing imported: {error}") from None
        raise click.ClickException(
            f"{file}: the import stopped part-way: {error}; earlier steps saved "
            f"{error.saved.summary()} (importing the file again completes it)"
        ) from None
    would = "would be " if dry_run else ""
    for label, uids in (("created", result.created), ("updated", result.updated)):
        for uid in uids:
            click.echo(f"{would}{label}: {result.title(uid)}")
    for skipped in result.skipped:
        click.echo(f"{would}skipped: {skipped.what}: {skipped.reason}")
    for note in result.notes:
        click.echo(f"note: {note.what}: {note.reason}")
    suffix = " (dry run: nothing was changed)" if dry_run else ""
    click.echo(f"{calendar.slug}: {result.summary()}{suffix}")


COMMANDS: list[click.Command] = [
    init_db_command,
    version_command,
    seed_command,
    create_organiser_command,
    create_token_command,
    set_password_command,
    grant_command,
    export_ics_command,
    import_ics_command,
]


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
