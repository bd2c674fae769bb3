"""What other people do while a long import or dry run holds its steps: an editor's PATCH, a
sign-in, a token read and ``/healthz``, three times over; each answer recorded with how many of
the import's steps ended while it waited (shared by the tests of real imports and dry runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

EXPECTED = {"patch": 200, "sign-in": 302, "token read": 200, "healthz": 200}

Answer = tuple[str, int, int]  # (label, status, the import's steps ended while it waited)


def ask_meanwhile(
    app: Flask,
    steps_ended: list[int],
    *,
    organiser_email: str,
    admin_headers: dict[str, str],
    sign_in: Callable[..., Any],
) -> list[Answer]:
    """Three rounds of the four requests, as others would send them during the import."""
    client = app.test_client()
    answers: list[Answer] = []

    def counted(label: str, call: Callable[[], Any]) -> None:
        before = steps_ended[0]
        response = call()
        answers.append((label, response.status_code, steps_ended[0] - before))

    for round_number in range(3):
        counted(
            "patch",
            lambda n=round_number: client.patch(
                "/api/v1/events/mine@x", json={"title": f"Mine, round {n}"}, headers=admin_headers
            ),
        )
        counted("sign-in", lambda: sign_in(app.test_client(), organiser_email))
        counted("token read", lambda: client.get("/api/v1/events/mine@x", headers=admin_headers))
        counted("healthz", lambda: client.get("/healthz"))
    return answers


def statuses(answers: list[Answer]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The statuses the answers had, and the ones each should have had."""
    return (
        [(label, status) for label, status, _ in answers],
        [(label, EXPECTED[label]) for label, _, _ in answers],
    )
