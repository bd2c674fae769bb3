"""The import page's limit is the file's, with the limits as shipped and the CSRF check on: a file
just under ``IMPORT_MAX_BYTES`` is imported, one just over gets the import's own message, and only
a body far over the limit is a 413 (on the import page, saying the same).

A security review found a file just under the limit answered 413 by the request limit first: the
CSRF check reads the form before the import view raises the limit for the form around the file.
The suite's other upload tests run with CSRF off, which hid it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from organiser_helpers import csrf_token
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from calendar_service.config import DEFAULTS
from calendar_service.store.db import db
from calendar_service.store.models import Event

LIMIT = DEFAULTS["IMPORT_MAX_BYTES"]
TOO_LARGE = f"Nothing was imported: the file is larger than the import limit of {LIMIT:,} bytes"


def padded(size: int) -> bytes:
    """An .ics file of exactly ``size`` bytes: one event, and an X- property of padding."""
    head = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//limit//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:padded@x\r\nSUMMARY:Padded\r\nDTSTART:20270105T100000Z\r\n"
        b"END:VEVENT\r\nX-PADDING:"
    )
    foot = b"\r\nEND:VCALENDAR\r\n"
    body = head + b"x" * (size - len(head) - len(foot)) + foot
    assert len(body) == size
    return body


@pytest.fixture
def csrf_on(app_config: dict[str, Any]) -> dict[str, Any]:
    """The limits as shipped (the test settings change neither), and the CSRF check on."""
    assert "MAX_CONTENT_LENGTH" not in app_config and "IMPORT_MAX_BYTES" not in app_config
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


@pytest.fixture
def uploader(
    csrf_on: dict[str, Any],
    app: Flask,
    client: FlaskClient,
    organiser: dict[str, Any],
    calendar: dict[str, Any],
) -> Any:
    """``upload(data)``: the import page's form posted by a signed-in organiser, with the
    page's CSRF token, as a browser sends it."""
    page = client.get("/organiser/sign-in").text
    signed = client.post(
        "/organiser/sign-in",
        data={
            "email": organiser["email"],
            "password": organiser["password"],
            "csrf_token": csrf_token(page),
        },
    )
    assert signed.status_code == 302

    def upload(data: bytes, **fields: str) -> Any:
        token = csrf_token(client.get("/organiser/import").text)
        # Encoded here, in memory, as a browser sends it: the test client would spool a body
        # this large to a temporary file that it never closes.
        boundary, body = encode_multipart(
            {
                "csrf_token": token,
                "calendar": "test",
                **fields,
                "file": FileStorage(BytesIO(data), filename="export.ics"),
            }
        )
        return client.post(
            "/organiser/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    return upload


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event)) or 0


def test_a_file_just_under_the_limit_is_imported(uploader: Any, app: Flask) -> None:
    assert app.config["IMPORT_MAX_BYTES"] == LIMIT == 4 * 1024 * 1024
    response = uploader(padded(LIMIT - 10))
    assert response.status_code == 200, response.text[-400:]
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in response.text
    assert stored(app) == 1
    exactly = uploader(padded(LIMIT), preview="Preview (dry run)")
    assert exactly.status_code == 200, exactly.text[-400:]
    assert "Dry run: 0 created, 0 updated, 1 unchanged, 0 skipped" in exactly.text


@pytest.mark.parametrize(
    "size, status",
    [
        (LIMIT + 1, 422),  # the file over, its form within the request limit: the import says so
        (LIMIT + 64 * 1024, 413),  # the request itself over: the import page says the same
    ],
)
def test_a_file_over_the_limit_gets_the_imports_own_message(
    uploader: Any, app: Flask, size: int, status: int
) -> None:
    response = uploader(padded(size))
    assert response.status_code == status
    assert TOO_LARGE in response.text
    assert "Import an .ics file" in response.text  # the import page, not a bare error page
    assert stored(app) == 0
