"""The `parentlink` command: schema, school set-up, import, campaigns, staff, jobs, demo."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from parentlink.db import db, transaction


def _create_app(*_args) -> Flask:
    from parentlink import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="ParentLink: parents and carers confirm a school's social media agreement.\n\n"
    "Settings come from PARENTLINK_* environment variables (see README).",
)


def _school(slug: str | None):
    from parentlink.schools.models import School

    schools = db.session.scalars(select(School).order_by(School.id)).all()
    if slug:
        schools = [s for s in schools if s.slug == slug]
    if not schools:
        raise click.ClickException(
            "No such school. Create one with: parentlink school create"
            if slug
            else "No school yet. Create one with: parentlink school create"
        )
    if len(schools) > 1:
        raise click.ClickException("Several schools: say which with --school SLUG")
    return schools[0]


school_option = click.option("--school", "school_slug", help="The school's slug (if several).")


@click.group("db", help="The database schema.")
def db_group() -> None: ...


@db_group.command("upgrade", help="Create or upgrade the schema to the latest migration.")
@with_appcontext
def db_upgrade() -> None:
    from parentlink.schema import upgrade

    upgrade()
    click.echo("Database schema is up to date.")


@click.group("school", help="Set up a school.")
def school_group() -> None: ...


@school_group.command("create", help="Add a school (the tenant).")
@click.argument("name")
@click.option("--short-name", required=True, help='Used in SMS, e.g. "Coates Lane Primary".')
@click.option("--slug", required=True, help="A short id, e.g. coates-lane.")
@click.option("--office-phone", default=None)
@click.option("--office-email", default=None)
@with_appcontext
def school_create(name, short_name, slug, office_phone, office_email) -> None:
    from parentlink.schools.services import SchoolError, create_school

    try:
        with transaction():
            school = create_school(
                name=name,
                short_name=short_name,
                slug=slug,
                office_phone=office_phone,
                office_email=office_email,
            )
    except SchoolError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created school {school.name} ({school.slug}).")


@school_group.command("set", help="Change the school's settings (only those given).")
@click.option("--office-email", help="Where round notices go.")
@click.option("--dsl-alert-mobile", help="A mobile that also gets the concern alert by SMS.")
@click.option(
    "--escalation-emails",
    help="Deputy DSL and head, comma-separated: they hear of a concern nobody has acknowledged.",
)
@click.option("--concern-escalation-school-days", type=int)
@click.option("--round-school-day", type=int, help="Which school day of each term a round starts.")
@click.option("--round-notice-days", type=int, help="Days of notice the office gets.")
@click.option("--round-open-days", type=int, help="Days families have to answer a round.")
@school_option
@with_appcontext
def school_set(school_slug, **settings) -> None:
    from parentlink.schools.services import SchoolError, update_settings

    try:
        with transaction():
            changed = update_settings(_school(school_slug), actor="cli", **settings)
    except SchoolError as exc:
        raise click.ClickException(f"{exc}. Nothing was changed.") from exc
    click.echo("Changed: " + ", ".join(changed) if changed else "Nothing to change.")


@school_group.command(
    "terms",
    help="Import term dates and closures from a CSV "
    "(kind,name,starts_on,ends_on) or an iCalendar (.ics) file.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@school_option
@with_appcontext
def school_terms(path, school_slug) -> None:
    from parentlink.schools.terms import TermDatesError, import_terms_csv, import_terms_ical

    data = Path(path).read_bytes()
    reader = import_terms_ical if path.lower().endswith((".ics", ".ical")) else import_terms_csv
    try:
        with transaction():
            summary = reader(_school(school_slug).id, data, actor="cli")
    except TermDatesError as exc:
        raise click.ClickException(f"{exc}. Nothing was imported.") from exc
    click.echo(f"Imported {summary.terms} terms and {summary.closures} closures.")
    for skipped in summary.skipped:
        click.echo(f"  skipped (neither a term nor a holiday): {skipped}")


@click.group("agreement", help="Agreements and their versions.")
def agreement_group() -> None: ...


@agreement_group.command(
    "load",
    help="Load an agreement file as a draft version (default: "
    "the Coates Lane social media policy) and optionally publish it.",
)
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--publish/--draft", default=True, show_default=True)
@school_option
@with_appcontext
def agreement_load(path, publish, school_slug) -> None:
    from parentlink.agreements import services
    from parentlink.agreements.translations import load_seed_translations

    with transaction():
        school = _school(school_slug)
        try:
            version = services.load_version(
                school.id, Path(path) if path else services.COATES_LANE_POLICY, actor="cli"
            )
        except services.AgreementFileError as exc:
            raise click.ClickException(str(exc)) from exc
        if publish:
            services.publish(version, actor="cli")
        languages = [] if path else load_seed_translations(school.id, actor="cli")
    state = f"published, SHA-256 {version.sha256}" if publish else "draft"
    click.echo(f"Version {version.label}: {len(version.clauses)} clauses, {state}.")
    if languages:
        click.echo(f"Translations (machine-assisted, not yet reviewed): {', '.join(languages)}.")


@click.command("import", help="Import families from a CSV (one row per pupil-contact pair).")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@school_option
@with_appcontext
def import_command(csv_file, school_slug) -> None:
    from parentlink.directory.importer import ImportRejected, import_families

    data = Path(csv_file).read_bytes()
    try:
        with transaction():
            summary = import_families(_school(school_slug).id, data)
    except ImportRejected as exc:
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(
            f"Import stopped: {len(exc.errors)} problem(s). Nothing was imported."
        ) from exc
    click.echo(
        f"Imported: {summary.pupils_added} pupils added, {summary.pupils_updated} updated; "
        f"{summary.contacts_added} contacts added, {summary.contacts_updated} updated; "
        f"{summary.links} pupil-contact links."
    )


@click.group("campaign", help="Rounds of asking families.")
def campaign_group() -> None: ...


@campaign_group.command(
    "launch", help="Invite every eligible contact to confirm the current version."
)
@click.option("--name", required=True)
@click.option(
    "--closes",
    "closes_on",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day to answer (YYYY-MM-DD, school's time).",
)
@school_option
@with_appcontext
def campaign_launch(name, closes_on, school_slug) -> None:
    from parentlink.agreements.services import current_version
    from parentlink.campaigns.services import CampaignError, launch_campaign

    with transaction():
        school = _school(school_slug)
        version = current_version(school.id)
        if version is None:
            raise click.ClickException("No published agreement: run parentlink agreement load")
        closes_at = datetime.combine(closes_on.date(), time(23, 59), ZoneInfo(school.timezone))
        try:
            summary = launch_campaign(
                school, version, name=name, closes_at=closes_at.astimezone(UTC), actor="cli"
            )
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Launched {name!r}: {summary.invitations} invitations queued; "
        f"{len(summary.unreachable)} contacts have no usable mobile or email."
    )


@click.group("rounds", help="Termly rounds: list, pause, resume, move or skip.")
def rounds_group() -> None: ...


@rounds_group.command("list", help="The rounds planned, started or skipped.")
@school_option
@with_appcontext
def rounds_list(school_slug) -> None:
    from parentlink.campaigns.rounds import TermRound

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
    from parentlink.campaigns import rounds
    from parentlink.core.states import InvalidTransition

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


@click.group("staff", help="Staff accounts.")
def staff_group() -> None: ...


@staff_group.command("create", help="Create a staff account (argon2-hashed password).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    type=click.Choice(["admin", "office", "dsl", "viewer"]),
    default="office",
    show_default=True,
)
@click.password_option(envvar="PARENTLINK_NEW_STAFF_PASSWORD")
@school_option
@with_appcontext
def staff_create(email, name, role, password, school_slug) -> None:
    from parentlink.office.services import StaffError, create_staff

    try:
        with transaction():
            user = create_staff(
                _school(school_slug).id,
                email=email,
                name=name,
                role=role,
                password=password,
                actor="cli",
            )
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role.value} account for {user.email}.")


@click.command("dispatch", help="Send the messages that are due now, then stop.")
@with_appcontext
def dispatch_command() -> None:
    from parentlink.messaging.dispatcher import dispatch_pending

    counts = dispatch_pending()
    click.echo(
        f"Claimed {counts.claimed}: {counts.accepted} accepted, "
        f"{counts.retrying} to retry, {counts.failed} failed, {counts.bounced} bounced; "
        f"{counts.reconciled} abandoned attempts reconciled."
    )


@click.command(
    "jobs",
    help="Run the scheduled jobs (a process of its own; a second one waits as a hot standby).",
)
@with_appcontext
def jobs_command() -> None:
    from jobs.scheduler import run_forever

    run_forever()


@agreement_group.command(
    "translate",
    help="Load a school's translation of a version's parent clauses (a TOML file with "
    "[translation] agreement, label, language and [[clauses]] key, summary, body). Loading "
    "again replaces that language. The English wording stays binding.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@school_option
@with_appcontext
def agreement_translate(path, school_slug) -> None:
    from parentlink.agreements.translations import TranslationFileError, load_translation

    with transaction():
        school = _school(school_slug)
        try:
            version, count = load_translation(school.id, Path(path), actor="cli")
        except TranslationFileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Version {version.label}: {count} clauses translated.")


def register_commands(app: Flask) -> None:
    from parentlink.dev.demo import demo_command
    from parentlink.messaging.commands import bounces_command, preview_command

    campaign_group.add_command(preview_command)

    for command in (
        db_group,
        school_group,
        agreement_group,
        import_command,
        campaign_group,
        staff_group,
        rounds_group,
        dispatch_command,
        bounces_command,
        jobs_command,
        demo_command,
    ):
        app.cli.add_command(command)
