"""What the importer chooses and sees: a dry run that changes nothing and lists by title, a
category and draft status for the events, and files that are no iCalendar refused in words."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from calendar_service.services.imports import IcsImportError, ImportOptions, import_ics
from calendar_service.store import operations
from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Category, Event

DATA = Path(__file__).parent / "data"
OUTLOOK = (DATA / "outlook-desktop.ics").read_bytes()
LIMIT = 4 * 1024 * 1024


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            int(db.session.scalar(select(func.count()).select_from(Event)) or 0),
            int(db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        )


@pytest.fixture
def talks(app: Flask, calendar: dict[str, Any]) -> str:
    """A category ``talks`` of the calendar ``test``."""
    with app.app_context():
        target = operations.find_calendar("test")
        db.session.add(Category(calendar=target, slug="talks", name="Talks"))
        db.session.commit()
    return "talks"


def test_the_command_dry_run_lists_titles_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, calendar: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "outlook.ics"
    path.write_bytes(OUTLOOK)
    before = counts(app)
    result = runner.invoke(args=["import-ics", str(path), "--calendar", "test", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.strip().splitlines()) == [
        "test: 3 created, 0 updated, 0 unchanged, 0 skipped (dry run: nothing was changed)",
        "would be created: Berlin sync",
        "would be created: Office closed (bank holiday)",
        "would be created: Team meeting",
    ]
    assert counts(app) == before
    real = runner.invoke(args=["import-ics", str(path), "--calendar", "test"])
    assert real.output.strip().splitlines()[-1] == (
        "test: 3 created, 0 updated, 0 unchanged, 0 skipped"
    )
    changed = tmp_path / "changed.ics"
    changed.write_bytes(OUTLOOK.replace(b"LOCATION:Meeting room 1", b"LOCATION:Meeting room 2", 1))
    again = runner.invoke(args=["import-ics", str(changed), "--calendar", "test", "--dry-run"])
    assert "would be updated: Team meeting" in again.output.splitlines()
    assert again.output.strip().splitlines()[-1] == (
        "test: 0 created, 1 updated, 2 unchanged, 0 skipped (dry run: nothing was changed)"
    )
    with app.app_context():
        assert {event.location for event in db.session.scalars(select(Event))} == {
            "Meeting room 1",
            "Microsoft Teams Meeting",
            "",
        }


def test_the_command_sets_category_and_draft(
    app: Flask, runner: FlaskCliRunner, talks: str, tmp_path: Path
) -> None:
    path = tmp_path / "google.ics"
    path.write_bytes((DATA / "google.ics").read_bytes())
    result = runner.invoke(
        args=["import-ics", str(path), "--calendar", "test", "--category", "talks", "--draft"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        events = list(db.session.scalars(select(Event)))
        assert len(events) == 3
        assert all(event.category_slugs == ["talks"] and not event.published for event in events)
    unknown = runner.invoke(
        args=["import-ics", str(path), "--calendar", "test", "--category", "tsp"]
    )
    assert unknown.exit_code == 1
    assert "the calendar has no category 'tsp'" in unknown.output
    assert "Traceback" not in unknown.output


def test_a_reimport_keeps_whether_an_event_is_published(
    app: Flask, calendar: dict[str, Any]
) -> None:
    with app.app_context():
        target = operations.find_calendar("test")
        import_ics(OUTLOOK, target, "test", max_bytes=LIMIT, options=ImportOptions(draft=True))
        db.session.commit()
        import_ics(OUTLOOK, target, "test", max_bytes=LIMIT)
        db.session.commit()
        assert {event.published for event in db.session.scalars(select(Event))} == {False}


@pytest.mark.parametrize(
    "data, message",
    [
        (
            b'"Subject","Start Date","Start Time","End Date","End Time"\r\n"Team meeting",'
            b'"05/01/2026","10:00:00","05/01/2026","11:00:00"\r\n',
            "not a readable iCalendar file: it looks like a CSV (spreadsheet) file; export the "
            "calendar as an iCalendar (.ics) file",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "it is a binary file"),
        (b"Team meeting on Monday at 10", "it does not begin with BEGIN:VCALENDAR"),
    ],
)
def test_files_that_are_no_icalendar_are_refused_in_words(
    app: Flask, calendar: dict[str, Any], data: bytes, message: str
) -> None:
    with app.app_context():
        with pytest.raises(IcsImportError) as raised:
            import_ics(data, operations.find_calendar("test"), "test", max_bytes=LIMIT)
        db.session.rollback()
    assert message in str(raised.value)
    assert "Content line" not in str(raised.value) and "parse" not in str(raised.value)


def test_the_upload_page_previews_then_imports(
    app: Flask, signed_in: FlaskClient, talks: str
) -> None:
    page = signed_in.get("/organiser/import").text
    before = counts(app)
    assert '<option value="test:talks">Talks (' in page
    assert "Preview (dry run)" in page
    preview = signed_in.post(
        "/organiser/import",
        data={
            "calendar": "test",
            "file": (BytesIO(OUTLOOK), "Calendar.ics"),
            "category": "test:talks",
            "preview": "Preview (dry run)",
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert "Dry run: 3 created, 0 updated, 0 unchanged, 0 skipped" in preview.text
    assert "Nothing was changed" in preview.text
    assert (
        '<li>Team meeting <small class="hint">2026-01-05 10:00 (Europe/London); Every '
        "week on Monday, until 28 December 2026</small></li>"
    ) in preview.text
    assert "040000008200E0007" not in preview.text  # no Outlook UIDs, titles
    assert counts(app) == before
    done = signed_in.post(
        "/organiser/import",
        data={
            "calendar": "test",
            "file": (BytesIO(OUTLOOK), "Calendar.ics"),
            "category": "test:talks",
            "draft": "y",
            "submit": "Import",
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 200
    assert "Imported: 3 created" in done.text
    with app.app_context():
        events = list(db.session.scalars(select(Event)))
        assert [(event.category_slugs, event.published) for event in events] == [
            (["talks"], False)
        ] * 3


def test_the_upload_page_refuses_another_calendars_category_on_the_field(
    app: Flask, signed_in: FlaskClient, talks: str, make_calendar: Any
) -> None:
    make_calendar(slug="other", name="Other")
    before = counts(app)
    response = signed_in.post(
        "/organiser/import",
        data={
            "calendar": "other",
            "file": (BytesIO(OUTLOOK), "Calendar.ics"),
            "category": "test:talks",
            "submit": "Import",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "this category is not one of Other&#39;s" in response.text
    assert counts(app) == before


def test_the_upload_page_refuses_a_csv_in_words(
    app: Flask, signed_in: FlaskClient, calendar: dict[str, Any]
) -> None:
    response = signed_in.post(
        "/organiser/import",
        data={
            "calendar": "test",
            "file": (BytesIO(b"Subject,Start Date\r\nTalk,2026-01-05\r\n"), "export.csv"),
            "submit": "Import",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Nothing was imported: not a readable iCalendar file: it looks like a CSV" in (
        response.text
    )
