"""`parentlink campaign preview` (the rendered SMS, segments and cost before a launch) and
`parentlink bounces` (read the bounce Maildir once)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from parentlink.core.i18n import english_plural
from parentlink.messaging.preview import preview_invitations
from parentlink.messaging.templates import TemplateProblem


@click.command(
    "preview",
    help="Show the invitation SMS and emails a launch would queue, the segments each SMS "
    "costs and the estimated price; exits 1 if a launch would be refused.",
)
@click.option("--school", "school_slug", help="The school's slug (if several).")
@click.option("--show", default=5, show_default=True, help="How many SMS to print in full.")
@with_appcontext
def preview_command(school_slug: str | None, show: int) -> None:
    from parentlink.cli import _school

    school = _school(school_slug)
    try:
        preview = preview_invitations(school)
    except TemplateProblem as exc:
        raise click.ClickException(f"A message template needs fixing: {exc}") from exc
    click.echo(
        f"{preview.recipients} invitations: {preview.sms} SMS, {preview.emails} emails; "
        f"{preview.unreachable} contacts have no usable mobile or email."
    )
    histogram = ", ".join(f"{n} x {size}" for size, n in preview.segments_histogram.items())
    click.echo(f"SMS segments: {preview.total_segments} ({histogram or 'none'})")
    if preview.allowance is not None:
        left = preview.allowance
        click.echo(
            f"Estimated cost: {preview.currency} {preview.estimated_cost} plus VAT (GOV.UK "
            f"Notify: {preview.free_segments} from the free allowance, {left.remaining} of "
            f"{left.total} left since {left.since:%d %B %Y}; then {left.price_pence}p each)"
        )
    else:
        click.echo(
            f"Estimated cost: {preview.currency} {preview.estimated_cost} "
            f"at {preview.price_per_segment} per segment"
        )
    if preview.unchecked:
        click.echo(f"Not checked one by one (unusual names): {preview.unchecked} SMS")
    shown = preview.over_limit_examples or [s for s in (preview.sms_sample,) if s]
    for sample in shown[:show]:
        segments = sample.segments
        assert segments is not None
        click.echo(
            f"\n- to {sample.carer} (contact {sample.contact_id}): "
            + english_plural("%(num)d segment", "%(num)d segments", segments.count)
            + f", {segments.encoding}, {segments.characters} characters"
        )
        if segments.non_gsm:
            click.echo(f"  not GSM-7: {' '.join(segments.non_gsm)}")
        refusal = segments.refusal(preview.segment_limit)
        if refusal:
            click.echo(f"  refused: {refusal}")
        click.echo(f"  {segments.sent_text or sample.text}")
    if not preview.can_launch:
        click.echo(
            f"\nLaunch would be refused: {preview.over_limit} SMS cannot be sent as they are "
            f"(the limit is {preview.segment_limit} segments).",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"\nEvery SMS is within the limit of {preview.segment_limit} segments.")


@click.command(
    "bounces",
    help="Read the bounce reports (DSNs) waiting in PARENTLINK_BOUNCE_MAILDIR, then stop.",
)
@with_appcontext
def bounces_command() -> None:
    from parentlink.messaging.bounces import ingest_maildir

    path = current_app.config["BOUNCE_MAILDIR"]
    if not path:
        raise click.ClickException("Set PARENTLINK_BOUNCE_MAILDIR to the bounce Maildir first.")
    counts = ingest_maildir(path)
    click.echo(
        f"Read {counts.read}: {counts.bounced} bounced, {counts.noted} noted, "
        f"{counts.unrecognised} set aside, {counts.errors} left for the next run."
    )
