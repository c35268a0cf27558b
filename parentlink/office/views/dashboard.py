"""The overview and the non-responders: how far the campaign has got, and who to chase."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from parentlink.campaigns.queries import campaigns_for, question_counts
from parentlink.core.clock import now
from parentlink.core.filters import london_datetime
from parentlink.messaging.queries import sender_problems
from parentlink.office import coverage_queries, household_queries, queries
from parentlink.office.forms import ActionForm
from parentlink.office.permissions import Permission, can


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else default


def _campaign_or_404():
    campaign = queries.current_campaign(current_user.school_id, _int_arg("campaign"))
    if campaign is None and request.args.get("campaign"):
        abort(404)
    return campaign


def overview():
    campaign = _campaign_or_404()
    school_id = current_user.school_id
    open_questions = question_counts(school_id)
    questions = {state.value: n for state, n in open_questions.items()}
    version, school, line = coverage_queries.headline(school_id, now().date())
    context = {
        "questions": questions,
        "version": version,
        "school_coverage": school,
        "line": line,
        "target_percent": coverage_queries.TARGET_PERCENT,
        "counts": coverage_queries.counts(school_id, version, questions["open"]),
        "campaign": campaign,
        # our own mail refused (SPF, DKIM, DMARC): only an administrator can have it fixed
        "sender_problems": sender_problems(school_id) if can(Permission.MANAGE_SETTINGS) else [],
    }
    if campaign is not None:
        context.update(
            campaigns=campaigns_for(school_id),
            coverage=queries.coverage(campaign),
            funnel=queries.funnel(campaign),
            trend=queries.daily_confirmations(campaign),
        )
    return render_template("office/overview.html", **context)


def _sort() -> str:
    sort = request.args.get("sort", "class")
    return sort if sort in household_queries.SORTS else "class"


def non_responders():
    campaign = _campaign_or_404()
    if campaign is None:
        return render_template("office/non_responders.html", campaign=None)
    class_name = request.args.get("class") or None
    sort = _sort()
    page = household_queries.households(
        campaign, class_name=class_name, sort=sort, page=_int_arg("page", 1)
    )
    unreachable, pupils = household_queries.unreachable_children(campaign, class_name=class_name)
    return render_template(
        "office/non_responders.html",
        campaign=campaign,
        page=page,
        class_name=class_name,
        sort=sort,
        sorts=household_queries.SORTS,
        unreachable=unreachable,
        unreachable_pupils=pupils,
        classes=queries.class_names(current_user.school_id),
        form=ActionForm(),
        may_chase=can(Permission.CHASE),
    )


CALL_LIST_LIMIT = 2000  # a printed list longer than this is not a call list


def call_list():
    campaign = _campaign_or_404()
    if campaign is None:
        abort(404)
    class_name = request.args.get("class") or None
    page = household_queries.households(
        campaign, class_name=class_name, sort=_sort(), per_page=CALL_LIST_LIMIT
    )
    unreachable, pupils = household_queries.unreachable_children(
        campaign, class_name=class_name, limit=CALL_LIST_LIMIT
    )
    return render_template(
        "office/call_list.html",
        campaign=campaign,
        page=page,
        class_name=class_name,
        unreachable=unreachable,
        unreachable_pupils=pupils,
        now_text=london_datetime(now()),
    )
