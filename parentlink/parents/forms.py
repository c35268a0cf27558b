"""The parent forms. Every label and message is translatable; the confirm form's question
boxes are made per version (one optional question per point)."""

from __future__ import annotations

from functools import cache

from flask import current_app, request
from flask_babel import get_babel, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import html_params

from parentlink.campaigns.models import Answer
from parentlink.core.i18n import page_language

QUESTION_MAX = 2000
NAME_MIN, NAME_MAX = 2, 200


class ConfirmForm:
    """The confirm form, checked in plain code: the typed name, and an optional question for
    each point. One "I agree to these points" sends it: a point with a question is recorded
    as questioned (each of its clauses), every other point as agreed.

    Its CSRF token is checked once, by the app-wide CSRFProtect, before any view runs (a
    post without a good token never gets here); the form only puts the token in the page.
    """

    def __init__(self, points=(), formdata=None) -> None:
        # Question boxes are named by the point's number on the page (q1, q2 …): short names
        # keep the page light; `points[n - 1]` holds the clause keys of point n.
        self.points = [tuple(keys) for keys in points]
        self.csrf_token = CsrfToken()
        self.submitted = formdata is not None
        values = dict(formdata.items()) if formdata is not None else {}  # first of each name
        self.typed_name = TypedName(values.get("typed_name"))
        if self.submitted:
            self._questions = [Posted(values.get(q)) for q in _field_names(len(self.points))]
        else:
            self._questions = []

    def question_field(self, number: int) -> Posted:
        return self._questions[number - 1] if 0 < number <= len(self._questions) else _UNANSWERED

    def validate_on_submit(self) -> bool:
        return self.submitted and self.validate()

    def validate(self) -> bool:
        messages = _messages()
        name = self.typed_name
        name.errors = []
        if not (name.data and name.data.strip()):
            name.errors.append(messages["name_missing"])
        elif not NAME_MIN <= len(name.data) <= NAME_MAX:
            name.errors.append(messages["name_length"])
        valid = not name.errors
        for question in self._questions:
            question.errors = []
            if len(question.data or "") > QUESTION_MAX:
                question.errors.append(messages["question_long"])
                valid = False
        return valid

    @property
    def errors(self) -> dict:
        errors = {"typed_name": self.typed_name.errors} if self.typed_name.errors else {}
        for name, question in zip(_field_names(len(self._questions)), self._questions, strict=True):
            if question.errors:
                errors[name] = question.errors
        return errors

    def question_typed(self) -> bool:
        return any(q.data for q in self._questions)

    def answers(self) -> dict[str, tuple[Answer, str | None]]:
        """Clause key -> (answer, question text or None), after validation: every clause of
        a point with a question carries it."""
        result = {}
        for number, keys in enumerate(self.points, start=1):
            text = " ".join((self.question_field(number).data or "").split()) or None
            for key in keys:
                result[key] = (Answer.QUESTION, text) if text else (Answer.AGREE, None)
        return result

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in page order; each links to its field."""
        links = []
        for number in range(1, len(self.points) + 1):
            links.extend((f"q{number}", e) for e in self.question_field(number).errors)
        links.extend(("typed_name", e) for e in self.typed_name.errors)
        return links


def N_(message: str) -> str:  # noqa: N802 — marks a message for pybabel extract
    return message


# The form's words, translated once per language (see _messages) rather than
# looked up again on every post.
_MESSAGE_IDS = {
    "label": N_("Your full name"),
    "name_missing": N_("Please type your name to confirm."),
    "name_length": N_("Please type your full name (2 to 200 characters)."),
    "question_long": N_("Please keep your question under 2,000 characters."),
}
_TRANSLATED: dict[tuple, dict[str, str]] = {}


def _messages() -> dict[str, str]:
    """The messages in the page's language, looked up in Babel's catalogs once per language
    (and per set of catalog folders, which an app's configuration may change)."""
    key = (page_language(), tuple(get_babel().translation_directories))
    messages = _TRANSLATED.get(key)
    if messages is None:
        translations = get_translations()
        messages = {name: translations.ugettext(mid) for name, mid in _MESSAGE_IDS.items()}
        _TRANSLATED[key] = messages
    return messages


class CsrfToken:
    """The hidden CSRF field: the session's token (flask_wtf.csrf.generate_csrf), or
    `current_token` when the page is rendered with a slot in its place."""

    current_token: str | None = None

    def __html__(self) -> Markup:
        name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        value = self.current_token or generate_csrf()
        attributes = html_params(id=name, name=name, type="hidden", value=value)  # escaped
        return Markup(f"<input {attributes}>")  # noqa: S704

    __str__ = __html__


class Label:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class TypedName:
    """The typed name box, rendered as WTForms rendered it (required, 2 to 200 characters)."""

    def __init__(self, data: str | None) -> None:
        self.data = data
        self.errors: list[str] = []

    @property
    def label(self) -> Label:
        return Label(_messages()["label"])

    def __call__(self, **attributes) -> Markup:
        attributes = {
            "id": "typed_name",
            "name": "typed_name",
            "type": "text",
            "value": "" if self.data is None else self.data,
            "required": True,
            "minlength": NAME_MIN,
            "maxlength": NAME_MAX,
            **attributes,
        }
        return Markup(f"<input {html_params(**attributes)}>")  # noqa: S704 (values escaped)


class Posted:
    """One posted answer or question box: its value and, after validation, its errors."""

    __slots__ = ("data", "errors")

    def __init__(self, data: str | None) -> None:
        self.data = data
        self.errors: list[str] = []


class _Unanswered:
    """Stands for a point's question box on a page shown before anything was posted."""

    data = None
    errors: tuple = ()


_UNANSWERED = _Unanswered()


@cache
def _field_names(count: int) -> tuple[str, ...]:
    """The question box names of points 1 … count."""
    return tuple(f"q{n}" for n in range(1, count + 1))


def confirm_form_for(points, *, posted: bool = True) -> ConfirmForm:
    """The confirm form for these points, numbered as on the page; `posted` reads the
    questions from the request (a fresh page has none)."""
    return ConfirmForm([point.keys for point in points], request.form if posted else None)


class WithdrawForm(FlaskForm):
    """Withdrawing: the reason is optional; the first post asks "are you sure?", the second
    (with `sure`) withdraws."""

    reason = TextAreaField(
        _l("Why are you withdrawing? (optional: the school will read this)"),
        validators=[
            Length(max=2000, message=_l("Please keep your reason under 2,000 characters.")),
        ],
    )
    sure = HiddenField()
    submit = SubmitField(_l("Withdraw my confirmation"))


class LanguageForm(FlaskForm):
    """One button per language; the choice is stored on the contact."""


class NewLinkForm(FlaskForm):
    address = StringField(
        _l("Your mobile number or email address"),
        validators=[
            DataRequired(
                message=_l(
                    "Please enter the mobile number or email address the school has for you."
                )
            ),
            Length(max=254, message=_l("Please enter a mobile number or an email address.")),
        ],
    )
