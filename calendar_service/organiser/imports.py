"""Importing an .ics file into a calendar, from the organiser pages."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from calendar_service.ical.reader import (
    IcsImportError,
    ImportResult,
    batch_size_for,
    import_ics,
)
from calendar_service.organiser.access import Page, organiser_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import ImportForm, options
from calendar_service.store import operations, permissions
from calendar_service.store.db import db

# Bytes a multipart upload adds around the file (boundaries, headers, the CSRF token, the
# calendar's slug): the request may be this much larger than the import limit.
FORM_OVERHEAD = 16 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> Page:
    """An upload over the request limit: say so on the import page, not on a bare 413 page."""
    if request.endpoint != "organiser.import_page" or not current_user.is_authenticated:
        return render_template("error.html", error=error, status=413), 413
    form = ImportForm(formdata=None)
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in
                                    permissions.editable_calendars(current_user))
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    message = f"Nothing was imported: the file is larger than the import limit of {limit:,} bytes."
    return render_template("organiser/import.html", form=form, result=None, error=message,
                           limit=limit), 413


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_page() -> Page:
    """Upload an .ics file; the page lists what was created, updated and skipped, and why."""
    # The limit is the file's: the form's other fields and the multipart framing come on top.
    request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"]) + FORM_OVERHEAD
    form = ImportForm()
    choices = permissions.editable_calendars(current_user)  # only calendars one may change
    form.calendar.choices = options((calendar.slug, calendar.name) for calendar in choices)
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    result: ImportResult | None = None
    error = None
    status = 200
    if form.validate_on_submit():
        calendar = operations.find_calendar(form.calendar.data or "")
        assert calendar is not None  # the select only offers calendars one may change
        data = form.file.data.read(limit + 1)
        batch = batch_size_for(int(current_app.config["IMPORT_BATCH_EVENTS"]))
        try:
            result = import_ics(data, calendar, current_user, max_bytes=limit,
                                source=(form.file.data.filename or "")[:200], batch_size=batch)
            db.session.commit()
        except IcsImportError as problem:
            db.session.rollback()
            result = problem.saved
            error = (f"Nothing was imported: {problem}" if result is None else
                     f"The import stopped part-way: {problem}. What earlier steps saved is "
                     "kept and listed below; importing the file again completes it.")
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("organiser/import.html", form=form, result=result, error=error,
                           limit=limit), status
