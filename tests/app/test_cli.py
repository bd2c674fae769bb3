"""The command line: set-up, seed, organisers and tokens, and readable errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from calendar_service.store.accounts import hash_token
from calendar_service.store.db import db
from calendar_service.store.models import ApiToken, AuditEntry, Calendar, Event, Organiser

TPS = "tps-seminar@turing-roche.calendar"


def test_seed_loads_the_turing_roche_calendar_and_is_safe_to_run_again(app: Flask, runner) -> None:
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "calendar turing-roche: 12 events added, 0 already present" in first.output
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.uid == TPS))
        event.title = "TPS seminar (renamed by an organiser)"
        db.session.commit()
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert "0 events added, 12 already present" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 12
        assert db.session.scalar(select(func.count(Calendar.id))) == 1
        event = db.session.scalar(select(Event).where(Event.uid == TPS))
        assert event.title == "TPS seminar (renamed by an organiser)"


def test_seed_if_empty_leaves_a_database_with_calendars_alone(runner, make_calendar) -> None:
    make_calendar(slug="other")
    result = runner.invoke(args=["seed", "--if-empty"])
    assert result.exit_code == 0
    assert "seed not loaded" in result.output


@pytest.mark.production_password_cost
def test_create_organiser_and_token(app: Flask, runner) -> None:
    result = runner.invoke(
        args=["create-organiser", "Vicky@Example.org", "--admin", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    token_result = runner.invoke(args=["create-token", "vicky@example.org", "--name", "laptop"])
    assert token_result.exit_code == 0, token_result.output
    secret = token_result.stdout.strip().splitlines()[-1]
    assert secret.startswith("cal_") and len(secret) > 40
    with app.app_context():
        organiser = db.session.scalar(select(Organiser))
        assert organiser.email == "vicky@example.org" and organiser.is_admin
        # werkzeug's scrypt at its full cost (the other tests hash at a lower one, to be quick)
        assert organiser.password_hash.startswith("scrypt:32768:8:1$")
        assert check_password_hash(organiser.password_hash, "correct horse battery")
        token = db.session.scalar(select(ApiToken))
        assert token.name == "laptop"
        assert token.token_hash == hash_token(secret)
        assert secret not in (token.token_hash, token.prefix)
        entries = [
            (entry.actor, entry.action, entry.target_type, entry.target)
            for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
        assert entries == [
            ("cli", "create", "organiser", "vicky@example.org"),
            ("cli", "create", "token", token.prefix),
        ]


def test_create_organiser_refuses_bad_input_in_one_line(runner) -> None:
    short = runner.invoke(
        args=["create-organiser", "a@example.org", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "password: must be at least 10 characters" in short.output
    assert "Traceback" not in short.output
    bad_email = runner.invoke(
        args=["create-organiser", "not-an-email", "--password-stdin"],
        input="long enough password\n",
    )
    assert bad_email.exit_code == 1 and "email: is not an e-mail address" in bad_email.output
    runner.invoke(
        args=["create-organiser", "a@example.org", "--password-stdin"],
        input="long enough password\n",
    )
    again = runner.invoke(
        args=["create-organiser", "A@example.org", "--password-stdin"],
        input="long enough password\n",
    )
    assert again.exit_code == 1 and "exists already" in again.output


def test_create_token_for_an_unknown_organiser_is_a_readable_error(runner) -> None:
    result = runner.invoke(args=["create-token", "nobody@example.org"])
    assert result.exit_code == 1
    assert "no organiser 'nobody@example.org'" in result.output


def _cli(tmp_path: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "CALENDAR_INSTANCE_PATH": str(tmp_path / "instance"),
        "CALENDAR_DATABASE_URL": url or f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "-c", "from calendar_service.console import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.mark.slow
def test_console_script_sets_up_twice_without_losing_anything(tmp_path: Path) -> None:
    """What `make run` does: init-db, seed --if-empty; a second time keeps the data."""
    for _ in range(2):
        init = _cli(tmp_path, "init-db")
        assert init.returncode == 0, init.stderr
        assert "database ready" in init.stdout
    seed = _cli(tmp_path, "seed", "--if-empty")
    assert "12 events added" in seed.stdout
    again = _cli(tmp_path, "seed", "--if-empty")
    assert "seed not loaded" in again.stdout


@pytest.mark.slow
def test_unreachable_database_gives_one_readable_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "init-db", url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/none" in result.stderr
