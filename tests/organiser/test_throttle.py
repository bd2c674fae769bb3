"""The sign-in throttle: at most the limit of passwords checked even in parallel, a message that
says which limit applies and for how long, and a window that ends by itself."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from calendar_service.store import accounts
from calendar_service.store.db import db
from calendar_service.store.models import SignInAttempt

if TYPE_CHECKING:
    from tests.conftest import Clock

WRONG = "wrong password!"
ACCOUNT_BLOCK = re.compile(
    r"Too many failed sign-ins for this account from your address\. "
    r"Wait (\d+) (second|seconds|minute|minutes), then try again\."
)
ADDRESS_BLOCK = re.compile(
    r"Too many failed sign-ins from your address\. "
    r"Wait (\d+) (second|seconds|minute|minutes), then try again\."
)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the sign-in page makes, by e-mail (a counting wrapper)."""
    made: list[str] = []
    lock = threading.Lock()
    real = accounts.check_password

    def counting(email: str, password: str) -> Any:
        with lock:
            made.append(email)
        return real(email, password)

    monkeypatch.setattr(accounts, "check_password", counting)
    return made


def attempts_of(app: Flask, key_start: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(SignInAttempt)
                .where(SignInAttempt.key.startswith(key_start))
            )
            or 0
        )


@pytest.fixture
def forty_threads(app_config: dict[str, Any]) -> dict[str, Any]:
    """A connection for each of 40 requests at once; the address limit out of the way."""
    app_config.update(CALENDAR_THREADS=40, SIGN_IN_PER_ADDRESS=100)
    return app_config


def test_forty_parallel_guesses_check_at_most_five_passwords(
    forty_threads: dict[str, Any], app: Flask, organiser: dict[str, Any], checks: list[str]
) -> None:
    start = threading.Barrier(40)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def guess() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/organiser/sign-in", data={"email": organiser["email"], "password": WRONG}
        )
        with lock:
            answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 40
    statuses = sorted(status for status, _text in answers)
    assert len(checks) <= 5
    assert statuses == [200] * len(checks) + [429] * (40 - len(checks))
    for status, text in answers:
        if status == 429:
            match = ACCOUNT_BLOCK.search(text)
            assert match, text
            assert match.group(2).startswith("minute")
            assert int(match.group(1)) in range(1, 16)
        else:
            assert "The e-mail or the password is not right." in text
    # Only the checked attempts count: the refused ones took their rows back.
    assert attempts_of(app, "account:") == len(checks)


def test_the_account_block_says_so_and_for_how_long(
    app: Flask, client: FlaskClient, organiser: dict[str, Any], sign_in: Any, checks: list[str]
) -> None:
    for _ in range(5):
        assert sign_in(client, organiser["email"], WRONG).status_code == 200
    blocked = sign_in(client, organiser["email"])
    assert blocked.status_code == 429
    assert ACCOUNT_BLOCK.search(blocked.text).groups() == ("15", "minutes")
    assert 14 * 60 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert len(checks) == 5  # the right password was not even checked
    # Guessing another account from the same address is still allowed (under 30).
    assert sign_in(client, "someone@example.org", WRONG).status_code == 200


def test_the_address_block_says_from_your_address(
    app: Flask, client: FlaskClient, make_organiser: Any, sign_in: Any, checks: list[str]
) -> None:
    app.config.update(SIGN_IN_PER_ADDRESS=3)
    make_organiser("lin@example.org")
    for number in range(3):
        assert sign_in(client, f"guess{number}@example.org", WRONG).status_code == 200
    blocked = sign_in(client, "lin@example.org")
    assert blocked.status_code == 429
    assert ADDRESS_BLOCK.search(blocked.text).groups() == ("15", "minutes")
    assert "for this account" not in blocked.text
    assert len(checks) == 3
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(other, "lin@example.org").status_code == 302


@pytest.mark.now("2027-03-01T12:00:00+00:00", tick=False)
def test_the_right_password_works_again_once_the_window_has_passed(
    app: Flask, client: FlaskClient, organiser: dict[str, Any], sign_in: Any, clock: Clock
) -> None:
    for _ in range(5):
        sign_in(client, organiser["email"], WRONG)
    blocked = sign_in(client, organiser["email"])
    assert blocked.status_code == 429
    assert ACCOUNT_BLOCK.search(blocked.text).groups() == ("15", "minutes")
    # Waiting does not extend the block: refused attempts do not count (as many as the limit,
    # which would block on their own if they did).
    clock.move(timedelta(minutes=10))
    for _ in range(5):
        refused = sign_in(client, organiser["email"])
        assert refused.status_code == 429
        assert ACCOUNT_BLOCK.search(refused.text).groups() == ("5", "minutes")
        assert refused.headers["Retry-After"] == "300"
    clock.move(timedelta(minutes=5, seconds=-1))
    last = sign_in(client, organiser["email"])
    assert ACCOUNT_BLOCK.search(last.text).groups() == ("1", "second")
    clock.move(timedelta(seconds=2))
    assert sign_in(client, organiser["email"]).status_code == 302


def test_the_wait_is_until_the_oldest_counted_failure_leaves_the_window(
    app: Flask, client: FlaskClient, organiser: dict[str, Any], sign_in: Any
) -> None:
    for _ in range(5):
        sign_in(client, organiser["email"], WRONG)
    with app.app_context():
        rows = db.session.scalars(
            select(SignInAttempt)
            .where(SignInAttempt.key.startswith("account:"))
            .order_by(SignInAttempt.id)
        ).all()
        rows[0].at -= timedelta(minutes=10)  # the oldest failure leaves the window in 5 minutes
        db.session.commit()
    blocked = sign_in(client, organiser["email"])
    assert ACCOUNT_BLOCK.search(blocked.text).groups() == ("5", "minutes")
    assert 4 * 60 < int(blocked.headers["Retry-After"]) <= 5 * 60
