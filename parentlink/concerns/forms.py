"""Forms: the parent's report, and the DSL's triage, assignment, entries and closing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from parentlink.concerns.models import ConcernCategory, ConcernUrgency
from parentlink.core.clock import now

CATEGORY_LABELS = {
    ConcernCategory.CYBERBULLYING: "Cyberbullying",
    ConcernCategory.POST_ABOUT_SCHOOL_OR_CHILD: "A post about the school or a child",
    ConcernCategory.CHILD_ONLINE_WORRY: "A worry about my child online",
    ConcernCategory.PRIVACY_OR_PHOTO: "A privacy or photo concern",
    ConcernCategory.OTHER: "Something else",
}
URGENCY_LABELS = {
    ConcernUrgency.ROUTINE: "Routine",
    ConcernUrgency.SOON: "Soon (within days)",
    ConcernUrgency.URGENT: "Urgent (today)",
}
# The parent's words for the same categories, in the page's language (the office reads the above).
PARENT_CATEGORY_LABELS = {
    ConcernCategory.CYBERBULLYING: _l("Cyberbullying"),
    ConcernCategory.POST_ABOUT_SCHOOL_OR_CHILD: _l("A post about the school or a child"),
    ConcernCategory.CHILD_ONLINE_WORRY: _l("A worry about my child online"),
    ConcernCategory.PRIVACY_OR_PHOTO: _l("A privacy or photo concern"),
    ConcernCategory.OTHER: _l("Something else"),
}
PLATFORMS = [
    "WhatsApp",
    "Facebook",
    "Instagram",
    "TikTok",
    "Snapchat",
    "YouTube",
    "X (Twitter)",
    "Roblox",
    "Discord",
    _l("A game"),
    _l("Text messages"),
]
NO_CHILD = "none"


class ReportForm(FlaskForm):
    category = RadioField(
        _l("What is it about?"),
        choices=[SelectChoice(c.value, label) for c, label in PARENT_CATEGORY_LABELS.items()],
        validators=[InputRequired(message=_l("Please choose what it is about."))],
    )
    description = TextAreaField(
        _l("What happened?"),
        validators=[
            DataRequired(message=_l("Please tell us what happened.")),
            Length(max=5000, message=_l("Please keep it under 5,000 characters.")),
        ],
    )
    platform = StringField(
        _l("Where did it happen? (optional)"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Please keep it under 100 characters.")),
        ],
    )
    happened_on = DateField(
        _l("When did it happen? (optional)"),
        validators=[Optional()],
        format="%Y-%m-%d",
        invalid_value_message=_l("Please give the date like this: 2026-03-27."),
    )
    pupil = RadioField(
        _l("Which child is it about?"),
        validators=[InputRequired(message=_l("Please choose which child it is about."))],
    )
    screenshots = MultipleFileField(_l("Screenshots (optional)"))

    def __init__(self, pupils, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pupil.choices = [SelectChoice(str(p.id), p.first_name) for p in pupils] + [
            SelectChoice(NO_CHILD, _l("Not about one of my children, or I'd rather not say"))
        ]
        if len(pupils) == 1 and not self.pupil.data:
            self.pupil.data = str(pupils[0].id)

    def validate_happened_on(self, field) -> None:
        if field.data and field.data > now().date():
            raise ValidationError(_l("The date cannot be in the future."))

    def pupil_id(self) -> int | None:
        return None if self.pupil.data == NO_CHILD else int(self.pupil.data)


class TriageForm(FlaskForm):
    category = SelectField(
        "Category", choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()]
    )
    urgency = SelectField(
        "Urgency", choices=[SelectChoice(u.value, label) for u, label in URGENCY_LABELS.items()]
    )
    pupil = SelectField("Pupil")


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=int)


class EntryForm(FlaskForm):
    text = TextAreaField(
        "Add to the chronology",
        validators=[
            DataRequired(message="Please write the entry."),
            Length(max=10000, message="Please keep an entry under 10,000 characters."),
        ],
    )
    corrects = SelectField("This entry corrects", default="")


class CloseForm(FlaskForm):
    outcome = TextAreaField(
        "Outcome",
        validators=[
            DataRequired(message="Please write the outcome before closing."),
            Length(max=10000, message="Please keep the outcome under 10,000 characters."),
        ],
    )


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (acknowledge, start work)."""
