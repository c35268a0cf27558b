"""Parents' questions about the points of the agreement, followed up by the office.

A question is a clause response with the answer "question". The office replies by SMS or
email through the outbox (the reply text is the office's own; the words around it follow
the family's language where the interface has that language), marks it answered without a
reply (answered by phone or in person), or passes it to the safeguarding lead. The parent
sees the reply on their link's page.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from parentlink.agreements.models import Clause
from parentlink.campaigns.models import Answer, ClauseResponse, Confirmation, FollowUp
from parentlink.core.audit import record
from parentlink.core.clock import now
from parentlink.core.states import InvalidTransition
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import enqueue, render
from parentlink.messaging.sms_rules import count_sms

REPLY_MAX = 1000  # characters the office may write


class QuestionError(ValueError):
    """The question cannot be followed up as asked; the message says why."""


def question_of(school_id: int, response_id: int) -> ClauseResponse | None:
    """A question at this school (None for anything else, including an "I agree")."""
    return db.session.scalar(
        select(ClauseResponse)
        .join(Confirmation, Confirmation.id == ClauseResponse.confirmation_id)
        .where(
            ClauseResponse.id == response_id,
            Confirmation.school_id == school_id,
            ClauseResponse.answer == Answer.QUESTION,
        )
    )


def _check_open(response: ClauseResponse) -> None:
    if response.confirmation.withdrawn_at is not None:
        raise QuestionError("the family withdrew this confirmation; the question is closed")
    if response.follow_up is FollowUp.ANSWERED:
        raise QuestionError("this question has already been answered")


def reply_to_question(
    response: ClauseResponse, *, channel: Channel, reply: str, staff_id: int
) -> Message:
    """Send the office's reply to the carer who asked, and mark the question answered."""
    reply = (reply or "").strip()
    _check_open(response)
    problems = []
    if not reply:
        problems.append("write the reply")
    elif len(reply) > REPLY_MAX:
        problems.append(f"keep the reply under {REPLY_MAX} characters (it has {len(reply)})")
    contact = response.confirmation.invitation.contact
    if contact.address_for(channel) is None:
        what = "mobile that takes texts" if channel is Channel.SMS else "email address"
        problems.append(f"we have no {what} for {contact.first_name} {contact.last_name}")
    if problems:
        raise QuestionError("; ".join(problems))
    school = response.confirmation.invitation.campaign.school
    with force_locale(contact.language or "en"):
        rendered = render(
            MessageKind.QUESTION_REPLY,
            channel,
            school=school,
            contact=contact,
            point=response.clause.summary,
            reply=reply,
        )
    if channel is Channel.SMS:
        refusal = count_sms(rendered.body).refusal(school.sms_segment_limit)
        if refusal:
            raise QuestionError(
                f"the text cannot be sent as it is ({refusal}): send the reply by email, "
                "or shorten it if it is too long"
            )
    message = enqueue(
        school_id=school.id,
        kind=MessageKind.QUESTION_REPLY,
        channel=channel,
        rendered=rendered,
        contact=contact,
        invitation_id=response.confirmation.invitation_id,
    )
    _move(response, lambda each: each.answer_question(now(), staff_id, reply))
    db.session.flush()
    response.reply_message_id = message.id
    _audit(response, "question.reply", staff_id, channel=channel.value, message=message.id)
    return message


def mark_answered(response: ClauseResponse, *, staff_id: int) -> None:
    """Answered by phone or in person: no message goes out."""
    _check_open(response)
    _move(response, lambda each: each.answer_question(now(), staff_id, None))
    _audit(response, "question.answered", staff_id)


def pass_to_dsl(response: ClauseResponse, *, staff_id: int) -> None:
    """A safeguarding matter: the safeguarding lead sees it on their list of questions."""
    _check_open(response)
    if response.follow_up is FollowUp.WITH_DSL:
        raise QuestionError("this question is already with the safeguarding lead")
    _move(response, lambda each: each.pass_to_dsl(now()))
    _audit(response, "question.pass_to_dsl", staff_id)


def _same_point(response: ClauseResponse) -> list[ClauseResponse]:
    """The question as recorded on every clause of its point (one, unless the point groups
    several clauses): followed up together, so the parent's page and the counts agree."""
    point = response.clause.point
    if point is None:
        return [response]
    return list(
        db.session.scalars(
            select(ClauseResponse)
            .join(Clause, Clause.id == ClauseResponse.clause_id)
            .where(
                ClauseResponse.confirmation_id == response.confirmation_id,
                ClauseResponse.answer == Answer.QUESTION,
                Clause.version_id == response.clause.version_id,
                Clause.point == point,
            )
        )
    )


def _move(response: ClauseResponse, change) -> None:
    try:
        for each in _same_point(response):
            change(each)
    except InvalidTransition as exc:  # pragma: no cover - _check_open covers the cases
        raise QuestionError(str(exc)) from exc


def _audit(response: ClauseResponse, action: str, staff_id: int, **data: object) -> None:
    record(
        action,
        actor=f"staff:{staff_id}",
        school_id=response.confirmation.school_id,
        subject=f"confirmation:{response.confirmation_id}",
        contact=response.confirmation.contact_id,
        **data,
    )
