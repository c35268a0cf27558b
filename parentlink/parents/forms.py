"""The parent forms. Every label and message is translatable; fields for the clauses are
made per version (one answer and one optional question per clause)."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from parentlink.campaigns.models import Answer

QUESTION_MAX = 2000


class ConfirmFormBase(FlaskForm):
    typed_name = StringField(
        _l("Your full name"),
        validators=[
            DataRequired(message=_l("Please type your name to confirm.")),
            Length(min=2, max=200, message=_l("Please type your full name (2 to 200 characters).")),
        ],
    )

    # Fields are named by the point's number on the page (a1/q1, a2/q2 …): short names keep
    # the page light; `clause_keys[n - 1]` is the clause of point n.
    clause_keys: list[str] = []

    def answer_field(self, number: int) -> StringField:
        return self._fields.get(f"a{number}", _UNANSWERED)

    def question_field(self, number: int) -> TextAreaField:
        return self._fields.get(f"q{number}", _UNANSWERED)

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


class _Unanswered:
    """Stands for a clause's fields on a page shown before anything was posted."""

    data = None
    errors: tuple = ()


_UNANSWERED = _Unanswered()


def _question_needed(form: FlaskForm, field: TextAreaField) -> None:
    """A question needs its text; text typed beside "I agree" is never silently dropped."""
    number = field.name.removeprefix("q")
    answer, text = form[f"a{number}"].data, (field.data or "").strip()
    if answer == Answer.QUESTION.value and not text:
        raise ValidationError(_l("Please type your question, or choose “I agree”."))
    if answer == Answer.AGREE.value and text:
        raise ValidationError(
            _l(
                "You wrote a question for point %(n)s: choose “I have a question” to send it, "
                "or empty the box.",
                n=number,
            )
        )


def confirm_form_for(clauses, *, posted: bool = True) -> ConfirmFormBase:
    """A form with an answer and a question box for each clause, numbered as on the page.
    Before anything is posted, only the name and CSRF fields are needed: the clause list
    of a fresh page is rendered once and kept (parentlink/parents/pages.py)."""
    form = _confirm_form_class(len(clauses) if posted else 0)()
    form.clause_keys = [clause.key for clause in clauses]
    return form


@lru_cache(maxsize=32)
def _confirm_form_class(count: int) -> type[ConfirmFormBase]:
    """The form class for `count` points, made once per process (fields depend on the count)."""

    class ConfirmForm(ConfirmFormBase):
        pass

    for number in range(1, count + 1):
        setattr(
            ConfirmForm,
            f"a{number}",
            StringField(  # rendered as two radio buttons: "I agree", "I have a question"
                validators=[
                    AnyOf(
                        [answer.value for answer in Answer],
                        message=_l(
                            "Please choose “I agree” or “I have a question” for point %(n)s.",
                            n=number,
                        ),
                    )
                ],
            ),
        )
        setattr(
            ConfirmForm,
            f"q{number}",
            TextAreaField(
                _l("Your question"),
                validators=[
                    _question_needed,
                    Length(
                        max=QUESTION_MAX,
                        message=_l("Please keep your question under 2,000 characters."),
                    ),
                ],
            ),
        )
    return ConfirmForm


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
