"""The parent forms. Every label and message is translatable; fields for the clauses are
made per version (one answer and one optional question per clause)."""

from __future__ import annotations

from functools import cache

from flask import current_app, request
from flask_babel import get_babel, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import html_params

from parentlink.campaigns.models import Answer
from parentlink.core.i18n import page_language

QUESTION_MAX = 2000
NAME_MIN, NAME_MAX = 2, 200


class ConfirmForm:
    """The confirm form, checked in plain code: the typed name, and the answer and question
    for each point against the number of points (WTForms fields cost more than the rest of
    the request). Each message is the same as before and linked to its field.

    Its CSRF token is checked once, by the app-wide CSRFProtect, before any view runs (a
    post without a good token never gets here); the form only puts the token in the page.
    """

    def __init__(self, clause_keys=(), formdata=None) -> None:
        # Fields are named by the point's number on the page (a1/q1, a2/q2 …): short names
        # keep the page light; `clause_keys[n - 1]` is the clause of point n.
        self.clause_keys = list(clause_keys)
        self.csrf_token = CsrfToken()
        self.submitted = formdata is not None
        values = dict(formdata.items()) if formdata is not None else {}  # first of each name
        self.typed_name = TypedName(values.get("typed_name"))
        if self.submitted:
            names = _field_names(len(self.clause_keys))
            self._answers = [Posted(values.get(a)) for a, _ in names]
            self._questions = [Posted(values.get(q)) for _, q in names]
        else:
            self._answers = self._questions = []

    def answer_field(self, number: int) -> Posted:
        return self._answers[number - 1] if 0 < number <= len(self._answers) else _UNANSWERED

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
        return self._check_points(messages) and not name.errors

    def _check_points(self, messages: dict[str, str]) -> bool:
        valid = True
        points = zip(self._answers, self._questions, strict=True)
        for number, (answer, question) in enumerate(points, start=1):
            answer.errors, question.errors = [], []
            if answer.data not in ANSWERS:
                answer.errors.append(messages["unanswered"] % {"n": number})
            typed = question.data or ""
            text = typed.strip()
            if answer.data == _QUESTION and not text:
                question.errors.append(messages["question_missing"])
            if answer.data == _AGREE and text:
                question.errors.append(messages["question_beside_agree"] % {"n": number})
            if len(typed) > QUESTION_MAX:
                question.errors.append(messages["question_long"])
            valid = valid and not answer.errors and not question.errors
        return valid

    @property
    def errors(self) -> dict:
        errors = {"typed_name": self.typed_name.errors} if self.typed_name.errors else {}
        for (a, q), answer, question in zip(
            _field_names(len(self._answers)), self._answers, self._questions, strict=True
        ):
            if answer.errors:
                errors[a] = answer.errors
            if question.errors:
                errors[q] = question.errors
        return errors

    def answers_given(self) -> tuple[str | None, ...]:
        """Each point's posted answer if it is one of the answers, else None."""
        return tuple(a.data if a.data in ANSWERS else None for a in self._answers)

    def question_typed(self) -> bool:
        return any(q.data for q in self._questions)

    def answers(self) -> dict[str, tuple[Answer, str | None]]:
        """Clause key -> (answer, question text or None), after validation."""
        result = {}
        for number, key in enumerate(self.clause_keys, start=1):
            answer = Answer(self.answer_field(number).data)
            text = " ".join((self.question_field(number).data or "").split()) or None
            result[key] = (answer, text if answer is Answer.QUESTION else None)
        return result

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in page order; each links to its field."""
        links = []
        points = range(1, len(self.clause_keys) + 1)
        unanswered = [n for n in points if self.answer_field(n).errors]
        if len(unanswered) > 3:  # one line, not a wall of the same message
            message = _messages()["many_unanswered"] % {"count": len(unanswered)}
            links.append((f"a{unanswered[0]}-agree", message))
            unanswered = []
        for number in points:
            if number in unanswered:
                links.extend((f"a{number}-agree", e) for e in self.answer_field(number).errors)
            for error in self.question_field(number).errors:
                links.append((f"q{number}", error))
        for error in self.typed_name.errors:
            links.append(("typed_name", error))
        return links


def N_(message: str) -> str:  # noqa: N802 — marks a message for pybabel extract
    return message


# The form's words, translated once per language (see _messages) rather than
# looked up again on every post.
_MESSAGE_IDS = {
    "label": N_("Your full name"),
    "name_missing": N_("Please type your name to confirm."),
    "name_length": N_("Please type your full name (2 to 200 characters)."),
    "unanswered": N_("Please choose “I agree” or “I have a question” for point %(n)s."),
    "question_missing": N_("Please type your question, or choose “I agree”."),
    "question_beside_agree": N_(
        "You wrote a question for point %(n)s: choose “I have a question” to send it, "
        "or empty the box."
    ),
    "question_long": N_("Please keep your question under 2,000 characters."),
    "many_unanswered": N_(
        "Please choose “I agree” or “I have a question” for each point: "
        "%(count)s points are not answered yet."
    ),
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
    """Stands for a clause's fields on a page shown before anything was posted."""

    data = None
    errors: tuple = ()


_UNANSWERED = _Unanswered()
ANSWERS = frozenset(answer.value for answer in Answer)
_AGREE, _QUESTION = Answer.AGREE.value, Answer.QUESTION.value


@cache
def _field_names(count: int) -> tuple[tuple[str, str], ...]:
    """(answer, question) field names of points 1 … count."""
    return tuple((f"a{n}", f"q{n}") for n in range(1, count + 1))


def confirm_form_for(clauses, *, posted: bool = True) -> ConfirmForm:
    """The confirm form for these clauses, numbered as on the page; `posted` reads the
    answers from the request (a fresh page has none)."""
    return ConfirmForm([clause.key for clause in clauses], request.form if posted else None)


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why are you withdrawing? (the school will read this)"),
        validators=[
            DataRequired(message=_l("Please tell the school why you are withdrawing.")),
            Length(max=2000, message=_l("Please keep your reason under 2,000 characters.")),
        ],
    )
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
