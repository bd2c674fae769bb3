"""Fixtures of the organiser tests: the seminar series saved through the editor, and what the app
lists of it.  Their plain helpers (BASE, stored, occurrence_url, ...) are in organiser_helpers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import BASE, Listing, stored

from calendar_service.store.models import Event


@pytest.fixture
def listing(occurrences_between: Callable[..., list[Any]]) -> Listing:
    """``listing(start, end)``: (uid-less) title, local start, recurrence id, cancelled for
    every occurrence, drafts included."""

    def row(item: Any) -> tuple[str, str, str, bool]:
        return (
            item.occurrence.title or item.event.title,
            item.occurrence.start.isoformat(),
            str(item.occurrence.recurrence_id),
            item.occurrence.cancelled,
        )

    return lambda start, end: occurrences_between(start, end, row, include_drafts=True)


@pytest.fixture
def seminar_fields() -> dict[str, str]:
    """Editor fields the ``seminar`` is saved with besides BASE; a module overrides this
    fixture to add some (a description, say)."""
    return {}


@pytest.fixture
def seminar(app: Flask, signed_in: FlaskClient, seminar_fields: dict[str, str]) -> Event:
    """The monthly TPS seminar (BASE), saved through the editor by the signed-in organiser."""
    response = signed_in.post(
        "/organiser/events/new", data={**BASE, **seminar_fields, "save": "Save"}
    )
    assert response.status_code == 302, response.text
    return stored(app)[0]
