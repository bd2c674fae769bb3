"""Admins manage each calendar's categories: create, rename, merge, delete (choosing where
the events go).  Every other organiser gets 403.

A merge or delete moves every event of the category, each saved with its revision checked; one
changed by someone else meanwhile (an API PATCH between this request's read and its write), or
the category itself changed or gone, rolls the whole change back and answers 409 with a
message, never a half-done merge or a 500."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from calendar_service.organiser.access import Page, admin_signed_in_required
from calendar_service.organiser.blueprint import bp
from calendar_service.organiser.forms import (
    CategoryForm,
    DeleteCategoryForm,
    MergeCategoryForm,
    RenameCategoryForm,
    options,
)
from calendar_service.services import editing
from calendar_service.services.unit_of_work import ConcurrentChange, StaleRevision, unit_of_work
from calendar_service.store import categories, operations
from calendar_service.store.db import db
from calendar_service.store.errors import ValidationError
from calendar_service.store.models import Calendar, Category

# What an admin reads when another change to the same rows committed during theirs.
CHANGED_MEANWHILE = (
    "Someone changed “{name}” or one of its events while this was being "
    "saved, so nothing was changed. Look at the list again and retry."
)
# The errors a write that lost such a race ends in: a row updated or deleted meanwhile (the
# revision check), or a row inserted or deleted meanwhile (a unique or foreign key).
RACES = (StaleRevision, ConcurrentChange)


def _calendar_or_404(slug: str) -> Calendar:
    calendar = operations.find_calendar(slug)
    if calendar is None:
        abort(404)
    return calendar


def _category_or_404(calendar: Calendar, slug: str) -> Category:
    category = categories.find_category(calendar, slug)
    if category is None:
        abort(404)
    return category


def _page(
    calendar: Calendar,
    *,
    form: CategoryForm | None = None,
    failed: str | None = None,
    failed_form: Any = None,
    status: int = 200,
    conflict: str | None = None,
) -> tuple[str, int]:
    """The list with each category's forms; ``failed``/``failed_form``: the category whose
    form came back with errors, shown with its messages."""
    rows = []
    for category in calendar.categories:
        others = [
            (other.slug, other.name) for other in calendar.categories if other.id != category.id
        ]
        rename = RenameCategoryForm(
            formdata=None, prefix=f"rename-{category.slug}", data={"name": category.name}
        )
        merge = MergeCategoryForm(formdata=None, prefix=f"merge-{category.slug}")
        merge.into.choices = options(others)
        delete = DeleteCategoryForm(formdata=None, prefix=f"delete-{category.slug}")
        delete.move_to.choices = options([("", "(no category: they only lose this one)"), *others])
        if failed == category.slug:  # the form that came back, with its messages
            if isinstance(failed_form, RenameCategoryForm):
                rename = failed_form
            elif isinstance(failed_form, MergeCategoryForm):
                merge = failed_form
            elif isinstance(failed_form, DeleteCategoryForm):
                delete = failed_form
        rows.append(
            {
                "category": category,
                "rename": rename,
                "merge": merge,
                "delete": delete,
                "others": others,
            }
        )
    return render_template(
        "organiser/categories.html",
        calendar=calendar,
        rows=rows,
        counts=categories.event_counts(calendar),
        form=form or CategoryForm(formdata=None),
        conflict=conflict,
    ), status


def _changed_meanwhile(slug: str, name: str) -> tuple[str, int]:
    """The page again with a 409: the change was rolled back whole."""
    db.session.rollback()
    return _page(_calendar_or_404(slug), conflict=CHANGED_MEANWHILE.format(name=name), status=409)


@bp.route("/admin/calendars/<slug>/categories", methods=["GET", "POST"])
@admin_signed_in_required
def calendar_categories(slug: str) -> Page:
    """A calendar's categories with their events; create one."""
    calendar = _calendar_or_404(slug)
    form = CategoryForm()
    if not form.is_submitted():
        return _page(calendar)
    if not form.validate():
        return _page(calendar, form=form, status=422)
    try:
        with unit_of_work():
            category = editing.create_category(calendar, form.name.data or "", current_user)
    except ValidationError as error:
        form.name.errors = [*form.name.errors, *error.errors.values()]
        return _page(_calendar_or_404(slug), form=form, status=422)
    except RACES:  # the same name created at the same time
        return _changed_meanwhile(slug, form.name.data or "")
    flash(f"Category “{category.name}” ({category.slug}) is created, with its own feed.")
    return redirect(url_for("organiser.calendar_categories", slug=slug))


@bp.post("/admin/calendars/<slug>/categories/<category_slug>/rename")
@admin_signed_in_required
def rename_category(slug: str, category_slug: str) -> Page:
    """A new name for a category; its short name, and so its feed address, stays."""
    calendar = _calendar_or_404(slug)
    category = _category_or_404(calendar, category_slug)
    form = RenameCategoryForm(prefix=f"rename-{category.slug}")
    if form.validate_on_submit():
        before = category.name
        try:
            with unit_of_work():
                editing.rename_category(category, form.name.data or "", current_user)
        except ValidationError as error:
            form.name.errors = [*form.name.errors, *error.errors.values()]
        except RACES:
            return _changed_meanwhile(slug, before)
        else:
            flash(f"“{before}” is now called “{category.name}”.")
            return redirect(url_for("organiser.calendar_categories", slug=slug))
    return _page(calendar, failed=category.slug, failed_form=form, status=422)


@bp.post("/admin/calendars/<slug>/categories/<category_slug>/merge")
@admin_signed_in_required
def merge_category(slug: str, category_slug: str) -> Page:
    """Move a category's events to another category and delete it."""
    calendar = _calendar_or_404(slug)
    category = _category_or_404(calendar, category_slug)
    form = MergeCategoryForm(prefix=f"merge-{category.slug}")
    form.into.choices = options(
        (other.slug, other.name) for other in calendar.categories if other.id != category.id
    )
    if form.validate_on_submit():
        target = _category_or_404(calendar, form.into.data or "")
        name = category.name
        try:
            with unit_of_work():
                moved = editing.merge_category(category, target, current_user)
        except RACES:
            return _changed_meanwhile(slug, name)
        flash(f"“{name}” is merged into “{target.name}” ({moved} events moved).")
        return redirect(url_for("organiser.calendar_categories", slug=slug))
    return _page(calendar, failed=category.slug, failed_form=form, status=422)


@bp.post("/admin/calendars/<slug>/categories/<category_slug>/delete")
@admin_signed_in_required
def delete_category(slug: str, category_slug: str) -> Response | Page:
    """Delete a category; its events get the chosen category instead, or none."""
    calendar = _calendar_or_404(slug)
    category = _category_or_404(calendar, category_slug)
    form = DeleteCategoryForm(prefix=f"delete-{category.slug}")
    form.move_to.choices = options(
        [
            ("", "(none)"),
            *((other.slug, other.name) for other in calendar.categories if other.id != category.id),
        ]
    )
    if form.validate_on_submit():
        move_to = _category_or_404(calendar, form.move_to.data) if form.move_to.data else None
        name = category.name
        try:
            with unit_of_work():
                moved = editing.delete_category(category, current_user, move_to)
        except RACES:
            return _changed_meanwhile(slug, name)
        where = f"now in “{move_to.name}”" if move_to else "without it now"
        flash(f"“{name}” is deleted; its {moved} events are {where}.")
        return redirect(url_for("organiser.calendar_categories", slug=slug))
    return _page(calendar, failed=category.slug, failed_form=form, status=422)
