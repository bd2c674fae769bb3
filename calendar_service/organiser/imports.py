"""Importing an .ics file into a calendar, from the organiser pages."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from calendar_service.config import IMPORT_FORM_OVERHEAD
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ImportForm, options
from calendar_service.services.imports import (
    ImportFailed,
    ImportLimits,
    ImportOptions,
    ImportResult,
    import_ics,
)
from calendar_service.services.unit_of_work import unit_of_work
from calendar_service.store import operations, permissions
from calendar_service.store.models import Calendar


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> Page:
    """An upload over the request limit: say so on the import page, not on a bare 413 page."""
    if request.endpoint != "organiser.import_page" or not current_user.is_authenticated:
        return render_template("error.html", error=error, status=413), 413
    form = ImportForm(formdata=None)
    _choices(form, permissions.editable_calendars(current_user))
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    message = f"Nothing was imported: the file is larger than the import limit of {limit:,} bytes."
    return render_template(
        "organiser/import.html", form=form, result=None, error=message, limit=limit, dry_run=False
    ), 413


def _choices(form: ImportForm, calendars: list[Calendar]) -> None:
    """The calendars one may change, and their categories as "calendar:category" (a category
    belongs to one calendar; the view checks it is the chosen one's)."""
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in calendars)
    form.category.choices = options(
        [("", "(none)")]
        + [
            (f"{calendar.slug}:{category.slug}", f"{category.name} ({calendar.name})")
            for calendar in calendars
            for category in calendar.categories
        ]
    )


def _category(form: ImportForm, calendar: Calendar) -> str | None:
    """The chosen category's slug, or None; a field error when it is another calendar's."""
    owner, _, slug = (form.category.data or "").partition(":")
    if not slug:
        return None
    if owner != calendar.slug:
        form.category.errors = [
            *form.category.errors,
            f"this category is not one of {calendar.name}'s",
        ]
        raise ValueError(slug)
    return slug


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_page() -> Page:
    """Upload an .ics file; the page lists what was created, updated and skipped, and why."""
    # The limit is the file's: the form's other fields and the multipart framing come on top.
    request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"]) + IMPORT_FORM_OVERHEAD
    form = ImportForm()
    _choices(form, permissions.editable_calendars(current_user))  # only calendars one may change
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    result: ImportResult | None = None
    error = None
    status = 200
    dry_run = bool(form.preview.data)
    if form.validate_on_submit():
        calendar = operations.find_calendar(form.calendar.data or "")
        assert calendar is not None  # the select only offers calendars one may change
        try:
            chosen = ImportOptions(_category(form, calendar), bool(form.draft.data))
        except ValueError:
            return render_template(
                "organiser/import.html",
                form=form,
                result=None,
                error=None,
                limit=limit,
                dry_run=dry_run,
            ), 422
        data = form.file.data.read(limit + 1)
        limits = ImportLimits.of(current_app.config)
        try:
            with unit_of_work():
                result = import_ics(
                    data,
                    calendar,
                    current_user,
                    max_bytes=limits.max_bytes,
                    source=(form.file.data.filename or "")[:200],
                    batch_size=limits.batch_size,
                    options=chosen,
                    dry_run=dry_run,
                )
        except ImportFailed as problem:
            result = problem.saved
            error = (
                f"Nothing was imported: {problem}"
                if result is None
                else f"The import stopped part-way: {problem}. What earlier steps saved is "
                "kept and listed below; importing the file again completes it."
            )
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "organiser/import.html", form=form, result=result, error=error, limit=limit, dry_run=dry_run
    ), status
