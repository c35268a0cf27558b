from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

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


class UploadForm(FlaskForm):
    file = FileField(
        "The CSV file exported from your MIS",
        validators=[
            FileRequired(message="Choose the CSV file to upload."),
            FileAllowed(["csv", "txt"], message="Choose a .csv file (save the sheet as CSV)."),
        ],
    )


class CampaignForm(FlaskForm):
    name = StringField(
        "Name of this round",
        validators=[DataRequired(message="Give the campaign a name."), Length(max=200)],
    )
    closes_on = DateField(
        "Closing date", validators=[DataRequired(message="Choose a closing date.")]
    )


class ClauseForm(FlaskForm):
    summary = TextAreaField("Plain-English summary", validators=[DataRequired(), Length(max=2000)])
    body = TextAreaField("Full wording", validators=[DataRequired(), Length(max=10000)])
    position = IntegerField("Order", validators=[DataRequired(), NumberRange(min=1, max=1000)])
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
