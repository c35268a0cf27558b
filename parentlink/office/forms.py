from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from parentlink.campaigns.chase import DEFAULT_POLICY, ReminderPolicyError, parse_policy
from parentlink.core.i18n import english_plural

try:  # WTForms 3.2+ wants SelectChoice objects; older versions take (value, label) pairs
    from wtforms import SelectChoice

    def _choices(pairs):
        return [SelectChoice(value, label) for value, label in pairs]

except ImportError:  # pragma: no cover - older WTForms

    def _choices(pairs):
        return list(pairs)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[DataRequired(message="Enter the code."), Length(max=20)],
    )


class ConfirmForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[Optional(), Length(max=20)],
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Your password now", validators=[DataRequired(), Length(max=200)])
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[Optional(), Length(max=20)],
    )
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    repeated = PasswordField(
        "The same new password again", validators=[DataRequired(), Length(max=200)]
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "The 6-digit code your app shows now",
        validators=[DataRequired(message="Enter the code."), Length(max=10)],
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Pupil or carer name", validators=[Optional(), Length(max=100)])


class PaperConfirmationForm(FlaskForm):
    channel = StringField("How", validators=[DataRequired()])
    taken_by = StringField("Who took it", validators=[DataRequired(), Length(max=200)])
    typed_name = StringField("Carer's name as given", validators=[DataRequired(), Length(max=200)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])


class WrongDetailsForm(FlaskForm):
    reason = StringField("What is wrong", validators=[DataRequired(), Length(max=200)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CourtOrderForm(FlaskForm):
    """Record or clear a court-order restriction on one carer's link to a pupil."""

    action = SelectField(
        "Court order",
        choices=_choices([("set", "Record a restriction"), ("clear", "Clear the restriction")]),
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        "Reason (kept in the audit log)",
        validators=[DataRequired(message="Say why."), Length(max=500)],
    )


class UploadForm(FlaskForm):
    file = FileField(
        "The file exported from your MIS (CSV or Excel)",
        validators=[FileRequired(message="Choose the file to upload.")],
    )
    sheet = StringField("Sheet (Excel only; default: the first)", validators=[Length(max=100)])


def pupils(n: int) -> str:
    return english_plural("%(num)d pupil", "%(num)d pupils", n)


REMINDER_CHANNELS = _choices(
    [
        ("same", "the same way as the invitation"),
        ("other", "the other way (text or email)"),
        ("both", "both text and email"),
    ]
)


class CampaignForm(FlaskForm):
    """A new campaign's options. The view fills the choices (versions, year groups, classes)
    and checks the close date against the school's calendar."""

    name = StringField(
        "Name of this round",
        validators=[DataRequired(message="Give the campaign a name."), Length(max=200)],
    )
    version_id = SelectField(
        "Version of the agreement",
        coerce=int,
        validate_choice=False,  # validate_version_id says why in words
    )
    audience = RadioField(
        "Who to ask",
        choices=_choices(
            [
                ("whole-school", "The whole school"),
                ("year-groups", "Some year groups"),
                ("classes", "Some classes"),
                ("new-starters", "New starters: pupils no earlier campaign has asked about"),
            ]
        ),
        default="whole-school",
        validators=[DataRequired(message="Choose who to ask.")],
    )
    year_groups = MultiCheckboxField("Year groups", choices=[], validate_choice=False)
    classes = MultiCheckboxField("Classes", choices=[], validate_choice=False)
    completion_rule = RadioField(
        "When is a pupil covered?",
        choices=_choices(
            [
                ("any-carer", "When one carer with parental responsibility has confirmed"),
                ("every-carer", "Only when every carer with parental responsibility has"),
            ]
        ),
        default="any-carer",
        validators=[DataRequired(message="Choose when a pupil is covered.")],
    )
    reminder_policy = StringField(
        "Reminders",
        default=DEFAULT_POLICY,
        validators=[
            DataRequired(message="Choose at least one reminder (the default is 3, 7 and 10 days).")
        ],
        description=(
            "Up to three reminders to families who have not answered, as school days after "
            "the launch and the channel: same (the one the invitation went by), other, or both. "
            "For example 3:same,7:other,10:both."
        ),
    )
    reminder_day_1 = IntegerField("Reminder 1", validators=[Optional(), NumberRange(1, 60)])
    reminder_day_2 = IntegerField("Reminder 2", validators=[Optional(), NumberRange(1, 60)])
    reminder_day_3 = IntegerField("Reminder 3", validators=[Optional(), NumberRange(1, 60)])
    reminder_channel_1 = SelectField("Reminder 1 by", choices=REMINDER_CHANNELS, default="same")
    reminder_channel_2 = SelectField("Reminder 2 by", choices=REMINDER_CHANNELS, default="other")
    reminder_channel_3 = SelectField("Reminder 3 by", choices=REMINDER_CHANNELS, default="both")
    ask_again = BooleanField(
        "Ask them again anyway (they get a second link, and covered pupils are asked again)"
    )
    closes_on = DateField(
        "Closing date",
        format=["%Y-%m-%d", "%d/%m/%Y"],  # a browser without a date picker: typed the UK way
        validators=[DataRequired(message="Enter the closing date, for example 16/10/2026.")],
    )

    def set_choices(self, versions, year_groups, classes) -> None:
        """versions: [(id, label)]; year_groups: [(name, pupils)]; classes: [(name, year, n)]."""
        self.version_id.choices = _choices((v, label) for v, label in versions)
        self.year_groups.choices = _choices((y, f"{y} ({pupils(n)})") for y, n in year_groups)
        self.classes.choices = _choices((c, f"{c} ({pupils(n)})") for c, _y, n in classes)

    def validate_audience(self, field) -> None:
        ticked = {"year-groups": bool(self.year_groups.data), "classes": bool(self.classes.data)}
        extra = [kind for kind, on in ticked.items() if on and kind != field.data]
        if extra:
            words = {"year-groups": "year groups", "classes": "classes"}[extra[0]]
            raise ValidationError(
                f'You ticked some {words}: choose "Some {words}" to ask only them, or untick them.'
            )

    def validate_year_groups(self, field) -> None:
        if self.audience.data == "year-groups" and not field.data:
            raise ValidationError("Choose at least one year group.")
        unknown = set(field.data or ()) - {value for value, *_ in field.choices}
        if self.audience.data == "year-groups" and unknown:
            raise ValidationError(f"There is no current pupil in {', '.join(sorted(unknown))}.")

    def validate_classes(self, field) -> None:
        if self.audience.data == "classes" and not field.data:
            raise ValidationError("Choose at least one class.")
        unknown = set(field.data or ()) - {value for value, *_ in field.choices}
        if self.audience.data == "classes" and unknown:
            raise ValidationError(f"There is no current pupil in {', '.join(sorted(unknown))}.")

    def validate_reminder_policy(self, field) -> None:
        try:
            parse_policy(field.data or "")
        except ReminderPolicyError as exc:
            if getattr(self, "plain_reminders", False):
                raise ValidationError(f"Reminders: {exc}.") from exc
            raise ValidationError(
                f"{exc}. Write it like 3:same,7:other,10:both (leave it as it is if unsure)."
            ) from exc

    def validate_version_id(self, field) -> None:
        if field.data not in {value for value, *_ in field.choices}:
            raise ValidationError("Choose a published version of the agreement.")


class ClauseForm(FlaskForm):
    summary = TextAreaField("Plain-English summary", validators=[DataRequired(), Length(max=2000)])
    body = TextAreaField("Full wording", validators=[DataRequired(), Length(max=10000)])
    position = IntegerField("Order", validators=[DataRequired(), NumberRange(min=1, max=1000)])
    point = IntegerField(
        "Parent point",
        description="Parent clauses with the same number are one point on the parent page, "
        "under the summary of the first of them. Empty: a point of its own.",
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    audiences = MultiCheckboxField(
        "Who it is for",
        choices=_choices(
            [
                ("parents-carers", "Parents and carers"),
                ("staff", "Staff"),
                ("governors", "Governors"),
            ]
        ),
        validators=[DataRequired(message="Choose who the clause is for.")],
    )


class PublishForm(FlaskForm):
    change = RadioField(
        "What kind of change is this?",
        choices=_choices(
            [
                (
                    "minor",
                    "Minor: wording tidied, meaning unchanged. Families are not asked again.",
                ),
                ("major", "Major: the meaning changed. Families are asked to confirm again."),
            ]
        ),
        validators=[DataRequired(message="Choose minor or major.")],
    )
