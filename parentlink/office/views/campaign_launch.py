"""Starting a campaign in two steps: choose its options, then check the messages, their
segments and cost for that audience, and launch. The second step carries the options in
hidden fields and checks them again; "Change the options" goes back with them filled in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from parentlink.agreements.models import Agreement, AgreementVersion, VersionStatus
from parentlink.agreements.services import current_version
from parentlink.campaigns import audience as audiences
from parentlink.campaigns.audience import Audience
from parentlink.campaigns.chase import parse_policy
from parentlink.campaigns.models import AudienceKind, CompletionRule
from parentlink.campaigns.one_link import already_asked, not_already_asked
from parentlink.campaigns.queries import campaigns_for
from parentlink.campaigns.services import CampaignError, launch_campaign
from parentlink.core.clock import now
from parentlink.core.i18n import english_plural
from parentlink.db import db
from parentlink.messaging.preview import (
    CampaignPreview,
    preview_invitations,
    segment_limit_problem,
)
from parentlink.messaging.templates import TemplateProblem
from parentlink.office.forms import CampaignForm
from parentlink.schools.calendar import SchoolCalendar
from parentlink.schools.models import School

LONGEST_OPEN = timedelta(days=366)


def _published_versions(school_id: int) -> list[AgreementVersion]:
    return list(
        db.session.scalars(
            select(AgreementVersion)
            .join(Agreement)
            .where(
                Agreement.school_id == school_id,
                AgreementVersion.status == VersionStatus.PUBLISHED,
            )
            .order_by(AgreementVersion.published_at.desc(), AgreementVersion.id.desc())
        )
    )


def close_date_problem(school: School, closes_on: date, policy: str) -> str | None:
    """A close date must be ahead, within a year, and leave time for the last reminder."""
    calendar = SchoolCalendar(school)
    today = calendar.local(now()).date()
    if closes_on <= today:
        return "The closing date must be in the future."
    if closes_on > today + LONGEST_OPEN:
        return "Choose a closing date within a year."
    steps = parse_policy(policy)
    if not steps:
        return None
    try:
        last = calendar.add_school_days(today, steps[-1].day)
    except ValueError:
        return "There are not enough school days ahead for the reminders: check the term dates."
    if closes_on < last:
        return (
            f"The last reminder goes on {last:%A} {last.day} {last:%B} (school day "
            f"{steps[-1].day} after today): choose that day or later, or fewer reminders."
        )
    return None


REMINDER_ROWS = (1, 2, 3)
# Of the families asked, the share expected still to be waiting before each reminder: for
# the cost estimate only (schools see most answers within the first days).
EXPECTED_WAITING = (Decimal("0.6"), Decimal("0.45"), Decimal("0.35"))


def _reminders_from_controls(form: CampaignForm) -> None:
    """The plain controls (after how many school days, which way) make the policy."""
    if "reminder_day_1" not in request.form:
        return  # the check page carries the policy itself
    form.plain_reminders = True
    parts = []
    for n in REMINDER_ROWS:
        day = getattr(form, f"reminder_day_{n}").data
        if day:
            parts.append(f"{day}:{getattr(form, f'reminder_channel_{n}').data}")
    form.reminder_policy.data = ",".join(parts)


def _controls_from_policy(form: CampaignForm) -> None:
    try:
        steps = parse_policy(form.reminder_policy.data or "")
    except ValueError:
        return
    for n in REMINDER_ROWS:
        step = steps[n - 1] if n <= len(steps) else None
        getattr(form, f"reminder_day_{n}").data = step.day if step else None
        if step:
            getattr(form, f"reminder_channel_{n}").data = step.channels


def default_closing_date(school: School, policy: str) -> date:
    """Two school days after the last reminder (three weeks without term dates)."""
    calendar = SchoolCalendar(school)
    today = calendar.local(now()).date()
    try:
        steps = parse_policy(policy)
        return calendar.add_school_days(today, (steps[-1].day if steps else 5) + 2)
    except ValueError:
        return today + timedelta(days=21)


def reminder_cost(preview: CampaignPreview, steps) -> Decimal:
    """The reminders' texts at the expected share of families still waiting."""
    per_sms = Decimal(preview.total_segments) / preview.sms if preview.sms else Decimal(1)
    segments = Decimal(0)
    for step, waiting in zip(steps, EXPECTED_WAITING, strict=False):
        texts = {
            "same": preview.sms,
            "other": preview.emails,
            "both": preview.sms + preview.emails,
        }[step.channels]
        segments += texts * waiting * per_sms
    if preview.allowance is not None:  # Notify: what the invitations leave of the allowance
        return preview.cost_of(int(segments.to_integral_value()), after=preview.total_segments)
    return (segments * preview.price_per_segment).quantize(Decimal("0.01"))


def _form(school: School, versions: list[AgreementVersion]) -> CampaignForm:
    form = CampaignForm()
    _reminders_from_controls(form)
    if "reminder_day_1" not in request.form:
        _controls_from_policy(form)
    if form.closes_on.data is None and request.method == "GET":
        form.closes_on.data = default_closing_date(school, form.reminder_policy.data or "")
    choices = audiences.choices(school.id)
    form.set_choices(
        [(v.id, f"Version {v.label}") for v in versions], choices.year_groups, choices.classes
    )
    if form.version_id.data is None and versions:
        form.version_id.data = versions[0].id  # the current one
    form.audience_choices = choices
    return form


def _valid(form: CampaignForm, school: School) -> bool:
    valid = form.validate_on_submit()
    if form.closes_on.data and not form.reminder_policy.errors and form.reminder_policy.data:
        problem = close_date_problem(school, form.closes_on.data, form.reminder_policy.data)
        if problem:
            form.closes_on.errors = [*form.closes_on.errors, problem]
            valid = False
    return valid


def _audience(form: CampaignForm) -> Audience:
    kind = AudienceKind(form.audience.data)
    values = {
        AudienceKind.YEAR_GROUPS: form.year_groups.data,
        AudienceKind.CLASSES: form.classes.data,
    }.get(kind, [])
    return Audience(kind, tuple(values or ()))


def _page(school, form, versions, *, preview=None, error=None, status=200, asked=None):
    template = "office/campaign_check.html" if preview is not None else "office/campaigns.html"
    return render_template(
        template,
        campaigns=campaigns_for(school.id, limit=50),
        form=form,
        versions=versions,
        version=current_version(school.id),
        preview=preview,
        audience=_audience(form) if preview is not None else None,
        steps=(steps := parse_policy(form.reminder_policy.data) if preview is not None else []),
        reminders_cost=reminder_cost(preview, steps) if preview is not None else None,
        expected_waiting=[int(w * 100) for w in EXPECTED_WAITING],
        asked=asked,
        symbol={"GBP": "£", "EUR": "€", "USD": "$"},
        chosen_version=next((v for v in versions if v.id == form.version_id.data), None),
        error=error,
    ), status


def _why_not(preview: CampaignPreview) -> str | None:
    if preview.recipients == 0:
        return (
            "Nobody in this audience is left to ask (everyone is covered or already holds a "
            "link, or cannot be reached): choose other year groups or classes"
        )
    return segment_limit_problem(preview)


def campaigns():
    school = db.session.get(School, current_user.school_id)
    versions = _published_versions(school.id)
    form = _form(school, versions)
    step = request.form.get("step", "preview")
    if request.method == "GET" or step == "change" or not versions:
        return _page(school, form, versions)
    if not _valid(form, school):
        return _page(school, form, versions, status=422)
    chosen = _audience(form)
    wanted = audiences.pupils_wanted(school.id, chosen)
    version_id = form.version_id.data
    asked = already_asked(school.id, version_id, wanted)
    pairs = None if form.ask_again.data else not_already_asked(version_id)
    try:
        preview = preview_invitations(school, pupils_wanted=wanted, pairs=pairs)
    except TemplateProblem as exc:
        error = f"a message template needs fixing: {exc}"
        return _page(school, form, versions, error=error, status=422)
    why_not = _why_not(preview)
    if step != "launch" or why_not:
        status = 422 if (why_not and step == "launch") else 200
        return _page(
            school, form, versions, preview=preview, error=why_not, status=status, asked=asked
        )
    version = next(v for v in versions if v.id == form.version_id.data)
    closes_at = datetime.combine(form.closes_on.data, time(23, 59), ZoneInfo(school.timezone))
    try:
        summary = launch_campaign(
            school,
            version,
            name=form.name.data.strip(),
            closes_at=closes_at.astimezone(UTC),
            actor=f"staff:{current_user.id}",
            audience=chosen.kind,
            audience_values=chosen.stored_values,
            pupils_wanted=wanted,
            completion_rule=CompletionRule(form.completion_rule.data),
            reminder_policy=",".join(
                f"{s.day}:{s.channels}" for s in parse_policy(form.reminder_policy.data)
            ),
            ask_again=bool(form.ask_again.data),
        )
    except CampaignError as exc:
        return _page(
            school, form, versions, preview=preview, error=str(exc), status=422, asked=asked
        )
    unreachable = len(summary.unreachable)
    flash(
        "Launched: "
        + english_plural(
            "%(num)d carer will get a message",
            "%(num)d carers will get a message",
            summary.invitations,
        )
        + (f"; {unreachable} cannot be reached." if unreachable else ".")
    )
    return redirect(url_for("office.campaign", campaign_id=summary.campaign.id), code=303)
