"""The staff pages under /office/: one routing table; every page states its permission."""

from __future__ import annotations

from flask import Blueprint
from flask_limiter import RateLimitExceeded

from parentlink.office import jobs_panel
from parentlink.office.permissions import Permission, can, requires
from parentlink.office.session import staff_context
from parentlink.office.views import (
    account,
    agreements,
    audit,
    campaign_launch,
    campaigns,
    chase,
    dashboard,
    evidence,
    families,
    imports,
    inbox,
    messages,
    questions,
    rounds,
    settings,
    staff,
    term_dates,
    translations,
)
from parentlink.parents.limits import limiter

P = Permission
blueprint = Blueprint("office", __name__, url_prefix="/office")
blueprint.register_error_handler(RateLimitExceeded, account.too_many_codes)
blueprint.context_processor(staff_context)

# Pages anyone may reach (they sign you in or out).
PUBLIC = [
    ("/login", "login", account.login, ["GET", "POST"]),
    ("/login/code", "two_factor", account.two_factor, ["GET", "POST"]),
    ("/two-factor", "two_factor_setup", account.two_factor_setup, ["GET", "POST"]),
    ("/confirm", "confirm", account.confirm, ["GET", "POST"]),
    ("/logout", "logout", account.logout, ["POST"]),
    ("/set-up/<token>", "set_up", staff.set_up, ["GET", "POST"]),  # a new colleague's link
]

# (url, endpoint, view, methods, permission)
PAGES = [
    ("/", "overview", dashboard.overview, ["GET"], Permission.VIEW_OVERVIEW),
    ("/not-answered", "non_responders", dashboard.non_responders, ["GET"], P.VIEW_FAMILIES),
    ("/not-answered/call-list", "call_list", dashboard.call_list, ["GET"], P.VIEW_FAMILIES),
    ("/invitations/<int:invitation_id>/remind", "remind", chase.remind, ["POST"], P.CHASE),
    (
        "/campaigns/<int:campaign_id>/remind",
        "remind_selected",
        chase.remind_selected,
        ["POST"],
        P.CHASE,
    ),
    (
        "/campaigns/<int:campaign_id>/contacts/<int:contact_id>/paper",
        "paper_confirmation",
        chase.paper,
        ["GET", "POST"],
        P.CHASE,
    ),
    (
        "/campaigns/<int:campaign_id>/contacts/<int:contact_id>/paper-form",
        "paper_form",
        chase.paper_form,
        ["POST"],
        P.CHASE,
    ),
    (
        "/contacts/<int:contact_id>/wrong-details",
        "flag_details",
        chase.flag_details,
        ["POST"],
        P.CHASE,
    ),
    ("/questions", "questions", questions.questions, ["GET"], P.VIEW_FAMILIES),
    (
        "/questions/<int:response_id>/reply",
        "question_reply",
        questions.reply,
        ["POST"],
        P.ANSWER_QUESTIONS,
    ),
    (
        "/questions/<int:response_id>/answered",
        "question_answered",
        questions.answered,
        ["POST"],
        P.ANSWER_QUESTIONS,
    ),
    (
        "/questions/<int:response_id>/dsl",
        "question_to_dsl",
        questions.to_dsl,
        ["POST"],
        P.ANSWER_QUESTIONS,
    ),
    ("/agreements", "agreements", agreements.agreements, ["GET"], P.VIEW_OVERVIEW),
    (
        "/agreements/versions/<int:version_id>",
        "version",
        agreements.version,
        ["GET"],
        P.VIEW_OVERVIEW,
    ),
    (
        "/agreements/versions/<int:version_id>/draft",
        "new_draft",
        agreements.new_draft,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/versions/<int:version_id>/publish",
        "publish_version",
        agreements.publish_version,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/clauses/<int:clause_id>",
        "edit_clause",
        agreements.edit_clause,
        ["GET", "POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/versions/<int:version_id>/translations/<language>",
        "edit_translation",
        translations.edit,
        ["GET", "POST"],
        P.EDIT_AGREEMENTS,
    ),
    (
        "/agreements/family-language",
        "family_language",
        translations.family_language,
        ["POST"],
        P.EDIT_AGREEMENTS,
    ),
    ("/campaigns", "campaigns", campaign_launch.campaigns, ["GET", "POST"], P.RUN_CAMPAIGNS),
    ("/campaigns/<int:campaign_id>", "campaign", campaigns.campaign, ["GET"], P.VIEW_OVERVIEW),
    (
        "/campaigns/<int:campaign_id>/close",
        "close_campaign",
        campaigns.close,
        ["POST"],
        P.RUN_CAMPAIGNS,
    ),
    ("/messages", "messages", messages.message_log, ["GET"], P.VIEW_FAMILIES),
    ("/inbox", "inbox", inbox.inbox, ["GET"], P.VIEW_FAMILIES),
    (
        "/inbox/<int:message_id>/concern",
        "inbox_to_concern",
        inbox.to_concern,
        ["POST"],
        P.VIEW_FAMILIES,
    ),
    ("/jobs/", "jobs", jobs_panel.panel, ["GET"], P.MANAGE_SETTINGS),  # administrators
    ("/data-quality", "data_quality", messages.data_quality, ["GET"], P.VIEW_FAMILIES),
    ("/import", "import_upload", imports.upload, ["GET", "POST"], P.IMPORT),
    (
        "/import/<int:upload_id>/columns",
        "import_mapping",
        imports.mapping,
        ["GET", "POST"],
        P.IMPORT,
    ),
    ("/import/<int:upload_id>/preview", "import_preview", imports.preview, ["GET"], P.IMPORT),
    ("/import/<int:upload_id>/commit", "import_commit", imports.commit, ["POST"], P.IMPORT),
    (
        "/import/<int:upload_id>/identity",
        "import_identity",
        imports.identity,
        ["POST"],
        P.IMPORT,
    ),
    ("/families", "families", families.families, ["GET"], P.VIEW_FAMILIES),
    ("/families/<int:pupil_id>", "family", families.family, ["GET"], P.VIEW_FAMILIES),
    (
        "/families/<int:pupil_id>/carers/<int:link_id>/court-order",
        "court_order",
        families.court_order,
        ["POST"],
        P.RESTRICT_CONTACT,
    ),
    ("/families/<int:pupil_id>/evidence", "evidence", evidence.family_evidence, ["GET"], P.EXPORT),
    (
        "/campaigns/<int:campaign_id>/pupils.csv",
        "export_pupils",
        evidence.pupils_csv,
        ["GET"],
        P.EXPORT,
    ),
    (
        "/campaigns/<int:campaign_id>/contacts.csv",
        "export_contacts",
        evidence.contacts_csv,
        ["GET"],
        P.EXPORT,
    ),
    ("/settings", "settings", settings.settings, ["GET", "POST"], P.MANAGE_SETTINGS),
    (
        "/settings/term-dates",
        "term_dates_preview",
        term_dates.preview,
        ["POST"],
        P.MANAGE_SETTINGS,
    ),
    (
        "/settings/term-dates/save",
        "term_dates_save",
        term_dates.save,
        ["POST"],
        P.MANAGE_SETTINGS,
    ),
    ("/staff", "staff", staff.staff_list, ["GET", "POST"], P.MANAGE_SETTINGS),
    ("/staff/<int:staff_id>", "staff_change", staff.staff_change, ["POST"], P.MANAGE_SETTINGS),
    ("/audit", "audit", audit.audit_log, ["GET"], P.VIEW_AUDIT),
    ("/rounds", "rounds", rounds.rounds_page, ["GET"], P.MANAGE_SETTINGS),
    (
        "/rounds/<int:round_id>/<action>",
        "round_change",
        rounds.change,
        ["POST"],
        P.MANAGE_SETTINGS,
    ),
    ("/account", "account", staff.account, ["GET", "POST"], P.OWN_ACCOUNT),
    ("/account/password", "change_password", account.change_password, ["POST"], P.OWN_ACCOUNT),
]

# The code step is also limited per address by Flask-Limiter, besides the per-account count.
CODE_STEP_PER_IP = "20 per 10 minutes"
for url, endpoint, view, methods in PUBLIC:
    if endpoint in {"two_factor", "confirm"}:
        view = limiter.limit(CODE_STEP_PER_IP, methods=["POST"])(view)
    blueprint.add_url_rule(url, endpoint, view, methods=methods)
for url, endpoint, view, methods, permission in PAGES:
    blueprint.add_url_rule(url, endpoint, requires(permission)(view), methods=methods)


# The menu: (endpoint, label); each shows only to roles allowed to open it.
NAV = [
    ("office.overview", "Overview"),
    ("office.non_responders", "Not yet answered"),
    ("office.questions", "Questions"),
    ("office.families", "Families"),
    ("office.campaigns", "Campaigns"),
    ("office.agreements", "Agreement"),
    ("office.messages", "Messages"),
    ("office.inbox", "Texts from parents"),
    ("office.data_quality", "Data quality"),
    ("office.import_upload", "Import"),
    ("concerns_office.index", "Concerns"),
    ("office.settings", "Settings"),
    ("office.rounds", "Termly rounds"),
    ("office.jobs", "Scheduled jobs"),
    ("office.staff", "Staff"),
    ("office.audit", "Audit log"),
    ("office.account", "My account"),
]
_PERMISSION_OF = {f"office.{endpoint}": permission for _, endpoint, _, _, permission in PAGES}
_PERMISSION_OF["concerns_office.index"] = P.READ_CONCERNS  # the DSL's pages (concerns package)


def office_nav() -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label in NAV
        if endpoint in _PERMISSION_OF and can(_PERMISSION_OF[endpoint])
    ]


@blueprint.app_context_processor
def _permissions():
    return {"can": can, "Permission": Permission, "office_nav": office_nav}
