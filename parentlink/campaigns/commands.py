"""`parentlink rounds list|pause|resume|move|skip`: the termly rounds, as the office's rounds
page manages them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from parentlink.campaigns import rounds
from parentlink.campaigns.rounds import TermRound
from parentlink.core.states import InvalidTransition
from parentlink.db import db, transaction


@click.group("rounds", help="Termly rounds: list, pause, resume, move or skip.")
def rounds_group() -> None: ...


@rounds_group.command("list", help="The rounds planned, started or skipped.")
@click.option("--school", "school_slug", help="The school's slug (if several).")
@with_appcontext
def rounds_list(school_slug) -> None:
    from parentlink.cli import _school

    school = _school(school_slug)
    rounds = db.session.scalars(
        select(TermRound).where(TermRound.school_id == school.id).order_by(TermRound.starts_on)
    ).all()
    if not rounds:
        click.echo("No rounds yet: they are planned from the term dates (parentlink school terms).")
    for r in rounds:
        click.echo(
            f"{r.id:>4}  {r.starts_on}  {r.status.value:<9} {r.term_name} "
            f"({r.reason.value}, {r.audience.value})"
        )


def _round_action(action: str, round_id: int, *args) -> None:
    try:
        with transaction():
            term_round = getattr(rounds, action)(round_id, *args, actor="cli")
    except (rounds.RoundError, InvalidTransition) as exc:
        raise click.ClickException(f"Round {round_id} cannot {action}: {exc}") from exc
    click.echo(f"Round {round_id}: {term_round.status.value}, starts {term_round.starts_on}.")


@rounds_group.command("pause")
@click.argument("round_id", type=int)
@with_appcontext
def rounds_pause(round_id) -> None:
    _round_action("pause", round_id)


@rounds_group.command("resume")
@click.argument("round_id", type=int)
@with_appcontext
def rounds_resume(round_id) -> None:
    _round_action("resume", round_id)


@rounds_group.command("skip")
@click.argument("round_id", type=int)
@with_appcontext
def rounds_skip(round_id) -> None:
    _round_action("skip", round_id)


@rounds_group.command("move")
@click.argument("round_id", type=int)
@click.argument("starts_on", type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def rounds_move(round_id, starts_on) -> None:
    _round_action("move", round_id, starts_on.date())
