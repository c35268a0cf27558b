"""The parent forms. Every label and message is translatable; fields for the clauses are
made per version (one answer and one optional question per clause)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from parentlink.campaigns.models import Answer

QUESTION_MAX = 2000


class ConfirmForm(FlaskForm):
    """The typed name and the CSRF token are WTForms fields; the answer and question for each
    point are checked in plain code against the number of points (36 WTForms fields cost
    more than the rest of the request), with the same messages, each linked to its field."""

    typed_name = StringField(
        _l("Your full name"),
        validators=[
            DataRequired(message=_l("Please type your name to confirm.")),
            Length(min=2, max=200, message=_l("Please type your full name (2 to 200 characters).")),
        ],
    )

    def __init__(self, *args, clause_keys=(), **kwargs) -> None:
        # Fields are named by the point's number on the page (a1/q1, a2/q2 …): short names
        # keep the page light; `clause_keys[n - 1]` is the clause of point n.
        self.clause_keys = list(clause_keys)
        self._posted: dict[str, Posted] = {}
        super().__init__(*args, **kwargs)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs) -> None:
        formdata = self.meta.wrap_formdata(self, formdata)
        super().process(formdata, obj, data, extra_filters, **kwargs)
        self._posted = {}
        if formdata is not None:
            for number in range(1, len(self.clause_keys) + 1):
                for name in (f"a{number}", f"q{number}"):
                    self._posted[name] = Posted(formdata.get(name))

    def answer_field(self, number: int) -> Posted:
        return self._posted.get(f"a{number}", _UNANSWERED)

    def question_field(self, number: int) -> Posted:
        return self._posted.get(f"q{number}", _UNANSWERED)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_points() and valid

    def _check_points(self) -> bool:
        valid = True
        for number in range(1, len(self.clause_keys) + 1):
            answer, question = self.answer_field(number), self.question_field(number)
            answer.errors, question.errors = [], []
            if answer.data not in ANSWERS:
                answer.errors.append(
                    gettext(
                        "Please choose “I agree” or “I have a question” for point %(n)s.",
                        n=number,
                    )
                )
            text = (question.data or "").strip()
            if answer.data == Answer.QUESTION.value and not text:
                question.errors.append(gettext("Please type your question, or choose “I agree”."))
            if answer.data == Answer.AGREE.value and text:
                question.errors.append(
                    gettext(
                        "You wrote a question for point %(n)s: choose “I have a question” to "
                        "send it, or empty the box.",
                        n=str(number),
                    )
                )
            if len(question.data or "") > QUESTION_MAX:
                question.errors.append(gettext("Please keep your question under 2,000 characters."))
            valid = valid and not answer.errors and not question.errors
        return valid

    @property
    def errors(self) -> dict:
        errors = super().errors
        errors.update({name: f.errors for name, f in self._posted.items() if f.errors})
        return errors

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
            message = _l(
                "Please choose “I agree” or “I have a question” for each point: "
                "%(count)s points are not answered yet.",
                count=len(unanswered),
            )
            links.append((f"a{unanswered[0]}-agree", str(message)))
            unanswered = []
        for number in points:
            if number in unanswered:
                links.extend((f"a{number}-agree", e) for e in self.answer_field(number).errors)
            for error in self.question_field(number).errors:
                links.append((f"q{number}", error))
        for error in self.typed_name.errors:
            links.append(("typed_name", error))
        return links


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


def confirm_form_for(clauses, *, posted: bool = True) -> ConfirmForm:
    """The confirm form for these clauses, numbered as on the page; `posted` reads the
    answers from the request (a fresh page has none)."""
    form = ConfirmForm(clause_keys=[clause.key for clause in clauses])
    if not posted:
        form._posted = {}
    return form


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
