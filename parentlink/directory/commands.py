"""`parentlink import FILE`: the MIS export through the same pipeline as the office's upload
(read, map, preview, all-or-nothing commit)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from parentlink.core.i18n import english_plural
from parentlink.db import transaction
from parentlink.directory import reimport


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
@click.option("--school", "school_slug", help="The school's slug (if several).")
@with_appcontext
def import_command(
    path, dry_run, mapping_file, sheet, whole_school, confirm_leavers, school_slug
) -> None:
    from parentlink.cli import _school

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
            "Import stopped: "
            + english_plural("%(num)d problem", "%(num)d problems", len(outcome.errors))
            + ". Nothing was imported."
        )
    s = outcome.summary
    for pupil, items in outcome.stopped_by_pupil():
        who = ", ".join(f"{i.contact} ({i.why})" for i in items)
        carers = english_plural("%(num)d carer", "%(num)d carers", len(items))
        click.echo(f"  {carers} will no longer be contacted about {pupil}: {who}")
    if outcome.many_leavers:
        click.echo(
            f"  WARNING: {len(outcome.leavers)} of {outcome.current_pupils} pupils would be "
            "marked as leavers (more than a tenth): --confirm-leavers is needed"
        )
    if outcome.leavers_carers_stopped:
        click.echo(
            f"  {outcome.leavers_carers_stopped} open invitation(s) will stop asking about "
            "pupils who have left (their queued reminders are cancelled)"
        )
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb}: {s.pupils_added} pupils added, {s.pupils_updated} updated; "
        f"{s.contacts_added} contacts added, {s.contacts_updated} updated; "
        f"{s.links} pupil-contact links; {len(outcome.leavers)} leavers; "
        + english_plural("%(num)d carer link", "%(num)d carer links", len(s.stopped))
        + " no longer contacted."
        + (" Nothing was written (dry run)." if dry_run else "")
    )
