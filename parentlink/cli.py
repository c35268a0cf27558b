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
    from parentlink.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


class ParentLinkGroup(FlaskGroup):
    """Every ParentLink command is registered on the group itself, so `--help` lists them
    even when the configuration is wrong; a wrong setting, an unreachable database or a
    database without its schema ends any command with one line that says what to do."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(click.Group.list_commands(self, ctx))

    def invoke(self, ctx: click.Context):
        from parentlink.db import unavailable

        try:
            return super().invoke(ctx)
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                raise
            raise click.ClickException(f"{reason} (PARENTLINK_DATABASE_URL)") from None


main = ParentLinkGroup(
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
@click.option(
    "--phase",
    type=click.Choice(["primary", "secondary", "all-through"]),
    help="The year groups an import expects.",
)
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
    help="Import term dates from the council's or trust's calendar (.ics) or a CSV "
    "(kind,name,starts_on,ends_on): terms as spans, one event per school day, numbered "
    "school days, or holidays only. Shows the terms and their school days first.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show the terms the file gives; save nothing.")
@school_option
@with_appcontext
def school_terms(path, dry_run, school_slug) -> None:
    from parentlink.schools import calendars
    from parentlink.schools.terms import TermDatesError

    try:
        events, kinds = calendars.read_events(Path(path).read_bytes(), path)
        plan = calendars.plan(events, kinds)
        click.echo(f"Read as {plan.shape}:")
        for term in plan.terms:
            click.echo(
                f"  {term.name}: {term.starts_on:%a %-d %b %Y} to {term.ends_on:%a %-d %b %Y}, "
                f"{term.school_days} school days"
            )
        if dry_run:
            click.echo(f"and {len(plan.closures)} closures. Nothing was saved (dry run).")
            return
        with transaction():
            calendars.save(_school(school_slug).id, plan, actor="cli")
    except TermDatesError as exc:
        raise click.ClickException(f"{exc}. Nothing was imported.") from exc
    click.echo(f"Imported {len(plan.terms)} terms and {len(plan.closures)} closures.")
    for skipped in plan.skipped:
        click.echo(f"  skipped (neither a term, a school day nor a holiday): {skipped}")


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


@click.command(
    "import",
    help="Import families from the MIS export as it comes (CSV or Excel; SIMS, Arbor, "
    "Bromcom, Groupcall Xporter, Wonde), through the same checks as the office's upload.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False),
    help='A JSON file {"our column": "their header"}; default: the remembered one, or a guess.',
)
@click.option("--sheet", help="The Excel sheet to read (default: the first).")
@click.option(
    "--whole-school", is_flag=True, help="The file lists every pupil: mark the others as leavers."
)
@click.option(
    "--confirm-leavers",
    is_flag=True,
    help="Needed when more than a tenth of the school would be marked as leavers.",
)
@school_option
@with_appcontext
def import_command(
    path, dry_run, mapping_file, sheet, whole_school, confirm_leavers, school_slug
) -> None:
    import json

    from parentlink.directory import reimport

    data = Path(path).read_bytes()
    with transaction():
        school_id = _school(school_slug).id
        if mapping_file:
            try:
                mapping = json.loads(Path(mapping_file).read_text("utf-8"))
            except ValueError as exc:
                raise click.ClickException(f"the mapping file is not JSON: {exc}") from exc
        else:
            headers = reimport.headers_of(data, sheet, Path(path).name)
            mapping = reimport.choose_mapping(school_id, headers)
        options = {"whole_school": whole_school, "sheet": sheet, "filename": Path(path).name}
        if dry_run:
            outcome = reimport.dry_run(school_id, data, mapping, **options)
        else:
            outcome = reimport.import_file(
                school_id, data, mapping, actor="cli", leavers_confirmed=confirm_leavers, **options
            )
    for warning in outcome.warnings:
        click.echo(f"  warning: {warning}")
    if not outcome.ok:
        for error in outcome.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(
            f"Import stopped: {len(outcome.errors)} problem(s). Nothing was imported."
        )
    s = outcome.summary
    for pupil, items in outcome.stopped_by_pupil():
        who = ", ".join(f"{i.contact} ({i.why})" for i in items)
        click.echo(f"  {len(items)} carer(s) will no longer be contacted about {pupil}: {who}")
    if outcome.many_leavers:
        click.echo(
            f"  WARNING: {len(outcome.leavers)} of {outcome.current_pupils} pupils would be "
            "marked as leavers (more than a tenth): --confirm-leavers is needed"
        )
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb}: {s.pupils_added} pupils added, {s.pupils_updated} updated; "
        f"{s.contacts_added} contacts added, {s.contacts_updated} updated; "
        f"{s.links} pupil-contact links; {len(outcome.leavers)} leavers; "
        f"{len(s.stopped)} carer link(s) no longer contacted."
        + (" Nothing was written (dry run)." if dry_run else "")
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
    from parentlink.db import NO_SCHEMA, schema_missing

    if schema_missing():
        raise click.ClickException(NO_SCHEMA)
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


def _commands() -> tuple:
    from parentlink.dev.demo import demo_command
    from parentlink.messaging.commands import bounces_command, preview_command

    campaign_group.add_command(preview_command)
    return (
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
    )


def register_commands(app: Flask) -> None:
    for command in _commands():
        app.cli.add_command(command)


for _command in _commands():
    main.add_command(_command)
