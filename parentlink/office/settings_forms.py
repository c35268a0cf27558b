"""Forms of the settings, staff and account pages. Each settings section is its own form
(with its own CSRF token); the rules that decide what a value may be live in the domain
(schools/services.py `update_settings`, schools/terms.py), so the CLI and the page agree."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from parentlink.office.forms import _choices

ROLE_CHOICES = [
    ("office", "Office: families, chasing, import, campaigns, exports"),
    ("viewer", "Viewer: the overview counts only"),
    ("dsl", "Safeguarding lead (DSL): families and concerns"),
    ("admin", "Administrator: everything but concerns, plus settings and staff"),
]


class SchoolDetailsForm(FlaskForm):
    name = StringField("School name", validators=[DataRequired("Give the school's name."),
                                                  Length(max=200)])  # fmt: skip
    short_name = StringField(
        "Short name, used in text messages",
        validators=[DataRequired("Give a short name."), Length(max=60)],
    )
    office_phone = StringField("Office phone, shown to parents", validators=[Length(max=32)])
    office_email = EmailField(
        "Office email, shown to parents (round notices go here too)",
        validators=[Length(max=254)],
    )
    phase = SelectField(
        "Phase (the year groups an import expects)",
        choices=_choices(
            [
                ("primary", "Primary (Nursery to Year 6)"),
                ("secondary", "Secondary (Years 7 to 13)"),
                ("all-through", "All-through"),
            ]
        ),
        validate_choice=False,  # checked by schools.services.update_settings; absent: unchanged
    )


class LogoForm(FlaskForm):
    # What the file is, is decided from its bytes (schools/logo.py), not its name.
    file = FileField("Logo (PNG, JPEG, GIF or WebP)",
                     validators=[FileRequired("Choose the logo's picture file.")])  # fmt: skip


class RemoveLogoForm(FlaskForm):
    """The "Remove the logo" button: only the CSRF token and the section."""


class WindowForm(FlaskForm):
    start = TimeField("From", validators=[DataRequired("Give a time, e.g. 08:00.")])
    end = TimeField("Until", validators=[DataRequired("Give a time, e.g. 20:00.")])


class SmsForm(FlaskForm):
    sms_sender = StringField("SMS sender", validators=[Length(max=34)])
    sms_price_pence = StringField("Price per SMS segment, in pence", validators=[Length(max=12)])
    sms_segment_limit = StringField(
        "Longest text allowed, in segments (1 to 10)",
        validators=[DataRequired("Give a number from 1 to 10."), Length(max=4)],
    )
    allow_international_mobiles = BooleanField("Accept mobile numbers outside the UK")
    # Shown (and saved) only when GOV.UK Notify sends the texts.
    notify_free_allowance = StringField(
        "GOV.UK Notify free text messages a year", validators=[Length(max=12)]
    )
    notify_price_pence = StringField(
        "GOV.UK Notify price per text message after the free ones, in pence",
        validators=[Length(max=12)],
    )


class SafeguardingForm(FlaskForm):
    dsl_alert_mobile = StringField("DSL alert mobile", validators=[Length(max=32)])
    escalation_emails = StringField(
        "Escalation emails (deputy DSL, head), separated by commas",
        validators=[Length(max=500)],
    )


class TermForm(FlaskForm):
    kind = RadioField(
        "What is it?",
        choices=_choices([("term", "A term"), ("closure", "A closure inside a term")]),
        validators=[DataRequired("Choose term or closure.")],
    )
    name = StringField(
        "Name", validators=[DataRequired("Give it a name, e.g. Autumn 2026."), Length(max=60)]
    )
    starts_on = DateField("First day", validators=[DataRequired("Give the first day.")])
    ends_on = DateField("Last day", validators=[DataRequired("Give the last day.")])


class TermsUploadForm(FlaskForm):
    file = FileField(
        "Term dates file (.csv, or your local authority's .ics calendar)",
        validators=[
            FileRequired("Choose the file to upload."),
            FileAllowed(["csv", "txt", "ics"], "Choose a .csv or .ics file."),
        ],
    )


class DeleteDatesForm(FlaskForm):
    kind = HiddenField()
    item_id = HiddenField()


class TestMessageForm(FlaskForm):
    """The "send a test SMS / email to me" buttons: only the CSRF token and the section."""


class InviteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give their name."), Length(max=200)])
    email = EmailField(
        "Email address", validators=[DataRequired("Give their email address."), Length(max=254)]
    )
    role = SelectField(
        "Role", choices=_choices(ROLE_CHOICES), validators=[DataRequired("Choose a role.")]
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_choices(ROLE_CHOICES), validators=[DataRequired()])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    repeated = PasswordField("The same password again", validators=[DataRequired(),
                                                                    Length(max=200)])  # fmt: skip


class MobileForm(FlaskForm):
    mobile = StringField("Your mobile number", validators=[Optional(), Length(max=32)])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    kind = SelectField("Kind of action", choices=[], validate_choice=False)
    actor = SelectField("Who", choices=[], validate_choice=False)  # the view lists the staff
    action = StringField("Action code starts with", validators=[Optional(), Length(max=64)])
    since = DateField("From", validators=[Optional()])
    until = DateField("Until", validators=[Optional()])
