"""The `parentlink` command: schema, school set-up, import, campaigns, staff, jobs, demo."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from parentlink.core.i18n import english_plural
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
            closures = english_plural("%(num)d closure", "%(num)d closures", len(plan.closures))
            click.echo(f"and {closures}. Nothing was saved (dry run).")
            return
        with transaction():
            calendars.save(_school(school_slug).id, plan, actor="cli")
    except TermDatesError as exc:
        raise click.ClickException(f"{exc}. Nothing was imported.") from exc
    click.echo(
        "Imported "
        + english_plural("%(num)d term", "%(num)d terms", len(plan.terms))
        + " and "
        + english_plural("%(num)d closure", "%(num)d closures", len(plan.closures))
        + "."
    )
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
    translated = english_plural("%(num)d clause translated", "%(num)d clauses translated", count)
    click.echo(f"Version {version.label}: {translated}.")


def _commands() -> tuple:
    from parentlink.campaigns.commands import rounds_group
    from parentlink.dev.demo import demo_command
    from parentlink.directory.commands import import_command
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
