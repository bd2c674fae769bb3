"""The organiser UI's forms (Flask-WTF: every form carries a CSRF token).

Forms only check the shape of what was typed (required, lengths, numbers); the meaning (times,
zones, rules) is checked by ``store.validation``/``store.operations``, whose field messages the
views put back next to the fields here, so the form and the API say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from calendar_service.store.moments import YEARS_MESSAGE, in_years
from calendar_service.store.validation import has_control_characters

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs: 3.2
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None


def options(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Choices for a select or radio field, in the form this WTForms version prefers."""
    if SelectChoice is None:  # pragma: no cover
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


REPEAT_KINDS = (
    "none",
    "daily",
    "weekly",
    "biweekly",
    "monthly_nth",
    "monthly_last",
    "monthly_day",
    "yearly",
    "yearly_nth",
    "custom",
)
ENDS = (("never", "Never"), ("until", "On a date"), ("count", "After a number of times"))
SCOPES = (
    ("this", "This date only"),
    ("later", "This and following dates"),
    ("all", "All dates of the series"),
)


def limit(most: int) -> Length:
    """At most ``most`` characters, with a message saying how long the text is: the page never
    cuts a text short (the field macro renders no ``maxlength``), it says so instead."""
    return Length(max=most, message="is %(length)d characters long: at most %(max)d are allowed")


def in_engine_years(_form: Any, field: Any) -> None:
    """A date in the years the engine accepts (an end computed from 31 December 9999 would
    overflow): the field's own message otherwise."""
    if field.data is not None and not in_years(field.data):
        raise ValidationError(YEARS_MESSAGE)


class CheckedForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type information
    """A form whose text fields refuse control characters (a NUL cannot even be stored in
    PostgreSQL text): a field message instead of a failed query."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        for field in self:
            if isinstance(field.data, str) and has_control_characters(field.data):
                field.errors = [*field.errors, "contains control characters"]
                valid = False
        return valid


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignInForm(CheckedForm):
    email = StringField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Sign in")


class ActionForm(CheckedForm):
    """A button that changes something: only the CSRF token (revoke, deactivate, restore …)."""

    submit = SubmitField("Confirm")


class EventForm(CheckedForm):
    """The event editor; ``recurrence`` choices are labelled from the start date by the view."""

    title = StringField("Title", validators=[DataRequired(), limit(500)])
    description = TextAreaField("Description", validators=[limit(20_000)])
    location = StringField("Location", validators=[limit(500)])
    url = StringField("Link", validators=[limit(2000)])
    categories = CheckboxesField("Categories", validate_choice=False)
    new_category = StringField(
        "New category",
        validators=[limit(200)],
        description="Only to make a new one: it becomes a public category of this calendar, "
        "with its own feed and agenda filter. Leave empty to use the ones ticked.",
    )
    calendar = SelectField("Calendar", validators=[DataRequired()])
    all_day = BooleanField("All day")
    start_date = DateField("Starts on", validators=[DataRequired(), in_engine_years])
    start_time = TimeField("at", validators=[Optional()])
    end_date = DateField("Ends on", validators=[Optional(), in_engine_years])
    end_time = TimeField("at", validators=[Optional()])
    timezone = StringField(
        "Time zone",
        validators=[Optional(), limit(64)],
        render_kw={"list": "zones", "autocomplete": "off"},
    )
    # Labels depend on the start date (set by the view); the kind is checked by ``editor``.
    recurrence = SelectField(
        "Repeats",
        choices=options((kind, kind) for kind in REPEAT_KINDS),
        default="none",
        validate_choice=False,
    )
    custom_rrule = StringField(
        "Custom rule (RRULE)",
        validators=[limit(2000)],
        description="For example FREQ=WEEKLY;BYDAY=MO,FR",
    )
    ends = RadioField("Ends", choices=options(ENDS), default="never")
    until = DateField("Last date", validators=[Optional(), in_engine_years])
    count = IntegerField("Number of times", validators=[Optional(), NumberRange(1, 1000)])
    status = SelectField(
        "Status",
        default="confirmed",
        choices=options(
            [("confirmed", "Confirmed"), ("tentative", "Tentative"), ("cancelled", "Cancelled")]
        ),
    )
    # A new event starts as a draft: saving a half-filled form publishes nothing.
    published = RadioField(
        "Visibility",
        default="draft",
        choices=options(
            [
                ("draft", "Draft: only organisers see it"),
                (
                    "published",
                    "Published: in the agenda and the calendar's feed, so in subscribers' "
                    "calendars",
                ),
            ]
        ),
    )
    revision = HiddenField()
    preview = SubmitField("Preview")
    save = SubmitField("Save")


class OccurrenceForm(CheckedForm):
    """A change to one date, to it and every later one, or to the whole series; its own
    description, or a note on its cancellation.  ``confirmed`` is set by the confirmation step
    that ending a series goes through."""

    scope = RadioField("Apply to", choices=options(SCOPES), default="this")
    start_date = DateField("Starts on", validators=[Optional(), in_engine_years])
    start_time = TimeField("at", validators=[Optional()])
    end_date = DateField("Ends on", validators=[Optional(), in_engine_years])
    end_time = TimeField("at", validators=[Optional()])
    title = StringField("Title", validators=[limit(500)])
    location = StringField("Location", validators=[limit(500)])
    description = TextAreaField(
        "Description of this date",
        validators=[limit(20_000)],
        description="Its own speaker and topic, for example; empty: the series' description "
        "is shown",
    )
    note = TextAreaField(
        "Note on the cancellation",
        validators=[limit(20_000)],
        description="Shown on the date's page and in the agenda, e.g. 'The speaker is ill; "
        "see you on 3 March'",
    )
    revision = HiddenField()
    confirmed = HiddenField()
    save = SubmitField("Save change")
    cancel_occurrence = SubmitField("Cancel the chosen dates")
    restore = SubmitField("Restore as the series has it")


class DeleteForm(CheckedForm):
    revision = HiddenField()
    submit = SubmitField("Delete for good")


TOKEN_LIFETIMES = (
    ("never", "Never"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
)


class TokenForm(CheckedForm):
    """A new API token: what it is for, whether it may write, where, and until when
    (``calendars`` offers the calendars the organiser may change, set by the view)."""

    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=200)],
        description="What the token is for, e.g. 'website sync'",
    )
    scope = RadioField(
        "May",
        default="write",
        choices=options(
            [("write", "Read drafts and change events"), ("read", "Only read (drafts too)")]
        ),
    )
    calendars = CheckboxesField(
        "Only these calendars",
        validators=[Optional()],
        description="None ticked: every calendar you may change, now and later",
    )
    expires = SelectField("Expires", default="never", choices=options(TOKEN_LIFETIMES))
    submit = SubmitField("Create token")


class OrganiserForm(CheckedForm):
    email = StringField("E-mail", validators=[DataRequired(), Length(max=320)])
    name = StringField("Name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=1000)])
    is_admin = BooleanField("Admin (may manage organisers and calendars)")
    submit = SubmitField("Add organiser")


class PasswordChangeForm(CheckedForm):
    """An organiser's own new password: the current one first."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1000)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=1000)],
        description="At least 10 characters, and not one of the most common passwords",
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="is not the same as the new password"),
        ],
    )
    submit = SubmitField("Change password")


class PasswordResetForm(CheckedForm):
    """An admin's new password for another organiser."""

    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=1000)],
        description="At least 10 characters; it ends every session of the organiser",
    )
    submit = SubmitField("Set password")


ROLE_CHOICES = (
    ("editor", "Editor: changes its events"),
    ("owner", "Owner: changes its events and who may"),
)


class MemberForm(CheckedForm):
    """Grant an organiser (by e-mail) a role in one calendar."""

    email = StringField("Organiser's e-mail", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=options(ROLE_CHOICES), default="editor")
    submit = SubmitField("Grant")


class GrantForm(CheckedForm):
    """An admin's choice of one organiser's role in one calendar (none takes it away)."""

    calendar = SelectField("Calendar", validators=[DataRequired()])
    role = SelectField(
        "Role",
        default="editor",
        choices=options([*ROLE_CHOICES, ("none", "None: may not change it")]),
    )
    submit = SubmitField("Set")


class CalendarForm(CheckedForm):
    slug = StringField("Short name (in links)", validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    timezone = StringField(
        "Time zone",
        validators=[Optional(), Length(max=64)],
        render_kw={"list": "zones", "autocomplete": "off"},
    )
    submit = SubmitField("Create calendar")


class CategoryForm(CheckedForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=200)],
        description="Its short name (for feed links) is made from it, e.g. “AI UK” → ai-uk",
    )
    submit = SubmitField("Create category")


class RenameCategoryForm(CheckedForm):
    name = StringField("New name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Rename")


class MergeCategoryForm(CheckedForm):
    into = SelectField("Merge into (its events get it; this one goes)", validators=[DataRequired()])
    submit = SubmitField("Merge")


class DeleteCategoryForm(CheckedForm):
    move_to = SelectField("Its events get instead", default="")
    submit = SubmitField("Delete")


class ImportForm(CheckedForm):
    calendar = SelectField("Into calendar", validators=[DataRequired()])
    file = FileField(".ics file", validators=[FileRequired()])
    category = SelectField(
        "Give every event the category",
        default="",
        description="One of the calendar's categories; the file's own categories are kept too.",
    )
    draft = BooleanField("Save new events as drafts (not shown to the public until published)")
    preview = SubmitField("Preview (dry run)")
    submit = SubmitField("Import")
