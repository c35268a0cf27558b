"""Termly rounds in the office: administrators see the rounds planned from the term dates
and pause, resume, move or skip one (what `parentlink rounds` does for IT support)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.campaigns import rounds
from parentlink.campaigns.rounds import RoundError, RoundStatus, TermRound
from parentlink.core.states import InvalidTransition
from parentlink.db import db
from parentlink.office.forms import ActionForm

ACTIONS = {"pause": rounds.pause, "resume": rounds.resume, "skip": rounds.skip}
DONE = {"pause": "paused", "resume": "resumed", "skip": "skipped"}


def rounds_page():
    listed = db.session.scalars(
        select(TermRound)
        .where(TermRound.school_id == current_user.school_id)
        .order_by(TermRound.starts_on, TermRound.id)
    ).all()
    return render_template(
        "office/rounds.html", rounds=listed, form=ActionForm(), Status=RoundStatus
    )


def _mine(round_id: int) -> TermRound:
    term_round = db.session.get(TermRound, round_id)
    if term_round is None or term_round.school_id != current_user.school_id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    return term_round


def change(round_id: int, action: str):
    term_round = _mine(round_id)
    actor = f"staff:{current_user.id}"
    try:
        if action == "move":
            raw = request.form.get("starts_on", "")
            try:
                starts_on = date.fromisoformat(raw)
            except ValueError:
                raise RoundError("enter the new start date, for example 2027-01-11") from None
            rounds.move(term_round.id, starts_on, actor=actor)
            done = f"moved to {starts_on:%A} {starts_on.day} {starts_on:%B %Y}"
        elif action in ACTIONS:
            ACTIONS[action](term_round.id, actor=actor)
            done = DONE[action]
        else:
            abort(404)
    except (RoundError, InvalidTransition) as exc:
        db.session.rollback()
        why = str(exc) if isinstance(exc, RoundError) else f"it is {term_round.status.value}"
        flash(f"The {term_round.term_name} round was not changed: {why}.", "error")
    else:
        flash(f"The {term_round.term_name} round is {done}.", "success")
    return redirect(url_for("office.rounds") + f"#r{round_id}", code=303)
