"""Questions to answer: parents' questions about the points, followed up from one page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from parentlink.campaigns.models import FollowUp
from parentlink.campaigns.queries import question_counts, questions_to_follow_up
from parentlink.campaigns.questions import (
    QuestionError,
    mark_answered,
    pass_to_dsl,
    question_of,
    reply_to_question,
)
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.office.forms import ActionForm
from parentlink.office.permissions import Permission, can

PER_PAGE = 25
TABS = {
    FollowUp.OPEN: "To answer",
    FollowUp.ANSWERED: "Answered",
    FollowUp.WITH_DSL: "With the safeguarding lead",
}


def _tabs() -> list[FollowUp]:
    """The office answers; the safeguarding lead sees the questions passed to them."""
    if can(Permission.ANSWER_QUESTIONS):
        return list(TABS)
    if can(Permission.READ_CONCERNS):
        return [FollowUp.WITH_DSL]
    return []


def questions(error: tuple[int, str] | None = None, status: int = 200):
    tabs = _tabs()
    if not tabs:
        abort(403)
    try:
        state = FollowUp(request.args.get("show", tabs[0].value))
    except ValueError:
        abort(404)
    if state not in tabs:
        abort(403)
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    counts = question_counts(current_user.school_id)
    items, total = questions_to_follow_up(
        current_user.school_id, state=state, page=page, per_page=PER_PAGE, total=counts[state]
    )
    contacts = {q.contact_id: q.contact for q in items}  # read with the questions
    return render_template(
        "office/questions.html",
        state=state,
        tabs=[(s, TABS[s], counts[s]) for s in tabs],
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        contacts=contacts,
        may_answer=can(Permission.ANSWER_QUESTIONS),
        Channel=Channel,
        form=ActionForm(),
        error=error,
        typed=request.form.get("reply", "") if error else "",
    ), status


def _question(response_id: int):
    response = question_of(current_user.school_id, response_id)
    if response is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    return response


def _back(done: str):
    flash(done, "success")
    page = request.form.get("page", "")
    args = {"page": page} if page.isdigit() and len(page) < 7 and page != "1" else {}
    return redirect(url_for("office.questions", **args) + "#questions", code=303)


def reply(response_id: int):
    response = _question(response_id)
    contact = response.confirmation.invitation.contact
    try:
        channel = Channel(request.form.get("channel", ""))
    except ValueError:
        return questions(
            error=(response_id, "choose how to send the reply: text or email"), status=422
        )
    try:
        reply_to_question(
            response, channel=channel, reply=request.form.get("reply", ""), staff_id=current_user.id
        )
    except QuestionError as exc:
        db.session.rollback()
        return questions(error=(response_id, str(exc)), status=422)
    how = "text" if channel is Channel.SMS else "email"
    return _back(f"Your reply to {contact.first_name} {contact.last_name} is on its way by {how}.")


def _follow_up(response_id: int, action, done: str):
    """Mark answered or pass on: the action, or the page again with its reason."""
    response = _question(response_id)
    contact = response.confirmation.invitation.contact
    try:
        action(response, staff_id=current_user.id)
    except QuestionError as exc:
        db.session.rollback()
        return questions(error=(response_id, str(exc)), status=422)
    return _back(f"{contact.first_name} {contact.last_name}'s question {done}.")


def answered(response_id: int):
    return _follow_up(response_id, mark_answered, "is marked answered")


def to_dsl(response_id: int):
    return _follow_up(response_id, pass_to_dsl, "is with the safeguarding lead")
